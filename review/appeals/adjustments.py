"""Adjustments decided on review (复核): what the loader hands the engine, and the mechanics of adding,
replacing and withdrawing them. Who may do so, and when, is decided by the callers
(review/appeals/operations.py during publication, review/appeals/versions.py after final).

An adjustment replaces the points of one line of one person's breakdown; the engine keeps the
computed points in the line's note ("复核调整：由 X 分调整为 Y 分（reason）"). Rows are never deleted:
replacing one withdraws it and points to its successor."""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Person
from ..plans.spec import path_label
from .models import Adjustment

REASON_MAX = 500


def gather(campaign, inputs: dict) -> None:
    """Fill ``inputs[person id].adjustments`` with the campaign's active adjustments (one query)."""
    rows = db.session.execute(
        select(Adjustment.person_id, Adjustment.indicator, Adjustment.points, Adjustment.reason)
        .where(Adjustment.campaign_id == campaign.id, Adjustment.withdrawn_at.is_(None)))
    for pid, code, points, reason in rows:
        data = inputs.get(pid)
        if data is not None:
            data.adjustments[code] = (points, reason)


@dataclass(frozen=True)
class Item:
    """A line of the plan that an adjustment may set: its code, path and maximum."""
    code: str
    path: str
    maximum: float


def items(campaign) -> list[Item]:
    """Every leaf of the campaign's plan, in plan order."""
    plan = campaign.plan_version.spec()
    maxima = plan.maxima()
    return [Item(node.code, path_label(path), maxima[node.code]) for path, node in plan.leaves()]


@dataclass(frozen=True)
class Change:
    """One adjustment asked for: the line (indicator code), the points it gets, and why."""
    person: Person
    indicator: str
    points: object
    reason: str | None


def checked(campaign, change: Change) -> tuple[str, float, str]:
    """(code, points, reason) of a valid change, or a DomainError saying what is wrong."""
    item = next((i for i in items(campaign) if i.code == change.indicator), None)
    if item is None:
        raise DomainError(_("Choose an indicator of the campaign's plan."))
    try:
        points = float(change.points)
    except (TypeError, ValueError):
        raise DomainError(_("%(item)s: the points must be a number.", item=item.path))
    if not math.isfinite(points) or not 0 <= points <= item.maximum + 1e-9:
        raise DomainError(_("%(item)s is worth 0 to %(max)s points.", item=item.path, max=f"{item.maximum:g}"))
    reason = " ".join((change.reason or "").split())
    if not reason:
        raise DomainError(_("%(item)s: say why the points change.", item=item.path))
    if len(reason) > REASON_MAX:
        raise DomainError(_("A reason may be at most %(n)d characters long.", n=REASON_MAX))
    return item.code, points, reason


def active(campaign_id: int, person_id: int, indicator: str) -> Adjustment | None:
    return db.session.scalar(select(Adjustment).where(
        Adjustment.campaign_id == campaign_id, Adjustment.person_id == person_id,
        Adjustment.indicator == indicator, Adjustment.withdrawn_at.is_(None)).with_for_update())


def add(user, campaign, change: Change, *, appeal=None, version: int | None = None, at=None) -> Adjustment:
    """Record a checked change (decided at ``at``, now by default); an active adjustment of the same
    line is replaced (withdrawn, and pointing to the new one). Does not recompute: the caller does, once."""
    code, points, reason = checked(campaign, change)
    before = active(campaign.id, change.person.id, code)
    now = at or utcnow()
    if before is not None:
        before.withdrawn_at, before.withdrawn_by_id = now, user.id if user is not None else None
        db.session.flush()   # the partial unique index allows one active adjustment per line
    row = Adjustment(campaign_id=campaign.id, person=change.person, indicator=code, points=points, reason=reason,
                     appeal=appeal, version=version, created_by_id=user.id if user is not None else None,
                     created_at=now)
    db.session.add(row)
    db.session.flush()
    if before is not None:
        before.replaced_by_id = row.id
        db.session.flush()
    return row


def withdraw(user, adjustment: Adjustment, reason: str | None) -> None:
    """Take an active adjustment back, with a reason; the row stays as history."""
    db.session.refresh(adjustment, with_for_update=True)
    if adjustment.withdrawn_at is not None:
        raise DomainError(_("This adjustment has already been withdrawn or replaced."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Say why the adjustment is withdrawn."))
    if len(reason) > REASON_MAX:
        raise DomainError(_("A reason may be at most %(n)d characters long.", n=REASON_MAX))
    adjustment.withdrawn_at = utcnow()
    adjustment.withdrawn_by_id = user.id if user is not None else None
    adjustment.withdrawn_reason = reason
    db.session.flush()


def of_campaign(campaign, person_id: int | None = None) -> list[Adjustment]:
    """Every adjustment of the campaign (or of one person), active and past, newest first."""
    stmt = (select(Adjustment).where(Adjustment.campaign_id == campaign.id)
            .options(selectinload(Adjustment.person), selectinload(Adjustment.created_by),
                     selectinload(Adjustment.withdrawn_by))
            .order_by(Adjustment.id.desc()))
    if person_id is not None:
        stmt = stmt.where(Adjustment.person_id == person_id)
    return list(db.session.scalars(stmt))
