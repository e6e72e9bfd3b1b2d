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


@dataclass
class PersonResult:
    subject: Subject
    lines: list[Line]
    subtotals: dict[str, float]
    total: float
    grade: str | None = None
    rank_category: int | None = None
    rank_unit: int | None = None
    vetoes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [line.code for line in self.lines if line.points is None]


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
    return {"category": subject.category, "unit": subject.unit,
            "department": f"{subject.unit}/{subject.department or ''}", "all": ""}[within]


class _Scorer:
    def __init__(self, plan: Plan, subjects: list[Subject], inputs: dict[int, PersonInputs], lang: str):
        self.plan = plan
        self.subjects = subjects
        self.inputs = {s.id: inputs.get(s.id, PersonInputs()) for s in subjects}
        self.lang = lang
        self.scales = {**SHIPPED, **plan.scales}
        self.max_points = plan.maxima()
        self._groups: dict[tuple[str, str], dict[str, list[float]]] = {}
        self._derived: dict[tuple, object] = {}  # group means and sorted values, computed once
        # The tree walked once: every leaf in order with its path, the key of its source notes and
        # the codes of the nodes above it (whose subtotals it adds to).
        self._leaves: list[tuple[Node, tuple[str, ...], str, tuple[str, ...]]] = []
        self._top_codes = [n.code for n in plan.indicators]

        def walk(nodes: list[Node], path: tuple[str, ...], above: tuple[str, ...]) -> None:
            for n in nodes:
                if n.children:
                    walk(n.children, path + (n.name,), above + (n.code,))
                else:
                    src = n.source
                    key = f"kpi:{src.measure}" if isinstance(src, KpiSource) else n.code
                    self._leaves.append((n, path + (n.name,), key, above))
        walk(plan.indicators, (), ())

    def _group_values(self, measure: str, subject: Subject, within: str) -> list[float]:
        """The measure's values in the subject's comparison group, computed once per measure and grouping."""
        groups = self._groups.get((measure, within))
        if groups is None:
            groups = defaultdict(list)
            for s in self.subjects:
                if measure in self.inputs[s.id].kpis:
                    groups[_group_key(s, within)].append(self.inputs[s.id].kpis[measure])
            self._groups[(measure, within)] = groups
        return groups[_group_key(subject, within)]

    def _group_mean(self, measure: str, subject: Subject, within: str) -> float:
        key = ("mean", measure, within, _group_key(subject, within))
        if key not in self._derived:
            self._derived[key] = fmean(self._group_values(measure, subject, within))
        return self._derived[key]

    def _group_sorted(self, measure: str, subject: Subject, within: str) -> list[float]:
        key = ("sorted", measure, within, _group_key(subject, within))
        if key not in self._derived:
            self._derived[key] = sorted(self._group_values(measure, subject, within))
        return self._derived[key]

    # --- one leaf ---

    def leaf(self, subject: Subject, node: Node, path: tuple[str, ...], source_key: str | None = None,
             data: PersonInputs | None = None) -> Line:
        src, top = node.source, self.max_points[node.code]
        if data is None:
            data = self.inputs[subject.id]
        line = Line(node.code, path, src.type if src is not None else "?", top, None, node.weight, self.lang)
        if node.rollup and data.periods.get(node.code):
            self._rollup(line, node.rollup, data.periods[node.code], top)
        elif isinstance(src, BallotSource):
            self._ballot(line, src, data.ballots.get(node.code, {}), top, data.withheld.get(node.code, set()),
                         data.pooled.get(node.code, set()))
        elif isinstance(src, KpiSource):
            value = data.kpis.get(src.measure)
            if value is not None:
                self._kpi(line, src, subject, value, top)
        elif isinstance(src, BonusSource):
            n = data.occurrences.get(node.code, 0)
            raw = n * src.per_occurrence
            # An item never gives more than its own weight or points, extra items included.
            cap = min(src.cap if src.cap is not None else math.inf, top)
            line.points = min(raw, cap)
            line._raw = float(n)
            line.explain("bonus", n=float(n), per=src.per_occurrence, raw=float(raw),
                         cap=float(cap) if cap != math.inf else "—", points=line.points)
        elif isinstance(src, DeductionSource):
            n = data.occurrences.get(node.code, 0)
            raw = min(n * src.per_occurrence, src.cap if src.cap is not None else math.inf)
            line.points = max(0.0, top - raw)
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
        if source_key is None:
            source_key = f"kpi:{src.measure}" if isinstance(src, KpiSource) else node.code
        sources = data.sources.get(source_key) if data.sources else None
        if sources:
            line._notes.extend(sources)
        if data.adjustments and node.code in data.adjustments:
            points, reason = data.adjustments[node.code]
            before = line.points
            line.points = _clamp(points, 0.0, top) if not node.extra else max(0.0, points)
            line.note("adjusted", before="—" if before is None else float(before), after=line.points,
                      reason=reason or "—")
        return line

    def _rollup(self, line: Line, how: str, periods: list[tuple[str, float, float]], top: float) -> None:
        """From the year's shorter campaigns: the mean or the last of their fractions of the maximum,
        or the sum of their points (capped at this item's maximum)."""
        parts = "；".join(f"{label} {_n(points)}/{_n(maximum)}" for label, points, maximum in periods)
        fractions = [points / maximum if maximum else 0.0 for _label, points, maximum in periods]
        if how == "sum":
            raw = float(sum(points for _label, points, _max in periods))
            line.points = min(raw, top)
            line.explain("rollup_sum", parts=parts, raw=raw, max=top, points=line.points)
        else:
            fraction = rollup(fractions, how)
            line.points = _clamp(fraction) * top
            line.explain("rollup_" + how, parts=parts, fraction=fraction, max=top, points=line.points)
        line._raw = parts

    def _ballot(self, line: Line, src: BallotSource, groups: dict[str, tuple[float, int]], top: float,
                withheld: set[str] = frozenset(), pooled: set[str] = frozenset()) -> None:
        scale = self.scales[src.scale]
        lang = self.lang
        if pooled:
            declared = [(g, w) for g, w in src.groups if g not in pooled]
            pool_weight = sum(w for g, w in src.groups if g in pooled)
            if pool_weight and groups.get("others", (0, 0))[1] > 0:
                declared.append(("others", pool_weight))
        else:
            declared = src.groups
        weight_present = sum(w for g, w in declared if groups.get(g, (0, 0))[1] > 0)
        if not weight_present:
            # Say why there is no score when ballots exist but stay hidden.
            for g, w in src.groups:
                if g in withheld:
                    line.note("group_withheld", group=group_name(lang, g), weight=float(w))
            return
        fraction, parts = 0.0, []
        low, high = scale.min_value, scale.max_value
        for g, w in declared:
            total, count = groups.get(g, (0.0, 0))
            if count <= 0:
                line.note("group_withheld" if g in withheld else "group_absent", group=group_name(lang, g),
                          weight=float(w))
                continue
            mean = total / count
            f = (mean - low) / (high - low) if src.mapping == "range" else mean / high
            share = w / weight_present
            fraction += share * (0.0 if f < 0 else 1.0 if f > 1 else f)
            if g == "others":
                sep = ", " if lang == "en" else "、"
                name = t(lang, "pooled", groups=sep.join(group_name(lang, p) for p, _w in src.groups if p in pooled))
            else:
                name = group_name(lang, g)
            parts.append(("group", {"group": name, "weight": share * 100, "mean": mean, "top": high,
                                    "count": count}))
        line.points = _clamp(fraction) * top
        line._raw = parts
        line._explanation = parts + [("ballot_total", {"fraction": fraction, "max": top, "points": line.points})]

    def _kpi(self, line: Line, src: KpiSource, subject: Subject, value: float, top: float) -> None:
        value = float(value)
        line._raw = value
        method = src.method
        if method == "linear":
            f = _clamp((value - src.low) / (src.high - src.low))
            line.points = f * top
            line.explain("linear", value=value, low=src.low, high=src.high, fraction=f, max=top, points=line.points)
        elif method == "lower_better":
            f = _clamp((src.worst - value) / (src.worst - src.best))
            line.points = f * top
            line.explain("lower_better", value=value, best=src.best, worst=src.worst, fraction=f, max=top,
                         points=line.points)
        elif method == "ratio":
            f = _clamp(value / src.target, 0.0, src.cap)
            line.points = min(f * top, top)
            line.explain("ratio", value=value, target=src.target, fraction=f, max=top, points=line.points)
        elif method == "relative":
            avg = self._group_mean(src.measure, subject, src.within)
            better = (avg - value) if src.lower_is_better else (value - avg)
            steps = math.floor(abs(better) / src.step + EPS)
            delta = steps * src.per_step
            if better >= 0:
                delta = min(delta, src.max_add if src.max_add is not None else math.inf)
            else:
                delta = -min(delta, src.max_sub if src.max_sub is not None else math.inf)
            line.points = _clamp(src.base + delta, 0.0, top)
            line.explain("relative", value=value, avg=avg, steps=steps,
                         direction=t(self.lang, "better" if better >= 0 else "worse"), per_step=src.per_step,
                         base=src.base, sign="+" if delta >= 0 else "−", delta=float(abs(delta)), points=line.points)
        elif method == "rank":
            ordered = self._group_sorted(src.measure, subject, src.within)
            n = len(ordered)
            better = bisect_left(ordered, value - EPS) if src.lower_is_better else n - bisect_right(ordered, value + EPS)
            rank = better + 1
            f = (n - rank) / (n - 1) if n > 1 else 1.0
            line.points = f * top
            line.explain("rank", value=value, rank=rank, n=n, fraction=f, max=top, points=line.points)

    # --- one person ---

    def person(self, subject: Subject) -> PersonResult:
        lines: list[Line] = []
        subtotals: dict[str, float] = {}
        data = self.inputs[subject.id]
        for node, path, key, above in self._leaves:
            line = self.leaf(subject, node, path, key, data)
            lines.append(line)
            points = line.points or 0.0
            subtotals[node.code] = points
            for code in above:
                subtotals[code] = subtotals.get(code, 0.0) + points
        raw_total = sum(subtotals.get(code, 0.0) for code in self._top_codes)
        result = PersonResult(subject, lines, subtotals, raw_total)
        if not self.plan.bonus_above_total and raw_total > self.plan.total + EPS:
            result.total = self.plan.total
            result.flags.append(t(self.lang, "capped_total", raw=_n(raw_total), max=_n(self.plan.total)))
        names = {v.code: v.name for v in self.plan.vetoes}
        result.vetoes = [names[code] for code in sorted(self.inputs[subject.id].vetoes) if code in names]
        return result


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
    results = [scorer.person(s) for s in subjects]
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
    _checks(plan, results, {s.id: scorer.inputs[s.id] for s in subjects}, lang)
    for r in results:
        r.flags.extend(t(lang, "veto", name=v) for v in r.vetoes)
        if r.missing and not r.vetoes:
            r.flags.append(t(lang, "incomplete", n=len(r.missing)))
    return results
