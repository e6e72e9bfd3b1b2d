"""Versions of a campaign's final results.

Version 1 is taken when the campaign becomes final (review/campaigns/operations.py ``move``). After
that the results change only through a correction: the performance office of the campaign's unit
(or an administrator) records adjustments — new ones, or withdrawals of earlier ones — with a reason;
the campaign is scored again and version n + 1 is taken. Every version stays as it was, so what was
final on any day can be shown, and the audit log says who corrected what and why
(``results.correction``; the rows ``result_versions.create``, ``adjustments.*``)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..campaigns.rescoring import settle
from ..campaigns.models import Campaign, CampaignState, CampaignSubject, Result
from ..core import audit
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Person
from . import adjustments
from .adjustments import Change
from .models import Adjustment, ResultSnapshot, ResultVersion

REASON_MAX = 500


def latest_number(campaign: Campaign) -> int:
    return db.session.scalar(select(func.max(ResultVersion.number))
                             .where(ResultVersion.campaign_id == campaign.id)) or 0


def snapshot(campaign: Campaign, reason: str | None = None, *, user: User | None = None) -> ResultVersion:
    """Copy the campaign's current results into a new version (one INSERT … SELECT), made by ``user``
    (by default whoever is acting: the logged-in user; nobody for the command line)."""
    actor_id = user.id if user is not None else audit.current_actor()[0]
    version = ResultVersion(campaign_id=campaign.id, number=latest_number(campaign) + 1, reason=reason,
                            created_by_id=actor_id, created_at=utcnow())
    db.session.add(version)
    db.session.flush()
    columns = ["version_id", "person_id", "total", "grade", "rank_category", "rank_unit", "detail", "computed_at"]
    db.session.execute(insert(ResultSnapshot).from_select(columns, select(
        literal(version.id), Result.person_id, Result.total, Result.grade, Result.rank_category, Result.rank_unit,
        Result.detail, Result.computed_at).where(Result.campaign_id == campaign.id)))
    return version


def of_campaign(campaign: Campaign) -> list[ResultVersion]:
    return list(db.session.scalars(select(ResultVersion).where(ResultVersion.campaign_id == campaign.id)
                                   .options(joinedload(ResultVersion.created_by))
                                   .order_by(ResultVersion.number.desc())))


def get(campaign: Campaign, number: int) -> ResultVersion | None:
    return db.session.scalar(select(ResultVersion).where(ResultVersion.campaign_id == campaign.id,
                                                         ResultVersion.number == number))


def rows(version: ResultVersion) -> list[ResultSnapshot]:
    """The version's rows by category, then rank."""
    return list(db.session.scalars(
        select(ResultSnapshot).join(Person, Person.id == ResultSnapshot.person_id)
        .where(ResultSnapshot.version_id == version.id)
        .options(joinedload(ResultSnapshot.person).joinedload(Person.department))
        .order_by(Person.category_code, ResultSnapshot.rank_category.is_(None), ResultSnapshot.rank_category,
                  Person.staff_no)))


@dataclass(frozen=True)
class Difference:
    person: Person
    before: ResultSnapshot | None
    after: ResultSnapshot | None


def differences(before: ResultVersion | None, after: ResultVersion) -> list[Difference]:
    """People whose total, grade or ranks differ between two versions."""
    old = {r.person_id: r for r in rows(before)} if before is not None else {}
    out = []
    for r in rows(after):
        o = old.pop(r.person_id, None)
        if o is None or (round(o.total, 2), o.grade, o.rank_category, o.rank_unit) != \
                (round(r.total, 2), r.grade, r.rank_category, r.rank_unit):
            out.append(Difference(r.person, o, r))
    out.extend(Difference(o.person, o, None) for o in old.values())
    return out


def may_correct(user: User, campaign: Campaign) -> bool:
    from .operations import OFFICE_ROLES
    return (campaign.state is CampaignState.FINAL and user.role in OFFICE_ROLES
            and user.can_see_unit(campaign.unit))


def correct(user: User, campaign: Campaign, reason: str, changes: list[Change] = (),
            withdrawals: list[tuple[Adjustment, str]] = ()) -> ResultVersion:
    """Correct final results: record the changes (and withdrawals) with a reason, score the campaign
    again and take the next version. Nobody corrects their own result."""
    db.session.refresh(campaign, with_for_update=True)   # corrections of one campaign act in turn
    if campaign.state is not CampaignState.FINAL:
        raise DomainError(_("Results are corrected this way once the campaign is final."))
    if not may_correct(user, campaign):
        raise DomainError(_("Only the performance office of the campaign's unit can correct its results."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Say why the final results are corrected."))
    if len(reason) > REASON_MAX:
        raise DomainError(_("A reason may be at most %(n)d characters long.", n=REASON_MAX))
    if not changes and not withdrawals:
        raise DomainError(_("A correction changes at least one line or withdraws an adjustment."))
    seen = set()
    for change in changes:
        key = (change.person.id, change.indicator)
        if key in seen:
            raise DomainError(_("Each indicator can be adjusted once per decision."))
        seen.add(key)
    people = {c.person.id: c.person for c in changes} | {a.person_id: a.person for a, _r in withdrawals}
    for person in people.values():
        if user.person_id is not None and user.person_id == person.id:
            raise DomainError(_("Nobody changes their own results."))
        if db.session.get(CampaignSubject, (campaign.id, person.id)) is None:
            raise DomainError(_("%(name)s is not appraised in this campaign.", name=person.name))
        if not user.can_see_unit(person.unit):
            raise DomainError(_("Only the performance office of the person's unit can change their results."))
    number = latest_number(campaign) + 1
    for adjustment, why in withdrawals:
        if adjustment.campaign_id != campaign.id:
            raise DomainError(_("This adjustment belongs to another campaign."))
        adjustments.withdraw(user, adjustment, why or reason)
    for change in changes:
        adjustments.add(user, campaign, change, version=number)
    previous = get(campaign, number - 1)
    settle(campaign, force=True)
    version = snapshot(campaign, reason, user=user)
    changed = differences(previous, version)
    audit.record("results.correction", campaign,
                 summary=f"v{version.number}: {reason} ({len(changed)})"[:500])
    return version
