"""Current KPI values: per person and measure, the value of the latest record that holds it."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, NamedTuple

from sqlalchemy import select

from ..extensions import db
from .models import KpiRecord


class Current(NamedTuple):   # a tuple: a province's campaign reads 200,000 of them
    value: float
    record_id: int
    batch_id: int | None
    entry_id: int | None
    recorded_at: datetime


def current(campaign_id: int, people: Iterable[int] | None = None) -> dict[tuple[int, str], Current]:
    """(person id, measure) → its current value and where it came from. ``people`` limits the
    lookup to a few people (a manual entry, an API push); None reads the whole campaign."""
    stmt = (select(KpiRecord.id, KpiRecord.person_id, KpiRecord.values, KpiRecord.batch_id, KpiRecord.entry_id,
                   KpiRecord.recorded_at)
            .where(KpiRecord.campaign_id == campaign_id).order_by(KpiRecord.id))
    if people is not None:
        stmt = stmt.where(KpiRecord.person_id.in_(list(people)))
    out: dict[tuple[int, str], Current] = {}
    for rid, pid, values, batch_id, entry_id, at in db.session.execute(stmt):
        for measure, value in values.items():
            out[(pid, measure)] = Current(value, rid, batch_id, entry_id, at)
    return out
