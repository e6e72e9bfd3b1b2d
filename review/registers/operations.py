"""Central registers: who keeps which register, who may record in it, and the writes.

Each kind of register of a unit is kept by one of its departments (set by the performance
office). The keeper department's people — whatever their role — record entries for the people
of that unit's subtree; so do the office (in its scope) and administrators. A plan's bonus or
deduction item that names the register counts the entries dated within the campaign's period,
so every change rescores the open campaigns it touches."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..campaigns.rescoring import rescore as rescore_campaign
from ..campaigns.models import Campaign, CampaignState, CampaignSubject
from ..core import audit
from ..core.access import Role
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..evidence import storage
from ..evidence.models import EvidenceFile
from ..extensions import db
from ..org.models import Department, Person, Unit
from ..plans.spec import BonusSource, DeductionSource
from .models import RegisterEntry, RegisterKeeper, RegisterKind

TITLE_MAX = 300
LEVEL_MAX = 40
NOTE_MAX = 500
EARLIEST = date(2000, 1, 1)
OFFICE_ROLES = (Role.ADMIN, Role.OFFICE)
READER_ROLES = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
# Offered beside the levels the plans name (a plan item may count one level only).
COMMON_LEVELS = ("国家级", "省级", "市级", "县级")


# --- keepers ------------------------------------------------------------------------------------

def keepers_of(unit: Unit) -> dict[RegisterKind, RegisterKeeper]:
    rows = db.session.scalars(select(RegisterKeeper).where(RegisterKeeper.unit_id == unit.id)
                              .options(selectinload(RegisterKeeper.department)))
    return {k.kind: k for k in rows}


def set_keepers(user: User, unit: Unit, choice: dict[RegisterKind, Department | None]) -> int:
    """Which department of the unit keeps each register (None: nobody). Returns how many changed."""
    if user.role not in OFFICE_ROLES or not user.can_see_unit(unit):
        raise DomainError(_("Only the performance office of the unit can choose who keeps its registers."))
    current = keepers_of(unit)
    changed = 0
    for kind, dept in choice.items():
        if dept is not None and dept.unit_id != unit.id:
            raise DomainError(_("%(dept)s is not a department of %(unit)s.", dept=dept.name, unit=unit.name))
        keeper = current.get(kind)
        if dept is None and keeper is not None:
            db.session.delete(keeper)
            changed += 1
        elif dept is not None and keeper is None:
            db.session.add(RegisterKeeper(unit=unit, kind=kind, department=dept))
            changed += 1
        elif dept is not None and keeper.department_id != dept.id:
            keeper.department = dept
            changed += 1
    db.session.flush()
    if changed:
        audit.record("registers.keepers", unit, object_type="units",
                     summary=", ".join(f"{k.label}: {d.name if d else '—'}" for k, d in choice.items()))
    return changed


def kept_units(user: User, kind: RegisterKind) -> list[Unit]:
    """Units whose register of this kind the user's department keeps."""
    me = user.person
    if me is None or me.department_id is None or not user.can_log_in:
        return []
    return list(db.session.scalars(select(Unit).join(RegisterKeeper, RegisterKeeper.unit_id == Unit.id).where(
        RegisterKeeper.kind == kind, RegisterKeeper.department_id == me.department_id)))


def keeps_any(user: User) -> bool:
    me = user.person
    if me is None or me.department_id is None:
        return False
    return db.session.scalar(select(func.count(RegisterKeeper.id))
                             .where(RegisterKeeper.department_id == me.department_id)) > 0


def keeps_for(user: User, kind: RegisterKind, person: Person) -> bool:
    """Is the user in a department that keeps this register for a unit containing the person?"""
    return any(unit.contains(person.unit) for unit in kept_units(user, kind))


def may_record(user: User, kind: RegisterKind, person: Person) -> bool:
    if user.role in OFFICE_ROLES and user.can_see_unit(person.unit):
        return True
    return keeps_for(user, kind, person)


def may_read(user: User, kind: RegisterKind, unit: Unit) -> bool:
    """May the user read this unit's register of this kind (the list, the export)?"""
    if user.role in READER_ROLES and user.can_see_unit(unit):
        return True
    return any(u.contains(unit) for u in kept_units(user, kind))


def can_view_entry(user: User, entry: RegisterEntry) -> bool:
    """The person concerned, the keeper department's people, and the office, administrators and
    supervisors whose scope holds the person's unit. Guards the entry's evidence files too."""
    if user.person_id is not None and user.person_id == entry.person_id:
        return True
    if user.role in READER_ROLES and user.can_see_unit(entry.person.unit):
        return True
    return keeps_for(user, entry.kind, entry.person)


# --- entries ---------------------------------------------------------------------------------------

def add_entry(user: User, kind: RegisterKind, person: Person, *, title: str, occurred_on: date | None,
              level: str | None = None, note: str | None = None,
              files: list[storage.Upload] = ()) -> RegisterEntry:
    if not may_record(user, kind, person):
        raise DomainError(_("You do not keep this register for %(name)s.", name=person.name))
    title = " ".join((title or "").split())
    if not title:
        raise DomainError(_("Give the entry a title."))
    if len(title) > TITLE_MAX:
        raise DomainError(_("The title may be at most %(n)d characters long.", n=TITLE_MAX))
    if occurred_on is None:
        raise DomainError(_("Give the date of the entry."))
    if occurred_on < EARLIEST or occurred_on > local_today():
        raise DomainError(_("The date must lie between %(first)s and today.", first=EARLIEST.isoformat()))
    level = " ".join((level or "").split()) or None
    if level and len(level) > LEVEL_MAX:
        raise DomainError(_("The level may be at most %(n)d characters long.", n=LEVEL_MAX))
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise DomainError(_("The note may be at most %(n)d characters long.", n=NOTE_MAX))
    checked = storage.check_all(files, required=False)
    entry = RegisterEntry(kind=kind, person=person, title=title, occurred_on=occurred_on, level=level, note=note,
                          department_id=person.department_id, recorded_by_id=user.id)
    db.session.add(entry)
    db.session.flush()
    storage.store(checked, user=user, register_entry=entry)
    audit.record("registers.add", entry, summary=f"{kind.value} {occurred_on.isoformat()}")
    rescore(kind, person, occurred_on)
    return entry


def remove_entry(user: User, entry: RegisterEntry) -> None:
    """Delete an entry and its evidence files (the files leave the disk once this is committed)."""
    if not may_record(user, entry.kind, entry.person):
        raise DomainError(_("You do not keep this register for %(name)s.", name=entry.person.name))
    kind, person, day = entry.kind, entry.person, entry.occurred_on
    audit.record("registers.remove", entry, summary=f"{kind.value} {day.isoformat()}")
    for f in db.session.scalars(select(EvidenceFile).where(EvidenceFile.register_entry_id == entry.id)):
        db.session.delete(f)
    db.session.delete(entry)
    db.session.flush()
    rescore(kind, person, day)


def feeds(campaign: Campaign, kind: RegisterKind) -> bool:
    return any(isinstance(node.source, (BonusSource, DeductionSource)) and node.source.register == kind.value
               for _path, node in campaign.plan_version.spec().leaves())


def affected_campaigns(kind: RegisterKind, person: Person, day: date) -> list[Campaign]:
    """Campaigns still taking inputs that appraise the person, cover the day and count this register."""
    campaigns = db.session.scalars(
        select(Campaign).join(CampaignSubject, CampaignSubject.campaign_id == Campaign.id)
        .where(CampaignSubject.person_id == person.id,
               Campaign.state.in_([CampaignState.DRAFT, CampaignState.OPEN]), Campaign.year == day.year)).all()
    out = []
    for c in campaigns:
        start, end = c.period_dates
        if start <= day <= end and feeds(c, kind):
            out.append(c)
    return out


def rescore(kind: RegisterKind, person: Person, day: date) -> list[Campaign]:
    campaigns = affected_campaigns(kind, person, day)
    for c in campaigns:
        rescore_campaign(c)
    return campaigns


# --- reading ------------------------------------------------------------------------------------

def entries(kind: RegisterKind, unit: Unit, *, year: int | None = None, department_id: int | None = None):
    """Entries of the people of the unit's subtree, newest first."""
    stmt = (select(RegisterEntry).join(Person, Person.id == RegisterEntry.person_id)
            .join(Unit, Unit.id == Person.unit_id)
            .where(RegisterEntry.kind == kind, Unit.path.startswith(unit.path, autoescape=True))
            .options(selectinload(RegisterEntry.person).selectinload(Person.unit),
                     selectinload(RegisterEntry.department), selectinload(RegisterEntry.evidence)))
    if year:
        stmt = stmt.where(RegisterEntry.occurred_on.between(date(year, 1, 1), date(year, 12, 31)))
    if department_id:
        stmt = stmt.where(RegisterEntry.department_id == department_id)
    return list(db.session.scalars(stmt.order_by(RegisterEntry.occurred_on.desc(), RegisterEntry.id.desc())))


def counts(unit: Unit, year: int | None = None) -> dict[RegisterKind, int]:
    stmt = (select(RegisterEntry.kind, func.count(RegisterEntry.id))
            .join(Person, Person.id == RegisterEntry.person_id).join(Unit, Unit.id == Person.unit_id)
            .where(Unit.path.startswith(unit.path, autoescape=True)).group_by(RegisterEntry.kind))
    if year:
        stmt = stmt.where(RegisterEntry.occurred_on.between(date(year, 1, 1), date(year, 12, 31)))
    return dict(db.session.execute(stmt).all())


def years(kind: RegisterKind, unit: Unit) -> list[int]:
    days = db.session.scalars(select(RegisterEntry.occurred_on).join(Person, Person.id == RegisterEntry.person_id)
                              .join(Unit, Unit.id == Person.unit_id)
                              .where(RegisterEntry.kind == kind, Unit.path.startswith(unit.path, autoescape=True)))
    return sorted({d.year for d in days}, reverse=True)


def recordable_people(user: User, kind: RegisterKind, unit: Unit) -> list[Person]:
    """Active people of the unit's subtree the user may record for."""
    people = db.session.scalars(
        select(Person).join(Unit, Unit.id == Person.unit_id)
        .where(Unit.path.startswith(unit.path, autoescape=True), Person.active.is_(True))
        .options(selectinload(Person.department), selectinload(Person.unit))
        .order_by(Person.unit_id, Person.department_id.nulls_first(), Person.staff_no)).all()
    if user.role in OFFICE_ROLES and user.can_see_unit(unit):
        return list(people)
    units = kept_units(user, kind)
    return [p for p in people if any(u.contains(p.unit) for u in units)]


def suggested_levels(kind: RegisterKind) -> list[str]:
    """Levels the latest plan versions count for this register, then the common ones."""
    from ..plans.models import StoredPlan
    found: list[str] = []
    for plan in db.session.scalars(select(StoredPlan).options(selectinload(StoredPlan.versions))):
        if not plan.versions:
            continue
        for _path, node in plan.latest.spec().leaves():
            src = node.source
            if isinstance(src, (BonusSource, DeductionSource)) and src.register == kind.value and src.level:
                if src.level not in found:
                    found.append(src.level)
    return found + [lv for lv in COMMON_LEVELS if lv not in found]
