"""Casting ballots. An anonymous ballot flips its participation row and drops a sealed copy
into the pool, in one transaction; the count at close writes the pool out as anonymous
answers (review/ballots/counting.py, docs/anonymity.md). Signed ballots (self, leader) are
stored with their assignment."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from ..campaigns.models import Campaign, CampaignState
from ..core.errors import DomainError
from ..extensions import db
from ..org.models import Person
from ..plans.scales import SHIPPED
from ..plans.spec import BallotSource
from .meeting import held_in_meeting
from .models import Assignment, PoolEntry, RaterGroup, SignedAnswer, WorkReport, random_id
from .ballot_key import seal_ballot
from .sealing import COMMENT_MAX, plain_text

REPORT_MIN, REPORT_MAX = 50, 20_000


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


def lock_open(campaign_id: int) -> Campaign:
    """The campaign, share-locked until the vote commits: closing (which takes the row for update
    and counts the pool) waits for votes in flight, so none is left sealed after the count.
    SQLite serialises writers anyway."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.id == campaign_id)
                                 .with_for_update(read=True).execution_options(populate_existing=True))
    if campaign is None or campaign.state is not CampaignState.OPEN:
        raise DomainError(_("Voting is possible only while the campaign is open."))
    return campaign


def check_answers(campaign: Campaign, group: RaterGroup, answers: dict[str, float]) -> dict[str, float]:
    """One ballot's answers as floats, each a level of its question's scale; online ballots and
    meeting slips (review/ballots/slips.py) share this check."""
    if campaign.state is not CampaignState.OPEN:
        raise DomainError(_("Voting is possible only while the campaign is open."))
    if group.anonymous and campaign.ballots_counted:
        raise DomainError(_("The anonymous ballots of this campaign were counted when voting closed; "
                            "no more can be cast."))
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
    campaign = lock_open(assignment.campaign_id)
    clean = check_answers(campaign, assignment.group, answers)
    if assignment.group.anonymous and held_in_meeting(campaign.id, assignment.group):
        raise DomainError(_("This evaluation is held in a meeting with ballot slips, not online."))
    if assignment.group is RaterGroup.SELF:
        report = _check_report(report)
    comment = plain_text(comment, COMMENT_MAX)
    flipped = db.session.execute(
        update(Assignment).where(Assignment.id == assignment.id, Assignment.completed.is_(False))
        .values(completed=True).execution_options(synchronize_session=False))
    if flipped.rowcount != 1:
        raise AlreadySubmitted(_("This ballot has already been submitted."))
    if assignment.group.anonymous:
        db.session.add(PoolEntry(id=random_id(), campaign_id=campaign.id, sealed=seal_ballot(campaign, {
            "ratee": assignment.ratee_id, "group": assignment.group.value, "answers": clean, "comment": comment})))
    else:
        db.session.execute(insert(SignedAnswer), [
            {"assignment_id": assignment.id, "indicator": code, "value": value,
             "comment": comment or None} for code, value in clean.items()])
        if assignment.group is RaterGroup.SELF:
            db.session.add(WorkReport(campaign_id=campaign.id, person_id=rater.id, text=report))
    db.session.flush()
