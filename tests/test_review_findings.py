"""Scope, session and integrity rules found in review: each test is a way in that must stay closed."""
import io
import os

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, select

from review.auth.models import User
from review.core.access import Role
from review.core.audit import AuditEntry
from review.extensions import db
from review.org import operations as ops
from review.org.models import LeaderRole, Person
from review.org.roster import COLUMNS, RosterImporter, export_workbook

from .conftest import _empty_all_tables, make_app
from .factories import Factory, small_institution


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([c.zh for c in COLUMNS])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(staff_no, name, unit_code, dept="", role="", supervised="", category="员额检察官"):
    return [staff_no, name, "男", unit_code, "", dept, "", category, role, supervised, "", "", "是"]


def test_import_cannot_reach_people_outside_the_importers_scope(make):
    o = small_institution(make)
    make.commit()
    outsider = o["city_chief"]
    result = RosterImporter(scope=o["county"]).run(xlsx([row(outsider.staff_no, "改名", o["county"].code)]),
                                                   apply=True)
    db.session.rollback()
    assert [(e.row, e.column) for e in result.errors] == [(2, "工号")]
    assert result.changes == []  # the preview reveals nothing about the outsider
    db.session.expire_all()
    assert db.session.get(Person, outsider.id).name == "市检察长"


def test_scoped_supervisor_reads_only_its_subtrees_audit_entries(client, auth, make):
    o = small_institution(make)
    sibling_dept = make.department(o["sibling"], "邻县部门")
    make.person(department=sibling_dept, name="邻县干警")
    sup = make.user(Role.SUPERVISOR, person=make.person(department=o["d3"]), scope=o["county"])
    make.commit()
    auth.as_user(sup)
    html = client.get("/audit").get_data(as_text=True)
    assert "一部干警0" in html
    assert "邻县干警" not in html and "市检察长" not in html


def test_logout_makes_a_copied_session_cookie_worthless(app, make):
    make.user(Role.ADMIN, login="root")
    make.commit()
    first = app.test_client()
    first.post("/login", data={"login": "root", "password": Factory.PASSWORD})
    stolen = first.get_cookie("session").value
    first.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/users").status_code == 302


def test_people_who_left_cannot_log_in_and_lose_their_sessions(client, auth, make):
    user = make.user(Role.STAFF)
    make.commit()
    auth.as_user(user)
    assert client.get("/").status_code == 200
    user.person.active = False
    db.session.commit()
    assert client.get("/").status_code == 302
    resp = auth.as_user(user)
    assert resp.status_code == 200  # the login form again, with its message


def test_staff_number_cannot_take_another_accounts_login(make):
    o = small_institution(make)
    make.user(Role.ADMIN, login="admin")
    make.commit()
    p = o["s1"][0]
    data = ops.PersonData(staff_no="ADMIN", name=p.name, category_code="quota", unit=p.unit, department=p.department)
    with pytest.raises(ops.ValidationFailed) as exc:
        ops.update_person(p, data)
    assert "staff_no" in exc.value.problems
    other = o["s1"][1]
    data = ops.PersonData(staff_no=other.staff_no.lower(), name="新人", category_code="quota", unit=p.unit)
    with pytest.raises(ops.ValidationFailed):
        ops.create_person(data)


def test_office_cannot_edit_the_person_of_an_administrator(client, auth, make):
    o = small_institution(make)
    make.user(Role.ADMIN, person=o["s1"][0])
    office = make.user(Role.OFFICE, person=make.person(department=o["d3"]), scope=o["county"])
    make.commit()
    auth.as_user(office)
    assert client.get(f"/org/people/{o['s1'][0].id}/edit").status_code == 403
    assert client.get(f"/org/people/{o['s1'][1].id}/edit").status_code == 200


def test_export_keeps_formula_like_names_as_text(make):
    unit = make.unit("县院")
    make.person(unit, name="=HYPERLINK(\"http://x\")")
    make.commit()
    ws = load_workbook(io.BytesIO(export_workbook(db.session.scalars(select(Person))))).active
    cell = ws["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_client_address_comes_from_the_proxy_when_configured(_schema):
    app = make_app(_schema, PROXY_COUNT=1)
    with app.app_context():
        try:
            make = Factory()
            make.user(Role.STAFF)
            make.commit()
            app.test_client().post("/login", data={"login": "nobody", "password": "x"},
                                   headers={"X-Forwarded-For": "10.1.2.3"})
            entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login_failed")).one()
            assert entry.ip == "10.1.2.3"
        finally:
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()


def test_import_tolerates_a_department_named_twice_in_supervision(make):
    unit = make.unit("县院", code="X1")
    make.department(unit, "第一检察部")
    make.commit()
    result = RosterImporter().run(xlsx([row("D1", "副检", "X1", role="副检察长",
                                            supervised="第一检察部、第一检察部")]), apply=True)
    assert result.ok, result.errors
    db.session.commit()
    assert [d.name for d in db.session.scalar(select(Person).where(Person.staff_no == "D1")).supervised] == \
        ["第一检察部"]


def test_import_moving_a_head_to_another_unit_needs_a_department(make):
    o = small_institution(make)
    make.commit()
    # No department column: the head's old department cannot follow into another unit.
    wb = Workbook()
    ws = wb.active
    ws.append(["工号", "姓名", "单位代码", "人员类别", "领导职务"])
    ws.append([o["h1"].staff_no, o["h1"].name, o["sibling"].code, "员额检察官", "部门负责人"])
    out = io.BytesIO()
    wb.save(out)
    result = RosterImporter().run(out.getvalue(), apply=True)
    db.session.rollback()
    assert [(e.row, e.column) for e in result.errors] == [(2, "领导职务")]


def test_moving_a_deputy_as_head_ends_supervision(make):
    o = small_institution(make)
    make.commit()
    ops.move_person(o["dep1"], o["d3"], as_head=True)
    db.session.commit()
    db.session.expire_all()
    moved = db.session.get(Person, o["dep1"].id)
    assert moved.leader_role is LeaderRole.HEAD and moved.supervised == []


def test_csv_with_a_huge_field_is_refused_cleanly(make):
    header = ",".join(c.zh for c in COLUMNS)
    result = RosterImporter().run((header + "\n1," + "x" * 200_000 + "\n").encode(), apply=False)
    assert len(result.errors) == 1 and result.errors[0].row == 0


def test_a_new_upload_discards_the_previous_pending_file(app, client, auth, make):
    unit = make.unit("县院", code="X2")
    office = make.user(Role.OFFICE, person=make.person(unit), scope=unit)
    make.commit()
    auth.as_user(office)
    for _ in range(3):
        client.post("/org/roster/import", data={"file": (io.BytesIO(xlsx([row("P1", "甲", "X2")])), "r.xlsx")},
                    content_type="multipart/form-data")
    assert len(os.listdir(os.path.join(app.instance_path, "uploads"))) == 1


def test_creating_a_leader_records_the_supervised_departments(make):
    o = small_institution(make)
    make.commit()
    ops.create_person(ops.PersonData(staff_no="L1", name="新副检", category_code="quota", unit=o["county"],
                                     leader_role=LeaderRole.DEPUTY, supervised=(o["d1"], o["d2"])))
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "people.create")
                               .order_by(AuditEntry.id.desc())).first()
    assert sorted(entry.after["supervised"]) == sorted([str(o["d1"].id), str(o["d2"].id)])


def test_roster_import_entries_read_as_names(client, auth, make):
    unit = make.unit("县院", code="X3")
    make.department(unit, "政治部")
    admin = make.user(Role.ADMIN, login="root")
    make.commit()
    RosterImporter().run(xlsx([row("R1", "副检", "X3", role="副检察长", supervised="政治部")]), apply=True)
    db.session.commit()
    auth.as_user(admin)
    html = client.get("/audit?action=people.create").get_data(as_text=True)
    assert "<ins>政治部</ins>" in html and "#政治部" not in html


def test_directory_tree_costs_the_same_few_queries_however_many_units(client, auth, make):
    admin = make.user(Role.ADMIN, login="root")
    city = make.unit("市院")
    make.commit()
    auth.as_user(admin)

    def count_queries():
        db.session.expire_all()  # same starting point for both counts
        statements = []
        listener = lambda conn, cur, stmt, *args: statements.append(stmt)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/org/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len([x for x in statements if not x.startswith("BEGIN")])

    few = count_queries()
    for i in range(15):
        make.unit(f"县院{i}", parent=city)
    make.commit()
    assert count_queries() == few


def test_user_login_stays_in_step_with_the_staff_number(make):
    user = make.user(Role.STAFF)
    make.commit()
    p = user.person
    ops.update_person(p, ops.PersonData(staff_no="NEW-1", name=p.name, category_code="quota", unit=p.unit))
    db.session.commit()
    assert db.session.get(User, user.id).login == "NEW-1"
