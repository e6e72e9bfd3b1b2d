"""Manual entries (补录): entered by the person's department with a reason, counted only once the
performance office approves, never approved by whoever entered them."""
import pytest
from sqlalchemy import select

from review.campaigns import operations as ops
from review.campaigns.models import Result
from review.core.access import Role
from review.core.errors import DomainError
from review.extensions import db
from review.kpi import entries
from review.kpi.importer import import_file
from review.kpi.models import EntryState, KpiEntry, KpiRecord
from review.kpi.values import current as current_values
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution
from .test_import import PLAN, xlsx


@pytest.fixture
def world(make):
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    users = {
        "clerk": make.user(Role.STAFF, person=o["s1"][0]),            # 第一检察部
        "other_dept": make.user(Role.STAFF, person=o["s2"][0]),       # 第二检察部
        "office": make.user(Role.OFFICE, person=make.person(department=o["d3"], category="admin"), scope=o["county"]),
        "office2": make.user(Role.OFFICE, person=make.person(department=o["d3"], category="admin"), scope=o["county"]),
        "sibling_office": make.user(Role.OFFICE, person=make.person(o["sibling"], category="admin"),
                                    scope=o["sibling"]),
        "supervisor": make.user(Role.SUPERVISOR, person=make.person(department=o["d3"]), scope=o["county"]),
    }
    make.commit()
    return o, campaign, users


def current(campaign, person):
    return {m: c.value for (_pid, m), c in current_values(campaign.id, [person.id]).items()}


def test_an_entry_counts_only_once_approved_by_someone_else(world):
    o, campaign, u = world
    colleague = o["s1"][1]
    entry = entries.submit(campaign, colleague, "cases", "40", "系统未录入的线索案件", u["clerk"])
    db.session.commit()
    assert entry.state is EntryState.PENDING and current(campaign, colleague) == {}
    with pytest.raises(DomainError):
        entries.review(entry, u["clerk"], approve=True)   # staff cannot review at all
    entries.review(entry, u["office"], approve=True)
    db.session.commit()
    assert current(campaign, colleague) == {"cases": 40}
    lines = {line["code"]: line for line in db.session.get(Result, (campaign.id, colleague.id)).lines()}
    assert lines["quantity"]["points"] == pytest.approx(24)
    assert any("系统未录入的线索案件" in n and u["office"].login in n for n in lines["quantity"]["notes"])


def test_nobody_reviews_their_own_entry(world):
    o, campaign, u = world
    entry = entries.submit(campaign, o["s1"][1], "cases", 10, "补录", u["office"])
    with pytest.raises(DomainError):
        entries.review(entry, u["office"], approve=True)
    entries.review(entry, u["office2"], approve=True)
    assert entry.state is EntryState.APPROVED and entry.reviewed_by_id == u["office2"].id


def test_an_approved_entry_supersedes_an_imported_value_which_stays_as_history(world):
    o, campaign, u = world
    person = o["s1"][1]
    import_file(campaign, xlsx([["工号", "办案数"], [person.staff_no, 20]]), apply=True)
    entry = entries.submit(campaign, person, "cases", 25, "补录遗漏的 5 件", u["clerk"])
    entries.review(entry, u["office"], approve=True)
    db.session.commit()
    rows = db.session.execute(select(KpiRecord.values, KpiRecord.entry_id)
                              .where(KpiRecord.person_id == person.id).order_by(KpiRecord.id)).all()
    assert rows == [({"cases": 20}, None), ({"cases": 25}, entry.id)]
    assert current(campaign, person) == {"cases": 25}


def test_rejection_needs_a_reason_and_keeps_it(world):
    o, campaign, u = world
    entry = entries.submit(campaign, o["s1"][1], "cases", 99, "估计", u["clerk"])
    with pytest.raises(DomainError):
        entries.review(entry, u["office"], approve=False, note="  ")
    entries.review(entry, u["office"], approve=False, note="无依据")
    db.session.commit()
    assert entry.state is EntryState.REJECTED and entry.review_note == "无依据"
    assert current(campaign, o["s1"][1]) == {}
    with pytest.raises(DomainError):
        entries.review(entry, u["office2"], approve=True)   # decided once


@pytest.mark.parametrize("measure,value,reason", [
    ("cases", "abc", "x"), ("cases", "600", "x"), ("cases", "1.5", "x"), ("nope", "1", "x"), ("cases", "5", " "),
])
def test_bad_entries_are_refused_with_a_message(world, measure, value, reason):
    o, campaign, u = world
    with pytest.raises(DomainError) as exc:
        entries.submit(campaign, o["s1"][1], measure, value, reason, u["clerk"])
    assert exc.value.message
    db.session.rollback()
    assert db.session.scalar(select(KpiEntry.id)) is None


def test_staff_enter_only_for_their_own_department_and_offices_only_in_scope(world):
    o, campaign, u = world
    with pytest.raises(DomainError):
        entries.submit(campaign, o["s1"][1], "cases", 1, "x", u["other_dept"])
    with pytest.raises(DomainError):
        entries.submit(campaign, o["s1"][1], "cases", 1, "x", u["sibling_office"])
    with pytest.raises(DomainError):
        entries.submit(campaign, o["s1"][1], "cases", 1, "x", u["supervisor"])
    entry = entries.submit(campaign, o["s1"][1], "cases", 1, "x", u["clerk"])
    with pytest.raises(DomainError):
        entries.review(entry, u["sibling_office"], approve=True)
    with pytest.raises(DomainError):   # one pending entry per person and measure
        entries.submit(campaign, o["s1"][1], "cases", 2, "y", u["clerk"])


def test_entry_pages(world, client, auth):
    o, campaign, u = world
    auth.as_user(u["clerk"])
    hub = client.get("/data-entry").get_data(as_text=True)
    # The hub offers the campaign's manual entries and the staff member's claims; not the office's tools.
    assert campaign.name in hub and 'href="/claims/"' in hub and "/api-keys" not in hub
    url = f"/campaigns/{campaign.id}/kpis/entries"
    page = client.get(url).get_data(as_text=True)
    assert o["s1"][1].name in page and o["s2"][0].name not in page   # only the own department offered
    resp = client.post(url, data={"person": o["s1"][1].id, "measure": "cases", "value": "abc", "reason": "x"})
    assert resp.status_code == 422 and "abc" in resp.get_data(as_text=True)
    assert db.session.scalar(select(KpiEntry.id)) is None
    resp = client.post(url, data={"person": o["s1"][1].id, "measure": "cases", "value": "31", "reason": "补录"})
    assert resp.status_code == 302
    entry = db.session.scalar(select(KpiEntry))
    assert client.post(f"{url}/{entry.id}/review", data={"decision": "approve"}).status_code == 403
    auth.logout()
    auth.as_user(u["other_dept"])
    page = client.get(url).get_data(as_text=True)   # their own department's people only, not the entry above
    assert o["s2"][1].name in page and o["s1"][1].name not in page
    auth.logout()
    auth.as_user(u["sibling_office"])
    assert client.get(url).status_code == 403
    auth.logout()
    auth.as_user(u["office"])
    page = client.get(url).get_data(as_text=True)
    assert "补录" in page and 'value="approve"' in page
    assert client.post(f"{url}/{entry.id}/review", data={"decision": "approve"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(KpiEntry, entry.id).state is EntryState.APPROVED
    assert current(campaign, o["s1"][1]) == {"cases": 31}
