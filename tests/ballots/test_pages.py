"""Voting pages: the to-do list, a signed ballot, the anonymous grid sent all or nothing."""
import pytest
from sqlalchemy import select

from review.ballots.models import Assignment, PoolEntry, RaterGroup, SignedAnswer, WorkReport
from review.campaigns import operations as ops
from review.core.access import Role
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution
from .test_assignments import PLAN


@pytest.fixture
def voters(make):
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    ops.move(campaign, "open")
    staff = make.user(Role.STAFF, person=o["s1"][0])
    head = make.user(Role.LEADER, person=o["h1"])
    make.commit()
    return o, campaign, staff, head


def test_todo_lists_signed_ballots_and_the_democratic_sheet(client, auth, voters):
    o, c, staff, _head = voters
    auth.as_user(staff)
    html = client.get("/ballots/").get_data(as_text=True)
    assert f"/ballots/grid/{c.id}/democratic" in html      # the leaders, on one anonymous sheet
    assert "自评" in html                                      # self-assessment, signed


def test_signed_leader_ballot_through_the_page(client, auth, voters):
    o, c, _staff, head = voters
    auth.as_user(head)
    a = db.session.scalar(select(Assignment).where(Assignment.rater_id == o["h1"].id,
                                                   Assignment.ratee_id == o["s1"][0].id,
                                                   Assignment.group == RaterGroup.LEADER))
    html = client.get(f"/ballots/{a.id}").get_data(as_text=True)
    assert "实名评价" in html  # the form says the ballot is signed
    resp = client.post(f"/ballots/{a.id}", data={"q-conduct": "8", "comment": "踏实"})
    assert resp.status_code == 302
    assert db.session.scalars(select(SignedAnswer)).one().value == 8
    assert client.post(f"/ballots/{a.id}", data={"q-conduct": "8"}).status_code == 422  # only once


def test_grid_is_sent_all_or_nothing(client, auth, voters):
    o, c, staff, _head = voters
    auth.as_user(staff)
    rows = db.session.scalars(select(Assignment).where(Assignment.rater_id == o["s1"][0].id,
                                                       Assignment.group == RaterGroup.DEMOCRATIC)).all()
    data = {f"a{a.id}-leadership": "80" for a in rows}
    missing = dict(data)
    missing.pop(f"a{rows[0].id}-leadership")
    assert client.post(f"/ballots/grid/{c.id}/democratic", data=missing).status_code == 422
    assert db.session.scalars(select(PoolEntry)).all() == []
    assert not any(db.session.get(Assignment, a.id).completed for a in rows)
    assert client.post(f"/ballots/grid/{c.id}/democratic", data=data).status_code == 302
    db.session.expire_all()
    assert all(db.session.get(Assignment, a.id).completed for a in rows)


def test_nobody_opens_someone_elses_ballot(client, auth, voters):
    o, c, staff, _head = voters
    auth.as_user(staff)
    other = db.session.scalar(select(Assignment).where(Assignment.rater_id != o["s1"][0].id))
    assert client.get(f"/ballots/{other.id}").status_code == 404


def test_office_reviews_and_edits_assignments_before_opening(client, auth, make):
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    office = make.user(Role.OFFICE, person=make.person(department=o["d3"]), scope=o["county"])
    make.commit()
    auth.as_user(office)
    html = client.get(f"/campaigns/{campaign.id}/ballots").get_data(as_text=True)
    assert "一部干警0" in html and "participation" in html
    victim = db.session.scalar(select(Assignment).where(Assignment.campaign_id == campaign.id,
                                                        Assignment.group == RaterGroup.PEER))
    client.post(f"/campaigns/{campaign.id}/ballots/edit", data={"action": "remove", "assignment": victim.id})
    assert db.session.get(Assignment, victim.id) is None
    client.post(f"/campaigns/{campaign.id}/ballots/edit", data={
        "action": "add", "ratee": o["s1"][0].id, "rater": o["s3"][0].staff_no, "group": "peer"})
    assert db.session.scalar(select(Assignment).where(Assignment.rater_id == o["s3"][0].id,
                                                      Assignment.ratee_id == o["s1"][0].id))
    ops.move(campaign, "open")
    db.session.commit()
    count = db.session.scalar(select(db.func.count(Assignment.id)))
    client.post(f"/campaigns/{campaign.id}/ballots/edit", data={"action": "regenerate"})
    assert db.session.scalar(select(db.func.count(Assignment.id))) == count  # fixed once open
    html = client.get(f"/campaigns/{campaign.id}/ballots").get_data(as_text=True)
    assert "一部干警0" in html  # not yet voted, listed by name — what they would answer is nowhere


REPORT = "本年度认真履行检察职责，办理审查逮捕案件四十二件，审查起诉案件五十六件，无错案。不足之处是调研写作偏少，明年将加强学习。"


def test_self_assessment_comes_with_the_work_report(client, auth, voters, make):
    o, c, staff, _head = voters
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    make.commit()
    auth.as_user(staff)
    a = db.session.scalar(select(Assignment).where(Assignment.rater_id == o["s1"][0].id,
                                                   Assignment.group == RaterGroup.SELF))
    html = client.get(f"/ballots/{a.id}").get_data(as_text=True)
    assert "述职" in html and "实名评价" in html
    short = client.post(f"/ballots/{a.id}", data={"q-conduct": "8", "report": "工作认真。"})
    assert short.status_code == 422 and "至少 50 个字" in short.get_data(as_text=True)
    assert "工作认真。" in short.get_data(as_text=True)  # what was typed comes back
    assert db.session.scalars(select(SignedAnswer)).all() == [] and not db.session.get(Assignment, a.id).completed
    assert client.post(f"/ballots/{a.id}", data={"q-conduct": "8", "report": REPORT}).status_code == 302
    assert db.session.scalars(select(WorkReport)).one().text == REPORT
    auth.logout()
    auth.as_user(office)
    html = client.get(f"/campaigns/{c.id}/ballot-results/{o['s1'][0].id}").get_data(as_text=True)
    assert "审查起诉案件五十六件" in html and "自评 · 实名" in html
