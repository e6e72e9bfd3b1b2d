"""Every state change records who, what, when, with before/after values."""
import warnings

from sqlalchemy import select
from sqlalchemy.exc import SAWarning

from review.core.access import Role
from review.core.audit import REDACTED, AuditEntry
from review.extensions import db
from review.org.models import LeaderRole, Unit, UnitLevel

from ..factories import small_institution


def entries(action=None):
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.scalars(stmt).all()


def test_editing_a_person_records_before_and_after(client, auth, make):
    o = small_institution(make)
    office = make.user(Role.OFFICE, person=make.person(department=o["d3"]), scope=o["city"])
    make.commit()
    auth.as_user(office)
    p = o["s1"][0]
    resp = client.post(f"/org/people/{p.id}/edit", data={
        "staff_no": p.staff_no, "name": "改名后", "category_code": "assistant", "department_id": str(o["d1"].id),
        "gender": "F", "position": "检察官助理", "leader_role": "", "active": "y"})
    assert resp.status_code == 302
    updates = [x for x in entries("people.update") if x.object_id == str(p.id)]
    assert len(updates) == 1, "one edit, one entry"
    e = updates[0]
    assert e.actor == office.login and e.actor_id == office.id
    assert e.before["name"] == "一部干警0" and e.after["name"] == "改名后"
    assert e.before["category_code"] == "quota" and e.after["category_code"] == "assistant"
    assert e.at is not None


def test_supervision_changes_are_recorded(make):
    o = small_institution(make)
    make.commit()
    o["dep1"].supervised = [o["d1"], o["d2"]]
    db.session.commit()
    e = entries("people.update")[-1]
    assert e.before["supervised"] == [str(o["d1"].id)]
    assert sorted(e.after["supervised"]) == sorted([str(o["d1"].id), str(o["d2"].id)])


def test_a_parent_changed_with_new_children_in_one_flush_keeps_one_copy_of_each(make):
    """The log reads a dirty object's collections only when they were loaded: loading one inside
    the flush would read the children that flush inserted, as second copies beside the new ones."""
    o = small_institution(make)
    make.commit()
    city = db.session.get(Unit, o["city"].id)
    db.session.expire(city, ["children"])
    city.name = "更名市院"
    child = Unit(code="NEW1", name="新设县院", level=UnitLevel.COUNTY, parent=city)
    db.session.add(child)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        db.session.commit()
    assert child in db.session and db.session.get(Unit, child.id) is child
    [update] = [e for e in entries("units.update") if e.object_id == str(city.id)]
    assert update.after["name"] == "更名市院" and "children" not in update.after
    assert any(e.object_id == str(child.id) for e in entries("units.create"))


def test_password_hashes_never_reach_the_log(client, auth, make):
    user = make.user(Role.STAFF, must_change=True)
    make.commit()
    auth.as_user(user)
    client.post("/password", data={"current": "secret123", "new": "newpass2025", "confirm": "newpass2025"})
    for e in entries():
        for values in (e.before or {}, e.after or {}):
            for key in ("password_hash", "session_token"):
                assert values.get(key) in (None, REDACTED)
    assert any(e.action == "auth.password_changed" for e in entries())


def test_supervisor_browses_and_filters_the_log(client, auth, make):
    o = small_institution(make)
    sup = make.user(Role.SUPERVISOR, person=make.person(department=o["d3"]), scope=o["county"])
    o["h1"].leader_role = LeaderRole.DEPUTY
    make.commit()
    auth.as_user(sup)
    html = client.get("/audit?action=people.update").get_data(as_text=True)
    assert "一部主任" in html and "people.update" in html
    html = client.get("/audit?action=units.create&q=不存在的名字").get_data(as_text=True)
    assert "一部主任" not in html
    html = client.get(f"/audit?object_type=people&object_id={o['h1'].id}").get_data(as_text=True)
    # Changes read as names, not codes or ids: the role change, and the department on creation.
    assert "<del>部门负责人</del> → <ins>副检察长</ins>" in html
    assert "<ins>第一检察部</ins>" in html


def test_cli_changes_are_attributed_to_the_shell_account(runner, make):
    make.unit("测试单位", code="C1")
    make.commit()
    result = runner.invoke(args=["org", "add-unit", "C2", "新单位", "--level", "county", "--parent", "C1"])
    assert result.exit_code == 0, result.output
    e = [x for x in entries("units.create") if x.object_label == "新单位"][0]
    assert e.actor.startswith("cli:") and e.actor_id is None
