"""A campaign's ballot key: chosen while it is a draft, made at opening, used at the count.

With the server's key (the default, simpler, weaker) anonymous ballots are counted when the campaign
closes. With scrutineers (review/ballots/scrutineers.py) the ballots wait sealed after the close until
enough scrutineers enter their shares; until then no result includes them, and the campaign cannot be
published."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..campaigns.models import Campaign, CampaignState
from ..core import audit
from ..core.errors import DomainError
from ..extensions import db
from . import scrutineers
from .models import PoolEntry, RaterGroup
from .sealing import BALLOT_SIZE, COMMENT_MAX, SealError, seal, seal_to
from .scrutineers import MODE_SCRUTINEERS, MODE_SERVER, KeyCard


def uses_scrutineers(campaign: Campaign) -> bool:
    return campaign.ballot_key_mode == MODE_SCRUTINEERS


def choose(campaign: Campaign, mode: str, total: int = 3, threshold: int = 2) -> None:
    """Who will hold the key (drafts only: the key is made at opening)."""
    if campaign.state is not CampaignState.DRAFT:
        raise DomainError(_("Who holds the ballot key is fixed once the campaign opens."))
    if mode not in (MODE_SERVER, MODE_SCRUTINEERS):
        raise DomainError(_("Unknown key holder %(mode)s.", mode=mode))
    if mode == MODE_SCRUTINEERS:
        scrutineers.check_numbers(total, threshold)
        campaign.scrutineers, campaign.scrutineer_threshold = total, threshold
    campaign.ballot_key_mode = mode
    audit.record("campaigns.ballot_key", campaign)


def pooled(campaign: Campaign) -> int:
    return db.session.scalar(select(func.count()).select_from(PoolEntry)
                             .where(PoolEntry.campaign_id == campaign.id)) or 0


def issue_cards(campaign: Campaign) -> list[KeyCard]:
    """A new key pair for the campaign; returns the cards to print now (nothing else keeps them). Allowed
    at opening, and again while the campaign is open and no anonymous ballot has been cast (cards lost
    before printing)."""
    if not uses_scrutineers(campaign):
        raise DomainError(_("This campaign's ballots are sealed with the server's key: there are no key cards."))
    if campaign.state is not CampaignState.OPEN or campaign.ballots_counted:
        raise DomainError(_("Key cards are made when the campaign opens."))
    _lock(campaign)   # votes share-lock the row: none can seal to the old key while it is replaced
    if campaign.ballot_public_key is not None and pooled(campaign):
        raise DomainError(_("Ballots are already sealed to the key of the cards issued: new cards would leave them "
                            "unopenable."))
    public, cards = scrutineers.new_key(campaign.scrutineers, campaign.scrutineer_threshold)
    campaign.ballot_public_key = public
    audit.record("campaigns.key_cards_issued", campaign,
                 summary=_("%(n)d key cards issued, %(t)d needed to count; key fingerprint %(f)s.",
                           n=len(cards), t=campaign.scrutineer_threshold, f=cards[0].fingerprint))
    return cards


def _lock(campaign: Campaign) -> None:
    db.session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    db.session.refresh(campaign)


def ballot_size(campaign: Campaign) -> int:
    """The plaintext size of every sealed ballot of the campaign: room for its largest anonymous ballot (the
    most questions of any anonymous group) and the longest comment, so that a row's length never tells
    whether its comment was long. Worked out once per loaded plan version: a slip seals one ballot per
    ratee, and parsing the plan for each would repeat the same sum."""
    version = campaign.plan_version
    size = version.__dict__.get("_ballot_size")
    if size is None:
        size = version.__dict__["_ballot_size"] = _ballot_size(version.spec())
    return size


def _ballot_size(plan) -> int:
    from ..plans.spec import BallotSource
    asked = [(node.code, {g for g, _w in node.source.groups}) for _path, node in plan.leaves()
             if isinstance(node.source, BallotSource)]
    # An answer is its code and a level ("code":12.5,) — 28 bytes are room for any level.
    longest = max((sum(len(code.encode()) + 28 for code, groups in asked if g.value in groups)
                   for g in RaterGroup if g.anonymous), default=0)
    bound = 160 + COMMENT_MAX * 4 + longest   # ratee, group and the JSON around them; 4 bytes a character
    return max(BALLOT_SIZE, -(-bound // 1024) * 1024)


def seal_ballot(campaign: Campaign, content: dict) -> bytes:
    size = ballot_size(campaign)
    if uses_scrutineers(campaign):
        if campaign.ballot_public_key is None:
            raise DomainError(_("This campaign has no ballot key yet: the office issues the key cards when it opens."))
        return seal_to(campaign.ballot_public_key, content, pool="ballots", pool_id=campaign.id, size=size)
    return seal(content, pool="ballots", pool_id=campaign.id, size=size)


def awaiting_count(campaign: Campaign) -> bool:
    """Closed, with ballots sealed to the scrutineers' key and not yet counted."""
    return (uses_scrutineers(campaign) and campaign.state is CampaignState.CLOSED and not campaign.ballots_counted
            and pooled(campaign) > 0)


def count_with_shares(campaign: Campaign, shares: list[str]) -> int:
    """Count the sealed ballots with the scrutineers' shares. The private key is rebuilt here, used, and
    dropped with this call's frame; it is never written anywhere."""
    from .counting import count
    _lock(campaign)   # one count at a time, and no reopening while it runs
    if not uses_scrutineers(campaign) or campaign.state is not CampaignState.CLOSED:
        raise DomainError(_("Shares are entered once the campaign is closed."))
    if campaign.ballots_counted:
        raise DomainError(_("The anonymous ballots of this campaign are counted already."))
    entered = [s for s in shares if scrutineers.normalize(s)]
    if len(entered) < campaign.scrutineer_threshold:
        raise DomainError(_("%(t)d scrutineers' shares are needed to count; %(n)d were entered.",
                            t=campaign.scrutineer_threshold, n=len(entered)))
    if campaign.ballot_public_key is None:
        raise DomainError(_("This campaign never had a ballot key: no ballot is sealed to one."))
    key = scrutineers.rebuild(campaign.ballot_public_key, entered)
    try:
        n = count(campaign, private_key=key)
    except SealError:
        # Nothing is written: the count is one transaction, rolled back by the caller.
        raise DomainError(_("Some sealed ballots do not open with this campaign's key: nothing was counted. The "
                            "administrators can find the pool's rows for campaign %(id)d in the database.",
                            id=campaign.id)) from None
    campaign.ballots_counted = True
    audit.record("campaigns.counted_by_scrutineers", campaign,
                 summary=_("%(n)d anonymous ballots counted with %(k)d scrutineers' shares; the key was not kept.",
                           n=n, k=len(entered)))
    del key
    return n
