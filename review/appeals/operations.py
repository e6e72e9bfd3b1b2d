"""Appeals (申诉) and their review (复核): every rule of who may do what, and every write.

- The person appraised appeals their own result while the campaign is published and the window
  (until ``publish_until``, inclusive, in local days) lasts: a reason and optional attachments. One
  appeal waits for review per person and campaign; they may withdraw it while it waits.
- The performance office of the person's unit (or an administrator) reviews it while the campaign is
  published — within the window or after it, but before the campaign is made final, which is refused
  while an appeal waits. Nobody reviews their own appeal. A rejection keeps its reason; an acceptance
  keeps its reason and records one or more adjustments, after which the scores are recomputed.
- While published the office may also withdraw an adjustment (with a reason); after final, results
  change only through a correction that makes a new version (review/appeals/versions.py).

Everything is audited: the rows (appeals, adjustments) automatically, the steps as events
``appeals.submit``, ``appeals.withdraw``, ``appeals.accept``, ``appeals.reject`` and
``adjustments.withdraw``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..campaigns.rescoring import rescore
from ..campaigns.models import Campaign, CampaignState, CampaignSubject
from ..core import audit
from ..core.access import Role
from ..core.errors import DomainError
from ..core.timeutil import local_today, utcnow
from ..evidence import storage
from ..extensions import db
from ..org.models import Person, Unit
from . import adjustments
from .adjustments import Change
from .models import Adjustment, Appeal, AppealState

REASON_MAX = 2000
OUTCOME_MAX = 1000
OFFICE_ROLES = (Role.ADMIN, Role.OFFICE)
READER_ROLES = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)


# --- who and when --------------------------------------------------------------------------------

def _today(at: datetime | None) -> date:
    """The institution's local day of a UTC moment (now when None)."""
    if at is None:
        return local_today()
    from zoneinfo import ZoneInfo

    from flask import current_app
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return at.replace(tzinfo=timezone.utc).astimezone(zone).date()


def window_open(campaign: Campaign, today: date | None = None) -> bool:
    """Published, and the publication window has not ended (its last day included)."""
    return (campaign.state is CampaignState.PUBLISHED and campaign.publish_until is not None
            and (today or local_today()) <= campaign.publish_until)


def is_office_for(user: User, person: Person) -> bool:
    """The performance office whose scope holds the person's unit, or an administrator."""
    return user.role in OFFICE_ROLES and user.can_see_unit(person.unit)


def _own(user: User, person_id: int) -> bool:
    return user.person_id is not None and user.person_id == person_id


def can_view(user: User, appeal: Appeal) -> bool:
    """The appellant, and the office, administrators and supervisors whose scope holds the
    appellant's unit. The same rule guards the appeal's attachments."""
    if _own(user, appeal.person_id):
        return True
    return user.role in READER_ROLES and user.can_see_unit(appeal.person.unit)


def is_subject(campaign: Campaign, person: Person | None) -> bool:
    return person is not None and db.session.get(CampaignSubject, (campaign.id, person.id)) is not None


def open_appeal(campaign: Campaign, person: Person) -> Appeal | None:
    return db.session.scalar(select(Appeal).where(Appeal.campaign_id == campaign.id, Appeal.person_id == person.id,
                                                  Appeal.state == AppealState.SUBMITTED))


def may_appeal(user: User, campaign: Campaign, today: date | None = None) -> bool:
    """May this user appeal their result in this campaign now (for the pages; submit checks again)?"""
    person = user.person
    return (window_open(campaign, today) and is_subject(campaign, person)
            and open_appeal(campaign, person) is None)


@dataclass(frozen=True)
class Actions:
    """What this user may do with this appeal now."""
    withdraw: bool = False
    review: bool = False


def actions_for(user: User, appeal: Appeal) -> Actions:
    waiting = appeal.state is AppealState.SUBMITTED and appeal.campaign.state is CampaignState.PUBLISHED
    own = _own(user, appeal.person_id)
    return Actions(withdraw=waiting and own,
                   review=waiting and not own and is_office_for(user, appeal.person))


# --- checks ----------------------------------------------------------------------------------------

def _text(value: str | None, limit: int, required: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(required)
    if len(text) > limit:
        raise DomainError(_("The text may be at most %(n)d characters long.", n=limit))
    return text


def _lock(appeal: Appeal) -> None:
    """Take the appeal's row and read its state again: two people deciding at once act in turn."""
    db.session.refresh(appeal, with_for_update=True)


def _share_campaign(campaign: Campaign) -> None:
    """Read the campaign's state under a shared lock: making it final (which takes the row for
    update) waits for submissions and decisions in flight, and they see it final once it is."""
    db.session.refresh(campaign, with_for_update={"read": True})


def _may_review(user: User, appeal: Appeal) -> None:
    if _own(user, appeal.person_id):
        raise DomainError(_("Nobody reviews their own appeal."))
    if not is_office_for(user, appeal.person):
        raise DomainError(_("Only the performance office of the appellant's unit can review this appeal."))
    if appeal.campaign.state is not CampaignState.PUBLISHED:
        raise DomainError(_("Appeals are reviewed while the campaign is published; it is now %(state)s.",
                            state=appeal.campaign.state.label))
    if appeal.state is not AppealState.SUBMITTED:
        raise DomainError(_("This appeal has already been decided."))


# --- the appellant ------------------------------------------------------------------------------------

def submit(user: User, campaign: Campaign, reason: str, files: list[storage.Upload] = (), *,
           at: datetime | None = None) -> Appeal:
    """The person appraised appeals their own result, within the publication window."""
    person = user.person
    if person is None:
        raise DomainError(_("Your account is not linked to a person of the directory."))
    _share_campaign(campaign)
    if not is_subject(campaign, person):
        raise DomainError(_("%(name)s is not appraised in this campaign.", name=person.name))
    if campaign.state is not CampaignState.PUBLISHED:
        raise DomainError(_("Appeals can be made while the results are published."))
    if not window_open(campaign, _today(at)):
        raise DomainError(_("The publication period ended on %(date)s: appeals are no longer taken.",
                            date=campaign.publish_until.isoformat()))
    # One waiting appeal per person: take the person's place in the campaign first, so that two
    # submissions at once act in turn (the partial unique index stays the last word).
    db.session.execute(select(CampaignSubject.person_id).where(
        CampaignSubject.campaign_id == campaign.id, CampaignSubject.person_id == person.id).with_for_update())
    if open_appeal(campaign, person) is not None:
        raise DomainError(_("Your appeal is already waiting for review: withdraw it to make another."))
    reason = _text(reason, REASON_MAX, _("Say why you appeal."))
    checked = storage.check_all(files, required=False)
    appeal = Appeal(campaign_id=campaign.id, person=person, reason=reason, state=AppealState.SUBMITTED,
                    submitted_by_id=user.id, submitted_at=at or utcnow())
    db.session.add(appeal)
    db.session.flush()
    if checked:
        storage.store(checked, user=user, appeal=appeal)
    audit.record("appeals.submit", appeal, summary=reason[:200])
    return appeal


def withdraw(user: User, appeal: Appeal, *, at: datetime | None = None) -> None:
    """The appellant takes back an appeal nobody has decided yet."""
    _lock(appeal)
    if not _own(user, appeal.person_id):
        raise DomainError(_("Only the appellant can withdraw an appeal."))
    if appeal.state is not AppealState.SUBMITTED:
        raise DomainError(_("This appeal has already been decided."))
    appeal.move(AppealState.WITHDRAWN)
    appeal.withdrawn_at = at or utcnow()
    db.session.flush()
    audit.record("appeals.withdraw", appeal)


# --- the review -----------------------------------------------------------------------------------

def accept(user: User, appeal: Appeal, outcome: str, changes: list[tuple[str, object, str]], *,
           at: datetime | None = None) -> list[Adjustment]:
    """Accept with a reason and one or more adjustments (indicator code, points, reason); the
    campaign's scores are recomputed (review/campaigns/rescoring.py)."""
    _lock(appeal)
    _share_campaign(appeal.campaign)
    _may_review(user, appeal)
    outcome = _text(outcome, OUTCOME_MAX, _("Give the reason for the decision."))
    if not changes:
        raise DomainError(_("An accepted appeal changes at least one line: give the indicator, its points and why."))
    codes = [code for code, _points, _reason in changes]
    if len(set(codes)) != len(codes):
        raise DomainError(_("Each indicator can be adjusted once per decision."))
    campaign = appeal.campaign
    rows = [adjustments.add(user, campaign, Change(appeal.person, code, points, reason), appeal=appeal, at=at)
            for code, points, reason in changes]
    appeal.move(AppealState.ACCEPTED)
    appeal.reviewed_by_id, appeal.reviewed_at, appeal.outcome = user.id, at or utcnow(), outcome
    db.session.flush()
    audit.record("appeals.accept", appeal,
                 summary=f"{outcome[:300]} · " + "; ".join(f"{r.indicator} → {r.points:g}" for r in rows))
    rescore(campaign)
    return rows


def reject(user: User, appeal: Appeal, outcome: str, *, at: datetime | None = None) -> None:
    """Reject, always with a reason, which stays on the appeal and is shown to the appellant."""
    _lock(appeal)
    _share_campaign(appeal.campaign)
    _may_review(user, appeal)
    outcome = _text(outcome, OUTCOME_MAX, _("A rejection needs a reason."))
    appeal.move(AppealState.REJECTED)
    appeal.reviewed_by_id, appeal.reviewed_at, appeal.outcome = user.id, at or utcnow(), outcome
    db.session.flush()
    audit.record("appeals.reject", appeal, summary=outcome[:500])


def withdraw_adjustment(user: User, adjustment: Adjustment, reason: str) -> None:
    """While the campaign is published, the office takes back an adjustment (decided by mistake),
    with a reason; the scores are recomputed. After final, only a correction changes results."""
    campaign = adjustment.campaign
    _share_campaign(campaign)
    if campaign.state is not CampaignState.PUBLISHED:
        raise DomainError(_("Adjustments are withdrawn here while the campaign is published; after that, "
                            "through a correction of the final results."))
    if _own(user, adjustment.person_id):
        raise DomainError(_("Nobody changes their own results."))
    if not is_office_for(user, adjustment.person):
        raise DomainError(_("Only the performance office of the person's unit can withdraw an adjustment."))
    adjustments.withdraw(user, adjustment, reason)
    audit.record("adjustments.withdraw", adjustment, summary=adjustment.withdrawn_reason)
    rescore(campaign)


# --- the lifecycle -----------------------------------------------------------------------------------

def waiting_count(campaign: Campaign) -> int:
    return db.session.scalar(select(func.count(Appeal.id)).where(
        Appeal.campaign_id == campaign.id, Appeal.state == AppealState.SUBMITTED)) or 0


def before_finalize(campaign: Campaign) -> None:
    """Called by the move to final (review/campaigns/operations.py): take the campaign's row (appeals
    being submitted or decided finish first) and refuse while an appeal waits for review."""
    db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    waiting = waiting_count(campaign)
    if waiting:
        raise DomainError(ngettext("%(num)d appeal is waiting for review: decide it before making the results final.",
                                   "%(num)d appeals are waiting for review: decide them before making the results "
                                   "final.", waiting))


# --- reading ------------------------------------------------------------------------------------------

def _loaded(stmt):
    return stmt.options(selectinload(Appeal.person).selectinload(Person.department),
                        selectinload(Appeal.campaign), selectinload(Appeal.evidence),
                        selectinload(Appeal.adjustments), selectinload(Appeal.reviewed_by))


def own_appeals(person: Person, campaign: Campaign | None = None) -> list[Appeal]:
    stmt = _loaded(select(Appeal)).where(Appeal.person_id == person.id)
    if campaign is not None:
        stmt = stmt.where(Appeal.campaign_id == campaign.id)
    return list(db.session.scalars(stmt.order_by(Appeal.id.desc())))


def campaign_appeals(campaign: Campaign, state: AppealState | None = None) -> list[Appeal]:
    stmt = _loaded(select(Appeal)).where(Appeal.campaign_id == campaign.id)
    if state is not None:
        stmt = stmt.where(Appeal.state == state)
    return list(db.session.scalars(stmt.order_by(Appeal.submitted_at, Appeal.id)))


def state_counts(campaign_ids: list[int]) -> dict[tuple[int, AppealState], int]:
    if not campaign_ids:
        return {}
    return {(cid, state): n for cid, state, n in db.session.execute(
        select(Appeal.campaign_id, Appeal.state, func.count(Appeal.id))
        .where(Appeal.campaign_id.in_(campaign_ids)).group_by(Appeal.campaign_id, Appeal.state))}


def published_campaigns(user: User) -> list[Campaign]:
    """Published and final campaigns within the user's scope (every one for an administrator)."""
    stmt = select(Campaign).join(Unit, Unit.id == Campaign.unit_id).where(
        Campaign.state.in_([CampaignState.PUBLISHED, CampaignState.FINAL]))
    if user.role is not Role.ADMIN:
        if user.scope_unit is None:
            return []
        stmt = stmt.where(Unit.path.startswith(user.scope_unit.path, autoescape=True))
    return list(db.session.scalars(stmt.order_by(Campaign.year.desc(), Campaign.id.desc())))
