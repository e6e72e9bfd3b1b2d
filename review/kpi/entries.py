"""Values no system holds (补录): entered with a reason by the person's department (or the
office), reviewed by the performance office, counted only once approved. Nobody reviews
their own entry."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.models import User
from ..campaigns.models import Campaign, CampaignSubject
from ..core.access import Role
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Person
from .importer import parse_value
from .models import EntryState, KpiEntry, KpiRecord

REVIEWERS = (Role.ADMIN, Role.OFFICE)


def may_enter_for(user: User, person: Person) -> bool:
    """The office within its scope; otherwise members of the person's own department."""
    if user.role in REVIEWERS:
        return user.can_see_unit(person.unit)
    if user.role in (Role.STAFF, Role.LEADER) and user.person is not None:
        return user.person.department_id is not None and user.person.department_id == person.department_id
    return False


def may_review(user: User, entry: KpiEntry) -> bool:
    return user.role in REVIEWERS and user.can_see_unit(entry.person.unit) and user.id != entry.entered_by_id


def submit(campaign: Campaign, person: Person, measure: str, raw_value, reason: str, user: User) -> KpiEntry:
    """A pending entry. Raises DomainError naming the field at fault."""
    if not campaign.accepts_inputs:
        raise DomainError(_("The campaign is %(state)s: its inputs can no longer change.", state=campaign.state.label))
    if not db.session.get(CampaignSubject, (campaign.id, person.id)):
        raise DomainError(_("%(name)s is not appraised in this campaign.", name=person.name))
    if not may_enter_for(user, person):
        raise DomainError(_("You may enter values only for people of your own department."))
    measures = {m.code: m for m in campaign.plan_version.spec().kpi_measures()}
    if measure not in measures:
        raise DomainError(_("%(code)s is not a measure of this campaign's plan.", code=measure))
    value, problem = parse_value(measures[measure], raw_value)
    if problem:
        raise DomainError(problem)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Every entry needs a reason."))
    waiting = db.session.scalar(select(KpiEntry.id).where(
        KpiEntry.campaign_id == campaign.id, KpiEntry.person_id == person.id, KpiEntry.measure == measure,
        KpiEntry.state == EntryState.PENDING))
    if waiting is not None:
        raise DomainError(_("A value of %(measure)s for %(name)s is already awaiting review.",
                            measure=measures[measure].name, name=person.name))
    entry = KpiEntry(campaign_id=campaign.id, person=person, measure=measure, value=value, reason=reason[:500],
                     entered_by_id=user.id)
    db.session.add(entry)
    db.session.flush()
    return entry


def review(entry: KpiEntry, user: User, *, approve: bool, note: str = "") -> None:
    """Approve (the value becomes current, an earlier one history) or reject with a reason.
    The entry's own audit trail (kpi_entries.update) records who decided and why."""
    campaign = db.session.get(Campaign, entry.campaign_id)
    if entry.state is not EntryState.PENDING:
        raise DomainError(_("This entry was already reviewed."))
    if user.id == entry.entered_by_id:
        raise DomainError(_("Nobody reviews their own entry: another member of the office must."))
    if not may_review(user, entry):
        raise DomainError(_("Only the performance office reviews entries."))
    note = (note or "").strip()
    if not approve and not note:
        raise DomainError(_("Give the reason for the rejection."))
    if approve and not campaign.accepts_inputs:
        raise DomainError(_("The campaign is %(state)s: its inputs can no longer change.", state=campaign.state.label))
    now = utcnow()
    entry.state = EntryState.APPROVED if approve else EntryState.REJECTED
    entry.reviewed_by_id, entry.reviewed_at, entry.review_note = user.id, now, note[:500] or None
    db.session.flush()
    if approve:
        db.session.add(KpiRecord(campaign_id=campaign.id, person_id=entry.person_id,
                                 values={entry.measure: entry.value}, entry_id=entry.id, recorded_at=now))
        db.session.flush()
        from ..campaigns.rescoring import rescore
        rescore(campaign)
