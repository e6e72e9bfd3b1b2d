"""A plan as plain data. No Flask, no database: the scoring engine and the YAML
reader both work on these classes, so they can be tested and benchmarked alone.

Two modes:
- ``weights``: every node's weight is a percentage of its parent; siblings sum to 100;
  the plan's total is out of 100.
- ``points``: every node has maximum points; children sum to their parent.

Either way each leaf ends up with an effective maximum (its share of the total),
and every source turns raw inputs into a fraction of that maximum, or, for
bonus/deduction and manual items, into points directly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Union

Mode = Literal["weights", "points"]
RATER_GROUPS = ("self", "peer", "leader", "democratic", "middle", "outside")
ROLLUPS = ("mean", "sum", "last")
COMPARE_WITHIN = ("category", "unit", "department", "all")


@dataclass(frozen=True)
class Level:
    value: float
    zh: str
    en: str


@dataclass(frozen=True)
class Scale:
    code: str
    zh: str
    en: str
    levels: tuple[Level, ...]

    @cached_property
    def max_value(self) -> float:
        return max(level.value for level in self.levels)

    @cached_property
    def min_value(self) -> float:
        return min(level.value for level in self.levels)


# --- sources -----------------------------------------------------------------


@dataclass(frozen=True)
class BallotSource:
    """Ballots of rater groups on a scale. ``mapping``: ``ratio`` (mean / top value, e.g. the
    leader-evaluation index) or ``range`` ((mean − bottom) / (top − bottom))."""
    groups: tuple[tuple[str, float], ...]  # (group, weight %) in declared order
    scale: str
    mapping: Literal["ratio", "range"] = "ratio"
    type: Literal["ballot"] = "ballot"


@dataclass(frozen=True)
class SurveySource:
    """A public-satisfaction index (0–100) mapped to points: linearly, or by bands
    (minimum index, fraction of the points), best band first."""
    questionnaire: str
    bands: tuple[tuple[float, float], ...] = ()
    type: Literal["survey"] = "survey"
    # Answers through a survey's open link (kiosk, no token) count only when the plan says so.
    include_unverified: bool = False


@dataclass(frozen=True)
class KpiSource:
    """A quantitative measure. Methods and their parameters:

    - ``linear``: ``low`` → 0, ``high`` → full points, linear between (``low`` > ``high`` reverses).
    - ``ratio``: value / ``target``, capped at ``cap`` (default 1).
    - ``lower_better``: ``best`` → full points, ``worst`` → 0 (e.g. 案-件比).
    - ``relative``: ``base`` points at the group average; each whole ``step`` better adds
      ``per_step`` points, each worse subtracts; at most ``max_add`` / ``max_sub``.
    - ``rank``: by place in the group, first → full points, last → 0.
    """
    measure: str
    method: Literal["linear", "ratio", "lower_better", "relative", "rank"]
    low: float | None = None
    high: float | None = None
    target: float | None = None
    cap: float = 1.0
    best: float | None = None
    worst: float | None = None
    base: float | None = None
    step: float | None = None
    per_step: float | None = None
    max_add: float | None = None
    max_sub: float | None = None
    lower_is_better: bool = False
    within: str = "category"
    type: Literal["kpi"] = "kpi"


REGISTERS = ("bulletin", "commendation", "publicity", "research", "discipline")


@dataclass(frozen=True)
class BonusSource:
    """Points per occurrence, from zero up to ``cap`` (and never above the item's points
    unless the item is ``extra``). Occurrences come from approved claims and the office's
    entries, or, when ``register`` names one, from that central register's entries of the
    campaign's period (only those of ``level`` when given)."""
    per_occurrence: float
    cap: float | None = None
    register: str | None = None
    level: str | None = None
    type: Literal["bonus"] = "bonus"


@dataclass(frozen=True)
class DeductionSource:
    """Full points minus ``per_occurrence`` per occurrence, at most ``cap`` off, never below zero (扣完为止).
    Occurrences as for a bonus: recorded by the office, or from a central register."""
    per_occurrence: float
    cap: float | None = None
    register: str | None = None
    level: str | None = None
    type: Literal["deduction"] = "deduction"


@dataclass(frozen=True)
class Measure:
    """A quantitative measure as files and the API carry it: its column title, unit and the
    range a value must lie in (imports refuse values outside it)."""
    code: str
    name: str
    name_en: str | None = None
    unit: str | None = None
    min: float | None = 0.0
    max: float | None = None
    integer: bool = False


@dataclass(frozen=True)
class ManualSource:
    """Points entered by the performance office, with a reason."""
    type: Literal["manual"] = "manual"


Source = Union[BallotSource, SurveySource, KpiSource, BonusSource, DeductionSource, ManualSource]


# --- the tree ------------------------------------------------------------------


@dataclass
class Node:
    code: str
    name: str
    name_en: str | None = None
    weight: float | None = None   # weights mode
    points: float | None = None   # points mode
    children: list[Node] = field(default_factory=list)
    source: Source | None = None
    # Outside the sums: a bonus item that may lift the total above the plan's maximum.
    extra: bool = False
    # For annual campaigns: how this indicator's values from the year's shorter campaigns combine.
    rollup: str | None = None

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass(frozen=True)
class GradeRule:
    """A grade for whoever reaches ``min_score`` and/or ranks within the top ``top``
    fraction; the first matching rule wins, the last rule is the floor."""
    grade: str
    min_score: float | None = None
    top: float | None = None


@dataclass(frozen=True)
class Veto:
    code: str
    name: str


@dataclass(frozen=True)
class RuleCheck:
    """A flag, not a score: e.g. a department head's caseload must be 50–70 % of the
    department's average (the average of the others in the group)."""
    code: str
    name: str
    measure: str
    within: str = "department"
    leader_roles: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_ratio: float | None = None
    max_ratio: float | None = None


@dataclass
class Appraises:
    categories: tuple[str, ...] = ()
    leader_roles: tuple[str, ...] = ()
    unit: str | None = None  # unit code of the subtree; None = wherever the campaign runs


@dataclass
class Plan:
    name: str
    year: int
    mode: Mode
    indicators: list[Node]
    appraises: Appraises = field(default_factory=Appraises)
    version: int = 1
    description: str = ""
    grades: tuple[GradeRule, ...] = ()
    tie_break: tuple[str, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    checks: tuple[RuleCheck, ...] = ()
    bonus_above_total: bool = False
    scales: dict[str, Scale] = field(default_factory=dict)  # plan-specific scales, beside the shipped ones
    measures: dict[str, Measure] = field(default_factory=dict)  # declared measures (names, ranges)
    # Once the campaign is published, the people appraised also see the ranking list (name, department,
    # total, rank, grade) and not only their own results (``publication: {ranking: true}``).
    publish_ranking: bool = False

    @property
    def total(self) -> float:
        if self.mode == "weights":
            return 100.0
        return sum(n.points or 0 for n in self.indicators if not n.extra)

    def walk(self):
        """(path of names, node) for every node, depth-first."""
        def go(nodes, path):
            for n in nodes:
                yield path + (n.name,), n
                yield from go(n.children, path + (n.name,))
        yield from go(self.indicators, ())

    def leaves(self):
        return [(path, n) for path, n in self.walk() if n.is_leaf]

    def kpi_measures(self) -> list[Measure]:
        """Every measure the plan reads (KPI sources, then rule checks), in plan order, as declared
        or, undeclared, named by its code with values from 0 up."""
        codes: list[str] = []
        for _path, node in self.leaves():
            if isinstance(node.source, KpiSource) and node.source.measure not in codes:
                codes.append(node.source.measure)
        for check in self.checks:
            if check.measure not in codes:
                codes.append(check.measure)
        return [self.measures.get(code) or Measure(code, code) for code in codes]

    def maxima(self) -> dict[str, float]:
        """Every node's effective maximum: its points, or 100 × the weights on its path."""
        out: dict[str, float] = {}

        def go(nodes, share):
            for n in nodes:
                size = share * (n.weight or 0) / 100 if self.mode == "weights" else (n.points or 0)
                out[n.code] = size
                go(n.children, size)
        go(self.indicators, 100.0)
        return out


def path_label(path: tuple[str, ...]) -> str:
    return " › ".join(path)
