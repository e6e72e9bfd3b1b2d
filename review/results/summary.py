"""What the results table needs from a result's ``detail`` besides its columns: the dimensions'
subtotals, the vetoes and the flags.

``detail`` holds every line of the breakdown, tens of kilobytes per person. Reading it for 10,000
people takes about half a second on SQLite and more than a second on PostgreSQL, whichever JSON
function does it: the cost is in reading the values, not in parsing them. So a page of the table
reads ``detail`` for its own rows only (``for_people``), and what needs it for everybody — the
"flagged only" filter, sorting by a dimension, the export — uses ``of_campaign``: built once, then
kept in this process until the campaign's results are computed again. Every recompute writes
``computed_at``, so the number of results and the newest ``computed_at`` (``stamp``) tell whether the
copy is still the campaign's."""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, text

from ..campaigns.models import Result
from ..extensions import db
from ..scoring.messages import t

# Campaigns whose summaries a process keeps (10,000 people take a few MB).
KEEP = 4

_cache: OrderedDict[tuple, tuple[tuple, dict[int, Summary]]] = OrderedDict()
_lock = threading.Lock()


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


def _read(campaign_id: int, dimensions: tuple[str, ...], people: list[int] | None = None):
    """(person id, Summary) for the campaign's results, or for these people's. One query; each
    ``detail`` parsed once, by the database."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        sql = ("SELECT r.person_id, x.subtotals, x.vetoes, x.flags FROM results AS r "
               "CROSS JOIN LATERAL json_to_record(r.detail::json) AS x(subtotals json, vetoes json, flags json) "
               "WHERE r.campaign_id = :campaign")
    else:
        sql = ("SELECT person_id, json_extract(detail, '$.subtotals', '$.vetoes', '$.flags') FROM results "
               "WHERE campaign_id = :campaign")
    params: dict = {"campaign": campaign_id}
    stmt = text(sql + (" AND person_id IN :people" if people is not None else ""))
    if people is not None:
        stmt = stmt.bindparams(bindparam("people", expanding=True))
        params["people"] = people
    for row in db.session.execute(stmt, params):
        if postgresql:   # psycopg hands json values over parsed
            subtotals, vetoes, flags = row[1:]
        else:            # one JSON array of the three parts
            subtotals, vetoes, flags = json.loads(row[1])
        yield row[0], _summary(dimensions, subtotals, vetoes, flags)


def for_people(campaign_id: int, people: list[int], dimensions: tuple[str, ...]) -> dict[int, Summary]:
    """The summaries of a page's rows (one query)."""
    if not people:
        return {}
    return dict(_read(campaign_id, dimensions, people))


def stamp(campaign_id: int) -> tuple:
    return tuple(db.session.execute(select(func.count(), func.max(Result.computed_at))
                                    .where(Result.campaign_id == campaign_id)).one())


def of_campaign(campaign_id: int, dimensions: tuple[str, ...]) -> dict[int, Summary]:
    """Everybody's summary, person id → Summary: read once per computation of the campaign's results."""
    key = (db.engine.url.render_as_string(hide_password=True), campaign_id, dimensions)
    now = stamp(campaign_id)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == now:
            _cache.move_to_end(key)
            return hit[1]
    built = dict(_read(campaign_id, dimensions))
    with _lock:
        _cache[key] = (now, built)
        _cache.move_to_end(key)
        while len(_cache) > KEEP:
            _cache.popitem(last=False)
    return built
