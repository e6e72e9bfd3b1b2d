"""Claims: who may submit, endorse, approve, reject and withdraw, in which order; what counts in the scores."""
import pytest
from sqlalchemy import select

from review.campaigns import operations as campaign_ops
from review.claims import operations as ops
from review.claims.models import Claim, ClaimState
from review.core.audit import AuditEntry
from review.core.errors import DomainError
from review.evidence.models import EvidenceFile
from review.evidence.storage import Upload
from review.extensions import db

from .world import pdf


def claim_by(world, who="staff", *, title="张某故意伤害案（重大疑难）", n=1, code="merit", files=None):
    claim = ops.submit(world[who], world.campaign, code, title=title, occurrences=n,
                       files=files if files is not None else [pdf()])
    db.session.commit()
    return claim


def refused(fn, *args, match=None, **kwargs):
    with pytest.raises(DomainError, match=match):
        fn(*args, **kwargs)
    db.session.rollback()


# --- submitting ----------------------------------------------------------------------------------------

def test_a_claim_needs_a_subject_an_open_campaign_a_bonus_item_a_title_whole_occurrences_and_evidence(world):
    staff, campaign = world["staff"], world.campaign
    refused(ops.submit, staff, campaign, "inspection", title="x", files=[pdf()])       # a deduction item
    refused(ops.submit, staff, campaign, "honours", title="x", files=[pdf()])          # fed by a register
    refused(ops.submit, staff, campaign, "nope", title="x", files=[pdf()])
    refused(ops.submit, staff, campaign, "merit", title="   ", files=[pdf()], match="title")
    for bad in (0, -1, 1.5, "two"):
        refused(ops.submit, staff, campaign, "merit", title="x", occurrences=bad, files=[pdf()], match="whole number")
    refused(ops.submit, staff, campaign, "merit", title="x", files=[], match="at least one")
    refused(ops.submit, world["sibling_office"], campaign, "merit", title="x", files=[pdf()], match="not appraised")
    refused(ops.submit, world["admin"], campaign, "merit", title="x", files=[pdf()], match="not linked")
    assert db.session.scalar(select(Claim.id)) is None

    claim = claim_by(world, n=2)
    assert claim.state is ClaimState.SUBMITTED and claim.kind == "bonus" and claim.occurrences == 2
    assert claim.submitted_by_id == staff.id and [f.filename for f in claim.evidence] == ["判决书.pdf"]

    campaign_ops.move(campaign, "close")
    db.session.commit()
    refused(ops.submit, staff, campaign, "merit", title="x", files=[pdf()], match="open")


def test_submitting_is_audited_with_the_evidence(world):
    claim = claim_by(world)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(claim.id),
                                                                 AuditEntry.object_type == "claims")).all()
    assert "claims.create" in actions and "claims.submit" in actions
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_type == "evidence_files")) \
        == "evidence_files.create"


# --- the department head ---------------------------------------------------------------------------------

def test_only_the_head_of_the_claimants_department_endorses(world):
    claim = claim_by(world)
    for who in ("head2", "dep1", "dep2", "chief", "colleague", "office", "admin", "supervisor"):
        refused(ops.endorse, world[who], claim, match="endorsed by the head")
    ops.endorse(world["head1"], claim, "属实")
    db.session.commit()
    assert claim.state is ClaimState.ENDORSED and claim.head_by_id == world["head1"].id
    assert claim.head_note == "属实" and claim.head_at is not None


def test_a_heads_own_claim_goes_to_the_leader_who_supervises_the_department(world):
    claim = claim_by(world, "head1")
    refused(ops.endorse, world["head1"], claim, match="own claim")
    refused(ops.endorse, world["dep2"], claim)
    ops.endorse(world["dep1"], claim)
    db.session.commit()
    assert claim.state is ClaimState.ENDORSED


def test_without_a_head_with_an_account_the_supervising_leader_endorses(world):
    world["head1"].active = False
    db.session.commit()
    claim = claim_by(world)
    refused(ops.endorse, world["head1"], claim)
    ops.endorse(world["dep1"], claim)
    db.session.commit()
    assert claim.head_by_id == world["dep1"].id


def test_a_department_without_a_head_is_endorsed_by_its_supervisor_the_chief(world):
    claim = claim_by(world, "political")   # 政治部 has no head; the chief supervises it
    refused(ops.endorse, world["dep1"], claim)
    ops.endorse(world["chief"], claim)
    db.session.commit()
    assert claim.state is ClaimState.ENDORSED


def test_nobody_to_endorse_refuses_the_claim_up_front(world):
    for who in ("dep1", "chief"):
        world[who].active = False
    world["head1"].active = False
    db.session.commit()
    refused(ops.submit, world["staff"], world.campaign, "merit", title="x", files=[pdf()], match="Nobody can endorse")


# --- the office --------------------------------------------------------------------------------------------

def endorsed(world, who="staff"):
    claim = claim_by(world, who)
    reviewer = ops.head_stage_people(claim.person)[0].user
    ops.endorse(reviewer, claim)
    db.session.commit()
    return claim


def test_stages_come_in_order(world):
    claim = claim_by(world)
    refused(ops.approve, world["office"], claim, match="endorsed by the department head")
    ops.endorse(world["head1"], claim)
    db.session.commit()
    refused(ops.endorse, world["head1"], claim, match="awaiting the department head")
    ops.approve(world["office"], claim, "符合加分条件")
    db.session.commit()
    assert claim.state is ClaimState.APPROVED and claim.office_by_id == world["office"].id
    assert claim.office_note == "符合加分条件"
    refused(ops.approve, world["office2"], claim)
    refused(ops.reject, world["office2"], claim, "晚了", match="already been decided")
    refused(ops.withdraw, world["staff"], claim, match="already been decided")


def test_the_office_approves_within_its_scope_only(world):
    claim = endorsed(world)
    for who in ("sibling_office", "supervisor", "head1", "dep1", "chief", "colleague"):
        refused(ops.approve, world[who], claim)
    ops.approve(world["admin"], claim)
    db.session.commit()
    assert claim.state is ClaimState.APPROVED


def test_nobody_approves_their_own_claim_nor_one_they_endorsed(world):
    own = endorsed(world, "office")            # endorsed by the chief, who supervises 政治部
    refused(ops.approve, world["office"], own, match="own claim")
    refused(ops.reject, world["office"], own, "不行", match="own claim")
    ops.approve(world["office2"], own)
    db.session.commit()
    assert own.state is ClaimState.APPROVED
    # An office member who heads the claimant's department does not approve what they endorsed.
    world["office2"].person.department = world.o["d1"]
    world["head1"].active = False
    db.session.commit()
    from review.org.models import LeaderRole
    world["office2"].person.leader_role = LeaderRole.HEAD
    db.session.commit()
    claim = claim_by(world, "colleague")
    ops.endorse(world["office2"], claim)
    db.session.commit()
    refused(ops.approve, world["office2"], claim, match="someone else")
    ops.approve(world["office"], claim)
    db.session.commit()


# --- rejecting and withdrawing --------------------------------------------------------------------------------

def test_a_rejection_needs_a_reason_and_keeps_it_at_either_stage(world):
    first = claim_by(world, title="甲")
    refused(ops.reject, world["head1"], first, "  ", match="reason")
    ops.reject(world["head1"], first, "证据不足，未附判决书")
    db.session.commit()
    assert first.state is ClaimState.REJECTED and first.head_note == "证据不足，未附判决书"
    assert first.office_at is None
    refused(ops.endorse, world["head1"], first)

    second = endorsed(world)
    refused(ops.reject, world["office"], second, "", match="reason")
    ops.reject(world["office"], second, "不属于重大疑难案件")
    db.session.commit()
    db.session.expire_all()
    assert second.state is ClaimState.REJECTED and second.office_note == "不属于重大疑难案件"
    assert second.head_by_id == world["head1"].id          # the endorsement stays on record
    refused(ops.approve, world["office2"], second)
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "claims.reject")
                               .order_by(AuditEntry.id)).all()
    assert [a.summary for a in audit] == ["证据不足，未附判决书", "不属于重大疑难案件"]


def test_the_claimant_may_withdraw_until_it_is_decided(world):
    claim = claim_by(world)
    refused(ops.withdraw, world["head1"], claim, match="Only the claimant")
    refused(ops.withdraw, world["office"], claim, match="Only the claimant")
    ops.withdraw(world["staff"], claim)
    db.session.commit()
    assert claim.state is ClaimState.WITHDRAWN
    refused(ops.endorse, world["head1"], claim)

    later = endorsed(world)
    ops.withdraw(world["staff"], later)
    db.session.commit()
    assert later.state is ClaimState.WITHDRAWN
    refused(ops.approve, world["office"], later)


def test_no_decision_once_the_campaign_stopped_taking_inputs(world):
    claim = endorsed(world)
    campaign_ops.move(world.campaign, "close")
    db.session.commit()
    refused(ops.approve, world["office"], claim, match="can no longer change")
    refused(ops.reject, world["office"], claim, "x", match="can no longer change")


# --- scores --------------------------------------------------------------------------------------------

def test_an_approved_claim_counts_by_the_plans_rule_and_shows_in_the_breakdown(world):
    person = world.o["s1"][0]
    assert world.line(person, "merit")["points"] == 0
    claim = claim_by(world, n=2, title="精品案件：李某职务侵占案")
    assert world.line(person, "merit")["points"] == 0          # waiting: nothing yet
    ops.endorse(world["head1"], claim)
    db.session.commit()
    assert world.line(person, "merit")["points"] == 0
    ops.approve(world["office"], claim)
    db.session.commit()
    line = world.line(person, "merit")
    assert line["points"] == 4                                 # 2 occurrences × 2 points
    assert any("精品案件：李某职务侵占案" in note for note in line["notes"])
    # Rejected and withdrawn claims never count; the cap holds.
    rejected = endorsed(world)
    ops.reject(world["office"], rejected, "重复申报")
    big = claim_by(world, n=9, title="多件")
    ops.endorse(world["head1"], big)
    ops.approve(world["office"], big)
    db.session.commit()
    assert world.line(person, "merit")["points"] == 10        # 22 points, capped at 10


def test_deductions_take_effect_at_once_and_can_be_withdrawn_by_the_office(world):
    person = world.o["s1"][0]
    assert world.line(person, "inspection")["points"] == 10
    refused(ops.record_deduction, world["head1"], world.campaign, person, "inspection", title="x", files=[pdf()])
    refused(ops.record_deduction, world["sibling_office"], world.campaign, person, "inspection", title="x",
            files=[pdf()])
    refused(ops.record_deduction, world["office"], world.campaign, person, "merit", title="x", files=[pdf()])
    refused(ops.record_deduction, world["office"], world.campaign, person, "discipline", title="x", files=[pdf()])
    refused(ops.record_deduction, world["office"], world.campaign, person, "inspection", title="x", files=[])
    claim = ops.record_deduction(world["office"], world.campaign, person, "inspection", occurrences=3,
                                 title="2025年第二季度案件评查发现问题", files=[pdf("评查通报.pdf")])
    db.session.commit()
    assert claim.state is ClaimState.APPROVED and claim.kind == "deduction"
    assert claim.office_by_id == world["office"].id and claim.office_at is not None
    line = world.line(person, "inspection")
    assert line["points"] == 7 and any("2025年第二季度案件评查发现问题" in n for n in line["notes"])
    refused(ops.withdraw, world["staff"], claim)               # the person cannot take it back
    refused(ops.withdraw_deduction, world["office"], claim, "", match="why")
    ops.withdraw_deduction(world["office"], claim, "录入错误")
    db.session.commit()
    assert claim.state is ClaimState.WITHDRAWN and world.line(person, "inspection")["points"] == 10


def test_the_office_neither_records_nor_withdraws_its_own_deductions(world):
    me = world["office"].person
    refused(ops.record_deduction, world["office"], world.campaign, me, "inspection", title="x", files=[pdf()],
            match="of their own")
    claim = ops.record_deduction(world["office2"], world.campaign, me, "inspection", title="考勤问题",
                                 files=[pdf()])
    db.session.commit()
    assert not ops.actions_for(world["office"], claim).withdraw_deduction
    assert ops.actions_for(world["office2"], claim).withdraw_deduction
    refused(ops.withdraw_deduction, world["office"], claim, "我不同意", match="of their own")
    assert claim.state is ClaimState.APPROVED


def test_final_results_never_change(world):
    claim = endorsed(world)
    for step in ("close",):
        campaign_ops.move(world.campaign, step)
    db.session.commit()
    refused(ops.approve, world["office"], claim)
    refused(ops.record_deduction, world["office"], world.campaign, world.o["s1"][0], "inspection", title="x",
            files=[pdf()], match="can no longer change")


def test_a_bad_file_in_a_claim_saves_nothing(world, app):
    import os
    refused(ops.submit, world["staff"], world.campaign, "merit", title="x",
            files=[pdf("一.pdf"), Upload("二.exe", b"MZ\x90\x00rest"), pdf("三.pdf")], match="二.exe")
    assert db.session.scalar(select(Claim.id)) is None and db.session.scalar(select(EvidenceFile.id)) is None
    folder = os.path.join(app.instance_path, "evidence")
    assert not os.path.isdir(folder) or os.listdir(folder) == []
