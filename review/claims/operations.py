"""Claims (申报) and deductions: every rule of who may do what, and every write.

Chain of a claim: the staff member submits (with evidence) → the department head endorses or
rejects → the performance office approves or rejects. A rejection keeps its reason; the
claimant may withdraw while nothing is decided; nobody acts on their own claim, and the office's
approval comes from someone other than the endorser. Deductions are recorded by the office and
take effect at once. Approved claims and deductions count in the campaign's scores, which are
recomputed (review/campaigns/rescoring.py)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..campaigns.rescoring import rescore
from ..campaigns.models import Campaign, CampaignState, CampaignSubject
from ..core import audit, numbers
from ..core.access import Role
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..evidence import storage
from ..extensions import db
from ..org.models import Department, LeaderRole, Person, Unit
from ..plans.spec import BonusSource, DeductionSource
from .models import Claim, ClaimState

BONUS = "bonus"
DEDUCTION = "deduction"
TITLE_MAX = 300
DESCRIPTION_MAX = 2000
NOTE_MAX = 500
OFFICE_ROLES = (Role.ADMIN, Role.OFFICE)
READER_ROLES = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)


# --- who reviews ----------------------------------------------------------------------------

def _with_account(people) -> list[Person]:
    """People who can act: active, with an account that can log in."""
    return [p for p in people if p.active and getattr(p, "user", None) is not None and p.user.can_log_in]


def head_stage_people(person: Person) -> list[Person]:
    """Who endorses this person's claims: the head(s) of their department; when the claimant is
    a head, or the department has no head with an account, the leaders who supervise the
    department (or, when nobody does, the chief — as the directory's reporting lines say); for a
    member of the leadership team (no department), the chief. Never the claimant."""
    dept = person.department
    if dept is not None and person.leader_role is not LeaderRole.HEAD:
        heads = db.session.scalars(select(Person).where(
            Person.department_id == dept.id, Person.leader_role == LeaderRole.HEAD,
            Person.id != person.id)).all()
        heads = _with_account(heads)
        if heads:
            return heads
    if dept is not None:
        leaders = _with_account(p for p in dept.supervisors if p.on_leadership_team and p.id != person.id)
        if leaders:
            return leaders
    chiefs = db.session.scalars(select(Person).where(
        Person.unit_id == person.unit_id, Person.leader_role == LeaderRole.CHIEF, Person.id != person.id)).all()
    return _with_account(chiefs)


def _in_scope(user: User, person: Person) -> bool:
    return user.role in READER_ROLES and user.can_see_unit(person.unit)


def is_head_reviewer(user: User, claim: Claim) -> bool:
    me = user.person
    if me is None or me.id == claim.person_id or claim.kind != BONUS:
        return False
    return any(p.id == me.id for p in head_stage_people(claim.person))


def is_office_for(user: User, person: Person) -> bool:
    """The performance office of this person's unit (scoped), or an administrator."""
    return user.role in OFFICE_ROLES and user.can_see_unit(person.unit)


def can_view(user: User, claim: Claim) -> bool:
    """The claimant, who endorses it (or did), and the office, administrators and supervisors
    whose scope holds the claimant's unit. The same rule guards the claim's evidence files."""
    if user.person_id is not None and user.person_id == claim.person_id:
        return True
    if _in_scope(user, claim.person):
        return True
    if claim.head_by_id is not None and claim.head_by_id == user.id:
        return True
    return is_head_reviewer(user, claim)


@dataclass(frozen=True)
class Actions:
    """What this user may do with this claim now (for the pages; operations check again)."""
    endorse: bool = False
    approve: bool = False
    withdraw: bool = False
    withdraw_deduction: bool = False

    @property
    def any(self) -> bool:
        return self.endorse or self.approve or self.withdraw or self.withdraw_deduction


def actions_for(user: User, claim: Claim) -> Actions:
    if claim.campaign is None:
        return Actions()
    open_ = claim.campaign.accepts_inputs
    own = user.person_id is not None and user.person_id == claim.person_id
    return Actions(
        endorse=open_ and claim.state is ClaimState.SUBMITTED and is_head_reviewer(user, claim),
        approve=(open_ and claim.state is ClaimState.ENDORSED and not own and claim.head_by_id != user.id
                 and is_office_for(user, claim.person)),
        withdraw=own and claim.kind == BONUS and claim.state in (ClaimState.SUBMITTED, ClaimState.ENDORSED),
        withdraw_deduction=(open_ and claim.kind == DEDUCTION and claim.state is ClaimState.APPROVED
                            and not own and is_office_for(user, claim.person)),
    )


# --- checks shared by claims and deductions ------------------------------------------------------

def _leaf(campaign: Campaign, code: str, kind: type):
    for path, node in campaign.plan_version.spec().leaves():
        if node.code == code and isinstance(node.source, kind) and not node.source.register:
            return path, node
    return None


def claimable_items(campaign: Campaign) -> list[tuple[str, str]]:
    """(code, path) of the bonus items a claim may ask for: bonus leaves not fed by a register."""
    return [(node.code, " › ".join(path)) for path, node in campaign.plan_version.spec().leaves()
            if isinstance(node.source, BonusSource) and not node.source.register]


def deduction_items(campaign: Campaign) -> list[tuple[str, str]]:
    """(code, path) of the deduction items the office records by hand (not fed by a register)."""
    return [(node.code, " › ".join(path)) for path, node in campaign.plan_version.spec().leaves()
            if isinstance(node.source, DeductionSource) and not node.source.register]


def _text(value: str | None, limit: int, too_long: str, *, required: str | None = None) -> str:
    """Trimmed text (one line when required: titles and reasons); ``required`` is the message
    when it is empty, ``too_long`` when it exceeds ``limit`` characters."""
    text = " ".join((value or "").split()) if required is not None else (value or "").strip()
    if required is not None and not text:
        raise DomainError(required)
    if len(text) > limit:
        raise DomainError(too_long)
    return text


def _title(value: str | None, required: str) -> str:
    return _text(value, TITLE_MAX, _("The title may be at most %(n)d characters long.", n=TITLE_MAX),
                 required=required)


def _description(value: str | None) -> str:
    return _text(value, DESCRIPTION_MAX,
                 _("The description may be at most %(n)d characters long.", n=DESCRIPTION_MAX))


def _note(value: str | None, required: str | None = None) -> str:
    return _text(value, NOTE_MAX, _("The note may be at most %(n)d characters long.", n=NOTE_MAX),
                 required=required)


def _occurrences(value) -> int:
    try:
        return numbers.parse_count(value, field=_("Number of occurrences"), minimum=1)
    except numbers.NumberInvalid as e:
        raise DomainError(e.message) from None


def _subject(campaign: Campaign, person: Person) -> None:
    if not db.session.get(CampaignSubject, (campaign.id, person.id)):
        raise DomainError(_("%(name)s is not appraised in this campaign.", name=person.name))


def _lock(claim: Claim) -> None:
    """Take the claim's row and read its state again: two people deciding at once act in turn."""
    db.session.refresh(claim, with_for_update=True)


def _rescore(campaign: Campaign) -> None:
    if campaign.accepts_inputs:
        rescore(campaign)


def _campaign_accepts(campaign: Campaign) -> None:
    if not campaign.accepts_inputs:
        raise DomainError(_("The campaign is %(state)s: its inputs can no longer change.", state=campaign.state.label))


# --- claims ----------------------------------------------------------------------------------------

def submit(user: User, campaign: Campaign, indicator: str, *, title: str, description: str = "",
           occurrences=1, files: list[storage.Upload]) -> Claim:
    """A staff member claims a bonus item for themselves, with at least one evidence file."""
    person = user.person
    if person is None:
        raise DomainError(_("Your account is not linked to a person of the directory."))
    if campaign.state is not CampaignState.OPEN:
        raise DomainError(_("Claims can be made while the campaign is open."))
    _subject(campaign, person)
    if _leaf(campaign, indicator, BonusSource) is None:
        raise DomainError(_("This item cannot be claimed: choose a bonus item of the campaign."))
    title = _title(title, _("Give the claim a title."))
    description = _description(description)
    n = _occurrences(occurrences)
    if not head_stage_people(person):
        raise DomainError(_("Nobody can endorse your claim: your department has no head or supervising leader "
                            "with an account. Please ask the performance office."))
    checked = storage.check_all(files, required=True)
    claim = Claim(campaign_id=campaign.id, person=person, indicator=indicator, kind=BONUS, title=title,
                  description=description, occurrences=n, state=ClaimState.SUBMITTED, submitted_by_id=user.id,
                  submitted_at=utcnow())
    db.session.add(claim)
    db.session.flush()
    storage.store(checked, user=user, claim=claim)
    audit.record("claims.submit", claim, summary=f"{indicator} × {n}")
    return claim


def endorse(user: User, claim: Claim, note: str = "") -> None:
    """The department head (or the supervising leader) agrees; the claim goes to the office."""
    _lock(claim)
    _campaign_accepts(claim.campaign)
    if claim.state is not ClaimState.SUBMITTED:
        raise DomainError(_("Only a claim awaiting the department head can be endorsed."))
    _may_act_at_head_stage(user, claim)
    claim.move(ClaimState.ENDORSED)
    claim.head_by_id, claim.head_at, claim.head_note = user.id, utcnow(), _note(note) or None
    db.session.flush()
    audit.record("claims.endorse", claim, summary=claim.head_note)


def approve(user: User, claim: Claim, note: str = "") -> None:
    """The performance office approves an endorsed claim: its occurrences count at once."""
    _lock(claim)
    _campaign_accepts(claim.campaign)
    if claim.state is not ClaimState.ENDORSED:
        raise DomainError(_("Only a claim endorsed by the department head can be approved."))
    _may_act_at_office_stage(user, claim)
    claim.move(ClaimState.APPROVED)
    claim.office_by_id, claim.office_at, claim.office_note = user.id, utcnow(), _note(note) or None
    db.session.flush()
    audit.record("claims.approve", claim, summary=claim.office_note)
    _rescore(claim.campaign)


def reject(user: User, claim: Claim, reason: str) -> None:
    """Rejected by whoever's turn it is (the head, then the office), always with a reason, which stays."""
    _lock(claim)
    _campaign_accepts(claim.campaign)
    reason = _note(reason, _("A rejection needs a reason."))
    if claim.state is ClaimState.SUBMITTED:
        _may_act_at_head_stage(user, claim)
        claim.move(ClaimState.REJECTED)
        claim.head_by_id, claim.head_at, claim.head_note = user.id, utcnow(), reason
    elif claim.state is ClaimState.ENDORSED:
        _may_act_at_office_stage(user, claim)
        claim.move(ClaimState.REJECTED)
        claim.office_by_id, claim.office_at, claim.office_note = user.id, utcnow(), reason
    else:
        raise DomainError(_("This claim has already been decided."))
    db.session.flush()
    audit.record("claims.reject", claim, summary=reason)


def withdraw(user: User, claim: Claim) -> None:
    """The claimant takes back a claim nobody has decided yet."""
    _lock(claim)
    if user.person_id is None or user.person_id != claim.person_id or claim.kind != BONUS:
        raise DomainError(_("Only the claimant can withdraw a claim."))
    if claim.state not in (ClaimState.SUBMITTED, ClaimState.ENDORSED):
        raise DomainError(_("This claim has already been decided."))
    claim.move(ClaimState.WITHDRAWN)
    db.session.flush()
    audit.record("claims.withdraw", claim)


def _may_act_at_head_stage(user: User, claim: Claim) -> None:
    if user.person_id is not None and user.person_id == claim.person_id:
        raise DomainError(_("Nobody can decide on their own claim."))
    if not is_head_reviewer(user, claim):
        raise DomainError(_("This claim is endorsed by the head of %(dept)s or the leader who supervises it.",
                            dept=claim.person.department.name if claim.person.department else claim.person.unit.name))


def _may_act_at_office_stage(user: User, claim: Claim) -> None:
    if user.person_id is not None and user.person_id == claim.person_id:
        raise DomainError(_("Nobody can decide on their own claim."))
    if not is_office_for(user, claim.person):
        raise DomainError(_("Only the performance office of the claimant's unit can decide at this stage."))
    if claim.head_by_id == user.id:
        raise DomainError(_("You endorsed this claim: someone else in the performance office must approve it."))


# --- deductions --------------------------------------------------------------------------------------

def record_deduction(user: User, campaign: Campaign, person: Person, indicator: str, *, title: str,
                     description: str = "", occurrences=1, files: list[storage.Upload]) -> Claim:
    """The office records a deduction (an inspection finding, a verified complaint) with evidence.
    It takes effect at once."""
    if not is_office_for(user, person):
        raise DomainError(_("Only the performance office of the person's unit can record a deduction."))
    if user.person_id is not None and user.person_id == person.id:
        raise DomainError(_("Nobody records or withdraws a deduction of their own."))
    _campaign_accepts(campaign)
    _subject(campaign, person)
    if _leaf(campaign, indicator, DeductionSource) is None:
        raise DomainError(_("Choose a deduction item of the campaign that is not fed by a register."))
    title = _title(title, _("Give the deduction a title."))
    description = _description(description)
    n = _occurrences(occurrences)
    checked = storage.check_all(files, required=True)
    now = utcnow()
    claim = Claim(campaign_id=campaign.id, person=person, indicator=indicator, kind=DEDUCTION, title=title,
                  description=description, occurrences=n, state=ClaimState.APPROVED, submitted_by_id=user.id,
                  submitted_at=now, office_by_id=user.id, office_at=now)
    db.session.add(claim)
    db.session.flush()
    storage.store(checked, user=user, claim=claim)
    audit.record("claims.deduction", claim, summary=f"{indicator} × {n}")
    _rescore(campaign)
    return claim


def withdraw_deduction(user: User, claim: Claim, reason: str) -> None:
    """The office takes back a deduction recorded by mistake; the reason goes to the audit log."""
    _lock(claim)
    if claim.kind != DEDUCTION:
        raise DomainError(_("Only a deduction can be withdrawn by the office."))
    if not is_office_for(user, claim.person):
        raise DomainError(_("Only the performance office of the person's unit can withdraw a deduction."))
    if user.person_id is not None and user.person_id == claim.person_id:
        raise DomainError(_("Nobody records or withdraws a deduction of their own."))
    _campaign_accepts(claim.campaign)
    reason = _note(reason, _("Say why the deduction is withdrawn."))
    claim.move(ClaimState.WITHDRAWN)
    db.session.flush()
    audit.record("claims.deduction_withdrawn", claim, summary=reason)
    _rescore(claim.campaign)


# --- reading ----------------------------------------------------------------------------------------

def campaigns_open_to(person: Person) -> list[Campaign]:
    """Open campaigns appraising this person that have an item one can claim."""
    campaigns = db.session.scalars(
        select(Campaign).join(CampaignSubject, CampaignSubject.campaign_id == Campaign.id)
        .where(CampaignSubject.person_id == person.id, Campaign.state == CampaignState.OPEN)
        .order_by(Campaign.year.desc(), Campaign.id.desc())).all()
    return [c for c in campaigns if claimable_items(c)]


def _loaded(stmt):
    return stmt.options(selectinload(Claim.person).selectinload(Person.department),
                        selectinload(Claim.campaign))


def own_claims(person: Person) -> list[Claim]:
    return list(db.session.scalars(_loaded(select(Claim)).where(Claim.person_id == person.id)
                                   .order_by(Claim.id.desc())))


def head_queue(user: User) -> list[Claim]:
    """Submitted claims this user endorses: of the department they head, the departments they
    supervise, and (a chief) of their unit's people without a department or supervisor."""
    me = user.person
    if me is None:
        return []
    departments = {d.id for d in me.supervised}
    if me.leader_role is LeaderRole.HEAD and me.department_id is not None:
        departments.add(me.department_id)
    stmt = _loaded(select(Claim)).join(Person, Person.id == Claim.person_id).where(
        Claim.state == ClaimState.SUBMITTED, Claim.kind == BONUS, Claim.person_id != me.id)
    if me.leader_role is LeaderRole.CHIEF:
        stmt = stmt.where(Person.unit_id == me.unit_id)
    elif departments:
        stmt = stmt.where(Person.department_id.in_(departments))
    else:
        return []
    return [c for c in db.session.scalars(stmt.order_by(Claim.submitted_at, Claim.id)) if is_head_reviewer(user, c)]


def office_queue(user: User) -> list[Claim]:
    """Endorsed claims of the people in the office's scope (all of them for an administrator)."""
    if user.role not in OFFICE_ROLES:
        return []
    stmt = _loaded(select(Claim)).join(Person, Person.id == Claim.person_id).where(Claim.state == ClaimState.ENDORSED)
    if user.role is not Role.ADMIN:
        if user.scope_unit is None:
            return []
        stmt = stmt.join(Unit, Unit.id == Person.unit_id).where(
            Unit.path.startswith(user.scope_unit.path, autoescape=True))
    if user.person_id is not None:
        stmt = stmt.where(Claim.person_id != user.person_id)
    return list(db.session.scalars(stmt.order_by(Claim.head_at, Claim.id)))


def campaign_claims(campaign: Campaign, *, state: ClaimState | None = None, kind: str | None = None) -> list[Claim]:
    stmt = _loaded(select(Claim)).join(Person, Person.id == Claim.person_id).where(Claim.campaign_id == campaign.id)
    if state is not None:
        stmt = stmt.where(Claim.state == state)
    if kind:
        stmt = stmt.where(Claim.kind == kind)
    return list(db.session.scalars(stmt.order_by(Claim.id.desc())))


def department_name(claim: Claim) -> str:
    dept: Department | None = claim.person.department
    return dept.name if dept else claim.person.unit.name
