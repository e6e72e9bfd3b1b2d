"""Campaign writes: creation (with who is appraised), lifecycle moves, manual entries, vetoes."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select

from ..core import audit, numbers
from ..core.errors import DomainError
from ..extensions import db
from ..org.models import LeaderRole, Person, Unit
from ..plans.models import PlanVersion
from ..plans.spec import BonusSource, DeductionSource, ManualSource, Plan
from .loader import recompute
from .rescoring import rescore as schedule, settle
from .models import Campaign, CampaignState, CampaignSubject, ManualEntry, PeriodKind, VetoEntry


def appraised_people(plan: Plan, unit: Unit) -> list[Person]:
    """Active people of the unit subtree whom the plan appraises (by category and/or leader role)."""
    stmt = select(Person).join(Unit, Unit.id == Person.unit_id).where(
        Unit.path.startswith(unit.path, autoescape=True), Person.active.is_(True))
    cats, roles = plan.appraises.categories, plan.appraises.leader_roles
    if cats or roles:
        stmt = stmt.where(or_(Person.category_code.in_(cats),
                              Person.leader_role.in_([LeaderRole(r) for r in roles])))
    return list(db.session.scalars(stmt.order_by(Person.staff_no)))


def create_campaign(version: PlanVersion, unit: Unit, *, name: str | None = None, year: int | None = None,
                    period_kind: PeriodKind = PeriodKind.YEAR, period_no: int = 1, k_threshold: int = 3) -> Campaign:
    plan = version.spec()
    year = year or plan.year
    if not 1 <= period_no <= period_kind.periods:
        raise DomainError(_("A %(kind)s campaign has periods 1 to %(n)d.", kind=period_kind.value,
                            n=period_kind.periods))
    if plan.appraises.unit and plan.appraises.unit != unit.code:
        scope = db.session.scalar(select(Unit).where(Unit.code == plan.appraises.unit))
        if scope is None or not scope.contains(unit):
            raise DomainError(_("This plan is for %(unit)s and its subordinate units.", unit=plan.appraises.unit))
    campaign = Campaign(name=name or f"{unit.name} {plan.name}", plan_version=version, unit=unit, year=year,
                        period_kind=period_kind, period_no=period_no, k_threshold=k_threshold)
    db.session.add(campaign)
    db.session.flush()
    refresh_subjects(campaign)
    recompute(campaign)
    return campaign


def regenerate_assignments(campaign: Campaign, *, peer_sample: int | None = None) -> int:
    from ..ballots import assignments
    return assignments.generate(campaign, peer_sample=peer_sample)


def refresh_subjects(campaign: Campaign) -> None:
    """Re-derive who is appraised from the directory, and who rates them (drafts only)."""
    if campaign.state is not CampaignState.DRAFT:
        raise DomainError(_("Who is appraised is fixed once the campaign opens."))
    db.session.execute(delete(CampaignSubject).where(CampaignSubject.campaign_id == campaign.id))
    people = appraised_people(campaign.plan_version.spec(), campaign.unit)
    db.session.add_all(CampaignSubject(campaign_id=campaign.id, person_id=p.id) for p in people)
    db.session.flush()
    db.session.expire(campaign, ["subjects"])
    regenerate_assignments(campaign)


def move(campaign: Campaign, action: str, *, until: date | None = None, today: date | None = None) -> list:
    """Apply a lifecycle action (open, close, reopen, publish, finalize); recompute on the way.
    ``today`` stands for the current day in the publication checks (the demo's past campaign).
    Making results final refuses while an appeal waits, and takes version 1 of the final results.
    Returns the scrutineers' key cards made by opening a campaign counted by scrutineers (print them
    now: nothing else keeps them), else an empty list."""
    from ..ballots import ballot_key
    cards: list = []
    if action in ("publish", "finalize") and ballot_key.awaiting_count(campaign):
        raise DomainError(_("The anonymous ballots wait for the scrutineers: %(t)d of them enter their shares to "
                            "count before the results can be published.", t=campaign.scrutineer_threshold))
    if action == "open":
        from ..ballots.assignments import twins
        pairs = twins(campaign)
        if pairs:
            raise DomainError(_("%(n)d raters would rate the same person both signed and anonymously (first: "
                                "%(rater)s → %(ratee)s); the signed ballot would identify the anonymous one. "
                                "Remove one of each pair before opening.",
                                n=len(pairs), rater=pairs[0][0], ratee=pairs[0][1]))
        first = campaign.state is CampaignState.DRAFT
        campaign.open()
        if first and ballot_key.uses_scrutineers(campaign):
            cards = ballot_key.issue_cards(campaign)
    elif action == "close":
        # Take the row for update: votes in flight (which share-lock it) finish first, and
        # none can start before the state changes, so the count below sees every ballot.
        db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
        campaign.close()
        if not ballot_key.uses_scrutineers(campaign):
            from ..ballots.counting import count
            count(campaign)  # anonymous ballots are counted once, now; nothing stays sealed
        # Sealed to the scrutineers' key, they wait for their shares (ballot_key.count_with_shares).
    elif action == "reopen":
        campaign.reopen()
    elif action == "publish":
        if until is None:
            raise DomainError(_("Publishing needs the last day of the publication period."))
        campaign.publish(until, today)
    elif action == "finalize":
        campaign.finalize(today)
        from ..appeals.operations import before_finalize
        before_finalize(campaign)
    else:
        raise DomainError(_("Unknown action %(a)s.", a=action))
    db.session.flush()
    audit.record(f"campaigns.{action}", campaign)
    settle(campaign, force=True)
    if action == "finalize":
        from ..appeals.versions import snapshot
        snapshot(campaign)
    return cards


# Sources whose values the performance office enters by hand (points, or occurrences).
BY_HAND = (ManualSource, BonusSource, DeductionSource)


def hand_entered_leaf(plan: Plan, code: str):
    """(path, node) of the leaf with this code when it is entered by hand, else None."""
    for path, node in plan.leaves():
        if node.code == code and isinstance(node.source, BY_HAND):
            return path, node
    return None


def hand_value(plan: Plan, node, raw) -> float:
    """The value typed for a hand-entered leaf: points from 0 to the item's maximum for a manual
    item, a whole number of occurrences (review.core.numbers) for a bonus or deduction item."""
    try:
        if isinstance(node.source, ManualSource):
            return numbers.parse_number(raw, field=node.name, minimum=0, maximum=plan.maxima()[node.code] + 1e-9)
        return float(numbers.parse_count(raw, field=node.name))
    except numbers.NumberInvalid as e:
        raise DomainError(e.message) from None


def set_manual_entry(campaign: Campaign, person: Person, indicator: str, value, reason: str, *,
                     rescore: bool = True) -> ManualEntry:
    """Points for a manual item, or occurrences for a bonus/deduction item, with a reason.
    ``value`` is a number or the text typed. Bulk callers pass ``rescore=False`` and recompute
    once at the end."""
    if not campaign.accepts_inputs:
        raise DomainError(_("The campaign is %(state)s: its inputs can no longer change.", state=campaign.state.label))
    if not db.session.get(CampaignSubject, (campaign.id, person.id)):
        raise DomainError(_("%(name)s is not appraised in this campaign.", name=person.name))
    plan = campaign.plan_version.spec()
    found = hand_entered_leaf(plan, indicator)
    if found is None:
        raise DomainError(_("%(code)s is not an indicator entered by hand.", code=indicator))
    node = found[1]
    if not (reason or "").strip():
        raise DomainError(_("Every entry needs a reason."))
    value = hand_value(plan, node, value)
    entry = db.session.scalar(select(ManualEntry).where(
        ManualEntry.campaign_id == campaign.id, ManualEntry.person_id == person.id, ManualEntry.indicator == indicator))
    if entry is None:
        entry = ManualEntry(campaign_id=campaign.id, person=person, indicator=indicator, value=value,
                            reason=reason.strip())
        db.session.add(entry)
    else:
        entry.value, entry.reason = value, reason.strip()
    db.session.flush()
    if rescore:
        schedule(campaign)
    return entry


def set_veto(campaign: Campaign, person: Person, veto: str, reason: str, *, on: bool = True) -> None:
    if not campaign.accepts_inputs:
        raise DomainError(_("The campaign is %(state)s: its inputs can no longer change.", state=campaign.state.label))
    plan = campaign.plan_version.spec()
    if veto not in {v.code for v in plan.vetoes}:
        raise DomainError(_("The plan has no veto %(code)s.", code=veto))
    entry = db.session.scalar(select(VetoEntry).where(
        VetoEntry.campaign_id == campaign.id, VetoEntry.person_id == person.id, VetoEntry.veto == veto))
    if on and entry is None:
        if not (reason or "").strip():
            raise DomainError(_("Every entry needs a reason."))
        db.session.add(VetoEntry(campaign_id=campaign.id, person=person, veto=veto, reason=reason.strip()))
    elif not on and entry is not None:
        db.session.delete(entry)
    db.session.flush()
    schedule(campaign)
