"""The results as offices pass them on: one row per person (name, staff number, department,
category, each dimension's points, total, ranks, grade, vetoes, flags) in the table's filters and
order, and a sheet of department statistics. Written in streaming mode: 10,000 rows hold little memory."""
from __future__ import annotations

from flask_babel import pgettext

from ..campaigns.models import Campaign
from ..core.spreadsheet import workbook
from ..plans.spec import Plan
from . import queries
from .queries import Filters, Order

# Rows fetched per query while writing (the ids are known, in order, beforehand).
CHUNK = 1000


def _header(text: str) -> str:
    # Written out one by one so that the extractor finds each title with its context.
    return {
        "Category": pgettext("results export", "Category"),
        "Department": pgettext("results export", "Department"),
        "Departments": pgettext("results export", "Departments"),
        "Flags": pgettext("results export", "Flags"),
        "Grade": pgettext("results export", "Grade"),
        "Highest": pgettext("results export", "Highest"),
        "Lowest": pgettext("results export", "Lowest"),
        "Mean": pgettext("results export", "Mean"),
        "Name": pgettext("results export", "Name"),
        "No grade yet": pgettext("results export", "No grade yet"),
        "People": pgettext("results export", "People"),
        "Rank in category": pgettext("results export", "Rank in category"),
        "Rank in unit": pgettext("results export", "Rank in unit"),
        "Results": pgettext("results export", "Results"),
        "Staff number": pgettext("results export", "Staff number"),
        "Total": pgettext("results export", "Total"),
        "Unit": pgettext("results export", "Unit"),
        "Veto": pgettext("results export", "Veto"),
    }[text]


def result_workbook(campaign: Campaign, plan: Plan, filters: Filters, order: Order) -> bytes:
    dims = queries.dimensions(plan)
    codes = tuple(n.code for n in dims)
    ids = queries.ordered_ids(campaign, plan, filters, order)
    labels = queries.categories()
    facts = queries.Facts(campaign, plan)
    several_units = facts.options.several_units

    def people():
        for start in range(0, len(ids), CHUNK):
            for r in queries.rows_of(campaign, ids[start:start + CHUNK], codes):
                yield ([r.name, r.staff_no] + ([r.unit] if several_units else []) + [r.department,
                       labels.get(r.category, r.category)]
                       + [_points(r.summary.subtotals.get(code)) for code in codes]
                       + [_points(r.total), r.rank_category, r.rank_unit, r.grade,
                          "；".join(r.summary.vetoes) or None, "；".join(r.summary.flags) or None])

    grades = [g.grade for g in plan.grades]

    def departments():
        for d in facts.departments(filters):
            yield ([d.unit] if several_units else []) + [d.department, d.count, _points(d.mean),
                                                         _points(d.high), _points(d.low)] + d.grades + [d.ungraded]

    unit_column = [_header("Unit")] if several_units else []
    return workbook([
        (_header("Results"),
         [_header("Name"), _header("Staff number")] + unit_column + [_header("Department"), _header("Category")]
         + [queries.node_label(n) for n in dims]
         + [_header("Total"), _header("Rank in category"), _header("Rank in unit"), _header("Grade"),
            _header("Veto"), _header("Flags")],
         people()),
        (_header("Departments"),
         unit_column + [_header("Department"), _header("People"), _header("Mean"), _header("Highest"),
                        _header("Lowest")] + grades + [_header("No grade yet")],
         departments()),
    ])


def _points(value: float | None) -> float | None:
    """As published: two decimals."""
    return None if value is None else round(value, 2)
