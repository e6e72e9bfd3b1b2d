"""Issuing appraisal files into the archive.

A file is rendered, put into the content-addressed store (written atomically, never overwritten)
and only then indexed: a build killed at any point leaves either nothing or a stored PDF that no
row points to yet (harmless; the next run stores the same person again under a new name, since the
generation time differs). The index row and its audit entry are committed together.

A person's file is issued again only when what it shows has changed (its fingerprint), or when
someone re-issues it with a reason; every earlier version stays.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..campaigns.models import Campaign, CampaignState, Result
from ..core import audit
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..core.tokens import new_token, normalize_code
from ..extensions import db
from ..org.models import Department, Person, Unit
from .document import Context, build
from .models import ArchiveFile
from .render import render
from .store import Store

FIRST_ISSUE = "年度考核结束，首次归档"
CHANGED = "考核数据有变化，重新生成"


def store() -> Store:
    root = current_app.config.get("ARCHIVE_DIR") or os.path.join(current_app.instance_path, "archive")
    return Store(root)


def latest(person_id: int, year: int) -> ArchiveFile | None:
    return db.session.scalar(select(ArchiveFile).where(ArchiveFile.person_id == person_id, ArchiveFile.year == year)
                             .order_by(ArchiveFile.version.desc()).limit(1))


@dataclass(frozen=True)
class Outcome:
    person_id: int
    file: ArchiveFile | None     # None: skipped, nothing changed
    reason: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A rendered and stored file waiting for its index row."""
    person_id: int
    campaign_id: int
    unit_id: int
    unit_path: str
    department_id: int | None
    year: int
    version: int
    code: str
    fingerprint: str
    reason: str
    sha256: str
    size: int
    generated_at: object


def placement(person: Person, previous: ArchiveFile | None) -> tuple[Unit, Department | None]:
    """Where a person-year is archived: where the person is at its first issue, and there for good.
    Someone who has since moved to another unit keeps last year's file in the unit that appraised
    them (its office keeps it, the new unit's does not get it, and the file still names that unit);
    within the same unit, the department follows the person's record (a correction)."""
    if previous is None or previous.unit_id == person.unit_id:
        return person.unit, person.department
    return previous.unit, previous.department


def prepare(campaign: Campaign, person: Person, *, reason: str | None = None,
            context: Context | None = None) -> Prepared | None:
    """Render ``person``'s file and put it in the store, unless the latest version already shows
    the same (None then). With ``reason`` (a re-issue someone asked for), a new version is made
    whatever the fingerprint. Reads only: the index row is written by :func:`record`."""
    if campaign.state is not CampaignState.FINAL:
        raise DomainError(_("Appraisal files are issued from final campaigns only."))
    previous = latest(person.id, campaign.year)
    unit, department = placement(person, previous)
    data = build(campaign, person, context)
    if unit.id != person.unit_id:
        data = replace(data, unit=unit.name, department=department.name if department else None)
    fingerprint = data.fingerprint()
    if reason is None and previous is not None and previous.fingerprint == fingerprint \
            and previous.campaign_id == campaign.id:
        return None
    reason = ((reason or "").strip() or (FIRST_ISSUE if previous is None else CHANGED))[:500]
    version = (previous.version if previous else 0) + 1
    code = normalize_code(new_token().code)
    now = utcnow()
    stored = store().put(render(data, code=code, version=version, generated_at=now))
    return Prepared(person.id, campaign.id, unit.id, unit.path, department.id if department else None, campaign.year,
                    version, code, fingerprint, reason, stored.sha256, stored.size, now)


def record(prepared: Prepared, *, user: User | None = None) -> ArchiveFile:
    """The index row of a stored file, audited. The caller commits."""
    person = db.session.get(Person, prepared.person_id)
    row = ArchiveFile(person_id=person.id, year=prepared.year, version=prepared.version,
                      campaign_id=prepared.campaign_id, unit_id=prepared.unit_id, unit_path=prepared.unit_path,
                      department_id=prepared.department_id, sha256=prepared.sha256, size=prepared.size,
                      code=prepared.code, fingerprint=prepared.fingerprint, reason=prepared.reason,
                      generated_by_id=user.id if user else None, generated_at=prepared.generated_at)
    db.session.add(row)
    db.session.flush()
    audit.record("archive.issue", row, summary=f"{person.name} {prepared.year} v{prepared.version}: {prepared.reason}")
    return row


def issue(campaign: Campaign, person: Person, *, user: User | None = None, reason: str | None = None,
          context: Context | None = None) -> Outcome:
    """Prepare and record in the current transaction (the caller commits)."""
    prepared = prepare(campaign, person, reason=reason, context=context)
    if prepared is None:
        return Outcome(person.id, None)
    return Outcome(person.id, record(prepared, user=user), prepared.reason)


STOPPED = object()   # issue_committed: the caller's ``proceed`` said no


def issue_committed(campaign_id: int, person_id: int, *, reason: str | None = None, user_id: int | None = None,
                    proceed: Callable[[Prepared | None], bool] | None = None):
    """Prepare (reading only, without the database's write lock: seconds of rendering), then record
    and commit in a short transaction. Returns the Prepared file, None when unchanged, or STOPPED.

    ``proceed(prepared)`` runs in that transaction before the row is written (a build counting its
    files, or finding it was abandoned meanwhile: False rolls back and returns STOPPED). When another
    writer took the same version number between the two steps (two builds, or a build and a
    re-issue, on the same person at once), the file is prepared again against that new version:
    unchanged then means skipped, and a re-issue becomes the version after it."""
    from ..database import reading_only
    for attempt in (1, 2):
        with reading_only():
            prepared = prepare(db.session.get(Campaign, campaign_id), db.session.get(Person, person_id),
                               reason=reason)
            db.session.rollback()
        try:
            if proceed is not None and not proceed(prepared):
                db.session.rollback()
                return STOPPED
            if prepared is not None:
                record(prepared, user=db.session.get(User, user_id) if user_id else None)
            db.session.commit()
            return prepared
        except IntegrityError:
            db.session.rollback()
            if attempt == 2 or prepared is None or latest(person_id, prepared.year).version < prepared.version:
                raise   # not the version clash retrying can resolve


def final_annual_campaigns(year: int) -> list[Campaign]:
    """The campaigns a year's files come from: its final annual ones, oldest first."""
    from ..campaigns.models import PeriodKind
    return list(db.session.scalars(select(Campaign).where(
        Campaign.year == year, Campaign.period_kind == PeriodKind.YEAR, Campaign.state == CampaignState.FINAL)
        .order_by(Campaign.id)))


def year_files(campaigns: list[Campaign], unit_path: str | None = None) -> list[tuple[int, int]]:
    """(campaign id, person id) of the year's files: one per person. Someone appraised by two final
    annual campaigns of the year (a unit's and its parent's, say) gets the file of the later one,
    always the same, so that building again finds it unchanged rather than alternating forever."""
    chosen: dict[int, int] = {}
    for campaign in sorted(campaigns, key=lambda c: c.id):
        for pid in people_of(campaign, unit_path):
            chosen[pid] = campaign.id
    return [(cid, pid) for pid, cid in chosen.items()]


def people_of(campaign: Campaign, unit_path: str | None = None) -> list[int]:
    """Person ids with a result in the campaign, in staff-number order, optionally within a unit subtree."""
    from ..org.models import Unit
    stmt = (select(Person.id).join(Result, Result.person_id == Person.id).join(Unit, Unit.id == Person.unit_id)
            .where(Result.campaign_id == campaign.id).order_by(Person.staff_no))
    if unit_path:
        stmt = stmt.where(Unit.path.startswith(unit_path, autoescape=True))
    return list(db.session.scalars(stmt))

