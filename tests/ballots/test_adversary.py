"""An adversary who knows who voted and what each voter wrote tries to link ballots to voters from what
the platform keeps: a dump taken while voting is open, a dump after the count, the logs. Each channel's
linkage is measured against chance (a permutation test): none may beat it."""
import logging
import random

import pytest
from sqlalchemy import select, text

from review.ballots import voting
from review.core.access import Role
from review.ballots.models import AnonymousAnswer, AnonymousComment, Assignment, PoolEntry, RaterGroup
from review.campaigns import operations as ops
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution
from .test_assignments import PLAN

VOTERS = 24
PERMUTATIONS = 400


@pytest.fixture
def many_voters(make, app):
    o = small_institution(make)
    extra = [make.person(department=o["d2"], name=f"二部新警{i}") for i in range(VOTERS)]
    logins = [make.user(Role.STAFF, person=p, login=f"voter{i}").login for i, p in enumerate(extra)]
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    ops.move(campaign, "open")
    make.commit()
    return o, campaign, list(zip(extra, logins))


def matches(observed: list, truth: list) -> int:
    return sum(1 for a, b in zip(observed, truth) if a == b)


def beats_chance(observed: list, truth: list, rng: random.Random) -> bool:
    """Does the order the adversary sees agree with the voting order better than 99 % of random orders?"""
    score = matches(observed, truth)
    shuffled = list(observed)
    better = 0
    for _i in range(PERMUTATIONS):
        rng.shuffle(shuffled)
        better += matches(shuffled, truth) >= score
    return better / PERMUTATIONS < 0.01


def test_no_channel_links_a_ballot_to_its_voter(many_voters, caplog, client, auth):
    o, c, voters = many_voters
    rng = random.Random(7)
    questions = voting.questions(c, RaterGroup.DEMOCRATIC)
    cast = []   # what the adversary knows: each voter, in voting order, with their answers and comment
    with caplog.at_level(logging.DEBUG):
        for i, (voter, login) in enumerate(voters):
            answers = {q.code: rng.choice(q.values) for q in questions}
            comment = f"意见{i:02d}" + "很" * rng.randrange(0, 400)
            a = db.session.scalar(select(Assignment).where(
                Assignment.campaign_id == c.id, Assignment.rater_id == voter.id, Assignment.ratee_id == o["chief"].id,
                Assignment.group == RaterGroup.DEMOCRATIC))
            auth.login(login)   # each voter through the ballot page, as a browser sends it
            resp = client.post(f"/ballots/{a.id}", data={**{f"q-{k}": f"{v:g}" for k, v in answers.items()},
                                                          "comment": comment})
            assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
            auth.logout()
            cast.append((voter.id, answers, comment))
    # The logs name no answer and no comment.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(comment in logged for _v, _a, comment in cast)

    # A dump while voting is open: the pool rows, in the order the database returns them.
    pool = db.session.execute(text("SELECT sealed FROM ballot_pool")).scalars().all()
    assert len(pool) == VOTERS
    assert len({len(bytes(r)) for r in pool}) == 1   # lengths say nothing of the comments
    if db.engine.dialect.name == "postgresql":
        # The pool row shares its transaction with the participation flip — but all pool rows look alike.
        assert db.session.scalar(text("SELECT count(DISTINCT length(sealed)) FROM ballot_pool")) == 1

    ops.move(c, "close")
    db.session.commit()

    # A dump after the count: the answers in physical order (no ORDER BY), the order an adversary reads.
    code = questions[0].code
    rows = db.session.execute(text(
        "SELECT value FROM ballot_answers WHERE indicator = :code AND ratee_id = :ratee"),
        {"code": code, "ratee": o["chief"].id}).scalars().all()
    truth = [answers[code] for _v, answers, _c in cast]
    assert sorted(rows) == sorted(truth)   # all counted
    assert not beats_chance(list(rows), truth, random.Random(11))
    comments = db.session.execute(text(
        "SELECT text FROM ballot_comments WHERE ratee_id = :ratee"), {"ratee": o["chief"].id}).scalars().all()
    assert sorted(comments) == sorted(comment for _v, _a, comment in cast)
    assert not beats_chance(list(comments), [comment for _v, _a, comment in cast], random.Random(13))
    if db.engine.dialect.name == "postgresql":
        answer_xids = set(db.session.execute(text("SELECT xmin::text FROM ballot_answers")).scalars())
        flips = set(db.session.execute(text("SELECT xmin::text FROM ballot_assignments WHERE completed")).scalars())
        assert len(answer_xids) == 1 and not answer_xids & flips
    # Nothing groups one ballot's answers: every answer row stands alone.
    assert set(AnonymousAnswer.__table__.columns.keys()) == {"id", "campaign_id", "ratee_id", "group", "indicator",
                                                             "value"}
    assert not db.session.scalars(select(PoolEntry)).all()
    assert len(db.session.scalars(select(AnonymousComment)).all()) == VOTERS
