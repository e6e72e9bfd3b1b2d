"""Central registers: keepers, who records, entries feeding plan items within the period only."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from review.campaigns import operations as campaign_ops
from review.core.audit import AuditEntry
from review.core.errors import DomainError
from review.evidence.storage import Upload
from review.extensions import db
from review.registers import operations as ops
from review.registers.models import RegisterEntry, RegisterKeeper, RegisterKind

from ..claims.world import PDF, pdf

C, R, D = RegisterKind.COMMENDATION, RegisterKind.RESEARCH, RegisterKind.DISCIPLINE


@pytest.fixture
def kept(world):
    """政治部 (d3) keeps every register of the county."""
    ops.set_keepers(world["office"], world.o["county"], {k: world.o["d3"] for k in RegisterKind})
    db.session.commit()
    return world


def refused(fn, *args, match=None, **kwargs):
    with pytest.raises(DomainError, match=match):
        fn(*args, **kwargs)
    db.session.rollback()


def test_the_office_chooses_a_department_of_the_unit_as_keeper(world):
    county, d1, d3 = world.o["county"], world.o["d1"], world.o["d3"]
    refused(ops.set_keepers, world["head1"], county, {C: d1}, match="performance office")
    refused(ops.set_keepers, world["sibling_office"], county, {C: d1})
    refused(ops.set_keepers, world["office"], county, {C: _city_department(world)}, match="not a department")
    assert ops.set_keepers(world["office"], county, {C: d3, R: d1}) == 2
    assert ops.set_keepers(world["office"], county, {C: d3, R: d3, D: None}) == 1
    db.session.commit()
    keepers = ops.keepers_of(county)
    assert {k: v.department_id for k, v in keepers.items()} == {C: d3.id, R: d3.id}
    assert ops.set_keepers(world["office"], county, {R: None}) == 1
    db.session.commit()
    assert set(ops.keepers_of(county)) == {C}
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "registers.keepers")) is not None


def reader(world):
    """A supervisor of the county outside the keeping department: reads, never records."""
    from review.core.access import Role
    from ..factories import Factory
    make = Factory()
    return make.user(Role.SUPERVISOR, person=make.person(department=world.o["d2"], name="监督员"),
                     scope=world.o["county"])


def _city_department(world):
    from review.org import operations as org_ops
    return org_ops.create_department(world.o["city"], "市院政治部")


def test_the_keeper_departments_people_record_whatever_their_role(kept):
    w = kept
    person = w.o["s1"][0]
    entry = ops.add_entry(w["political"], C, person, title="2025年度优秀检察官", occurred_on=date(2025, 3, 1),
                          level="省级", note="省院通报表彰", files=[pdf("表彰决定.pdf")])
    db.session.commit()
    assert entry.department_id == w.o["d1"].id          # the person's department at the time
    assert entry.recorded_by_id == w["political"].id and [f.filename for f in entry.evidence] == ["表彰决定.pdf"]
    for who in ("staff", "head1", "dep1", "chief", "sibling_office", "sibling_supervisor"):
        refused(ops.add_entry, w[who], C, person, title="x", occurred_on=date(2025, 3, 1), match="do not keep")
    refused(ops.add_entry, reader(w), C, person, title="x", occurred_on=date(2025, 3, 1), match="do not keep")
    # Whatever the role: the supervisor's own department keeps the register.
    ops.add_entry(w["supervisor"], C, person, title="通报表扬", occurred_on=date(2025, 3, 2))
    ops.add_entry(w["admin"], C, person, title="市级嘉奖", occurred_on=date(2025, 4, 1))   # evidence is optional
    db.session.commit()
    # Not for people outside the unit the department keeps for.
    refused(ops.add_entry, w["political"], C, w.o["sibling_chief"], title="x", occurred_on=date(2025, 3, 1))
    refused(ops.remove_entry, w["staff"], entry, match="do not keep")
    ops.remove_entry(w["political"], entry)
    db.session.commit()
    assert db.session.get(RegisterEntry, entry.id) is None
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("registers.%"))))
    assert {"registers.add", "registers.remove", "registers.keepers"} <= actions


def test_entries_are_checked(kept):
    w, person = kept, kept.o["s1"][0]
    refused(ops.add_entry, w["office"], C, person, title=" ", occurred_on=date(2025, 3, 1), match="title")
    refused(ops.add_entry, w["office"], C, person, title="x", occurred_on=None, match="date")
    refused(ops.add_entry, w["office"], C, person, title="x", occurred_on=date(2099, 1, 1), match="today")
    refused(ops.add_entry, w["office"], C, person, title="x", occurred_on=date(2025, 1, 1), level="级" * 41)
    refused(ops.add_entry, w["office"], C, person, title="x", occurred_on=date(2025, 1, 1),
            files=[pdf(), Upload("坏.exe", b"MZ")], match="坏.exe")
    assert db.session.scalar(select(RegisterEntry.id)) is None


def test_entries_feed_their_items_within_the_campaigns_period_only(kept):
    w, person = kept, kept.o["s1"][0]
    assert w.line(person, "honours")["points"] == 0
    ops.add_entry(w["office"], C, person, title="省级表彰", occurred_on=date(2025, 6, 1), level="省级")
    ops.add_entry(w["office"], C, person, title="市级表彰", occurred_on=date(2025, 7, 1), level="市级")  # other level
    ops.add_entry(w["office"], C, person, title="去年的省级表彰", occurred_on=date(2024, 12, 31), level="省级")
    ops.add_entry(w["office"], C, person, title="今年的省级表彰", occurred_on=date(2026, 1, 1), level="省级")
    ops.add_entry(w["office"], R, person, title="调研文章", occurred_on=date(2025, 12, 31))
    ops.add_entry(w["office"], R, person, title="调研文章二", occurred_on=date(2025, 1, 1), level="省级")
    ops.add_entry(w["office"], D, person, title="违反工作纪律", occurred_on=date(2025, 9, 9))
    db.session.commit()
    honours = w.line(person, "honours")
    assert honours["points"] == 1
    assert len(honours["notes"]) == 1 and "省级表彰" in honours["notes"][0] and "2025-06-01" in honours["notes"][0]
    assert w.line(person, "research")["points"] == 2            # no level asked: every level counts
    discipline = w.line(person, "discipline")
    assert discipline["points"] == 5 and any("违反工作纪律" in n for n in discipline["notes"])
    # Somebody else's entries do not count for this person.
    assert w.line(w.o["s1"][1], "honours")["points"] == 0


def test_removing_an_entry_rescores_and_closed_campaigns_stay_as_they_are(kept):
    w, person = kept, kept.o["s1"][0]
    entry = ops.add_entry(w["office"], R, person, title="调研文章", occurred_on=date(2025, 5, 5))
    db.session.commit()
    assert w.line(person, "research")["points"] == 1
    ops.remove_entry(w["office"], entry)
    db.session.commit()
    assert w.line(person, "research")["points"] == 0
    ops.add_entry(w["office"], R, person, title="调研文章", occurred_on=date(2025, 5, 5))
    db.session.commit()
    campaign_ops.move(w.campaign, "close")
    db.session.commit()
    assert ops.affected_campaigns(R, person, date(2025, 5, 6)) == []
    ops.add_entry(w["office"], R, person, title="结束后补录", occurred_on=date(2025, 5, 6))
    db.session.commit()
    assert w.line(person, "research")["points"] == 1            # the closed campaign's results did not move


def test_only_campaigns_counting_the_register_and_covering_the_day_are_rescored(kept):
    w, person = kept, kept.o["s1"][0]
    assert ops.affected_campaigns(R, person, date(2025, 5, 5)) == [w.campaign]
    assert ops.affected_campaigns(R, person, date(2024, 5, 5)) == []
    assert ops.affected_campaigns(RegisterKind.BULLETIN, person, date(2025, 5, 5)) == []
    assert ops.affected_campaigns(R, w.o["sibling_chief"], date(2025, 5, 5)) == []


# --- pages -------------------------------------------------------------------------------------------

def test_the_index_and_lists_are_for_readers_in_scope_and_the_keepers(client, auth, kept):
    w = kept
    ops.add_entry(w["office"], C, w.o["s1"][0], title="省级表彰", occurred_on=date(2025, 6, 1), level="省级")
    ops.add_entry(w["office"], C, w.o["s2"][0], title="二部嘉奖", occurred_on=date(2024, 6, 1))
    db.session.commit()
    for who in ("office", "supervisor", "admin", "political"):
        auth.as_user(w[who])
        page = client.get(f"/registers/?unit={w.o['county'].id}")
        assert page.status_code == 200, who
        assert client.get(f"/registers/commendation?unit={w.o['county'].id}").status_code == 200, who
        auth.logout()
    for who in ("staff", "head1", "dep1"):
        auth.as_user(w[who])
        assert client.get("/registers/").status_code == 403, who
        assert client.get("/registers/commendation").status_code == 403, who
        auth.logout()
    auth.as_user(w["sibling_office"])
    assert client.get(f"/registers/commendation?unit={w.o['county'].id}").status_code == 404
    auth.logout()
    auth.as_user(w["office"])
    county = w.o["county"].id
    page = client.get(f"/registers/commendation?unit={county}&year=2025").get_data(as_text=True)
    assert "省级表彰" in page and "二部嘉奖" not in page
    page = client.get(f"/registers/commendation?unit={county}&department={w.o['d2'].id}").get_data(as_text=True)
    assert "省级表彰" not in page and "二部嘉奖" in page


def test_the_export_is_an_excel_file_of_the_filtered_entries(client, auth, kept):
    w = kept
    ops.add_entry(w["office"], C, w.o["s1"][0], title="=HYPERLINK(\"x\")", occurred_on=date(2025, 6, 1), level="省级")
    ops.add_entry(w["office"], C, w.o["s2"][0], title="二部嘉奖", occurred_on=date(2024, 6, 1))
    db.session.commit()
    auth.as_user(w["supervisor"])
    resp = client.get(f"/registers/commendation/export.xlsx?unit={w.o['county'].id}&year=2025")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].startswith("attachment")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == w.o["s1"][0].staff_no and rows[1][6] == "省级"
    cell = ws.cell(row=2, column=6)
    assert cell.value == "=HYPERLINK(\"x\")" and cell.data_type == "s"      # text, not a formula


def test_keepers_add_and_remove_on_the_web_and_supervisors_only_read(app, client, auth, kept):
    w = kept
    county = w.o["county"].id
    data = {"person": str(w.o["s1"][0].id), "title": "优秀调研文章", "occurred_on": "2025-08-01", "level": "",
            "note": "", "files": [(io.BytesIO(PDF), "文章.pdf")]}
    supervisor = reader(w)
    db.session.commit()
    auth.as_user(supervisor)
    assert client.get(f"/registers/research?unit={county}").status_code == 200
    assert client.post(f"/registers/research?unit={county}", data=data,
                       content_type="multipart/form-data").status_code == 403
    auth.logout()
    auth.as_user(w["political"])
    resp = client.post(f"/registers/research?unit={county}", data=dict(data, files=[(io.BytesIO(PDF), "文章.pdf")]),
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    entry = db.session.scalars(select(RegisterEntry)).one()
    assert [f.filename for f in entry.evidence] == ["文章.pdf"]
    assert w.line(w.o["s1"][0], "research")["points"] == 1
    bad = dict(data, title="", files=[(io.BytesIO(PDF), "文章.pdf")])
    assert client.post(f"/registers/research?unit={county}", data=bad,
                       content_type="multipart/form-data").status_code == 422
    assert client.post(f"/registers/entries/{entry.id}/delete", data={"unit": county}).status_code == 302
    assert db.session.scalar(select(RegisterEntry.id)) is None
    assert w.line(w.o["s1"][0], "research")["points"] == 0


def test_keepers_form(client, auth, world):
    auth.as_user(world["office"])
    county = world.o["county"]
    assert client.get(f"/registers/keepers?unit={county.id}").status_code == 200
    resp = client.post(f"/registers/keepers?unit={county.id}",
                       data={"keeper_commendation": str(world.o["d3"].id), "keeper_bulletin": ""})
    assert resp.status_code == 302
    assert db.session.scalars(select(RegisterKeeper.kind)).all() == [C]
    other = world.o["sibling"]
    assert client.get(f"/registers/keepers?unit={other.id}").status_code == 404
    assert client.post(f"/registers/keepers?unit={county.id}",
                       data={"keeper_commendation": "999999"}).status_code == 400
