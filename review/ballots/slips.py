"""Meeting ballot slips (现场测评): nameless one-time codes, printed, handed out at random, each
opening one complete ballot of a rater group without login.

A slip is stored as two keyed digests (review/core/tokens.py) and a used flag: the printed
secrets exist only in the PDF made when the batch is issued. Casting a slip's ballot flips the
flag with a conditional UPDATE and drops sealed ballots into the pool in one transaction — the
same path as online anonymous ballots (docs/anonymity.md)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import case, delete, func, insert, select, update

from ..campaigns.models import Campaign, CampaignState
from ..core import audit
from ..core.errors import DomainError
from ..core.tokens import IssuedToken, digest, digests, new_token, parse_secret, token_key
from ..extensions import db
from ..org.models import Person
from .meeting import MEETING_GROUPS, held_in_meeting
from .assignments import names_of, signed_pairs
from .models import Assignment, PoolEntry, RaterGroup, Slip, SlipBatch, random_id
from .ballot_key import seal_ballot
from .sealing import COMMENT_MAX, plain_text
from .voting import check_answers, lock_open

if TYPE_CHECKING:
    from ..pdf import SlipSheet

PURPOSE = b"ballot slips v1"
MAX_SLIPS = 2000


class SlipRefused(DomainError):
    """Why a slip cannot be used; ``reason`` picks the page shown."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _key() -> bytes:
    return token_key(current_app.config["SECRET_KEY"], PURPOSE)


def ratees(campaign: Campaign, group: RaterGroup) -> list[Person]:
    """Who a slip of this group rates: the ratees of the group's assignments, leaders first."""
    from ..org.models import LeaderRole
    order = case({role: i for i, role in enumerate(LeaderRole)}, value=Person.leader_role, else_=len(LeaderRole))
    return list(db.session.scalars(
        select(Person).where(Person.id.in_(select(Assignment.ratee_id).where(
            Assignment.campaign_id == campaign.id, Assignment.group == group)))
        .order_by(order, Person.staff_no)))


def raters_by_group(campaign: Campaign) -> dict[RaterGroup, int]:
    """How many people vote in each meeting group: the default number of slips to print."""
    rows = db.session.execute(
        select(Assignment.group, func.count(func.distinct(Assignment.rater_id)))
        .where(Assignment.campaign_id == campaign.id, Assignment.group.in_(MEETING_GROUPS))
        .group_by(Assignment.group))
    return {group: n for group, n in rows}


def check_issue(campaign: Campaign, group: RaterGroup, count: int) -> None:
    """Whether a batch may be printed, before anything is rendered or written."""
    if campaign.state not in (CampaignState.DRAFT, CampaignState.OPEN) or campaign.ballots_counted:
        raise DomainError(_("Slips can be printed only before or during voting."))
    if group not in MEETING_GROUPS:
        raise DomainError(_("Slips are for the democratic evaluation and the middle managers' evaluation."))
    if not 1 <= count <= MAX_SLIPS:
        raise DomainError(_("The number of slips must be between 1 and %(n)d.", n=MAX_SLIPS))
    if not ratees(campaign, group):
        raise DomainError(_("Nobody is rated by this group in this campaign."))
    if not held_in_meeting(campaign.id, group) and db.session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.campaign_id == campaign.id, Assignment.group == group, Assignment.completed.is_(True))):
        # A nameless slip cannot know who already voted online: they could vote twice.
        raise DomainError(_("Some people have already voted online in this group: slips would let them vote "
                            "twice. Hold the meeting for a group before anyone votes online."))


def signed_twins(campaign: Campaign, group: RaterGroup) -> list[tuple[int, str, str]]:
    """(rater id, rater, ratee) of the group's raters who rate one of its ratees signed. A nameless slip
    rates every ratee of its group, so such a rater would rate that person both signed and anonymously:
    they get no slip (:func:`issue`)."""
    of_group = select(Assignment.rater_id, Assignment.ratee_id).where(
        Assignment.campaign_id == campaign.id, Assignment.group == group).subquery()
    pairs = db.session.execute(signed_pairs(campaign, raters=select(of_group.c.rater_id),
                                            ratees=select(of_group.c.ratee_id))
                               .order_by(Assignment.rater_id, Assignment.ratee_id)).all()
    first: dict[int, int] = {}
    for rater, ratee in pairs:
        first.setdefault(rater, ratee)
    names = names_of(set(first) | set(first.values()))
    return [(rater, names.get(rater, ""), names.get(ratee, "")) for rater, ratee in first.items()]


def new_tokens(count: int) -> list[IssuedToken]:
    return [new_token() for _i in range(count)]


def issue(campaign: Campaign, group: RaterGroup, tokens: list[IssuedToken]) -> SlipBatch:
    """Store a batch for these freshly made tokens: digests only. The secrets live in the PDF alone."""
    check_issue(campaign, group, len(tokens))
    twins = signed_twins(campaign, group)
    if twins:
        # They vote in this group neither on a slip nor online: the office hands them no slip.
        db.session.execute(delete(Assignment).where(Assignment.campaign_id == campaign.id, Assignment.group == group,
                                                    Assignment.rater_id.in_([r for r, _n, _e in twins])))
        audit.record("ballots.slip_raters_excluded", campaign, summary=_(
            "No slip for %(names)s in %(group)s: each rates someone of the group signed.",
            names="、".join(n for _r, n, _e in twins), group=group.label))
    batch = SlipBatch(campaign_id=campaign.id, group=group, count=len(tokens))
    db.session.add(batch)
    db.session.flush()
    key = _key()
    db.session.execute(insert(Slip), [
        {"id": random_id(), "batch_id": batch.id, "used": False, **digests(t, key=key)} for t in tokens])
    return batch


def revoke(batch: SlipBatch) -> None:
    """Withdraw a batch (slips lost or stolen): its unused slips stop working, its used ones count."""
    batch.revoked = True
    db.session.flush()


normalize = parse_secret


def find(secret: str) -> Slip | None:
    """The slip a link secret or a typed code belongs to."""
    form = normalize(secret)
    if form is None:
        return None
    kind, value = form
    column = Slip.code_digest if kind == "code" else Slip.link_digest
    return db.session.scalar(select(Slip).where(column == digest(value, key=_key())))


@dataclass
class Opened:
    slip: Slip
    batch: SlipBatch
    campaign: Campaign


def open_slip(secret: str) -> Opened:
    """The slip, its batch and campaign, or SlipRefused saying why (about this slip only)."""
    slip = find(secret)
    if slip is None:
        raise SlipRefused("unknown", _("This code was not found. Please check it and type it again."))
    batch = db.session.get(SlipBatch, slip.batch_id)
    campaign = db.session.get(Campaign, batch.campaign_id)
    if slip.used:
        raise SlipRefused("used", _("This slip has already been used. Each slip counts once."))
    if batch.revoked:
        raise SlipRefused("revoked", _("This slip has been withdrawn by the organisers."))
    if campaign.state is not CampaignState.OPEN or campaign.ballots_counted:
        raise SlipRefused("closed", _("Voting is not open at the moment."))
    return Opened(slip, batch, campaign)


def submit(secret: str, answers: dict[int, dict[str, float]], comments: dict[int, str]) -> int:
    """Cast a slip's complete ballot: every ratee answered, or nothing is stored. Exactly one
    submission per slip succeeds, however many arrive at once. Returns the number of ballots."""
    opened = open_slip(secret)
    lock_open(opened.campaign.id)
    group = opened.batch.group
    people = ratees(opened.campaign, group)
    clean, missing = {}, []
    for person in people:
        try:
            clean[person.id] = check_answers(opened.campaign, group, answers.get(person.id, {}))
        except DomainError:
            missing.append(person.id)
    if missing:
        raise IncompleteSlip(missing)
    flipped = db.session.execute(
        update(Slip).where(Slip.id == opened.slip.id, Slip.used.is_(False))
        .values(used=True).execution_options(synchronize_session=False))
    if flipped.rowcount != 1:
        raise SlipRefused("used", _("This slip has already been used. Each slip counts once."))
    db.session.execute(insert(PoolEntry), [
        {"id": random_id(), "campaign_id": opened.campaign.id, "sealed": seal_ballot(opened.campaign, {
            "ratee": pid, "group": group.value, "answers": values,
            "comment": plain_text(comments.get(pid), COMMENT_MAX)})}
        for pid, values in clean.items()])
    return len(clean)


class IncompleteSlip(DomainError):
    def __init__(self, missing: list[int]):
        super().__init__(_("Nothing was sent: please complete the rows marked below."))
        self.missing = missing


def counts(campaign: Campaign) -> list[tuple[SlipBatch, int]]:
    """Each batch with how many of its slips were used — never which."""
    rows = db.session.execute(
        select(SlipBatch, func.count(Slip.id).filter(Slip.used.is_(True)))
        .outerjoin(Slip, Slip.batch_id == SlipBatch.id)
        .where(SlipBatch.campaign_id == campaign.id).group_by(SlipBatch.id).order_by(SlipBatch.id))
    return [(batch, int(used or 0)) for batch, used in rows]


def public_base_url() -> str:
    """Where a QR code points: REVIEW_PUBLIC_URL when set (the address people reach from their phones),
    else the address this request came in on."""
    configured = current_app.config.get("REVIEW_PUBLIC_URL")
    if configured:
        return configured.rstrip("/") + "/"
    if has_request_context():
        return request.url_root
    return "http://127.0.0.1:5000/"


def slip_url(link: str, base: str | None = None) -> str:
    """The QR code's address. The secret goes after "#", which browsers never send to the server:
    it stays out of access logs; the page posts it (static/js/token_link.js)."""
    return (base or public_base_url()) + "slip/#" + link


def sheet_for(campaign: Campaign, group: RaterGroup) -> SlipSheet:
    """What the PDF needs, read before rendering so that no database transaction stays open
    (on SQLite: the write lock) while WeasyPrint works."""
    note = _("No login and no name: nobody can tell whose slip this was. %(n)d people to evaluate on one "
             "sheet. Each slip counts once.", n=len(ratees(campaign, group)))
    from ..pdf import SlipSheet  # WeasyPrint loads only when something is printed
    return SlipSheet(campaign.name, f"{group.label} · {_('anonymous ballot')}", note, public_base_url(), "slip/")


def slips_pdf(sheet: SlipSheet, tokens: list[IssuedToken]) -> bytes:
    from ..pdf import slip_sheet_pdf
    return slip_sheet_pdf(sheet, tokens)
