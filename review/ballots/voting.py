"""Casting ballots. An anonymous ballot flips its participation row and drops a sealed copy
into the pool, in one transaction; mixing later writes pooled ballots out as anonymous
answers, in random order, in batches (docs/anonymity.md). Signed ballots (self, leader)
are stored with their assignment."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update

from ..campaigns.models import Campaign, CampaignState
from ..core.errors import DomainError
from ..extensions import db
from ..org.models import Person
from ..plans.scales import SHIPPED
from ..plans.spec import BallotSource
from .models import (AnonymousAnswer, AnonymousComment, Assignment, PoolEntry, RaterGroup, SignedAnswer, WorkReport,
                     random_id)
from .sealing import seal, unseal

MIX_BATCH_DEFAULT = 5
REPORT_MIN, REPORT_MAX = 50, 20_000
_shuffle = secrets.SystemRandom().shuffle


class AlreadySubmitted(DomainError):
    pass


@dataclass(frozen=True)
class Question:
    code: str
    name: str
    scale: str
    values: tuple[float, ...]


def questions(campaign: Campaign, group: RaterGroup) -> list[Question]:
    """The indicators a ballot of this rater group answers, with their scale's allowed values."""
    plan = campaign.plan_version.spec()
    scales = {**SHIPPED, **plan.scales}
    out = []
    for _path, node in plan.leaves():
        src = node.source
        if isinstance(src, BallotSource) and group.value in {g for g, _w in src.groups}:
            out.append(Question(node.code, node.name, src.scale, tuple(lv.value for lv in scales[src.scale].levels)))
    return out


def _check(campaign: Campaign, group: RaterGroup, answers: dict[str, float]) -> dict[str, float]:
    if campaign.state is not CampaignState.OPEN:
        raise DomainError(_("Voting is possible only while the campaign is open."))
    clean = {}
    for q in questions(campaign, group):
        if q.code not in answers or answers[q.code] is None:
            raise DomainError(_("Please answer every question: %(name)s is missing.", name=q.name))
        value = float(answers[q.code])
        if value not in q.values:
            raise DomainError(_("%(value)s is not a level of %(name)s.", value=answers[q.code], name=q.name))
        clean[q.code] = value
    return clean


def _check_report(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) < REPORT_MIN:
        raise DomainError(_("The work report is required: at least %(n)d characters.", n=REPORT_MIN))
    if len(text) > REPORT_MAX:
        raise DomainError(_("The work report is too long: at most %(n)d characters.", n=REPORT_MAX))
    return text


def submit(assignment_id: int, rater: Person, answers: dict[str, float], comment: str = "",
           report: str | None = None) -> None:
    """Cast the ballot of one assignment. Exactly one submission per assignment succeeds,
    however many arrive at once: the participation flip is a conditional UPDATE. A self-assessment
    comes with the written work report (述职)."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.rater_id != rater.id:
        raise DomainError(_("This ballot is not yours."))
    campaign = db.session.get(Campaign, assignment.campaign_id)
    clean = _check(campaign, assignment.group, answers)
    from .slips import held_in_meeting
    if assignment.group.anonymous and held_in_meeting(campaign.id, assignment.group):
        raise DomainError(_("This evaluation is held in a meeting with ballot slips, not online."))
    if assignment.group is RaterGroup.SELF:
        report = _check_report(report)
    comment = (comment or "").strip()[:2000]
    flipped = db.session.execute(
        update(Assignment).where(Assignment.id == assignment.id, Assignment.completed.is_(False))
        .values(completed=True).execution_options(synchronize_session=False))
    if flipped.rowcount != 1:
        raise AlreadySubmitted(_("This ballot has already been submitted."))
    if assignment.group.anonymous:
        db.session.add(PoolEntry(id=random_id(), campaign_id=campaign.id, sealed=seal({
            "ratee": assignment.ratee_id, "group": assignment.group.value, "answers": clean, "comment": comment})))
    else:
        db.session.execute(insert(SignedAnswer), [
            {"assignment_id": assignment.id, "indicator": code, "value": value,
             "comment": comment or None} for code, value in clean.items()])
        if assignment.group is RaterGroup.SELF:
            db.session.add(WorkReport(campaign_id=campaign.id, person_id=rater.id, text=report))
    db.session.flush()


def pool_size(campaign: Campaign) -> int:
    return db.session.scalar(select(func.count()).select_from(PoolEntry)
                             .where(PoolEntry.campaign_id == campaign.id)) or 0


def mix(campaign: Campaign, *, force: bool = False) -> int:
    """Write pooled ballots out as anonymous answers, shuffled, once enough wait (or when forced,
    e.g. at close). Returns how many ballots were mixed."""
    batch = current_app.config.get("BALLOT_MIX_BATCH", MIX_BATCH_DEFAULT)
    entries = list(db.session.scalars(select(PoolEntry).where(PoolEntry.campaign_id == campaign.id)
                                      .with_for_update()))
    if not entries or (len(entries) < batch and not force):
        return 0
    answers, comments = [], []
    for entry in entries:
        content = unseal(entry.sealed)
        ballot = random_id()
        for code, value in content["answers"].items():
            answers.append({"id": random_id(), "ballot": ballot, "campaign_id": campaign.id,
                            "ratee_id": content["ratee"], "group": RaterGroup(content["group"]),
                            "indicator": code, "value": value})
        if content.get("comment"):
            comments.append({"id": random_id(), "campaign_id": campaign.id, "ratee_id": content["ratee"],
                             "group": RaterGroup(content["group"]), "text": content["comment"]})
    _shuffle(answers)
    _shuffle(comments)
    if answers:
        db.session.execute(insert(AnonymousAnswer), answers)
    if comments:
        db.session.execute(insert(AnonymousComment), comments)
    db.session.execute(delete(PoolEntry).where(PoolEntry.id.in_([e.id for e in entries])))
    db.session.flush()
    return len(entries)


def mix_now(campaign: Campaign) -> None:
    """After a vote is committed: mix in a transaction of its own, so that the mixed answers share
    nothing with that vote, score again with the new ballots, then let PostgreSQL reclaim the
    deleted pool rows."""
    from ..campaigns.loader import recompute
    if mix(campaign):
        recompute(campaign)
        db.session.commit()
        vacuum_pool()


def vacuum_pool() -> None:
    """On PostgreSQL a deleted row stays on disk until vacuumed; the pool's rows are sealed, but
    they need not linger either. VACUUM cannot run inside a transaction, hence autocommit."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ballot_pool")
