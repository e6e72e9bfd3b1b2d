"""Roster import and export: all-or-nothing, every bad row and column reported."""
import csv
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from review.core.access import Role
from review.core.audit import AuditEntry
from review.extensions import db
from review.org.models import Department, LeaderRole, Person
from review.org.roster import COLUMNS, RosterImporter, export_workbook, template_workbook

HEADER = [c.zh for c in COLUMNS]


def xlsx(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode(encoding)


def row(staff_no, name, unit_code, dept="第一检察部", category="员额检察官", role="", supervised="",
        hired="2015-07-01", left="", active="是", gender="男", position="检察官"):
    return [staff_no, name, gender, unit_code, "", dept, position, category, role, supervised, hired, left, active]


@pytest.fixture
def county(make):
    city = make.unit("市院", code="3209")
    county = make.unit("县院", parent=city, code="320921")
    make.department(county, "第一检察部")
    make.department(county, "政治部")
    make.commit()
    return county


def people_count():
    return db.session.scalar(select(func.count(Person.id)))


def test_valid_file_creates_people_departments_and_supervision(county):
    data = xlsx([
        row("1001", "王伟", "320921", dept="", role="副检察长", supervised="第一检察部、第二检察部"),
        row("1002", "李娜", "320921", dept="第二检察部", role="部门负责人"),
        row("1003", "张敏", "320921", category="检察辅助人员", gender="女"),
    ])
    result = RosterImporter().run(data, apply=True)
    assert result.ok, result.errors
    db.session.commit()
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert result.new_departments == [("县院", "第二检察部")]
    deputy = db.session.scalar(select(Person).where(Person.staff_no == "1001"))
    assert deputy.leader_role is LeaderRole.DEPUTY
    assert sorted(d.name for d in deputy.supervised) == ["第一检察部", "第二检察部"]
    head = db.session.scalar(select(Person).where(Person.staff_no == "1002"))
    assert head.department.name == "第二检察部" and head.leader_role is LeaderRole.HEAD
    assert db.session.scalar(select(Person).where(Person.staff_no == "1003")).category_code == "assistant"
    audit = db.session.scalars(select(AuditEntry.action)).all()
    assert audit.count("people.create") == 3 and "roster.import" in audit


def test_reimport_updates_by_staff_number_and_reports_unchanged(county):
    RosterImporter().run(xlsx([row("1001", "王伟", "320921"), row("1002", "李娜", "320921")]), apply=True)
    db.session.commit()
    result = RosterImporter().run(xlsx([row("1001", "王伟", "320921"),
                                        row("1002", "李娜", "320921", dept="政治部", category="司法行政人员")]),
                                  apply=True)
    assert result.ok, result.errors
    db.session.commit()
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    change = result.changes[0]
    assert change.before == {"category_code": "quota", "department": "第一检察部"}
    assert change.after == {"category_code": "admin", "department": "政治部"}
    assert db.session.scalar(select(Person).where(Person.staff_no == "1002")).department.name == "政治部"


def test_bad_file_reports_every_row_and_column_and_writes_nothing(county):
    RosterImporter().run(xlsx([row("1001", "王伟", "320921")]), apply=True)
    db.session.commit()
    before_people, before_depts = people_count(), db.session.scalar(select(func.count(Department.id)))
    data = xlsx([
        row("2001", "", "320921"),                              # row 2: empty name
        row("2002", "赵六", "999999"),                          # row 3: unknown unit
        row("2003", "钱七", "320921", category="法警"),          # row 4: unknown category
        row("2004", "孙八", "320921", hired="2020-13-45"),       # row 5: not a date
        row("2001", "周九", "320921"),                          # row 6: duplicate staff number
        row("2005", "吴十", "320921", supervised="政治部"),       # row 7: supervision without leader role
        row("2006", "郑一", "320921", role="部门负责人", dept=""),  # row 8: head without department
        row("2007", "冯二", "320921", active="也许", dept="新部门"),  # row 9: bad yes/no (new dept must not appear)
        row("1001", "王伟改", "320921"),                         # a valid update must not land either
    ])
    result = RosterImporter().run(data, apply=True)
    db.session.rollback()
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(2, "姓名"), (3, "单位代码"), (4, "人员类别"), (5, "入职日期"), (6, "工号"), (7, "分管部门"),
                     (8, "领导职务"), (9, "在职")}
    assert all(e.message for e in result.errors)
    assert not result.applied
    assert people_count() == before_people
    assert db.session.scalar(select(func.count(Department.id))) == before_depts
    assert db.session.scalar(select(Person.name).where(Person.staff_no == "1001")) == "王伟"


def test_missing_required_column_is_reported(county):
    header = [h for h in HEADER if h != "人员类别"]
    data = xlsx([["1001", "王伟", "男", "320921", "", "第一检察部", "检察官", "", "", "", "", "是"]], header=header)
    result = RosterImporter().run(data, apply=False)
    assert [(e.row, e.column) for e in result.errors] == [(1, "人员类别")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_gbk(county, encoding):
    data = csv_bytes([row("3001", "欧阳娜", "320921")], encoding=encoding)
    result = RosterImporter().run(data, apply=True)
    assert result.ok, result.errors
    db.session.commit()
    assert db.session.scalar(select(Person.name).where(Person.staff_no == "3001")) == "欧阳娜"


def test_english_headers_and_excel_number_cells_are_accepted(county):
    header = [c.en for c in COLUMNS]
    data = xlsx([[4001, "Wang", "M", 320921, "", "第一检察部", "", "quota", "", "", "", "", "yes"]], header=header)
    result = RosterImporter().run(data, apply=True)
    assert result.ok, result.errors
    db.session.commit()
    assert db.session.scalar(select(Person.staff_no).where(Person.name == "Wang")) == "4001"


def test_damaged_workbook_binary_and_zip_bomb_are_refused(county):
    damaged = RosterImporter().run(b"\xd0\xcf\x11\xe0" + b"\0" * 100, apply=False).errors
    assert len(damaged) == 1 and damaged[0].row == 0
    assert RosterImporter().run(b"\0\1\2\3" * 100, apply=False).errors
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    result = RosterImporter().run(bomb.getvalue(), apply=False)
    assert result.errors and people_count() == 0


def test_scope_limits_the_units_a_file_may_name(make, county):
    other = make.unit("外县院", parent=county.parent, code="320922")
    make.commit()
    result = RosterImporter(scope=county).run(xlsx([row("5001", "甲", "320922", dept="")]), apply=True)
    assert [(e.row, e.column) for e in result.errors] == [(2, "单位代码")]
    assert other.name in result.errors[0].message


def test_export_round_trips_through_import(county):
    RosterImporter().run(xlsx([row("1001", "王伟", "320921", dept="", role="副检察长", supervised="政治部"),
                               row("1002", "李娜", "320921")]), apply=True)
    db.session.commit()
    data = export_workbook(db.session.scalars(select(Person).order_by(Person.staff_no)))
    ws = load_workbook(io.BytesIO(data)).active
    values = list(ws.iter_rows(values_only=True))
    assert list(values[0]) == HEADER and values[1][0] == "1001" and values[1][9] == "政治部"
    result = RosterImporter().run(data, apply=False)
    assert result.ok and result.unchanged == 2


def test_template_has_headers_and_instructions(county):
    wb = load_workbook(io.BytesIO(template_workbook(county)))
    assert [c.value for c in wb["名册"][1]] == HEADER
    assert "说明" in wb.sheetnames


# --- web and CLI ---------------------------------------------------------------

def test_web_import_previews_then_imports_on_confirmation(client, auth, make, county):
    office = make.user(Role.OFFICE, person=make.person(county), scope=county)
    make.commit()
    auth.as_user(office)
    data = xlsx([row("6001", "预览人", "320921")])
    resp = client.post("/org/roster/import", data={"file": (io.BytesIO(data), "roster.xlsx")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "预览人" in html
    assert db.session.scalar(select(Person.id).where(Person.staff_no == "6001")) is None  # preview wrote nothing
    token = html.split('name="token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/org/roster/import/confirm", data={"token": token})
    assert resp.status_code == 302
    assert db.session.scalar(select(Person.id).where(Person.staff_no == "6001")) is not None


def test_web_import_of_a_bad_file_shows_rows_and_columns(client, auth, make, county):
    office = make.user(Role.OFFICE, person=make.person(county), scope=county)
    make.commit()
    auth.as_user(office)
    n = people_count()
    data = csv_bytes([row("7001", "", "320921")])
    resp = client.post("/org/roster/import", data={"file": (io.BytesIO(data), "roster.csv")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "姓名" in html and "<td>2</td>" in html
    assert people_count() == n


def test_cli_import_dry_run_and_bad_file(runner, county, tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([row("8001", "命令行", "320921")]))
    result = runner.invoke(args=["org", "import", str(good), "--dry-run"])
    assert result.exit_code == 0 and "would be created" in result.output
    assert people_count() == 0
    result = runner.invoke(args=["org", "import", str(good)])
    assert result.exit_code == 0 and people_count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row("8002", "坏行", "000000")]))
    result = runner.invoke(args=["org", "import", str(bad)])
    assert result.exit_code == 1
    assert "row 2" in result.output and "单位代码" in result.output
    assert people_count() == 1


def test_cli_export(runner, county, tmp_path):
    RosterImporter().run(xlsx([row("9001", "导出", "320921")]), apply=True)
    db.session.commit()
    out = tmp_path / "roster.xlsx"
    assert runner.invoke(args=["org", "export", str(out)]).exit_code == 0
    assert load_workbook(out).active["B2"].value == "导出"
