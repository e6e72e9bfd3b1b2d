"""Who rates whom: generated from the directory by the plan's rater groups, editable until the campaign opens."""
import pytest
from sqlalchemy import select

from review.ballots import assignments
from review.ballots.models import Assignment, RaterGroup
from review.campaigns import operations as ops
from review.core.audit import AuditEntry
from review.core.errors import DomainError
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution

PLAN = """
name: 测评方案
year: 2025
mode: weights
appraises: {categories: [quota]}
indicators:
  - code: conduct
    name: 作风
    weight: 50
    source: {type: ballot, scale: leader_eval, groups: {self: 10, peer: 30, leader: 60}}
  - code: leadership
    name: 民主测评
    weight: 50
    source: {type: ballot, scale: grade_civil, groups: {democratic: 70, middle: 30}}
grades: {rules: [{grade: 合格}]}
"""


@pytest.fixture
def campaign(make):
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    make.commit()
    return o, campaign


def pairs(campaign, group):
    rows = db.session.scalars(select(Assignment).where(Assignment.campaign_id == campaign.id,
                                                       Assignment.group == group))
    return {(a.rater.name, a.ratee.name) for a in rows}


def test_self_peer_and_leader_follow_the_directory(campaign):
    o, c = campaign
    assert ("一部干警0", "一部干警0") in pairs(c, RaterGroup.SELF)
    peers = {rater for rater, ratee in pairs(c, RaterGroup.PEER) if ratee == "一部干警0"}
    # Same department, not the person who left, and not the department head: he rates 一部干警0 signed,
    # as the leader, and nobody rates one person both signed and anonymously.
    assert peers == {"一部干警1", "一部干警2"}
    leaders = {rater for rater, ratee in pairs(c, RaterGroup.LEADER) if ratee == "一部干警0"}
    assert leaders == {"一部主任"}
    assert {r for r, e in pairs(c, RaterGroup.LEADER) if e == "一部主任"} == {"副检察长甲"}
    assert {r for r, e in pairs(c, RaterGroup.LEADER) if e == "检察长"} == {"市检察长"}


def test_democratic_and_middle_managers_rate_the_leaders(campaign):
    o, c = campaign
    democratic = pairs(c, RaterGroup.DEMOCRATIC)
    ratees = {e for _r, e in democratic}
    assert ratees == {"检察长", "副检察长甲", "副检察长乙", "专职委员", "一部主任", "二部主任"}
    assert {r for r, e in democratic if e == "检察长"} >= {"一部干警0", "政治部干警", "二部主任"}
    assert "检察长" not in {r for r, e in democratic if e == "检察长"}
    middle = pairs(c, RaterGroup.MIDDLE)
    assert {e for _r, e in middle} == {"检察长", "副检察长甲", "副检察长乙", "专职委员"}
    assert {r for r, _e in middle} == {"一部主任", "二部主任"}


def test_assignments_are_edited_before_opening_and_fixed_after(campaign):
    o, c = campaign
    extra = assignments.add(c, o["s3"][0], o["s1"][0], RaterGroup.PEER)
    with pytest.raises(DomainError):
        assignments.add(c, o["s3"][0], o["s1"][0], RaterGroup.PEER)
    assignments.remove(c, extra)
    ops.move(c, "open")
    with pytest.raises(DomainError):
        assignments.generate(c)
    with pytest.raises(DomainError):
        assignments.add(c, o["s3"][0], o["s1"][0], RaterGroup.PEER)


def test_nobody_rates_one_person_both_signed_and_anonymously(campaign):
    """Matching a signed ballot to the anonymous one of the same rater on the same person picked the
    anonymous one out: generation, manual additions and opening all refuse such twins."""
    o, c = campaign
    signed = {(a.rater_id, a.ratee_id) for a in db.session.scalars(select(Assignment).where(
        Assignment.campaign_id == c.id, Assignment.group == RaterGroup.LEADER))}
    anonymous = {(a.rater_id, a.ratee_id) for a in db.session.scalars(select(Assignment).where(
        Assignment.campaign_id == c.id, Assignment.group.in_([RaterGroup.PEER, RaterGroup.DEMOCRATIC,
                                                              RaterGroup.MIDDLE])))}
    assert signed and anonymous and not signed & anonymous
    assert assignments.twins(c) == []
    leader_row = db.session.scalar(select(Assignment).where(Assignment.campaign_id == c.id,
                                                            Assignment.group == RaterGroup.LEADER))
    rater, ratee = leader_row.rater, leader_row.ratee
    with pytest.raises(DomainError) as refused:
        assignments.add(c, rater, ratee, RaterGroup.PEER)
    assert "署名" in refused.value.message or "signed" in refused.value.message
    # A twin made behind the rules' back (an older campaign, a hand-edited database) stops the opening.
    db.session.add(Assignment(campaign_id=c.id, rater_id=rater.id, ratee_id=ratee.id, group=RaterGroup.DEMOCRATIC))
    db.session.flush()
    assert assignments.twins(c) == [(rater.name, ratee.name)]
    with pytest.raises(DomainError) as refused:
        ops.move(c, "open")
    assert rater.name in refused.value.message


def test_peer_sample_limits_the_raters(campaign):
    o, c = campaign
    assignments.generate(c, peer_sample=1)
    per_ratee = {}
    for rater, ratee in pairs(c, RaterGroup.PEER):
        per_ratee.setdefault(ratee, set()).add(rater)
    assert per_ratee and all(len(v) == 1 for v in per_ratee.values())


def test_completing_an_assignment_leaves_no_trace_in_the_audit_log(campaign):
    _o, c = campaign
    a = db.session.scalars(select(Assignment).where(Assignment.campaign_id == c.id)).first()
    before = db.session.scalar(select(db.func.count(AuditEntry.id)))
    a.completed = True
    db.session.commit()
    assert db.session.scalar(select(db.func.count(AuditEntry.id))) == before


def test_cli_assign_and_progress(runner, campaign):
    _o, c = campaign
    result = runner.invoke(args=["ballots", "assign", str(c.id), "--peer-sample", "2"])
    assert result.exit_code == 0 and "assignments" in result.output
    out = runner.invoke(args=["ballots", "progress", str(c.id)]).output
    assert "democratic\t0/" in out and "self\t0/" in out
