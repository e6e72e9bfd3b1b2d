"""Surveys and their token batches: issued per target as slips or for text messages, stored as
digests only, registered without linking, withdrawn."""
import csv
import io
import os

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from review.core.access import Role
from review.core.tokens import normalize_code
from review.extensions import db
from review.surveys import tokens
from review.surveys.models import QuestionnaireVersion, SurveyToken, TokenBatch
from review.surveys.operations import create_survey, save_questionnaire
from review.surveys.yaml_io import load_questionnaire

from ..factories import small_institution

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "questionnaires")


def stored(name: str) -> QuestionnaireVersion:
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
        return save_questionnaire(load_questionnaire(f.read()))


@pytest.fixture
def survey(make, auth):
    o = small_institution(make)
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    s = create_survey(stored("party_satisfaction.yaml"), o["county"], "2025年当事人满意度调查")
    make.commit()
    auth.as_user(office)
    return o, s


def issue(client, s, target, fmt, count=3, **extra):
    return client.post(f"/surveys/{s.id}/tokens", data={"target": str(target), "count": str(count),
                                                         "format": fmt, **extra})


def test_slips_for_a_prosecutor_carry_codes_only_the_pdf_holds(client, survey):
    o, s = survey
    resp = issue(client, s, o["s1"][0].id, "pdf", count=10)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "no-store"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages)
    codes = [line for line in text.split() if normalize_code(line)]
    assert len(set(codes)) == 10 and o["s1"][0].name in text
    k = tokens.key()
    from review.core.tokens import digest
    stored_digests = {t.code_digest for t in db.session.scalars(select(SurveyToken))}
    assert {digest(normalize_code(c), key=k) for c in codes} == stored_digests  # digests only, and every one
    batch = db.session.scalars(select(TokenBatch)).one()
    assert batch.count == 10 and batch.target_label.startswith(o["s1"][0].name)
    assert s.questionnaire_version.frozen  # a questionnaire in use is versioned, not edited


def test_links_and_codes_for_text_messages(client, survey):
    o, s = survey
    wb = load_workbook(io.BytesIO(issue(client, s, o["s1"][0].id, "xlsx").data))
    rows = list(wb.active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3 and all("/survey/#" in r[1] and normalize_code(r[2]) for r in rows)
    raw = issue(client, s, o["s1"][1].id, "csv").data
    assert raw.startswith("\ufeff".encode())  # Excel shows the Chinese
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(lines) == 4 and lines[1][0].startswith(o["s1"][1].name)


def test_bad_requests_change_nothing(client, survey):
    o, s = survey
    assert issue(client, s, o["sibling_chief"].id, "pdf").status_code == 302  # outside the survey's unit
    assert issue(client, s, o["s1"][0].id, "pdf", count=0).status_code == 302
    assert issue(client, s, o["s1"][0].id, "pdf", valid_from="2025-12-31", valid_until="2025-12-01").status_code == 302
    assert db.session.scalars(select(TokenBatch)).all() == [] and db.session.scalars(select(SurveyToken)).all() == []
    page = client.get(f"/surveys/{s.id}").get_data(as_text=True)
    assert "不是本次调查的对象" in page and "数量须在 1 到" in page and "早于起始有效日" in page


def test_register_counts_and_withdrawal(client, survey):
    o, s = survey
    issue(client, s, o["s1"][0].id, "pdf", count=4)
    batch = db.session.scalars(select(TokenBatch)).one()
    first = db.session.scalars(select(SurveyToken)).first()
    first.used = True
    db.session.commit()
    assert [(b.id, used) for b, used in tokens.register(s)] == [(batch.id, 1)]
    assert client.post(f"/surveys/{s.id}/batches/{batch.id}/revoke").status_code == 302
    assert db.session.get(TokenBatch, batch.id).revoked
    page = client.get(f"/surveys/{s.id}").get_data(as_text=True)
    assert "已作废" in page


def test_cli_issues_tokens_by_staff_number(runner, survey, tmp_path):
    o, s = survey
    out = tmp_path / "slips.pdf"
    result = runner.invoke(args=["surveys", "tokens", str(s.id), "--target", o["s1"][0].staff_no, "--count", "2",
                                 "--out", str(out), "--base-url", "http://10.0.0.9"])
    assert result.exit_code == 0, result.output
    text = "".join(p.extract_text() for p in PdfReader(str(out)).pages)
    assert "10.0.0.9/survey/" in text
    bad = runner.invoke(args=["surveys", "tokens", str(s.id), "--target", "nobody", "--count", "2",
                              "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code != 0 and not (tmp_path / "x.pdf").exists()


def test_surveys_belong_to_the_office_of_their_unit(client, auth, survey, make):
    o, s = survey
    other = make.user(Role.OFFICE, scope=o["sibling"], login="sibling-office")
    make.commit()
    auth.logout()
    auth.as_user(other)
    assert client.get(f"/surveys/{s.id}").status_code in (403, 404)
    assert issue(client, s, o["s1"][0].id, "pdf").status_code in (403, 404)
