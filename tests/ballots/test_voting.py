"""Anonymous by construction: schema properties, single submission under concurrency,
sealed pool and mixing, the k-threshold, signed ballots."""
import pytest
from sqlalchemy import DateTime, Integer, inspect, select, text

from review.ballots import voting
from review.ballots.models import (AnonymousAnswer, AnonymousComment, Assignment, PoolEntry, RaterGroup,
                                   SignedAnswer)
from review.campaigns import operations as ops
from review.campaigns.models import Result
from review.core.audit import AuditEntry
from review.core.errors import DomainError
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..concurrency import race
from ..conftest import make_app
from ..factories import small_institution
from .test_assignments import PLAN


@pytest.fixture
def open_campaign(make, app):
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    ops.move(campaign, "open")
    make.commit()
    return o, campaign


def assignment(campaign, rater, ratee, group):
    return db.session.scalar(select(Assignment).where(
        Assignment.campaign_id == campaign.id, Assignment.rater_id == rater.id, Assignment.ratee_id == ratee.id,
        Assignment.group == group))


# --- the schema itself ----------------------------------------------------------------

ANONYMOUS = (AnonymousAnswer, AnonymousComment, PoolEntry)


def test_anonymous_tables_hold_no_voter_token_sequence_or_time():
    for model in ANONYMOUS:
        table = model.__table__
        referenced = {fk.column.table.name for fk in table.foreign_keys}
        assert referenced <= {"campaigns", "people"}, table.name
        assert not any(isinstance(c.type, DateTime) for c in table.columns), table.name
        [pk] = table.primary_key.columns
        assert not isinstance(pk.type, Integer) and pk.autoincrement is not True, table.name
        assert not {"rater_id", "voter_id", "user_id", "assignment_id", "token"} & set(table.columns.keys())
    # The person referenced by an answer is its ratee, never its author.
    assert {fk.parent.name for fk in AnonymousAnswer.__table__.foreign_keys} == {"campaign_id", "ratee_id"}


def test_participation_holds_no_answer_and_no_time():
    columns = set(Assignment.__table__.columns.keys())
    assert columns == {"id", "campaign_id", "rater_id", "ratee_id", "group", "completed"}
    assert not any(isinstance(c.type, DateTime) for c in Assignment.__table__.columns)


def test_sqlite_keeps_no_insertion_order_for_answers(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("rowid is SQLite's")
    for table in ("ballot_answers", "ballot_comments"):
        with pytest.raises(Exception):
            db.session.execute(text(f"SELECT rowid FROM {table}"))
        db.session.rollback()


# --- casting and mixing ------------------------------------------------------------------

def ballot(campaign, group):
    return {q.code: q.values[0] for q in voting.questions(campaign, group)}


def test_anonymous_ballot_is_sealed_then_counted_at_close_and_leaves_no_audit_trace(open_campaign):
    o, c = open_campaign
    chief = o["chief"]
    raters = [o["s1"][0], o["s1"][1], o["s2"][0]]
    audit_before = db.session.scalar(select(db.func.count(AuditEntry.id)))
    for r in raters[:2]:
        voting.submit(assignment(c, r, chief, RaterGroup.DEMOCRATIC).id, r, ballot(c, RaterGroup.DEMOCRATIC),
                      "很好")
        db.session.commit()
    pooled = db.session.scalars(select(PoolEntry)).all()
    assert len(pooled) == 2 and all(b"\xe5\xbe\x88" not in p.sealed and b"ratee" not in p.sealed for p in pooled)
    voting.submit(assignment(c, raters[2], chief, RaterGroup.DEMOCRATIC).id, raters[2],
                  ballot(c, RaterGroup.DEMOCRATIC))
    db.session.commit()
    assert db.session.scalars(select(AnonymousAnswer)).all() == []  # nothing readable while voting is open
    audit_before = db.session.scalar(select(db.func.count(AuditEntry.id)))
    ops.move(c, "close")
    db.session.commit()
    assert db.session.scalars(select(PoolEntry)).all() == []
    answers = db.session.scalars(select(AnonymousAnswer)).all()
    # Three ballots, each an answer per question, and nothing that tells which answers were one ballot's.
    assert len(answers) == 3 * len(ballot(c, RaterGroup.DEMOCRATIC)) and all(len(a.id) == 32 for a in answers)
    assert "ballot" not in AnonymousAnswer.__table__.columns
    assert [x.text for x in db.session.scalars(select(AnonymousComment))] == ["很好", "很好"]
    # Closing is audited (one entry, the campaign's state); the ballots are not.
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id).offset(audit_before)).all()
    assert all(e.object_type == "campaigns" for e in entries)
    assert not any("很好" in f"{e.before} {e.after} {e.summary}" for e in entries)
    done = db.session.scalars(select(Assignment).where(Assignment.completed.is_(True))).all()
    assert {a.rater_id for a in done} == {r.id for r in raters}


def test_a_ballot_counts_once(open_campaign):
    o, c = open_campaign
    a = assignment(c, o["s1"][0], o["chief"], RaterGroup.DEMOCRATIC)
    voting.submit(a.id, o["s1"][0], ballot(c, RaterGroup.DEMOCRATIC))
    db.session.commit()
    with pytest.raises(voting.AlreadySubmitted):
        voting.submit(a.id, o["s1"][0], ballot(c, RaterGroup.DEMOCRATIC))
    db.session.rollback()
    assert len(db.session.scalars(select(PoolEntry)).all()) == 1


def test_ballots_are_checked(open_campaign):
    o, c = open_campaign
    a = assignment(c, o["s1"][0], o["chief"], RaterGroup.DEMOCRATIC)
    with pytest.raises(DomainError):
        voting.submit(a.id, o["s1"][1], ballot(c, RaterGroup.DEMOCRATIC))  # not the rater
    with pytest.raises(DomainError):
        voting.submit(a.id, o["s1"][0], {})  # unanswered
    answers = ballot(c, RaterGroup.DEMOCRATIC)
    answers[next(iter(answers))] = 7  # not a level of the scale
    with pytest.raises(DomainError):
        voting.submit(a.id, o["s1"][0], answers)
    db.session.rollback()
    assert not db.session.get(Assignment, a.id).completed


def test_concurrent_submissions_of_one_ballot_exactly_one_wins(open_campaign, _schema):
    o, c = open_campaign
    a = assignment(c, o["s1"][0], o["chief"], RaterGroup.DEMOCRATIC)
    aid, rater_id, answers = a.id, o["s1"][0].id, ballot(c, RaterGroup.DEMOCRATIC)
    db.session.commit()
    db.session.remove()  # outside requests the test's session would hold SQLite's write lock

    def attempt():
        from review.org.models import Person
        rater = db.session.get(Person, rater_id)
        return lambda: voting.submit(aid, rater, answers)

    outcomes = race(make_app(_schema), [attempt] * 20, voting.AlreadySubmitted)
    assert sorted(outcomes) == ["ok"] + ["refused"] * 19
    assert db.session.scalar(select(db.func.count()).select_from(PoolEntry)) == 1


def test_small_groups_are_pooled_when_together_they_reach_k(open_campaign):
    o, c = open_campaign
    chief = o["chief"]
    # Two democratic ballots and two middle-manager ballots (k = 3): pooled, four together.
    for r in (o["s1"][0], o["s1"][1]):
        voting.submit(assignment(c, r, chief, RaterGroup.DEMOCRATIC).id, r, ballot(c, RaterGroup.DEMOCRATIC))
    for r in (o["h1"], o["h2"]):
        voting.submit(assignment(c, r, chief, RaterGroup.MIDDLE).id, r, ballot(c, RaterGroup.MIDDLE))
    ops.move(c, "close")  # closing mixes whatever waits
    db.session.commit()
    lines = {line["code"]: line for line in db.session.get(Result, (c.id, chief.id)).lines()}
    leadership = lines["leadership"]
    assert leadership["points"] is not None
    assert "合并计算" in leadership["explanation"] and "4 票" in leadership["explanation"]
    assert "民主测评" in leadership["explanation"] and "中层干部" in leadership["explanation"]


def test_groups_below_k_even_together_are_withheld_and_their_weight_spread(open_campaign):
    o, c = open_campaign
    chief = o["chief"]
    r = o["s1"][0]
    voting.submit(assignment(c, r, chief, RaterGroup.DEMOCRATIC).id, r, ballot(c, RaterGroup.DEMOCRATIC))
    voting.submit(assignment(c, o["h1"], chief, RaterGroup.MIDDLE).id, o["h1"], ballot(c, RaterGroup.MIDDLE))
    ops.move(c, "close")
    db.session.commit()
    lines = {line["code"]: line for line in db.session.get(Result, (c.id, chief.id)).lines()}
    leadership = lines["leadership"]
    assert leadership["points"] is None  # one democratic and one middle ballot: two in all, below k = 3
    assert sum("保密下限" in n for n in leadership["notes"]) == 2


def test_signed_leader_ballots_keep_their_author(open_campaign):
    o, c = open_campaign
    staff, head = o["s1"][0], o["h1"]
    voting.submit(assignment(c, head, staff, RaterGroup.LEADER).id, head, ballot(c, RaterGroup.LEADER), "认真负责")
    db.session.commit()
    signed = db.session.scalars(select(SignedAnswer)).all()
    assert signed and signed[0].assignment.rater_id == head.id and signed[0].comment == "认真负责"
    lines = {line["code"]: line for line in db.session.get(Result, (c.id, staff.id)).lines()} \
        if db.session.get(Result, (c.id, staff.id)) else {}
    assert lines  # results exist for the ratee


def test_a_database_dump_cannot_join_answers_to_voters(open_campaign):
    """Every column of the anonymous tables, read raw: nothing equals a rater's id, login or an assignment id."""
    o, c = open_campaign
    voters = [o["s1"][0], o["s1"][1], o["s2"][0]]
    for r in voters:
        voting.submit(assignment(c, r, o["chief"], RaterGroup.DEMOCRATIC).id, r, ballot(c, RaterGroup.DEMOCRATIC))
    db.session.commit()
    ops.move(c, "close")
    db.session.commit()
    assert db.session.scalars(select(AnonymousAnswer)).all()
    ids = {str(r.id) for r in voters} | {r.staff_no for r in voters}
    ids |= {str(a.id) for a in db.session.scalars(select(Assignment).where(Assignment.completed.is_(True)))}
    for model in ANONYMOUS:
        columns = [col for col in inspect(model).columns if col.name not in ("campaign_id", "ratee_id", "value")]
        for row in db.session.execute(select(*columns)):
            assert not (set(map(str, row)) & ids), model.__tablename__


def test_the_count_keeps_no_answer_of_a_group_that_cannot_be_shown(open_campaign):
    """A dump must not show what the pages may not: a middle manager who alone rated the chief on an
    indicator (k = 3) is named by the participation table, so the count drops that answer."""
    from review.ballots.models import BallotSuppression
    o, c = open_campaign
    chief = o["chief"]
    for r in (o["s1"][0], o["s1"][1], o["s2"][0]):
        voting.submit(assignment(c, r, chief, RaterGroup.DEMOCRATIC).id, r, ballot(c, RaterGroup.DEMOCRATIC))
    voting.submit(assignment(c, o["h1"], chief, RaterGroup.MIDDLE).id, o["h1"], ballot(c, RaterGroup.MIDDLE),
                  "只有我一个人写")
    ops.move(c, "close")
    db.session.commit()
    groups = {a.group for a in db.session.scalars(select(AnonymousAnswer).where(AnonymousAnswer.ratee_id == chief.id))}
    assert groups == {RaterGroup.OTHERS}  # democratic 3 + middle 1, pooled: no row says "middle"
    note = db.session.scalars(select(BallotSuppression)).one()
    assert note.pooled == "democratic,middle" and note.withheld == ""
    assert {x.group for x in db.session.scalars(select(AnonymousComment))} == {RaterGroup.OTHERS}


def test_groups_that_stay_below_k_leave_only_their_number(open_campaign):
    from review.ballots.models import BallotSuppression
    o, c = open_campaign
    r = o["s1"][0]
    voting.submit(assignment(c, r, o["chief"], RaterGroup.DEMOCRATIC).id, r, ballot(c, RaterGroup.DEMOCRATIC), "秘密")
    ops.move(c, "close")
    db.session.commit()
    assert db.session.scalars(select(AnonymousAnswer)).all() == []
    assert db.session.scalars(select(AnonymousComment)).all() == []
    note = db.session.scalars(select(BallotSuppression)).one()
    assert note.withheld == "democratic" and note.withheld_ballots == 1
    # ...and a reopened campaign takes no more anonymous ballots: a second count could be compared with the first.
    ops.move(c, "reopen")
    db.session.commit()
    other = o["s1"][1]
    with pytest.raises(DomainError):
        voting.submit(assignment(c, other, o["chief"], RaterGroup.DEMOCRATIC).id, other,
                      ballot(c, RaterGroup.DEMOCRATIC))


def test_closing_while_people_vote_leaves_no_ballot_behind(open_campaign, _schema):
    """Votes in flight when the office closes: each is either counted or refused, none stays sealed."""
    from review.ballots.models import BallotSuppression
    from review.campaigns.models import Campaign
    o, c = open_campaign
    chief = o["chief"]
    rows = db.session.scalars(select(Assignment).where(Assignment.campaign_id == c.id, Assignment.ratee_id == chief.id,
                                                       Assignment.group == RaterGroup.DEMOCRATIC)).all()[:10]
    jobs = [(a.id, a.rater_id) for a in rows]
    answers, cid, chief_id = ballot(c, RaterGroup.DEMOCRATIC), c.id, chief.id
    db.session.commit()
    db.session.remove()

    def voter(aid, rater_id):
        def attempt():
            from review.org.models import Person
            rater = db.session.get(Person, rater_id)
            return lambda: voting.submit(aid, rater, answers)
        return attempt

    def closer():
        campaign = db.session.get(Campaign, cid)
        return lambda: ops.move(campaign, "close")

    outcomes = race(make_app(_schema), [voter(*job) for job in jobs] + [closer], DomainError)
    assert len(outcomes) == len(jobs) + 1
    assert db.session.scalar(select(db.func.count()).select_from(PoolEntry)) == 0
    completed = db.session.scalar(select(db.func.count()).select_from(Assignment).where(
        Assignment.id.in_([a for a, _r in jobs]), Assignment.completed.is_(True)))
    # Every ballot answers every question once: the answers to one question count the ballots.
    first = db.session.scalar(select(AnonymousAnswer.indicator).where(AnonymousAnswer.ratee_id == chief_id).limit(1))
    notes = list(db.session.scalars(select(BallotSuppression).where(BallotSuppression.ratee_id == chief_id)))
    first = first or (notes[0].indicator if notes else None)
    counted = db.session.scalar(select(db.func.count()).select_from(AnonymousAnswer).where(
        AnonymousAnswer.ratee_id == chief_id, AnonymousAnswer.indicator == first))
    withheld = sum(n.withheld_ballots for n in notes if n.indicator == first)
    assert completed == outcomes.count("ok") - 1 == counted + withheld  # the close is one "ok" too
