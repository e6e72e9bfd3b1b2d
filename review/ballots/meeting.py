"""Which rater groups vote in a meeting, on printed slips, rather than online.

Both ways of casting ask this: online voting refuses a group held in a meeting, and slips are
printed only for meeting groups (review/ballots/slips.py)."""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from .models import RaterGroup, SlipBatch

MEETING_GROUPS = (RaterGroup.DEMOCRATIC, RaterGroup.MIDDLE)


def held_in_meeting(campaign_id: int, group: RaterGroup) -> bool:
    """Once slips were printed for a group, it votes on slips only — withdrawing a batch does not
    bring online voting back, since people who voted on paper could then vote again."""
    return db.session.scalar(select(func.count()).select_from(SlipBatch).where(
        SlipBatch.campaign_id == campaign_id, SlipBatch.group == group)) > 0
