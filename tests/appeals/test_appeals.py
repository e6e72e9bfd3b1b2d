"""Appeals and their review: who may do what and when, accepted appeals adjusting a line and the
scores recomputed, rejections keeping their reason, the move to final."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from review.appeals import operations as ops
from review.appeals.models import Adjustment, Appeal, AppealState, ResultVersion
from review.campaigns import operations as campaign_ops
from review.campaigns.models import CampaignState, IllegalTransition
from review.core.audit import AuditEntry
from review.core.errors import DomainError
from review.extensions import db

from .world import after, pdf, today


def actions(campaign_id=None):
    return [a for (a,) in db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]


def test_an_appeal_is_made_by_the_person_while_published_and_within_the_window(world):
    staff = world["staff"]
    with pytest.raises(DomainError, match="while the results are published"):
        ops.submit(staff, world.campaign, "评查结论有误")          # closed: nothing is published yet
    until = world.publish()
    with pytest.raises(DomainError, match="Say why"):
        ops.submit(staff, world.campaign, "  ")
    with pytest.raises(DomainError, match="not appraised"):
        ops.submit(world["admin_staff"], world.campaign, "我也要申诉")
    with pytest.raises(DomainError, match="ended on"):
        ops.submit(staff, world.campaign, "逾期申诉", at=after(until))
    appeal = ops.submit(staff, world.campaign, "案件质量评查中一件案件被误计为瑕疵案件", [pdf()])
    db.session.commit()
    assert appeal.state is AppealState.SUBMITTED and appeal.person_id == world.o["s1"][0].id
    assert [f.filename for f in appeal.evidence] == ["评查结论.pdf"]
    with pytest.raises(DomainError, match="already waiting"):
        ops.submit(staff, world.campaign, "再次申诉")
    # The last day of the window still counts.
    assert ops.window_open(world.campaign, until) and not ops.window_open(world.campaign, until + timedelta(days=1))
    assert "appeals.submit" in actions()


def test_one_waiting_appeal_per_person_is_a_fact_of_the_schema(world):
    world.publish()
    ops.submit(world["staff"], world.campaign, "第一次")
    db.session.commit()
    db.session.add(Appeal(campaign_id=world.campaign.id, person_id=world.o["s1"][0].id, reason="绕过检查",
                          state=AppealState.SUBMITTED))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_appellant_may_withdraw_a_waiting_appeal_and_appeal_again(world):
    world.publish()
    appeal = ops.submit(world["staff"], world.campaign, "第一次")
    with pytest.raises(DomainError, match="Only the appellant"):
        ops.withdraw(world["colleague"], appeal)
    ops.withdraw(world["staff"], appeal)
    db.session.commit()
    assert appeal.state is AppealState.WITHDRAWN and appeal.withdrawn_at is not None
    again = ops.submit(world["staff"], world.campaign, "补充材料后再次申诉")
    assert again.id != appeal.id
    with pytest.raises(DomainError, match="already been decided"):
        ops.withdraw(world["staff"], appeal)


def test_review_is_for_the_office_in_scope_and_never_of_ones_own_appeal(world):
    world.publish()
    appeal = ops.submit(world["staff"], world.campaign, "评查结论有误")
    own = ops.submit(world["appraised_office"], world.campaign, "我的作风分偏低")
    db.session.commit()
    for who, message in (("sibling_office", "Only the performance office"), ("supervisor", "Only the performance office"),
                         ("colleague", "Only the performance office")):
        with pytest.raises(DomainError, match=message):
            ops.reject(world[who], appeal, "不予支持")
    with pytest.raises(DomainError, match="Nobody reviews their own appeal"):
        ops.accept(world["appraised_office"], own, "自己的申诉", [("conduct", 30, "自评")])
    # The other office member and the administrator may.
    assert ops.actions_for(world["office"], own).review and not ops.actions_for(world["appraised_office"], own).review
    assert ops.actions_for(world["admin"], appeal).review and not ops.actions_for(world["supervisor"], appeal).review
    ops.reject(world["appraised_office"], appeal, "经复核，评查结论无误")   # office, not their own: allowed
    db.session.commit()
    assert appeal.state is AppealState.REJECTED


def test_an_accepted_appeal_adjusts_the_line_and_the_scores_are_recomputed(world):
    person = world.o["s1"][0]
    world.publish()
    before = world.result(person).total
    assert world.line(person, "inspection")["points"] == 6    # 10 − 2 × 2
    appeal = ops.submit(world["staff"], world.campaign, "其中一次督查问题已查明不属实")
    db.session.commit()
    with pytest.raises(DomainError, match="at least one line"):
        ops.accept(world["office"], appeal, "申诉成立", [])
    with pytest.raises(DomainError, match="worth 0 to 10"):
        ops.accept(world["office"], appeal, "申诉成立", [("inspection", 12, "超出")])
    with pytest.raises(DomainError, match="say why"):
        ops.accept(world["office"], appeal, "申诉成立", [("inspection", 8, "")])
    with pytest.raises(DomainError, match="indicator of the campaign"):
        ops.accept(world["office"], appeal, "申诉成立", [("nonexistent", 8, "理由")])
    with pytest.raises(DomainError, match="reason for the decision"):
        ops.accept(world["office"], appeal, " ", [("inspection", 8, "理由")])
    db.session.rollback()
    ops.accept(world["office"], appeal, "经复核，一次督查问题不成立", [("inspection", 8, "一次督查问题经复查不成立")])
    db.session.commit()
    line = world.line(person, "inspection")
    assert line["points"] == 8
    assert any("由 6 分调整为 8 分" in n and "不成立" in n for n in line["notes"])
    assert world.result(person).total == pytest.approx(before + 2)
    [adjustment] = db.session.scalars(select(Adjustment)).all()
    assert adjustment.appeal_id == appeal.id and adjustment.active and adjustment.created_by_id == world["office"].id
    assert appeal.state is AppealState.ACCEPTED and appeal.outcome == "经复核，一次督查问题不成立"
    assert {"appeals.accept", "adjustments.create"} <= set(actions())
    with pytest.raises(DomainError, match="already been decided"):
        ops.reject(world["office"], appeal, "改判")


def test_a_rejection_keeps_its_reason_and_changes_nothing(world):
    person = world.o["s1"][0]
    world.publish()
    before = world.result(person).total
    appeal = ops.submit(world["staff"], world.campaign, "作风分偏低")
    with pytest.raises(DomainError, match="needs a reason"):
        ops.reject(world["office"], appeal, "")
    ops.reject(world["office"], appeal, "作风评定依据充分，维持原评分")
    db.session.commit()
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.state is AppealState.REJECTED and appeal.outcome == "作风评定依据充分，维持原评分"
    assert appeal.reviewed_by_id == world["office"].id and appeal.reviewed_at is not None
    assert world.result(person).total == before
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "appeals.reject"))
    assert entry.summary == "作风评定依据充分，维持原评分"


def test_a_second_adjustment_of_a_line_replaces_the_first_which_stays_as_history(world):
    person = world.o["s1"][0]
    world.publish()
    first = ops.submit(world["staff"], world.campaign, "第一次")
    ops.accept(world["office"], first, "部分成立", [("inspection", 8, "一次问题不成立")])
    second = ops.submit(world["staff"], world.campaign, "第二次")
    ops.accept(world["office"], second, "全部成立", [("inspection", 10, "两次问题均不成立")])
    db.session.commit()
    rows = db.session.scalars(select(Adjustment).order_by(Adjustment.id)).all()
    assert [(r.points, r.active) for r in rows] == [(8, False), (10, True)]
    assert rows[0].replaced_by_id == rows[1].id
    assert world.line(person, "inspection")["points"] == 10


def test_the_office_may_withdraw_an_adjustment_while_published(world):
    person = world.o["s1"][0]
    world.publish()
    appeal = ops.submit(world["staff"], world.campaign, "申诉")
    [adjustment] = ops.accept(world["office"], appeal, "成立", [("inspection", 10, "问题不成立")])
    db.session.commit()
    with pytest.raises(DomainError, match="Only the performance office"):
        ops.withdraw_adjustment(world["sibling_office"], adjustment, "误操作")
    with pytest.raises(DomainError, match="Say why"):
        ops.withdraw_adjustment(world["office"], adjustment, "")
    ops.withdraw_adjustment(world["office"], adjustment, "调整录错，撤回")
    db.session.commit()
    assert world.line(person, "inspection")["points"] == 6
    assert adjustment.withdrawn_reason == "调整录错，撤回" and db.session.get(Adjustment, adjustment.id) is not None
    assert "adjustments.withdraw" in actions()


def test_final_waits_for_the_window_and_for_every_appeal_then_takes_version_1(world):
    until = world.publish(days=3)
    appeal = ops.submit(world["staff"], world.campaign, "申诉")
    db.session.commit()
    with pytest.raises(IllegalTransition, match="publication period runs until"):
        campaign_ops.move(world.campaign, "finalize")
    db.session.rollback()
    with pytest.raises(DomainError, match="1 appeal is waiting"):
        campaign_ops.move(world.campaign, "finalize", today=until + timedelta(days=1))
    db.session.rollback()
    # Reviewed after the window, before final: allowed.
    ops.reject(world["office"], appeal, "维持原评分", at=after(until))
    campaign_ops.move(world.campaign, "finalize", today=until + timedelta(days=1))
    db.session.commit()
    assert world.campaign.state is CampaignState.FINAL
    [v1] = db.session.scalars(select(ResultVersion)).all()
    assert v1.number == 1 and v1.reason is None
    # Final: no more appeals, decisions or withdrawals of adjustments.
    with pytest.raises(DomainError):
        ops.submit(world["colleague"], world.campaign, "太晚了")
    assert not ops.may_appeal(world["colleague"], world.campaign)
