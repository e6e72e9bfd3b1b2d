"""Meeting ballot slips: only digests stored, the printed PDF, voting without login through the
QR link or the typed code, single use under concurrency, withdrawal, the group held in the
meeting no longer voting online, rate limits on failed lookups."""
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from review.ballots import slips, voting
from review.ballots.models import AnonymousAnswer, Assignment, PoolEntry, RaterGroup, Slip, SlipBatch
from review.campaigns import operations as ops
from review.core.access import Role
from review.core.audit import AuditEntry
from review.core.errors import DomainError
from review.extensions import db

from ..concurrency import race
from ..conftest import make_app, rate_limited_app
from ..factories import small_institution
from .test_assignments import PLAN
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan


@pytest.fixture
def meeting(make, app):
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    ops.move(campaign, "open")
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    make.commit()
    return o, campaign, office


def issue(campaign, n, group=RaterGroup.DEMOCRATIC):
    tokens = slips.new_tokens(n)
    batch = slips.issue(campaign, group, tokens)
    return batch, tokens


def full_ballot(campaign, people, code, value="80"):
    data = {"code": code, "send": "1"}
    for p in people:
        for q in voting.questions(campaign, RaterGroup.DEMOCRATIC):
            data[f"r{p.id}-{q.code}"] = value
    return data


def test_only_digests_are_stored_and_the_pdf_carries_the_codes(meeting):
    o, c, _office = meeting
    batch, tokens = issue(c, 10)
    pdf = slips.slips_pdf(slips.sheet_for(c, RaterGroup.DEMOCRATIC), tokens)
    db.session.commit()
    stored = db.session.scalars(select(Slip)).all()
    assert len(stored) == 10 and not any(s.used for s in stored)
    for t in tokens:
        for s in stored:
            assert t.link.encode() not in s.link_digest + s.code_digest + s.id.encode()
            assert t.code.replace("-", "").encode() not in s.link_digest + s.code_digest + s.id.encode()
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert all(t.code in text for t in tokens) and c.name in text and "民主测评" in text
    assert len(reader.pages) == 2  # eight slips to an A4 page
    # The batch is audited; the slips and their secrets are not.
    entries = db.session.scalars(select(AuditEntry)).all()
    assert any(e.object_type == "ballot_slip_batches" for e in entries)
    dumped = " ".join(f"{e.summary} {e.before} {e.after} {e.object_label}" for e in entries)
    assert not any(t.link in dumped or t.code in dumped for t in tokens)


def test_a_slip_votes_once_without_login_and_its_secret_never_enters_a_url(client, meeting):
    o, c, _office = meeting
    batch, tokens = issue(c, 3)
    db.session.commit()
    people = slips.ratees(c, RaterGroup.DEMOCRATIC)
    assert slips.slip_url(tokens[0].link).split("#")[1] == tokens[0].link  # a fragment: never sent to the server
    page = client.post("/slip/", data={"code": tokens[0].link})  # what the page's script posts from the fragment
    assert page.status_code == 200 and all(p.name in page.get_data(as_text=True) for p in people)
    incomplete = full_ballot(c, people, tokens[0].link)
    incomplete.pop(next(k for k in incomplete if k.startswith("r")))
    assert client.post("/slip/", data=incomplete).status_code == 422
    assert db.session.scalars(select(PoolEntry)).all() == []
    assert not any(s.used for s in db.session.scalars(select(Slip)))
    done = client.post("/slip/", data=full_ballot(c, people, tokens[0].link))
    assert done.status_code == 200 and "已记录" in done.get_data(as_text=True)
    assert sum(s.used for s in db.session.scalars(select(Slip))) == 1
    assert len(db.session.scalars(select(PoolEntry)).all()) == len(people)  # sealed until the count at close
    again = client.post("/slip/", data=full_ballot(c, people, tokens[0].link))
    assert again.status_code == 410 and "已经使用" in again.get_data(as_text=True)
    # Counted at close, once three slips (k) were used: one answer per ratee and question each.
    for t in tokens[1:]:
        assert client.post("/slip/", data=full_ballot(c, people, t.code)).status_code == 200
    ops.move(c, "close")
    db.session.commit()
    answers = db.session.scalars(select(AnonymousAnswer)).all()
    assert {a.ratee_id for a in answers} == {p.id for p in people} and len(answers) == 3 * len(people)
    assert db.session.scalars(select(PoolEntry)).all() == []


def test_the_short_code_can_be_typed_loosely(client, meeting):
    o, c, _office = meeting
    _batch, tokens = issue(c, 1)
    db.session.commit()
    typed = " " + tokens[0].code.lower().replace("-", " ") + " "
    resp = client.post("/slip/", data={"code": typed})
    assert resp.status_code == 200 and 'name="send"' in resp.get_data(as_text=True)
    wrong = tokens[0].code[:-1] + ("A" if tokens[0].code[-1] != "A" else "B")
    resp = client.post("/slip/", data={"code": wrong})
    assert resp.status_code == 422 and "不是有效的短码" in resp.get_data(as_text=True)  # caught by the check symbol
    assert client.get(f"/slip/{tokens[0].link}").status_code == 404  # no secret in a path


def test_withdrawn_and_closed(client, auth, meeting):
    o, c, office = meeting
    batch, tokens = issue(c, 2)
    db.session.commit()
    auth.as_user(office)
    assert client.post(f"/campaigns/{c.id}/slips/{batch.id}/revoke").status_code == 302
    resp = client.post("/slip/", data={"code": tokens[0].code})
    assert resp.status_code == 410 and "收回" in resp.get_data(as_text=True)
    _b2, fresh = issue(c, 1)
    ops.move(c, "close")
    db.session.commit()
    resp = client.post("/slip/", data={"code": fresh[0].link})
    assert resp.status_code == 410 and "不在测评时间" in resp.get_data(as_text=True)


def test_a_group_held_in_a_meeting_no_longer_votes_online(client, auth, meeting, make):
    o, c, _office = meeting
    staff = make.user(Role.STAFF, person=o["s1"][0])
    make.commit()
    issue(c, 5)
    db.session.commit()
    auth.as_user(staff)
    assert f"/ballots/grid/{c.id}/democratic" not in client.get("/ballots/").get_data(as_text=True)
    a = db.session.scalar(select(Assignment).where(Assignment.rater_id == o["s1"][0].id,
                                                   Assignment.group == RaterGroup.DEMOCRATIC))
    with pytest.raises(DomainError):
        voting.submit(a.id, o["s1"][0], {q.code: 80 for q in voting.questions(c, RaterGroup.DEMOCRATIC)})
    db.session.rollback()
    # Progress counts the group's slips, not its online ballots: nobody is waited for as a democratic rater.
    from review.ballots import assignments
    online = db.session.scalar(select(db.func.count()).select_from(Assignment).where(
        Assignment.rater_id == o["s1"][0].id, Assignment.group != RaterGroup.DEMOCRATIC))
    assert dict((p.id, n) for p, n in assignments.not_yet_voted(c))[o["s1"][0].id] == online
    assert "democratic" not in assignments.counts(c)
    assert not [row for row in assignments.participation(c) if row[1] == "democratic"]
    auth.logout()
    auth.as_user(_office)
    html = client.get(f"/campaigns/{c.id}/ballots").get_data(as_text=True)
    assert 'id="slip-batches"' in html


def test_office_prints_slips_from_the_ballots_page(client, auth, meeting):
    o, c, office = meeting
    auth.as_user(office)
    page = client.get(f"/campaigns/{c.id}/ballots").get_data(as_text=True)
    assert 'id="print-slips"' in page
    resp = client.post(f"/campaigns/{c.id}/slips", data={"group": "democratic", "count": "4"})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(SlipBatch)).count == 4
    bad = client.post(f"/campaigns/{c.id}/slips", data={"group": "democratic", "count": "0"})
    assert bad.status_code == 302 and db.session.scalar(select(db.func.count()).select_from(SlipBatch)) == 1


def test_cli_prints_slips(runner, meeting, tmp_path):
    o, c, _office = meeting
    out = tmp_path / "slips.pdf"
    result = runner.invoke(args=["ballots", "slips", str(c.id), "--count", "3", "--out", str(out),
                                 "--base-url", "http://10.0.0.5:8000"])
    assert result.exit_code == 0, result.output
    text = "".join(p.extract_text() for p in PdfReader(str(out)).pages)
    assert "10.0.0.5:8000/slip/" in text


def test_concurrent_use_of_one_slip_exactly_one_wins(meeting, _schema):
    o, c, _office = meeting
    _batch, tokens = issue(c, 1)
    people = [p.id for p in slips.ratees(c, RaterGroup.DEMOCRATIC)]
    codes = [q.code for q in voting.questions(c, RaterGroup.DEMOCRATIC)]
    db.session.commit()
    db.session.remove()

    def attempt():
        return lambda: slips.submit(tokens[0].code, {pid: {code: 80 for code in codes} for pid in people}, {})

    outcomes = race(make_app(_schema), [attempt] * 20, slips.SlipRefused)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 19
    assert db.session.scalar(select(db.func.count()).select_from(PoolEntry)) == len(people)


@pytest.fixture
def limited(_schema):
    with rate_limited_app(_schema, SLIP_LIMIT_PER_ADDRESS="4 per minute") as app:
        yield app


def test_unknown_codes_are_rate_limited_per_address_typos_are_not(limited):
    from review.core.tokens import new_token
    client = limited.test_client()
    for _i in range(10):  # typos fail the check symbol: no lookup, no penalty
        assert client.post("/slip/", data={"code": "ABCD-EFGH-JKZ"}).status_code == 422
    for _i in range(4):  # well-formed codes of no slip: guessing
        assert client.post("/slip/", data={"code": new_token().code}).status_code == 422
    resp = client.post("/slip/", data={"code": new_token().code})
    assert resp.status_code == 429 and "尝试次数过多" in resp.get_data(as_text=True)


def test_slips_cannot_be_printed_once_people_voted_online(meeting):
    o, c, _office = meeting
    a = db.session.scalar(select(Assignment).where(Assignment.rater_id == o["s1"][0].id,
                                                   Assignment.group == RaterGroup.DEMOCRATIC))
    voting.submit(a.id, o["s1"][0], {q.code: 80 for q in voting.questions(c, RaterGroup.DEMOCRATIC)})
    with pytest.raises(DomainError):
        issue(c, 5)


def test_a_slip_sent_without_a_valid_session_keeps_its_answers_and_is_not_spent(meeting, _schema):
    o, c, _office = meeting
    _batch, tokens = issue(c, 1)
    people = slips.ratees(c, RaterGroup.DEMOCRATIC)
    data = full_ballot(c, people, tokens[0].code)
    db.session.commit()
    app = make_app(_schema, WTF_CSRF_ENABLED=True)
    with app.app_context():
        resp = app.test_client().post("/slip/", data=data)  # no CSRF token: the session was lost
        assert resp.status_code == 422 and "页面已过期" in resp.get_data(as_text=True)
        assert not db.session.scalar(select(Slip).where(Slip.used.is_(True)))
        assert db.session.scalars(select(PoolEntry)).all() == []
        db.session.remove()
        db.engine.dispose()


def test_a_rater_who_signs_for_someone_of_the_group_gets_no_slip(meeting, client, auth):
    """A slip rates every ratee of its group: the chief, who rates his deputies signed as their leader,
    would rate them anonymously on a slip too. The office is told before printing; printing takes him out of
    the group (audited), so nobody rates one person both signed and anonymously."""
    from review.ballots.models import Assignment
    from review.core.audit import AuditEntry
    o, campaign, office = meeting
    twins = slips.signed_twins(campaign, RaterGroup.DEMOCRATIC)
    assert o["chief"].id in {r for r, _n, _e in twins}
    auth.as_user(office)
    page = client.get(f"/campaigns/{campaign.id}/ballots").get_data(as_text=True)
    assert "检察长" in page and "不会领到选票" in page
    issue(campaign, 5)
    db.session.commit()
    signed = {(a.rater_id, a.ratee_id) for a in db.session.scalars(select(Assignment).where(
        Assignment.campaign_id == campaign.id, Assignment.group.in_([RaterGroup.LEADER, RaterGroup.SELF])))}
    raters = {a.rater_id for a in db.session.scalars(select(Assignment).where(
        Assignment.campaign_id == campaign.id, Assignment.group == RaterGroup.DEMOCRATIC))}
    rated = set(p.id for p in slips.ratees(campaign, RaterGroup.DEMOCRATIC))
    assert not {(r, e) for r, e in signed if r != e and r in raters and e in rated}
    assert o["chief"].id not in raters
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ballots.slip_raters_excluded"))
