"""Races on both databases: one waiting appeal per person however many submissions arrive at once, and
one decision per appeal however many reviewers press at once."""
from sqlalchemy import func, select

from review.appeals import operations as ops
from review.appeals.models import Adjustment, Appeal, AppealState
from review.auth.models import User
from review.campaigns.models import Campaign
from review.core.errors import DomainError
from review.extensions import db

from ..concurrency import race
from ..conftest import make_app


def test_concurrent_appeals_of_one_person_exactly_one_waits(world, _schema):
    world.publish()
    campaign_id, user_id = world.campaign.id, world["staff"].id
    db.session.remove()

    def attempt():
        user, campaign = db.session.get(User, user_id), db.session.get(Campaign, campaign_id)
        return lambda: ops.submit(user, campaign, "同时提交的申诉")

    outcomes = race(make_app(_schema), [attempt] * 8, DomainError)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    assert db.session.scalar(select(func.count(Appeal.id))) == 1


def test_concurrent_decisions_on_one_appeal_exactly_one_counts(world, _schema):
    world.publish()
    appeal = ops.submit(world["staff"], world.campaign, "申诉")
    db.session.commit()
    appeal_id, office_ids = appeal.id, [world["office"].id, world["admin"].id]
    db.session.remove()

    def decider(user_id, accept):
        def attempt():
            user, found = db.session.get(User, user_id), db.session.get(Appeal, appeal_id)
            if accept:
                return lambda: ops.accept(user, found, "成立", [("inspection", 10, "问题不成立")])
            return lambda: ops.reject(user, found, "不成立")
        return attempt

    attempts = [decider(uid, accept) for uid in office_ids for accept in (True, False)] * 2
    outcomes = race(make_app(_schema), attempts, DomainError)
    assert sorted(outcomes) == ["ok"] + ["refused"] * (len(attempts) - 1)
    decided = db.session.get(Appeal, appeal_id)
    assert decided.state in (AppealState.ACCEPTED, AppealState.REJECTED)
    adjustments = db.session.scalar(select(func.count(Adjustment.id)))
    assert adjustments == (1 if decided.state is AppealState.ACCEPTED else 0)
