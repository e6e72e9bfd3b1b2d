"""What the results table shows of a result besides its columns: the dimensions' subtotals, the
vetoes and the flags, read from the small ``summary`` column for the rows of a page or an export
chunk. "Flagged only" and sorting by a dimension are done by the database (``Result.flagged`` and
the subtotal inside ``summary``), so no request reads everybody's."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from ..campaigns.models import Result
from ..extensions import db
from ..scoring.messages import t


@dataclass(frozen=True)
class Summary:
    subtotals: dict[str, float]   # dimension code → points
    vetoes: tuple[str, ...]       # names of the vetoes that apply
    flags: tuple[str, ...]        # the other flags: rule checks, capped totals, incomplete data

    @property
    def flagged(self) -> bool:
        return bool(self.vetoes or self.flags)


EMPTY = Summary({}, (), ())


def _summary(dimensions: Iterable[str], subtotals, vetoes, flags) -> Summary:
    vetoes = tuple(vetoes or ())
    # The engine also lists each veto among the flags ("一票否决：…"); it is shown once, as a veto.
    veto_flags = {t(lang, "veto", name=v) for v in vetoes for lang in ("zh", "en")}
    subtotals = subtotals or {}
    return Summary({code: subtotals[code] for code in dimensions if code in subtotals}, vetoes,
                   tuple(f for f in flags or () if f not in veto_flags))


def for_people(campaign_id: int, people: list[int], dimensions: tuple[str, ...]) -> dict[int, Summary]:
    """The summaries of these people's results (one query)."""
    if not people:
        return {}
    out = {}
    for person_id, part in db.session.execute(select(Result.person_id, Result.summary).where(
            Result.campaign_id == campaign_id, Result.person_id.in_(people))):
        part = part or {}
        out[person_id] = _summary(dimensions, part.get("subtotals"), part.get("vetoes"), part.get("flags"))
    return out
