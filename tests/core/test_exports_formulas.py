"""No export turns text people typed into a live formula.

The demo institution is seeded, then every text field users control (people's names and positions,
units, departments, categories, role words, plan and campaign names, indicator and measure names,
questions, survey answers, target labels, register entries, reasons) is rewritten to start with a
formula sign. Every route that produces a spreadsheet — found in the URL map, so that a new export
cannot escape — is fetched, and each .xlsx is opened with openpyxl, each CSV (also inside zips) read
with the csv module."""
from __future__ import annotations

import csv
import inspect
import io
import re
import zipfile
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select, text

from review.core.spreadsheet import FORMULA_STARTS, XLSX, formula_like
from review.extensions import db

# ASCII and full-width signs, tab, CR, a leading blank, and the classic link.
PAYLOADS = ('=HYPERLINK("http://x","c")&', "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠", " =", "=1+")

POISONED_COLUMNS = {
    "people": ("name", "position"),
    "departments": ("name",),
    "units": ("name",),
    "categories": ("label_zh", "label_en"),
    "leader_role_labels": ("label_zh", "label_en"),
    "plans": ("name",),
    "campaigns": ("name",),
    "surveys": ("name",),
    "register_entries": ("title", "level", "note"),
    "survey_token_batches": ("target_label",),
    "manual_entries": ("reason",),
    "veto_entries": ("reason",),
    "kpi_entries": ("reason",),
    "adjustments": ("reason",),
    "appeals": ("reason",),
    "claims": ("title", "description"),
    "ballot_comments": ("text",),
    "work_reports": ("text",),
    "archive_files": ("reason",),
}
KEYS = {"categories": "code", "leader_role_labels": "role"}
# Keys of plan and questionnaire documents that hold names people read (not codes).
DOCUMENT_TEXT_KEYS = ("name", "name_en", "text", "text_en", "title", "title_en")

# Endpoints that produce a spreadsheet (or a zip with a CSV manifest). A new one must be added here,
# with how to fetch it, or the test fails.
KNOWN_EXPORTS = {
    "roster.template", "roster.export", "campaigns.results_export", "ballot_results.export",
    "surveys.issue_tokens", "surveys.export_results", "registers.export", "kpi.sheet",
    "archive.unit_zip", "archive.department_zip",
}
SPREADSHEET_SOURCE = re.compile(r"\bXLSX\b|\bCSV\b|text/csv|csv_bytes|workbook\(")


def _poison(value: str | None, n: int) -> str | None:
    if not value:
        return value
    return PAYLOADS[n % len(PAYLOADS)] + value


def _poison_document(node, counter):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in DOCUMENT_TEXT_KEYS and isinstance(value, str) and counter[0] > 0:
                node[key] = _poison(value, counter[0])
            counter[0] += 1
            _poison_document(value, counter)
    elif isinstance(node, list):
        for item in node:
            _poison_document(item, counter)


def _poison_world() -> None:
    n = 0
    for table, columns in POISONED_COLUMNS.items():
        key = KEYS.get(table, "id")
        for row in db.session.execute(text(f"SELECT {key}, {', '.join(columns)} FROM {table}")).all():
            values = {c: _poison(v, n + i) for i, (c, v) in enumerate(zip(columns, row[1:]))}
            n += 1
            db.session.execute(text(f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE {key} = :key"),
                               {**values, "key": row[0]})
    # Free-text survey answers (choices stay codes: they are counted by value).
    from review.plans.models import PlanVersion
    from review.surveys.models import QuestionnaireVersion, SurveyAnswer
    text_codes = set()
    for version in db.session.scalars(select(QuestionnaireVersion)):
        doc = dict(version.document)
        for section in doc.get("sections", []):
            text_codes |= {q["code"] for q in section.get("questions", []) if q.get("kind") == "text"}
    for answer in db.session.scalars(select(SurveyAnswer).where(SurveyAnswer.question.in_(text_codes))):
        n += 1
        answer.value = _poison(answer.value, n)
    # Names inside plan and questionnaire documents (the top-level name of a questionnaire is how
    # plans find it, so the walk starts below it).
    import copy
    for version in list(db.session.scalars(select(PlanVersion))) + list(db.session.scalars(select(QuestionnaireVersion))):
        doc = copy.deepcopy(version.document)
        _poison_document(doc, [0])
        version.document = doc
    db.session.commit()


def _add_archive_file(app, tmp_path) -> tuple[int, int, int]:
    """One archived file of the final 2024 campaign, for the zip downloads and their manifest."""
    from review.archive import issue as archive
    from review.archive.models import ArchiveFile
    from review.campaigns.models import Campaign, CampaignState, CampaignSubject
    from review.core.tokens import new_token
    from review.org.models import Person
    app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    campaign = db.session.scalars(select(Campaign).where(Campaign.state == CampaignState.FINAL)).first()
    person = db.session.scalars(select(Person).join(CampaignSubject, CampaignSubject.person_id == Person.id)
                                .where(CampaignSubject.campaign_id == campaign.id,
                                       Person.department_id.is_not(None))).first()
    stored = archive.store().put(b"%PDF-1.4\n% a file of the archive\n%%EOF\n")
    db.session.add(ArchiveFile(person_id=person.id, year=campaign.year, version=1, campaign_id=campaign.id,
                               unit_id=person.unit_id, unit_path=person.unit.path, department_id=person.department_id,
                               sha256=stored.sha256, size=stored.size,
                               code=new_token().code.replace("-", ""), fingerprint="0" * 64,
                               reason=_poison("首次归档", 0)))
    db.session.commit()
    return person.unit_id, person.department_id, campaign.year


def _exporting_endpoints(app) -> set[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        try:
            source = inspect.getsource(view)
        except (OSError, TypeError):
            source = ""
        if re.search(r"\.(xlsx|xls|csv|zip|<[^>]+>)$", rule.rule) or SPREADSHEET_SOURCE.search(source):
            found.add(rule.endpoint)
    return found


def _requests(world) -> dict[str, list[tuple[str, str, dict | None]]]:
    """Per endpoint, (method, url, form) to fetch it as a user allowed to."""
    from review.campaigns.models import Campaign
    from review.registers.models import RegisterKind
    from review.surveys.models import Survey, SurveyState
    campaigns = db.session.scalars(select(Campaign)).all()
    surveys = db.session.scalars(select(Survey)).all()
    open_survey = next(s for s in surveys if s.state is SurveyState.OPEN)
    from review.surveys import tokens
    target = tokens.targets(open_survey)[0][0]
    today = date.today().isoformat()
    unit_id, dept_id, year = world["archive"]
    return {
        "roster.template": [("GET", "/org/roster/template.xlsx", None)],
        "roster.export": [("GET", "/org/roster/export.xlsx", None)],
        "campaigns.results_export": [("GET", f"/campaigns/{c.id}/results.xlsx", None) for c in campaigns],
        "ballot_results.export": [("GET", f"/campaigns/{c.id}/ballot-results.xlsx", None) for c in campaigns],
        "kpi.sheet": [("GET", f"/campaigns/{c.id}/kpis/sheet.xlsx", None) for c in campaigns],
        "surveys.export_results": [("GET", f"/surveys/{s.id}/results.{fmt}", None)
                                   for s in surveys for fmt in ("xlsx", "csv")],
        "surveys.issue_tokens": [("POST", f"/surveys/{open_survey.id}/tokens",
                                  {"format": fmt, "count": "3", "valid_from": today, "valid_until": today,
                                   "target": str(target)}) for fmt in ("xlsx", "csv")],
        "registers.export": [("GET", f"/registers/{k.value}/export.xlsx?unit={world['county']}", None)
                             for k in RegisterKind],
        "archive.unit_zip": [("GET", f"/archive/units/{unit_id}/{year}.zip", None)],
        "archive.department_zip": [("GET", f"/archive/departments/{dept_id}/{year}.zip", None)],
    }


def _xlsx_problems(data: bytes, where: str) -> tuple[list[str], int]:
    problems, escaped = [], 0
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    problems.append(f"{where} {ws.title}!{c.coordinate}: formula {c.value!r}")
                elif formula_like(c.value):
                    escaped += 1
    return problems, escaped


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_problems(data: bytes, where: str) -> tuple[list[str], int]:
    problems, escaped = [], 0
    for number, row in enumerate(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")), start=1):
        for column, cell in enumerate(row, start=1):
            if cell.startswith("'") and formula_like(cell[1:]):
                escaped += 1
            elif formula_like(cell) and not _is_number(cell):
                problems.append(f"{where} row {number} column {column}: unescaped {cell!r}")
    return problems, escaped


@pytest.fixture
def poisoned(demo_app, tmp_path):
    """A copy of the demo institution, every typed text rewritten to start with a formula sign."""
    from review.org.models import Unit
    county = db.session.scalar(select(Unit.id).where(Unit.code == "320921"))
    archive = _add_archive_file(demo_app, tmp_path)
    _poison_world()
    return {"app": demo_app, "county": county, "archive": archive}


def test_the_crawl_knows_every_export_in_the_url_map(app):
    found = _exporting_endpoints(app)
    assert found >= KNOWN_EXPORTS, f"no longer found: {KNOWN_EXPORTS - found}"
    assert found <= KNOWN_EXPORTS, f"a new export, add it to this test's crawl: {found - KNOWN_EXPORTS}"
    assert len(found) >= 10


def test_no_export_writes_text_people_typed_as_a_formula(poisoned):
    app = poisoned["app"]
    fetches = _requests(poisoned)
    assert set(fetches) == _exporting_endpoints(app)
    client = app.test_client()
    assert client.post("/login", data={"login": "admin", "password": "demo2025"}).status_code == 302
    problems, escaped_by_endpoint, fetched = [], {}, 0
    for endpoint, requests in fetches.items():
        for method, url, form in requests:
            resp = client.open(url, method=method, data=form)
            assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:300])
            fetched += 1
            if resp.mimetype == "application/zip":
                zf = zipfile.ZipFile(io.BytesIO(resp.data))
                members = [(f"{url}:{n}", zf.read(n), n.rsplit(".", 1)[-1]) for n in zf.namelist()
                           if n.endswith((".csv", ".xlsx"))]
                assert members, f"{url}: no manifest"
            else:
                kind = "csv" if resp.mimetype == "text/csv" else "xlsx"
                assert kind == "csv" or resp.mimetype == XLSX, (url, resp.mimetype)
                members = [(url, resp.data, kind)]
            for where, data, kind in members:
                found, escaped = (_csv_problems if kind == "csv" else _xlsx_problems)(data, where)
                problems += found
                escaped_by_endpoint[endpoint] = escaped_by_endpoint.get(endpoint, 0) + escaped + len(found)
    assert fetched >= len(KNOWN_EXPORTS)
    assert problems == [], "\n".join(problems[:40])
    # Every export did carry the typed text (escaped): the crawl checked something.
    assert all(escaped_by_endpoint.get(e) for e in KNOWN_EXPORTS), escaped_by_endpoint


def test_numbers_stay_numbers_and_each_formula_sign_is_text():
    from review.core.spreadsheet import csv_bytes, workbook
    values = [f"{sign}SUM(A1)" for sign in FORMULA_STARTS] + [' =1+1', "\u3000＝1"]
    data = workbook([("t", ["=header"], [[v, -3, 2.5, None] for v in values])])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == [v.replace("\r", "\n") for v in values]   # XML keeps no lone CR
    assert all(r[0].data_type == "s" and r[0].quotePrefix for r in rows)
    assert ws["A1"].data_type == "s" and ws["A1"].value == "=header"
    assert all(r[1].value == -3 and r[1].data_type == "n" and r[2].value == 2.5 for r in rows)
    lines = list(csv.reader(io.StringIO(csv_bytes([[v, -3] for v in values]).decode("utf-8-sig"), newline="")))
    assert [line[0] for line in lines] == ["'" + v for v in values]
    assert [line[1] for line in lines] == ["-3"] * len(values)


def test_only_the_spreadsheet_module_makes_workbooks_and_csv_writers():
    """Exports cannot bypass the helper: no other module creates or saves a workbook or a CSV writer
    (demo input files excepted: they hold the demo's own names, and are read by the importers)."""
    from pathlib import Path
    import review
    root = Path(review.__file__).parent
    pattern = re.compile(r"\bWorkbook\(|WriteOnlyCell\(|csv\.writer\(|csv\.DictWriter\(|\bwb\.save\(")
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel == "core/spreadsheet.py" or "demo" in rel.split("/")[0] or rel.endswith("/demo.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"review/{rel}:{number}: {line.strip()}")
    assert offenders == []
