"""KPI sheets: every kind of mistake reported with row and column and nothing written; a good sheet
writes one batch whose values replace the current ones (kept as history) and reach the breakdown."""
import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from review.auth.models import User
from review.campaigns import operations as ops
from review.campaigns.models import Result
from review.core.access import Role
from review.core.audit import AuditEntry
from review.extensions import db
from review.kpi.importer import import_file
from review.kpi.models import KpiBatch, KpiRecord
from review.kpi.values import current
from review.kpi.sheets import template_workbook
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution

PLAN = """
name: 量化测试方案
year: 2025
mode: points
appraises: {categories: [quota]}
measures:
  cases: {name: 办案数, unit: 件, min: 0, max: 500, integer: true}
  ratio: {name: 案件比, min: 1, max: 5}
indicators:
  - code: quantity
    name: 办案数量
    points: 60
    source: {type: kpi, measure: cases, method: linear, low: 0, high: 100}
  - code: quality
    name: 案件比
    points: 40
    source: {type: kpi, measure: ratio, method: lower_better, best: 1, worst: 3}
grades:
  rules:
    - {grade: 优秀, min_score: 90}
    - {grade: 称职}
"""


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8") -> bytes:
    return "\n".join(",".join("" if c is None else str(c) for c in row) for row in rows).encode(encoding)


@pytest.fixture
def world(make):
    o = small_institution(make)
    version = save_plan(load_plan(PLAN))
    campaign = ops.create_campaign(version, o["county"])
    make.commit()
    return o, campaign


def values_of(campaign):
    return {key: c.value for key, c in current(campaign.id).items()}


def records(campaign):
    return db.session.scalar(select(func.count()).select_from(KpiRecord).where(KpiRecord.campaign_id == campaign.id))


def test_a_good_sheet_is_imported_in_one_batch_and_scored_with_its_source(world):
    o, campaign = world
    a, b = o["s1"][0], o["s1"][1]
    data = xlsx([["工号", "姓名", "办案数", "案件比"], [a.staff_no, a.name, 80, 1.5], [b.staff_no, b.name, 120, None]])
    report = import_file(campaign, data, apply=True, filename="一季度.xlsx")
    db.session.commit()
    assert report.ok and report.applied and (report.new, report.changed, report.unchanged) == (3, 0, 0)
    assert values_of(campaign) == {(a.id, "cases"): 80, (a.id, "ratio"): 1.5, (b.id, "cases"): 120}
    lines = {line["code"]: line for line in db.session.get(Result, (campaign.id, a.id)).lines()}
    assert lines["quantity"]["points"] == pytest.approx(48)   # 80 / 100 × 60
    assert lines["quality"]["points"] == pytest.approx(30)    # (3 − 1.5) / 2 × 40
    assert any("一季度.xlsx" in n and f"#{report.batch_id}" in n for n in lines["quantity"]["notes"])
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "kpi.import"))
    assert audit.after["sha256"] == report.sha256 and audit.after["new"] == 3 and audit.after["rows"] == 2


def test_every_mistake_is_listed_with_row_and_column_and_nothing_is_written(world, make):
    o, campaign = world
    a, b, c = o["s1"]
    outsider = o["city_chief"]
    data = xlsx([
        ["工号", "姓名", "办案数", "案件比"],
        [a.staff_no, a.name, "八十", 1.5],          # not a number
        [b.staff_no, b.name, 600, 0.5],             # above max; below min
        ["X999", "无名", 10, 2],                    # unknown staff number
        [outsider.staff_no, outsider.name, 10, 2],  # not appraised in the campaign
        [a.staff_no, a.name, 10, 2],                # duplicate row
        [c.staff_no, c.name, 10.5, 2],              # not a whole number
        ["", "空", 1, 2],                           # empty staff number
    ])
    report = import_file(campaign, data, apply=True)
    problems = {(e.row, e.column) for e in report.errors}
    assert problems == {(2, "办案数"), (3, "办案数"), (3, "案件比"), (4, "工号"), (5, "工号"), (6, "工号"),
                        (7, "办案数"), (8, "工号")}
    messages = " ".join(e.message for e in report.errors)
    assert "八十" in messages and "X999" in messages and "0–500" in messages and outsider.name in messages
    db.session.rollback()
    assert records(campaign) == 0
    assert db.session.scalar(select(func.count()).select_from(KpiBatch)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "kpi.import")) == 0


def test_header_problems_missing_staff_number_unknown_and_repeated_columns(world):
    o, campaign = world
    report = import_file(campaign, xlsx([["姓名", "办案数", "办案数", "结案率"], ["x", 1, 2, 3]]), apply=True)
    problems = {(e.row, e.column) for e in report.errors}
    assert problems == {(1, "工号"), (1, "结案率"), (1, "办案数")}
    # The unknown column's message names the measures the plan expects.
    assert "办案数、案件比" in next(e.message for e in report.errors if e.column == "结案率")
    report = import_file(campaign, xlsx([["工号", "姓名"], ["1", "x"]]), apply=True)
    assert not report.ok and report.errors[0].row == 1


def test_files_are_checked_by_content_not_name(world):
    _o, campaign = world
    report = import_file(campaign, b"\x00\x01binary junk" * 50, apply=True, filename="data.xlsx")
    assert not report.ok and report.errors[0].row is None
    report = import_file(campaign, b"PK\x03\x04 not really a zip", apply=True)
    assert not report.ok


def test_zip_bombs_are_refused_before_opening(world):
    import zipfile
    _o, campaign = world
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))
    report = import_file(campaign, buf.getvalue(), apply=True)
    assert not report.ok and report.errors[0].row is None and len(report.errors) == 1
    assert values_of(campaign) == {}


def test_csv_in_gbk_works_and_a_reimport_replaces_values_keeping_history(world):
    o, campaign = world
    a, b = o["s1"][0], o["s1"][1]
    first = import_file(campaign, csv_bytes([["工号", "办案数"], [a.staff_no, 50], [b.staff_no, 60]], "gbk"),
                        apply=True, filename="first.csv")
    db.session.commit()
    assert first.ok
    second = import_file(campaign, csv_bytes([["工号", "办案数", "案件比"], [a.staff_no, 55, ""], [b.staff_no, 60, 2]]),
                         apply=True, filename="second.csv")
    db.session.commit()
    assert (second.new, second.changed, second.unchanged) == (1, 1, 1)
    assert [(c.staff_no, c.measure, c.before, c.after) for c in second.changes] == \
        sorted([(a.staff_no, "办案数", 50, 55), (b.staff_no, "案件比", None, 2)])
    assert values_of(campaign) == {(a.id, "cases"): 55, (b.id, "cases"): 60, (b.id, "ratio"): 2}
    history = db.session.execute(select(KpiRecord.values, KpiRecord.batch_id).where(KpiRecord.person_id == a.id)
                                 .order_by(KpiRecord.id)).all()
    assert history == [({"cases": 50}, first.batch_id), ({"cases": 55}, second.batch_id)]   # only what changed
    assert current(campaign.id)[(a.id, "cases")].batch_id == second.batch_id
    # b's unchanged 60 still names the first file as its source.
    lines = {line["code"]: line for line in db.session.get(Result, (campaign.id, b.id)).lines()}
    assert any("first.csv" in n for n in lines["quantity"]["notes"])


def test_dry_run_reports_changes_and_writes_nothing(world):
    o, campaign = world
    a = o["s1"][0]
    report = import_file(campaign, xlsx([["工号", "办案数"], [a.staff_no, 12]]), apply=False)
    assert report.ok and not report.applied and report.new == 1 and report.changes[0].after == 12
    db.session.commit()
    assert values_of(campaign) == {} and db.session.scalar(select(func.count()).select_from(KpiBatch)) == 0


def test_a_campaign_past_its_inputs_refuses_imports(world):
    o, campaign = world
    ops.move(campaign, "open")
    ops.move(campaign, "close")
    db.session.commit()
    report = import_file(campaign, xlsx([["工号", "办案数"], [o["s1"][0].staff_no, 12]]), apply=True)
    assert not report.ok and values_of(campaign) == {}


def test_an_office_scoped_to_a_sibling_cannot_import_for_this_county(world):
    o, campaign = world
    report = import_file(campaign, xlsx([["工号", "办案数"], [o["s1"][0].staff_no, 12]]), apply=True,
                         scope=o["sibling"])
    assert not report.ok and report.errors[0].column == "工号"


def test_the_template_lists_the_people_and_measures_and_round_trips(world):
    o, campaign = world
    a = o["s1"][0]
    import_file(campaign, xlsx([["工号", "办案数"], [a.staff_no, 33]]), apply=True)
    db.session.commit()
    data = template_workbook(campaign)
    ws = load_workbook(io.BytesIO(data))["量化数据"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("工号", "姓名", "部门", "办案数", "案件比")
    by_no = {r[0]: r for r in rows[1:]}
    assert by_no[a.staff_no][3] == 33 and by_no[a.staff_no][2] == "第一检察部"
    assert len(rows) - 1 == len(campaign.subjects)
    again = import_file(campaign, data, apply=True)
    assert again.ok and again.changes == [] and again.unchanged == 1


def test_web_upload_preview_then_confirm(world, client, auth, make):
    o, campaign = world
    office = make.user(Role.OFFICE, person=make.person(department=o["d3"], category="admin"), scope=o["county"])
    make.commit()
    auth.as_user(office)
    a = o["s1"][0]
    bad = xlsx([["工号", "办案数"], [a.staff_no, -3]])
    resp = client.post(f"/campaigns/{campaign.id}/kpis/import", data={"file": (io.BytesIO(bad), "bad.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "import-errors" in resp.get_data(as_text=True)
    good = xlsx([["工号", "办案数"], [a.staff_no, 42]])
    resp = client.post(f"/campaigns/{campaign.id}/kpis/import", data={"file": (io.BytesIO(good), "good.xlsx")},
                       content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "import-preview" in page and values_of(campaign) == {}
    import re
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page)
    token = token.group(1) if token else re.search(r'value="([^"]+)"[^>]*name="token"', page).group(1)
    resp = client.post(f"/campaigns/{campaign.id}/kpis/import/confirm", data={"token": token})
    assert resp.status_code == 302
    assert values_of(campaign) == {(a.id, "cases"): 42}
    batch = db.session.scalar(select(KpiBatch))
    assert batch.filename == "good.xlsx" and batch.user_id == office.id and batch.actor == office.login
    page = client.get(f"/campaigns/{campaign.id}/kpis").get_data(as_text=True)
    assert "good.xlsx" in page
    assert client.get(f"/campaigns/{campaign.id}/kpis/batches/{batch.id}").status_code == 200
    breakdown = client.get(f"/campaigns/{campaign.id}/results/{a.id}").get_data(as_text=True)
    assert "good.xlsx" in breakdown


def test_cli_import_with_dry_run(world, app, tmp_path):
    o, campaign = world
    a = o["s1"][0]
    path = tmp_path / "kpi.xlsx"
    path.write_bytes(xlsx([["工号", "办案数"], [a.staff_no, 7]]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scores", "import", str(campaign.id), str(path), "--dry-run"])
    assert result.exit_code == 0 and "Dry run" in result.output
    db.session.expire_all()
    assert values_of(campaign) == {}
    result = runner.invoke(args=["scores", "import", str(campaign.id), str(path)])
    assert result.exit_code == 0 and "batch #" in result.output
    db.session.expire_all()
    assert values_of(campaign) == {(a.id, "cases"): 7}
    path.write_bytes(xlsx([["工号", "办案数"], ["nobody", 7]]))
    result = runner.invoke(args=["scores", "import", str(campaign.id), str(path)])
    assert result.exit_code != 0 and "row 2" in result.output and "nobody" in result.output


@pytest.mark.parametrize("doctype,reference", [
    ('<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
    ('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>', "&d;"),
])
def test_xml_entities_in_a_workbook_are_never_expanded(world, doctype, reference):
    """An external entity (file disclosure) or nested entities (billion laughs) in a sheet's XML:
    the workbook is refused or read without expanding them; nothing is written either way."""
    import zipfile
    o, campaign = world
    a = o["s1"][0]
    source = zipfile.ZipFile(io.BytesIO(xlsx([["工号", "办案数"], [a.staff_no, "PLACEHOLDER"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = text.replace("?>", "?>" + doctype, 1) if text.startswith("<?xml") else doctype + text
                data = text.replace("PLACEHOLDER", reference).encode()
            if item.filename == "xl/sharedStrings.xml":
                data = data.decode().replace("PLACEHOLDER", reference).encode()
            zf.writestr(item, data)
    report = import_file(campaign, out.getvalue(), apply=True)
    db.session.rollback()
    said = " ".join(e.message for e in report.errors) + " ".join(str(c.after) for c in report.changes)
    assert "root:" not in said and "aaaaaaaaaa" not in said
    assert not report.ok        # the entity is not a number, or the workbook is refused
    assert values_of(campaign) == {} and records(campaign) == 0


def test_an_unknown_column_does_not_hide_the_rows_mistakes(world):
    o, campaign = world
    a = o["s1"][0]
    report = import_file(campaign, xlsx([["工号", "办案数", "结案率"], [a.staff_no, "很多", 1], ["X999", 5, 1]]),
                         apply=True)
    assert {(e.row, e.column) for e in report.errors} == {(1, "结案率"), (2, "办案数"), (3, "工号")}
    assert values_of(campaign) == {}
