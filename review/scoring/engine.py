"""Plan + raw inputs → points, totals, grades, ranks and flags, with an explanation
of every number. Pure and deterministic: the same inputs give the same results in
the same order.

Every leaf has an effective maximum: its points (points mode) or 100 × the product
of the weights on its path (weights mode). A source turns the leaf's raw inputs
into points between 0 and that maximum; a dimension's subtotal is the sum of its
children; the total is the sum of the dimensions, capped at the plan's total
unless the plan allows bonus points above it.
"""
from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import fmean

from ..plans.scales import SHIPPED
from ..plans.spec import (BallotSource, BonusSource, DeductionSource, KpiSource, ManualSource, Node, Plan,
                          SurveySource)
from .messages import group_name, t

EPS = 1e-9
# Ranks compare totals as they are published: to two decimals. Two people shown
# with the same score never get different ranks because of float noise.
RANK_DECIMALS = 2


def survey_band(src: SurveySource, index: float) -> tuple[float, float] | None:
    """The best band whose minimum the index reaches (bands go from the highest down)."""
    return next((b for b in src.bands if index + EPS >= b[0]), None)


def survey_points(src: SurveySource, index: float, top: float) -> float:
    """A satisfaction index (0–100) on an indicator of ``top`` points: by band, or linearly."""
    if src.bands:
        band = survey_band(src, index)
        return 0.0 if band is None else band[1] * top
    return _clamp(index / 100) * top


@dataclass(frozen=True)
class Subject:
    """A person being appraised, as the engine needs to know them."""
    id: int
    staff_no: str
    name: str
    category: str
    unit: str
    department: str | None = None
    leader_role: str | None = None


@dataclass
class PersonInputs:
    """Raw inputs of one person, keyed by indicator code (KPIs by measure)."""
    ballots: dict[str, dict[str, tuple[float, int]]] = field(default_factory=dict)  # code → group → (sum, count)
    surveys: dict[str, float] = field(default_factory=dict)       # code → satisfaction index 0–100
    kpis: dict[str, float] = field(default_factory=dict)          # measure → value
    occurrences: dict[str, float] = field(default_factory=dict)   # code → count of bonus/deduction events
    manual: dict[str, tuple[float, str]] = field(default_factory=dict)  # code → (points, reason)
    vetoes: set[str] = field(default_factory=set)
    # Roll-ups: code → the same indicator's results in the year's shorter campaigns, in period
    # order, as (period label, points, maximum there).
    periods: dict[str, list[tuple[str, float, float]]] = field(default_factory=dict)
    # code → rater groups whose ballots exist but stay hidden (fewer than the campaign's k).
    withheld: dict[str, set[str]] = field(default_factory=dict)
    # code → rater groups pooled under ballots[code]["others"] (review/ballots/disclosure.py):
    # the pool carries the sum of their weights.
    pooled: dict[str, set[str]] = field(default_factory=dict)
    # Where raw values came from, shown under the line: indicator code (or "kpi:" + measure) →
    # (message key, parameters) of review/scoring/messages.py, e.g. the import batch of a KPI value
    # or each approved claim behind a bonus.
    sources: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)
    # Corrections decided on review (复核), by indicator code: (points the line gets, reason). They
    # replace the computed points of the line, which the explanation keeps.
    adjustments: dict[str, tuple[float, str]] = field(default_factory=dict)


Text = tuple[str, dict]  # a message key of review/scoring/messages.py and its parameters


def render(lang: str, text: Text) -> str:
    """A message with its numbers written as the explanations write them (at most two decimals)."""
    key, params = text
    return t(lang, key, **{k: _n(v) if isinstance(v, float) else v for k, v in params.items()})


class Line:
    """One leaf's result. Its texts (raw value, explanation, notes) are kept as message keys and
    numbers and written out only when read: scoring a province computes 600,000 lines, and most
    of their texts are only ever read one person at a time."""

    __slots__ = ("code", "path", "source", "max_points", "points", "weight", "lang", "_raw", "_explanation",
                 "_notes")

    def __init__(self, code: str, path: tuple[str, ...], source: str, max_points: float,
                 points: float | None = None, weight: float | None = None, lang: str = "zh"):
        self.code, self.path, self.source, self.max_points = code, path, source, max_points
        self.points = points   # None: no data yet (counted as 0 in sums)
        self.weight = weight   # weight in its parent (weights mode)
        self.lang = lang
        self._raw: float | str | list[Text] = ""
        self._explanation: list[Text] = [("missing", {})]
        self._notes: list[Text] = []

    def explain(self, key: str, **params) -> None:
        self._explanation = [(key, params)]

    def note(self, key: str, **params) -> None:
        self._notes.append((key, params))

    @property
    def raw(self) -> str:
        raw = self._raw
        if isinstance(raw, float):
            return _n(raw)
        if isinstance(raw, list):
            return "; ".join(render(self.lang, text) for text in raw)
        return raw

    @property
    def explanation(self) -> str:
        return "; ".join(render(self.lang, text) for text in self._explanation)

    @property
    def notes(self) -> list[str]:
        return [render(self.lang, text) for text in self._notes]


class PersonResult:
    """One person's result: every leaf's points (None: no data yet), the subtotals of every node, the
    total, grade, ranks, vetoes and flags. The lines with their texts are written out when first
    read, from the same inputs by the same rules as the points."""

    __slots__ = ("subject", "points", "subtotals", "total", "grade", "rank_category", "rank_unit", "vetoes",
                 "flags", "missing", "_scorer", "_lines")

    def __init__(self, subject: Subject, points: dict[str, float | None], subtotals: dict[str, float],
                 total: float, scorer: "_Scorer | None" = None):
        self.subject, self.points, self.subtotals, self.total = subject, points, subtotals, total
        self.grade: str | None = None
        self.rank_category: int | None = None
        self.rank_unit: int | None = None
        self.vetoes: list[str] = []
        self.flags: list[str] = []
        # Leaves without data yet (no grade then: the total is provisional).
        self.missing: list[str] = [code for code, p in points.items() if p is None] if None in points.values() else []
        self._scorer = scorer
        self._lines: list[Line] | None = None

    @property
    def lines(self) -> list[Line]:
        if self._lines is None:
            self._lines = self._scorer.lines(self.subject.id) if self._scorer is not None else []
        return self._lines


def rollup(values: list[float], how: str) -> float | None:
    """Combine an indicator's values from shorter campaigns (in period order)."""
    if not values:
        return None
    if how == "sum":
        return float(sum(values))
    if how == "last":
        return float(values[-1])
    return float(fmean(values))


def _n(x: float) -> str:
    """Numbers in explanations: at most two decimals, no trailing zeros."""
    return f"{round(x, 2):g}"


def _clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return max(lo, min(hi, x))


def _group_key(subject: Subject, within: str) -> str:
    if within == "category":
        return subject.category
    if within == "unit":
        return subject.unit
    if within == "department":
        return f"{subject.unit}/{subject.department or ''}"
    return ""


EMPTY_TALLY = (0.0, 0)


def _ballot_mapping(src: BallotSource, scale) -> tuple[float, float]:
    """(base, span) turning a mean on the scale into a share: from the lowest level (range) or from 0."""
    if src.mapping == "range":
        return scale.min_value, scale.max_value - scale.min_value
    return 0.0, scale.max_value


def ballot_fraction(declared, groups: dict, base: float, span: float) -> float | None:
    """The weighted share of a ballot item: each rater group's mean as a share of the scale (within
    0–1), weighted among the groups that have ballots. None when no group has any."""
    total_weight = acc = 0.0
    for g, w in declared:
        tally = groups.get(g)
        if tally is not None and tally[1] > 0:
            f = (tally[0] / tally[1] - base) / span
            acc += w * (0.0 if f < 0 else 1.0 if f > 1 else f)
            total_weight += w
    return acc / total_weight if total_weight else None


def bonus_points(src: BonusSource, n: float, top: float) -> tuple[float, float, float]:
    """(points, raw points, cap) of ``n`` occurrences. An item never gives more than its own weight
    or points, extra items included."""
    raw = n * src.per_occurrence
    cap = min(src.cap if src.cap is not None else math.inf, top)
    return min(raw, cap), raw, cap


def deduction_points(src: DeductionSource, n: float, top: float) -> tuple[float, float]:
    """(points, points taken off) of ``n`` occurrences: the maximum less them, floored at zero."""
    raw = min(n * src.per_occurrence, src.cap if src.cap is not None else math.inf)
    return max(0.0, top - raw), raw


def _linear(src: KpiSource, value: float, top: float, context=None) -> tuple[float, tuple]:
    f = (value - src.low) / (src.high - src.low)
    f = 0.0 if f < 0 else 1.0 if f > 1 else f
    return f * top, (f,)


def _lower_better(src: KpiSource, value: float, top: float, context=None) -> tuple[float, tuple]:
    f = (src.worst - value) / (src.worst - src.best)
    f = 0.0 if f < 0 else 1.0 if f > 1 else f
    return f * top, (f,)


def _ratio(src: KpiSource, value: float, top: float, context=None) -> tuple[float, tuple]:
    f = _clamp(value / src.target, 0.0, src.cap)
    return min(f * top, top), (f,)


def _relative(src: KpiSource, value: float, top: float, avg: float) -> tuple[float, tuple]:
    better = (avg - value) if src.lower_is_better else (value - avg)
    steps = math.floor(abs(better) / src.step + EPS)
    delta = steps * src.per_step
    if better >= 0:
        delta = min(delta, src.max_add if src.max_add is not None else math.inf)
    else:
        delta = -min(delta, src.max_sub if src.max_sub is not None else math.inf)
    return _clamp(src.base + delta, 0.0, top), (avg, steps, delta, better >= 0)


def _ranked(src: KpiSource, value: float, top: float, context: tuple[int, int]) -> tuple[float, tuple]:
    rank, n = context
    f = (n - rank) / (n - 1) if n > 1 else 1.0
    return f * top, (f,)


KPI_METHODS = {"linear": _linear, "lower_better": _lower_better, "ratio": _ratio, "relative": _relative,
               "rank": _ranked}


def kpi_points(src: KpiSource, value: float, top: float, context=None) -> tuple[float, tuple]:
    """(points, what the explanation shows) of one value. ``context`` is the comparison group's
    mean (method relative) or (rank, group size) (method rank)."""
    return KPI_METHODS[src.method](src, value, top, context)


def rollup_points(how: str, periods: list, top: float) -> tuple[float, float]:
    """From the year's shorter campaigns: (points, the sum of their points or the combined share).
    The mean or the last of their fractions of the maximum, or the sum of their points capped at
    this item's maximum."""
    if how == "sum":
        raw = float(sum(points for _label, points, _max in periods))
        return min(raw, top), raw
    fraction = rollup([points / maximum if maximum else 0.0 for _label, points, maximum in periods], how)
    return _clamp(fraction) * top, fraction


def adjusted_points(node: Node, points: float, top: float) -> float:
    """A review's correction replaces the points, kept within the item's range (an extra item has
    no upper bound but its own)."""
    return _clamp(points, 0.0, top) if not node.extra else max(0.0, points)


class _Scorer:
    """Scores a campaign indicator by indicator (column by column: one tight loop over the people
    per leaf), and writes out one person's lines on demand with the same functions.

    ``context`` gives, for scoring one person from stored inputs, what the comparison groups said
    (indicator code → group mean or (rank, size)); otherwise it is computed from everybody."""

    def __init__(self, plan: Plan, subjects: list[Subject], inputs: dict[int, PersonInputs], lang: str,
                 context: dict[str, object] | None = None):
        self.plan = plan
        self.subjects = subjects
        self.inputs = {s.id: inputs.get(s.id) or PersonInputs() for s in subjects}
        self.lang = lang
        self.scales = {**SHIPPED, **plan.scales}
        self.max_points = plan.maxima()
        # Comparison-group figures of relative and rank KPIs: code → person id → mean or (rank, n).
        self.context: dict[str, dict[int, object]] = {}
        self._keys: dict[str, list[str]] = {}   # comparison grouping → everybody's group
        self._measures: dict[str, list] = {}    # measure → everybody's value (None: none)
        self.stored_context = context
        # The tree walked once: every leaf in order with its path, the key of its source notes and
        # the codes of the nodes above it (whose subtotals it adds to).
        self._leaves: list[tuple[Node, tuple[str, ...], str, tuple[str, ...]]] = []
        self._groups: list[tuple[str, list[str]]] = []   # node code → its children's codes, deepest first
        self._top_codes = [n.code for n in plan.indicators]

        def walk(nodes: list[Node], path: tuple[str, ...], above: tuple[str, ...]) -> None:
            for n in nodes:
                if n.children:
                    walk(n.children, path + (n.name,), above + (n.code,))
                    self._groups.append((n.code, [c.code for c in n.children]))
                else:
                    src = n.source
                    key = f"kpi:{src.measure}" if isinstance(src, KpiSource) else n.code
                    self._leaves.append((n, path + (n.name,), key, above))
        walk(plan.indicators, (), ())

    # --- every person, one leaf at a time ---

    def columns(self) -> dict[str, list[float | None]]:
        """Leaf code → everybody's points, in the order of the subjects."""
        datas = [self.inputs[s.id] for s in self.subjects]
        adjusted = [(i, d) for i, d in enumerate(datas) if d.adjustments]
        rolled = [(i, d) for i, d in enumerate(datas) if d.periods]
        # Bonus and deduction events are few: who has them, per item, in one pass.
        counts: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, d in enumerate(datas):
            for code, n in d.occurrences.items():
                counts[code].append((i, n))
        # Everybody's value of every measure, read in one pass over the people.
        size = len(datas)
        self._measures = measures = {}
        for i, d in enumerate(datas):
            for measure, value in d.kpis.items():
                column = measures.get(measure)
                if column is None:
                    column = measures[measure] = [None] * size
                column[i] = value
        columns: dict[str, list[float | None]] = {}
        for node, _path, _key, _above in self._leaves:
            code, src, top = node.code, node.source, self.max_points[node.code]
            if isinstance(src, BallotSource):
                column = self._ballot_column(code, src, datas, top)
            elif isinstance(src, KpiSource):
                column = self._kpi_column(code, src, datas, top)
            elif isinstance(src, (BonusSource, DeductionSource)):
                rule = bonus_points if isinstance(src, BonusSource) else deduction_points
                column = [rule(src, 0, top)[0]] * len(datas)
                for i, n in counts.get(code, ()):
                    column[i] = rule(src, n, top)[0]
            elif isinstance(src, SurveySource):
                column = [None if (x := d.surveys.get(code)) is None else survey_points(src, x, top) for d in datas]
            elif isinstance(src, ManualSource):
                column = [None if (m := d.manual.get(code)) is None else
                          0.0 if m[0] < 0 else top if m[0] > top else float(m[0]) for d in datas]
            else:
                column = [None] * len(datas)
            if node.rollup:
                for i, d in rolled:
                    if d.periods.get(code):
                        column[i] = rollup_points(node.rollup, d.periods[code], top)[0]
            for i, d in adjusted:
                if code in d.adjustments:
                    column[i] = adjusted_points(node, d.adjustments[code][0], top)
            columns[code] = column
        return columns

    def _ballot_column(self, code: str, src: BallotSource, datas: list[PersonInputs], top: float) -> list:
        scale = self.scales[src.scale]
        base, span = _ballot_mapping(src, scale)
        declared = src.groups
        out: list[float | None] = []
        for d in datas:
            groups = d.ballots.get(code)
            if not groups:
                out.append(None)
            elif d.pooled and code in d.pooled:
                out.append(self.ballot(src, scale, groups, top, d.pooled[code]))
            else:
                fraction = ballot_fraction(declared, groups, base, span)
                out.append(None if fraction is None else
                           (0.0 if fraction < 0 else 1.0 if fraction > 1 else fraction) * top)
        return out

    def _kpi_column(self, code: str, src: KpiSource, datas: list[PersonInputs], top: float) -> list:
        values = self._measures.get(src.measure) or [None] * len(datas)
        method = KPI_METHODS[src.method]
        if src.method not in ("relative", "rank"):
            return [None if v is None else method(src, float(v), top)[0] for v in values]
        # The comparison group of every person: the values of those in the same category, unit or
        # department who have one.
        keys = self._keys.get(src.within)
        if keys is None:
            keys = self._keys[src.within] = [_group_key(s, src.within) for s in self.subjects]
        members: dict[str, list[float]] = defaultdict(list)
        for k, v in zip(keys, values):
            if v is not None:
                members[k].append(float(v))
        context: dict[int, object] = {}
        out: list[float | None] = []
        if src.method == "relative":
            means = {k: fmean(vs) for k, vs in members.items()}
            for s, k, v in zip(self.subjects, keys, values):
                if v is None:
                    out.append(None)
                    continue
                context[s.id] = ctx = means[k]
                out.append(method(src, float(v), top, ctx)[0])
        else:
            ordered = {k: sorted(vs) for k, vs in members.items()}
            for s, k, v in zip(self.subjects, keys, values):
                if v is None:
                    out.append(None)
                    continue
                group, v = ordered[k], float(v)
                n = len(group)
                better = bisect_left(group, v - EPS) if src.lower_is_better else n - bisect_right(group, v + EPS)
                context[s.id] = ctx = (better + 1, n)
                out.append(method(src, v, top, ctx)[0])
        self.context[code] = context
        return out

    def ballot(self, src: BallotSource, scale, groups: dict, top: float, pooled=None, withheld=None,
               line: Line | None = None) -> float | None:
        """Points of a ballot item from the disclosed sums and counts per rater group: each group's
        mean as a share of the scale, weighted among the groups that have ballots. With ``line``,
        the parts and notes are written to it."""
        if pooled:
            declared = [(g, w) for g, w in src.groups if g not in pooled]
            pool_weight = sum(w for g, w in src.groups if g in pooled)
            if pool_weight and groups.get("others", EMPTY_TALLY)[1] > 0:
                declared.append(("others", pool_weight))
        else:
            declared = src.groups
        base, span = _ballot_mapping(src, scale)
        fraction = ballot_fraction(declared, groups, base, span)
        if line is None:
            return None if fraction is None else _clamp(fraction) * top
        present = []   # (group, weight, sum, count) of the groups with ballots
        weight_present = 0.0
        for g, w in declared:
            tally = groups.get(g)
            if tally is not None and tally[1] > 0:
                present.append((g, w, tally[0], tally[1]))
                weight_present += w
        if not weight_present:   # say why there is no score when ballots exist but stay hidden
            absent = [(g, w) for g, w in src.groups if withheld and g in withheld]
        else:
            absent = [(g, w) for g, w in declared if not any(p[0] == g for p in present)]
        for g, w in absent:
            line.note("group_withheld" if withheld and g in withheld else "group_absent",
                      group=group_name(self.lang, g), weight=float(w))
        if fraction is None:
            return None
        points = _clamp(fraction) * top
        parts = [("group", {"group": self._group_label(src, g, pooled), "weight": w / weight_present * 100,
                            "mean": total / count, "top": scale.max_value, "count": count})
                 for g, w, total, count in present]
        line.points = points
        line._raw = parts
        line._explanation = parts + [("ballot_total", {"fraction": fraction, "max": top, "points": points})]
        return points

    def _group_label(self, src: BallotSource, group: str, pooled) -> str:
        lang = self.lang
        if group != "others":
            return group_name(lang, group)
        sep = ", " if lang == "en" else "、"
        return t(lang, "pooled", groups=sep.join(group_name(lang, p) for p, _w in src.groups if p in pooled))

    # --- one person's lines, with their texts ---

    def lines(self, person_id: int) -> list[Line]:
        data = self.inputs.get(person_id) or PersonInputs()
        return [self.leaf(node, path, key, data, person_id) for node, path, key, _above in self._leaves]

    def _context(self, code: str, person_id: int):
        if self.stored_context is not None:
            return self.stored_context.get(code)
        return self.context.get(code, {}).get(person_id)

    def leaf(self, node: Node, path: tuple[str, ...], source_key: str, data: PersonInputs,
             person_id: int | None = None) -> Line:
        src, top = node.source, self.max_points[node.code]
        line = Line(node.code, path, src.type if src is not None else "?", top, None, node.weight, self.lang)
        if node.rollup and data.periods.get(node.code):
            periods = data.periods[node.code]
            parts = "；".join(f"{label} {_n(points)}/{_n(maximum)}" for label, points, maximum in periods)
            line.points, raw = rollup_points(node.rollup, periods, top)
            line._raw = parts
            line.explain("rollup_" + node.rollup, parts=parts, raw=raw, fraction=raw, max=top, points=line.points)
        elif isinstance(src, BallotSource):
            self.ballot(src, self.scales[src.scale], data.ballots.get(node.code, {}), top,
                        data.pooled.get(node.code), data.withheld.get(node.code), line)
        elif isinstance(src, KpiSource):
            value = data.kpis.get(src.measure)
            if value is not None:
                self._kpi(line, src, float(value), top, self._context(node.code, person_id))
        elif isinstance(src, BonusSource):
            n = data.occurrences.get(node.code, 0)
            line.points, raw, cap = bonus_points(src, n, top)
            line._raw = float(n)
            line.explain("bonus", n=float(n), per=src.per_occurrence, raw=float(raw),
                         cap=float(cap) if cap != math.inf else "—", points=line.points)
        elif isinstance(src, DeductionSource):
            n = data.occurrences.get(node.code, 0)
            line.points, raw = deduction_points(src, n, top)
            line._raw = float(n)
            line.explain("deduction", max=top, n=float(n), per=src.per_occurrence, raw=float(raw),
                         points=line.points)
        elif isinstance(src, SurveySource):
            if node.code in data.surveys:
                index = data.surveys[node.code]
                line._raw = float(index)
                line.points = survey_points(src, index, top)
                if src.bands:
                    band = survey_band(src, index)
                    if band is None:
                        line.explain("survey_none", index=float(index))
                    else:
                        line.explain("survey_band", index=float(index), min=band[0], fraction=band[1], max=top,
                                     points=line.points)
                else:
                    line.explain("survey_linear", index=float(index), max=top, points=line.points)
        elif isinstance(src, ManualSource):
            if node.code in data.manual:
                entered, reason = data.manual[node.code]
                line._raw = float(entered)
                line.points = _clamp(entered, 0.0, top)
                line.explain("manual", points=line.points, reason=reason or "—")
                if line.points != entered:
                    line.note("manual_clamped", entered=float(entered), max=top, points=line.points)
        sources = data.sources.get(source_key) if data.sources else None
        if sources:
            line._notes.extend(tuple(s) for s in sources)
        if data.adjustments and node.code in data.adjustments:
            points, reason = data.adjustments[node.code]
            before = line.points
            line.points = adjusted_points(node, points, top)
            line.note("adjusted", before="—" if before is None else float(before), after=line.points,
                      reason=reason or "—")
        return line

    def _kpi(self, line: Line, src: KpiSource, value: float, top: float, context) -> None:
        line._raw = value
        method = src.method
        if method in ("relative", "rank") and context is None:
            return   # no comparison group known: not scored
        line.points, shown = kpi_points(src, value, top, context)
        if method == "linear":
            line.explain("linear", value=value, low=src.low, high=src.high, fraction=shown[0], max=top,
                         points=line.points)
        elif method == "lower_better":
            line.explain("lower_better", value=value, best=src.best, worst=src.worst, fraction=shown[0], max=top,
                         points=line.points)
        elif method == "ratio":
            line.explain("ratio", value=value, target=src.target, fraction=shown[0], max=top, points=line.points)
        elif method == "relative":
            avg, steps, delta, better = shown
            line.explain("relative", value=value, avg=avg, steps=steps,
                         direction=t(self.lang, "better" if better else "worse"), per_step=src.per_step,
                         base=src.base, sign="+" if delta >= 0 else "−", delta=float(abs(delta)), points=line.points)
        else:
            rank, n = context
            line.explain("rank", value=value, rank=rank, n=n, fraction=shown[0], max=top, points=line.points)

    # --- everybody ---

    def results(self) -> list[PersonResult]:
        columns = self.columns()
        leaf_codes = list(columns)
        sums = {code: [0.0 if p is None else p for p in column] for code, column in columns.items()}
        for code, children in self._groups:   # children before their parents
            sums[code] = list(map(sum, zip(*(sums[c] for c in children)))) if children else [0.0] * len(self.subjects)
        all_codes = list(sums)
        totals = list(map(sum, zip(*(sums[code] for code in self._top_codes)))) or [0.0] * len(self.subjects)
        plan_total, capped = self.plan.total, not self.plan.bonus_above_total
        names = {v.code: v.name for v in self.plan.vetoes}
        results = []
        for subject, points, subtotals, raw_total in zip(self.subjects, zip(*columns.values()), zip(*sums.values()),
                                                         totals):
            result = PersonResult(subject, dict(zip(leaf_codes, points)), dict(zip(all_codes, subtotals)),
                                  raw_total, self)
            if capped and raw_total > plan_total + EPS:
                result.total = plan_total
                result.flags.append(t(self.lang, "capped_total", raw=_n(raw_total), max=_n(plan_total)))
            vetoes = self.inputs[subject.id].vetoes
            if vetoes:
                result.vetoes = [names[code] for code in sorted(vetoes) if code in names]
            results.append(result)
        return results


def _rank(results: list[PersonResult], key) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4) by the sort key; equal keys share a rank."""
    ordered = sorted(results, key=key)
    ranks, previous, rank = {}, None, 0
    for i, r in enumerate(ordered, start=1):
        k = key(r)
        if k != previous:
            rank, previous = i, k
        ranks[r.subject.id] = rank
    return ranks


def _sort_key(plan: Plan):
    def key(r: PersonResult):
        parts: list = [-round(r.total, RANK_DECIMALS)]
        for code in plan.tie_break:
            if code == "staff_no":
                parts.append(r.subject.staff_no)
            else:
                parts.append(-round(r.subtotals.get(code, 0.0), RANK_DECIMALS))
        return tuple(parts)
    return key


def _checks(plan: Plan, results: list[PersonResult], inputs: dict[int, PersonInputs], lang: str) -> None:
    """Rule checks compare a person's measure with the mean of the others in the same group
    (same categories, not holding the checked roles). Groups are built once per check."""
    for check in plan.checks:
        def counted(s: Subject) -> bool:
            return not check.categories or s.category in check.categories

        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])  # group → [sum, count] of the others
        for r in results:
            s = r.subject
            value = inputs.get(s.id, PersonInputs()).kpis.get(check.measure)
            if value is not None and counted(s) and (not check.leader_roles or s.leader_role not in check.leader_roles):
                acc = sums[_group_key(s, check.within)]
                acc[0] += value
                acc[1] += 1
        for r in results:
            s = r.subject
            if check.leader_roles and s.leader_role not in check.leader_roles:
                continue
            if not counted(s):
                continue
            value = inputs.get(s.id, PersonInputs()).kpis.get(check.measure)
            if value is None:
                continue
            total, count = sums.get(_group_key(s, check.within), (0.0, 0))
            if not check.leader_roles:
                # Without roles the checked person is among the others: leave them out of their own average.
                total, count = total - value, count - 1
            if count <= 0 or total / count <= 0:
                r.flags.append(t(lang, "check_no_average", name=check.name))
                continue
            ratio = value / (total / count)
            lo = check.min_ratio if check.min_ratio is not None else 0
            hi = check.max_ratio if check.max_ratio is not None else math.inf
            if not lo - EPS <= ratio <= hi + EPS:
                expected = f"{lo:.0%}–{hi:.0%}" if hi != math.inf else f"≥ {lo:.0%}"
                r.flags.append(t(lang, "check", name=check.name, ratio=f"{ratio:.0%}", range=expected))


def _grades(plan: Plan, results: list[PersonResult], by_category: dict[str, list[PersonResult]], key=None) -> None:
    """First matching rule wins. Scores compare as published (two decimals). A quota counts the
    whole category (floor(top × n) places) and its places go, in rank order, to those not vetoed."""
    floor = plan.grades[-1].grade if plan.grades else None
    key = key or _sort_key(plan)
    quota_rank: dict[int, int] = {}
    for group in by_category.values():
        quota_rank.update(_rank([r for r in group if not r.vetoes], key))
    for r in results:
        if r.vetoes:
            r.grade = floor
            continue
        if r.missing:
            continue  # no grade on incomplete data: the total is provisional
        n = len(by_category[r.subject.category])
        published = round(r.total, RANK_DECIMALS)
        for rule in plan.grades:
            if rule.min_score is not None and published + EPS < rule.min_score:
                continue
            if rule.top is not None and quota_rank[r.subject.id] > math.floor(rule.top * n + EPS):
                continue
            r.grade = rule.grade
            break


def score_campaign(plan: Plan, subjects: list[Subject], inputs: dict[int, PersonInputs],
                   lang: str = "zh") -> list[PersonResult]:
    """Score everybody; ranks are within category and within unit; grades by the plan's rules
    (rank quotas within category); vetoes force the lowest grade; rule checks add flags."""
    # Hundreds of thousands of small objects and no cycles among them: the cyclic collector would
    # rescan them again and again while they are made and sorted (most of the time at 10,000 people).
    with collector_paused():
        return _score(plan, subjects, inputs, lang)


@contextmanager
def collector_paused():
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _score(plan: Plan, subjects: list[Subject], inputs: dict[int, PersonInputs], lang: str) -> list[PersonResult]:
    scorer = _Scorer(plan, subjects, inputs, lang)
    results = scorer.results()
    keys = {r.subject.id: k for r, k in zip(results, map(_sort_key(plan), results))}

    def key(r: PersonResult):
        return keys[r.subject.id]
    by_category: dict[str, list[PersonResult]] = defaultdict(list)
    by_unit: dict[str, list[PersonResult]] = defaultdict(list)
    for r in results:
        by_category[r.subject.category].append(r)
        by_unit[r.subject.unit].append(r)
    by_id = {r.subject.id: r for r in results}
    for group in by_category.values():
        for pid, rank in _rank(group, key).items():
            by_id[pid].rank_category = rank
    for group in by_unit.values():
        for pid, rank in _rank(group, key).items():
            by_id[pid].rank_unit = rank
    _grades(plan, results, by_category, key)
    _checks(plan, results, scorer.inputs, lang)
    for r in results:
        r.flags.extend(t(lang, "veto", name=v) for v in r.vetoes)
        if r.missing and not r.vetoes:
            r.flags.append(t(lang, "incomplete", n=len(r.missing)))
    return results
