"""The results table and the figures beside it. Each function runs a fixed number of SQL statements
whatever the number of people; filters and orders, "flagged only" and dimensions included, are the
database's, and a result's summary is read for the rows shown only (review/results/summary.py)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask_babel import get_locale
from sqlalchemy import Float, Integer, case, cast, func, literal, or_, select

from ..campaigns.models import Campaign, Result
from ..extensions import db
from ..ids import MAX_ID, whole_number
from ..org.models import Category, Department, Person, Unit
from ..plans.spec import Node, Plan
from . import summary
from .summary import EMPTY, Summary

PER_PAGE = 50
NO_GRADE = "-"          # the grade filter's value for "no grade yet"
DIMENSION = "dim:"      # sort key prefix: "dim:casework" sorts by that dimension's subtotal
SORTS = ("rank", "rank_unit", "total", "grade", "name", "staff_no", "department")
EPS = 1e-9              # as the engine's: a total on a bin's edge belongs to the bin above


# --- what the office asked for -----------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """Category, unit and department choose the people the figures describe (the scope); grade,
    "flagged only" and the search choose, within the scope, the rows of the table."""
    category: str | None = None
    unit: int | None = None
    department: int | None = None
    grade: str | None = None
    flagged: bool = False
    q: str = ""

    @classmethod
    def from_args(cls, args) -> Filters:
        def number(name: str) -> int | None:
            raw = args.get(name, "")
            return whole_number(raw.strip(), 1, MAX_ID)   # not an id: no filter
        return cls(category=args.get("category") or None, unit=number("unit"), department=number("department"),
                   grade=args.get("grade") or None, flagged=args.get("flagged") == "1",
                   q=(args.get("q") or "").strip()[:50])

    def args(self) -> dict:
        """As query-string arguments, for links that keep them."""
        out = {"category": self.category, "unit": self.unit, "department": self.department, "grade": self.grade,
               "flagged": "1" if self.flagged else None, "q": self.q or None}
        return {k: v for k, v in out.items() if v is not None}

    @property
    def any(self) -> bool:
        return bool(self.args())


@dataclass(frozen=True)
class Order:
    """A sort key and whether it runs the other way than usual (ranks from the first, totals and
    subtotals from the highest, grades from the best, names and numbers alphabetically)."""
    key: str = "rank"
    reverse: bool = False

    @classmethod
    def from_args(cls, args, dimensions: list[str]) -> Order:
        key = args.get("sort") or "rank"
        if key not in SORTS and not (key.startswith(DIMENSION) and key[len(DIMENSION):] in dimensions):
            key = "rank"
        return cls(key, args.get("reverse") == "1")

    @property
    def dimension(self) -> str | None:
        return self.key[len(DIMENSION):] if self.key.startswith(DIMENSION) else None

    def args(self) -> dict:
        return {"sort": self.key, **({"reverse": "1"} if self.reverse else {})}

    def toggled(self, key: str) -> dict:
        """The arguments of a column's sort link: the usual way, or the other way if sorted by it already
        (``reverse`` None: drop it from the link)."""
        return {"sort": key, "reverse": "1" if key == self.key and not self.reverse else None}


# --- the table ---------------------------------------------------------------------------------------

@dataclass
class Row:
    person_id: int
    staff_no: str
    name: str
    category: str
    unit: str
    department: str | None
    total: float
    grade: str | None
    rank_category: int | None
    rank_unit: int | None
    summary: Summary = EMPTY


@dataclass
class Page:
    """One page of rows, with what the ``pager`` macro reads."""
    rows: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def first(self) -> int:
        """1-based position of the first row shown."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0


def dimensions(plan: Plan) -> list[Node]:
    """The plan's dimensions: its top-level indicators (extra bonus items included)."""
    return list(plan.indicators)


def node_label(node: Node) -> str:
    locale = get_locale()
    return node.name_en if node.name_en and locale is not None and locale.language == "en" else node.name


def _joined(stmt):
    return (stmt.select_from(Result).join(Person, Person.id == Result.person_id)
            .join(Category, Category.code == Person.category_code).join(Unit, Unit.id == Person.unit_id)
            .outerjoin(Department, Department.id == Person.department_id))


def _where(stmt, campaign_id: int, filters: Filters, *, rows: bool = True):
    """The campaign's results in the filters' scope, and with ``rows`` the table's own filters too."""
    stmt = stmt.where(Result.campaign_id == campaign_id)
    if filters.category:
        stmt = stmt.where(Person.category_code == filters.category)
    if filters.unit:
        stmt = stmt.where(Person.unit_id == filters.unit)
    if filters.department:
        stmt = stmt.where(Person.department_id == filters.department)
    if rows:
        if filters.grade == NO_GRADE:
            stmt = stmt.where(Result.grade.is_(None))
        elif filters.grade:
            stmt = stmt.where(Result.grade == filters.grade)
        if filters.q:
            stmt = stmt.where(or_(Person.name.icontains(filters.q, autoescape=True),
                                  Person.staff_no.icontains(filters.q, autoescape=True)))
        if filters.flagged:
            stmt = stmt.where(Result.flagged.is_(True))
    return stmt


def _order_by(order: Order, grades: list[str]) -> list:
    def way(column, highest_first: bool = False):
        return column.desc() if highest_first != order.reverse else column.asc()

    key = order.key
    if order.dimension:
        # Highest first unless reversed, then in rank order.
        subtotal = func.coalesce(Result.summary[("subtotals", order.dimension)].as_float(), 0.0)
        return [way(subtotal, True), Category.sort_order, Person.category_code, Result.rank_category.asc(),
                Person.staff_no]
    if key == "rank":
        return [Category.sort_order, Person.category_code, way(Result.rank_category), way(Person.staff_no)]
    if key == "rank_unit":
        return [Unit.path, way(Result.rank_unit), way(Person.staff_no)]
    if key == "total":
        return [way(Result.total, True), Person.staff_no]
    if key == "grade":
        place = case({g: i for i, g in enumerate(grades)}, value=Result.grade, else_=len(grades))
        return [way(place), Result.total.desc(), Person.staff_no]
    if key == "name":
        return [way(Person.name), Person.staff_no]
    if key == "department":
        # People without a department first in their unit, on both databases.
        return [way(Unit.path), way(Department.sort_order).nulls_first(), way(Department.name).nulls_first(),
                Result.total.desc(), Person.staff_no]
    return [way(Person.staff_no)]


COLUMNS = (Result.person_id, Person.staff_no, Person.name, Person.category_code, Unit.name, Department.name,
           Result.total, Result.grade, Result.rank_category, Result.rank_unit)


def ordered_ids(campaign: Campaign, plan: Plan, filters: Filters, order: Order) -> list[int]:
    """Every matching person id in table order (for the export)."""
    return list(db.session.scalars(_where(_joined(select(Result.person_id)), campaign.id, filters)
                                   .order_by(*_order_by(order, [g.grade for g in plan.grades]))))


def rows_of(campaign: Campaign, ids: list[int], dims: tuple[str, ...]) -> list[Row]:
    """These people's rows, in this order (two queries)."""
    if not ids:
        return []
    found = {r[0]: r for r in db.session.execute(
        _joined(select(*COLUMNS)).where(Result.campaign_id == campaign.id, Result.person_id.in_(ids)))}
    summaries = summary.for_people(campaign.id, ids, dims)
    return [Row(*found[i], summary=summaries.get(i, EMPTY)) for i in ids if i in found]


def table(campaign: Campaign, plan: Plan, filters: Filters, order: Order, page: int = 1,
          per_page: int = PER_PAGE, count: int | None = None) -> Page:
    """One page of the results table. ``count``: the number of matching rows when already known
    (Facts.count), saving a query."""
    dims = tuple(n.code for n in dimensions(plan))
    total = count if count is not None else \
        db.session.scalar(_where(_joined(select(func.count())), campaign.id, filters)) or 0
    page = min(max(page, 1), max(1, math.ceil(total / per_page)))
    found = db.session.execute(_where(_joined(select(*COLUMNS)), campaign.id, filters)
                               .order_by(*_order_by(order, [g.grade for g in plan.grades]))
                               .limit(per_page).offset((page - 1) * per_page)).all()
    summaries = summary.for_people(campaign.id, [r[0] for r in found], dims)
    return Page([Row(*r, summary=summaries.get(r[0], EMPTY)) for r in found], total, page, per_page)


# --- the figures -------------------------------------------------------------------------------------
#
# One GROUP BY (unit, department, category) of the whole campaign — a few thousand groups at province
# size — gives the filters' choices, the overview, the grades by category and the department statistics
# of any scope; only the histogram needs a query of its own.

@dataclass
class Group:
    unit_id: int
    unit: str
    unit_path: str
    department_id: int | None
    department: str | None
    department_order: int
    category: str
    count: int
    total: float                          # sum of the totals
    low: float
    high: float
    grades: dict[str | None, int]         # grade (None: no grade yet) → people

    def within(self, filters: Filters) -> bool:
        return ((not filters.category or self.category == filters.category)
                and (not filters.unit or self.unit_id == filters.unit)
                and (not filters.department or self.department_id == filters.department))


@dataclass
class Overview:
    count: int
    mean: float | None
    low: float | None
    high: float | None


@dataclass
class Quota:
    grade: str
    top: float
    places: int        # ⌊top × n⌋, as the engine counts them


@dataclass
class CategoryGrades:
    code: str
    label: str
    count: int
    counts: dict[str | None, int]
    quotas: list[Quota] = field(default_factory=list)


@dataclass
class DepartmentStats:
    unit: str
    department: str | None
    department_id: int | None
    unit_id: int
    count: int
    mean: float
    low: float
    high: float
    grades: list[int]     # people per grade, in the plan's order
    ungraded: int


@dataclass
class Options:
    """What the filters offer: the units and departments that have people in the results."""
    units: list[tuple[int, str]]
    departments: list[tuple[int, str, int]]   # (id, name, unit id)

    @property
    def several_units(self) -> bool:
        return len(self.units) > 1


class Facts:
    """The campaign's results counted by unit, department and category (one query), and what the
    page shows of them."""

    def __init__(self, campaign: Campaign, plan: Plan):
        self.grades = [g.grade for g in plan.grades]
        self.plan = plan
        per_grade = [func.sum(case((Result.grade == g, 1), else_=0)) for g in self.grades]
        stmt = (select(Unit.id, Unit.name, Unit.path, Department.id, Department.name, Department.sort_order,
                       Person.category_code, func.count(), func.sum(Result.total), func.min(Result.total),
                       func.max(Result.total), func.sum(case((Result.grade.is_(None), 1), else_=0)), *per_grade)
                .select_from(Result).join(Person, Person.id == Result.person_id).join(Unit, Unit.id == Person.unit_id)
                .outerjoin(Department, Department.id == Person.department_id)
                .where(Result.campaign_id == campaign.id)
                .group_by(Unit.id, Unit.name, Unit.path, Department.id, Department.name, Department.sort_order,
                          Person.category_code))
        self.groups: list[Group] = []
        for uid, unit, path, did, dept, order, cat, n, total, low, high, none, *counts in db.session.execute(stmt):
            grades = {g: int(c or 0) for g, c in zip(self.grades, counts)}
            grades[None] = int(none or 0)
            self.groups.append(Group(uid, unit, path, did, dept, order or 0, cat, n, total or 0.0, low, high, grades))
        self.groups.sort(key=lambda g: (g.unit_path, g.department_id is not None, g.department_order,
                                        g.department or "", g.category))

    def count(self, filters: Filters) -> int | None:
        """People the table lists, when the groups tell (None with a search or "flagged only")."""
        if filters.q or filters.flagged:
            return None
        scope = [g for g in self.groups if g.within(filters)]
        if filters.grade:
            key = None if filters.grade == NO_GRADE else filters.grade
            return sum(g.grades.get(key, 0) for g in scope)
        return sum(g.count for g in scope)

    def overview(self, filters: Filters) -> Overview:
        """How many people the scope holds, and their mean, lowest and highest totals."""
        scope = [g for g in self.groups if g.within(filters)]
        n = sum(g.count for g in scope)
        if not n:
            return Overview(0, None, None, None)
        return Overview(n, sum(g.total for g in scope) / n, min(g.low for g in scope), max(g.high for g in scope))

    def by_category(self, labels: dict[str, str]) -> list[CategoryGrades]:
        """Grades given in each category of the whole campaign — the group a rank quota counts — with
        each quota's places."""
        by: dict[str, CategoryGrades] = {}
        for g in self.groups:
            entry = by.setdefault(g.category, CategoryGrades(g.category, labels.get(g.category, g.category), 0, {}))
            entry.count += g.count
            for grade, n in g.grades.items():
                entry.counts[grade] = entry.counts.get(grade, 0) + n
        for entry in by.values():
            entry.quotas = [Quota(rule.grade, rule.top, math.floor(rule.top * entry.count + EPS))
                            for rule in self.plan.grades if rule.top is not None]
        order = list(labels)
        return sorted(by.values(), key=lambda e: (order.index(e.code) if e.code in order else len(order), e.code))

    def departments(self, filters: Filters, *, by_unit: bool = False) -> list[DepartmentStats]:
        """Per department of the scope (or per unit, ``by_unit``): people, mean, lowest and highest
        total, people per grade."""
        out: dict[tuple, DepartmentStats] = {}
        for g in self.groups:
            if not g.within(filters):
                continue
            key = (g.unit_id,) if by_unit else (g.unit_id, g.department_id)
            d = out.get(key)
            if d is None:
                d = out[key] = DepartmentStats(g.unit, None if by_unit else g.department,
                                               None if by_unit else g.department_id, g.unit_id, 0, 0.0, g.low,
                                               g.high, [0] * len(self.grades), 0)
            d.count += g.count
            d.mean += g.total          # a sum until the end
            d.low, d.high = min(d.low, g.low), max(d.high, g.high)
            for i, grade in enumerate(self.grades):
                d.grades[i] += g.grades.get(grade, 0)
            d.ungraded += g.grades.get(None, 0)
        for d in out.values():
            d.mean = d.mean / d.count
        return list(out.values())

    @property
    def options(self) -> Options:
        units = dict.fromkeys((g.unit_id, g.unit) for g in self.groups)
        departments = dict.fromkeys((g.department_id, g.department, g.unit_id) for g in self.groups
                                    if g.department_id is not None)
        return Options(list(units), list(departments))


BIN_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def bin_width(low: float, high: float, most: int = 20) -> float:
    """The smallest round width that covers low…high in at most ``most`` bins."""
    span = high - low
    for step in BIN_STEPS:
        if span / step <= most - 1:   # the first bin starts below ``low``
            return float(step)
    return float(math.ceil(span / (most - 1)))


@dataclass
class Bin:
    low: float
    high: float
    count: int

    @property
    def label(self) -> str:
        # Bins hold [low, high); the last one also its upper edge.
        return f"{self.low:g}–{self.high:g}"


def histogram(campaign: Campaign, filters: Filters, ov: Overview) -> list[Bin]:
    """Totals of the scope in bins of a round width, lowest bin to highest, empty ones included (one GROUP BY)."""
    if not ov.count or ov.low is None:
        return []
    width = bin_width(ov.low, ov.high)
    scaled = Result.total / literal(width, Float) + literal(EPS, Float)
    # Totals are never negative, so truncating is flooring; PostgreSQL rounds when casting, hence floor().
    number = func.floor(scaled) if db.session.get_bind().dialect.name == "postgresql" else cast(scaled, Integer)
    number = number.label("bin")
    stmt = select(number, func.count()).select_from(Result)
    if filters.category or filters.unit or filters.department:
        stmt = stmt.join(Person, Person.id == Result.person_id)
    counts = {int(b): n for b, n in db.session.execute(
        _where(stmt, campaign.id, filters, rows=False).group_by(number))}
    first, last = math.floor(ov.low / width + EPS), math.floor(ov.high / width + EPS)
    if last > first and abs(last * width - ov.high) < 1e-6:
        # The highest total sits exactly on an edge: count it in the bin below rather than open a bin for it.
        counts[last - 1] = counts.get(last - 1, 0) + counts.pop(last, 0)
        last -= 1
    return [Bin(round(b * width, 6), round((b + 1) * width, 6), counts.get(b, 0)) for b in range(first, last + 1)]


def categories() -> dict[str, str]:
    """Category code → label in the reader's language, in their order (one query)."""
    return {c.code: c.label for c in db.session.scalars(select(Category).order_by(Category.sort_order, Category.code))}
