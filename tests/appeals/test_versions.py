"""After final, results change only as a new audited version; earlier versions stay as they were."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from review.appeals import operations as ops
from review.appeals import versions
from review.appeals.adjustments import Change
from review.appeals.models import Adjustment, ResultSnapshot, ResultVersion
from review.campaigns import operations as campaign_ops
from review.campaigns.loader import recompute
from review.core.audit import AuditEntry
from review.core.errors import DomainError
from review.extensions import db

from .world import after


@pytest.fixture
def final(world):
    until = world.publish(days=2)
    appeal = ops.submit(world["staff"], world.campaign, "作风分偏低")
    ops.accept(world["office"], appeal, "成立", [("conduct", 28, "补充材料证明表现突出")], at=after(until))
    campaign_ops.move(world.campaign, "finalize", today=until + timedelta(days=1))
    db.session.commit()
    return world


def snapshot_of(number, person):
    version = db.session.scalar(select(ResultVersion).where(ResultVersion.number == number))
    return db.session.get(ResultSnapshot, (version.id, person.id))


def test_final_results_do_not_change_by_recomputing(final):
    person = final.o["s1"][1]
    total = final.result(person).total
    assert recompute(final.campaign) == 0
    assert final.result(person).total == total
    with pytest.raises(DomainError, match="published"):
        ops.withdraw_adjustment(final["office"], db.session.scalars(select(Adjustment)).first(), "撤回")


def test_a_correction_after_final_makes_version_2_and_keeps_version_1(final):
    person = final.o["s1"][1]
    v1_total = snapshot_of(1, person).total
    assert snapshot_of(1, final.o["s1"][0]).lines()[2]["points"] == 28   # the appeal's adjustment is in v1
    with pytest.raises(DomainError, match="Say why"):
        versions.correct(final["office"], final.campaign, "", [Change(person, "work", 60, "依据复查结论")])
    with pytest.raises(DomainError, match="at least one line"):
        versions.correct(final["office"], final.campaign, "复查")
    with pytest.raises(DomainError, match="Only the performance office"):
        versions.correct(final["sibling_office"], final.campaign, "复查", [Change(person, "work", 60, "x")])
    with pytest.raises(DomainError, match="own results"):
        versions.correct(final["appraised_office"], final.campaign, "复查",
                         [Change(final["appraised_office"].person, "work", 60, "x")])
    db.session.rollback()
    version = versions.correct(final["office"], final.campaign, "市院复查决定（2026）3号",
                               [Change(person, "work", 60, "依据市院复查决定")])
    db.session.commit()
    assert version.number == 2 and version.reason == "市院复查决定（2026）3号"
    assert snapshot_of(1, person).total == v1_total                      # version 1 as it was
    before = snapshot_of(1, person).lines()[0]["points"]
    line = final.line(person, "work")
    assert line["points"] == 60 and any("依据市院复查决定" in n for n in line["notes"])
    assert snapshot_of(2, person).total == final.result(person).total == pytest.approx(v1_total - before + 60)
    changed = versions.differences(versions.get(final.campaign, 1), version)
    assert person.id in {d.person.id for d in changed}
    [adjustment] = db.session.scalars(select(Adjustment).where(Adjustment.version == 2)).all()
    assert adjustment.appeal_id is None and adjustment.person_id == person.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "results.correction"))
    assert entry.summary.startswith("v2: 市院复查决定")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "result_versions.create",
                                                      AuditEntry.object_label.contains("v2")))


def test_a_correction_may_withdraw_an_earlier_adjustment(final):
    person = final.o["s1"][0]
    [adjustment] = db.session.scalars(select(Adjustment)).all()
    assert final.line(person, "conduct")["points"] == 28
    versions.correct(final["office"], final.campaign, "纪检监察核查：补充材料不实", withdrawals=[(adjustment, "")])
    db.session.commit()
    assert final.line(person, "conduct")["points"] == 25
    assert adjustment.withdrawn_reason == "纪检监察核查：补充材料不实"
    assert snapshot_of(1, person).lines()[2]["points"] == 28 and snapshot_of(2, person).lines()[2]["points"] == 25


def test_corrections_are_only_for_final_campaigns(world):
    world.publish()
    with pytest.raises(DomainError, match="once the campaign is final"):
        versions.correct(world["office"], world.campaign, "复查", [Change(world.o["s1"][0], "work", 60, "x")])
