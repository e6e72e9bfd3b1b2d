"""Directory pages: browse the tree, search, edit and move people."""
import pytest
from sqlalchemy import select

from review.core.access import Role
from review.extensions import db
from review.org.models import LeaderRole, Person

from ..factories import small_institution


@pytest.fixture
def office(make):
    o = small_institution(make)
    user = make.user(Role.OFFICE, person=make.person(department=o["d3"], name="绩效办干部"), scope=o["city"])
    make.commit()
    return o, user


def test_tree_shows_units_and_unit_page_shows_team_and_departments(client, auth, office):
    o, user = office
    auth.as_user(user)
    html = client.get("/org/").get_data(as_text=True)
    assert "市院" in html and "县院" in html and "邻县院" in html
    html = client.get(f"/org/units/{o['county'].id}").get_data(as_text=True)
    for text in ("检察长", "副检察长甲", "第一检察部", "一部主任"):
        assert text in html


def test_search_people_by_name_and_staff_number(client, auth, office):
    o, user = office
    auth.as_user(user)
    html = client.get("/org/people?q=一部干警").get_data(as_text=True)
    assert "一部干警0" in html and "二部干警0" not in html
    html = client.get(f"/org/people?q={o['h2'].staff_no}").get_data(as_text=True)
    assert "二部主任" in html and "一部主任" not in html
    html = client.get("/org/people?status=left").get_data(as_text=True)
    assert "已离职" in html and "一部干警0" not in html


def test_person_page_shows_reporting_line(client, auth, office):
    o, user = office
    auth.as_user(user)
    html = client.get(f"/org/people/{o['h1'].id}").get_data(as_text=True)
    assert "副检察长甲" in html and "一部干警1" in html and "二部主任" in html


def test_invalid_edit_rerenders_with_errors_and_changes_nothing(client, auth, office):
    o, user = office
    auth.as_user(user)
    p = o["s1"][0]
    resp = client.post(f"/org/people/{p.id}/edit", data={
        "staff_no": o["h1"].staff_no, "name": "新名字", "category_code": "quota", "department_id": "",
        "leader_role": "head", "active": "y"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "aria-invalid" in html
    db.session.expire_all()
    assert db.session.get(Person, p.id).name == "一部干警0"


def test_move_person_to_another_department(client, auth, office):
    o, user = office
    auth.as_user(user)
    p = o["s1"][0]
    resp = client.post(f"/org/people/{p.id}/move", data={"department_id": str(o["d2"].id)})
    assert resp.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Person, p.id)
    assert moved.department_id == o["d2"].id
    from review.org.relations import relations_of
    assert [x.name for x in relations_of(moved).superiors] == ["二部主任"]


def test_moving_a_head_without_keeping_the_role_drops_it(client, auth, office):
    o, user = office
    auth.as_user(user)
    client.post(f"/org/people/{o['h1'].id}/move", data={"department_id": str(o["d2"].id)})
    db.session.expire_all()
    assert db.session.get(Person, o["h1"].id).leader_role is None


def test_add_department_and_person(client, auth, office):
    o, user = office
    auth.as_user(user)
    client.post(f"/org/units/{o['county'].id}/departments", data={"name": "第五检察部"})
    dept = next(d for d in db.session.get(type(o["county"]), o["county"].id).departments if d.name == "第五检察部")
    resp = client.post(f"/org/units/{o['county'].id}/people/new", data={
        "staff_no": "N0001", "name": "新人", "category_code": "assistant", "department_id": str(dept.id),
        "gender": "F", "leader_role": "", "active": "y", "hired_on": "2026-09-01"})
    assert resp.status_code == 302
    p = db.session.scalar(select(Person).where(Person.staff_no == "N0001"))
    assert p.department.name == "第五检察部" and p.hired_on.isoformat() == "2026-09-01"


def test_leader_sees_own_team(client, auth, make):
    o = small_institution(make)
    leader = make.user(Role.LEADER, person=o["dep1"])
    make.commit()
    auth.as_user(leader)
    html = client.get("/org/team").get_data(as_text=True)
    assert "一部主任" in html and "检察长" in html


def test_leadership_member_supervision_is_edited_on_the_person(client, auth, office):
    o, user = office
    auth.as_user(user)
    dep = o["dep2"]
    resp = client.post(f"/org/people/{dep.id}/edit", data={
        "staff_no": dep.staff_no, "name": dep.name, "category_code": "quota", "department_id": "",
        "leader_role": "deputy", "supervised": [str(o["d2"].id), str(o["d3"].id)], "active": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert sorted(d.name for d in db.session.get(Person, dep.id).supervised) == ["政治部", "第二检察部"]
    assert db.session.get(Person, dep.id).leader_role is LeaderRole.DEPUTY
