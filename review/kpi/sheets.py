"""The KPI sheet a campaign's plan asks for: one column per measure, people by staff number,
names and departments for readability, current values filled in (so the same sheet serves
as export, template and correction), and a second sheet explaining each measure."""
from __future__ import annotations

from flask_babel import gettext as _
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from ..campaigns.models import Campaign, CampaignSubject
from ..core.spreadsheet import append_row, cell, new_workbook, save
from ..extensions import db
from ..org.models import Department, Person, Unit
from ..plans.spec import Measure
from .importer import KPI_SHEET
from .values import current


def _range_text(m: Measure) -> str:
    if m.min is not None and m.max is not None:
        return f"{m.min:g}–{m.max:g}"
    if m.min is not None:
        return f"≥ {m.min:g}"
    if m.max is not None:
        return f"≤ {m.max:g}"
    return "—"


def template_workbook(campaign: Campaign, *, scope: Unit | None = None) -> bytes:
    measures = campaign.plan_version.spec().kpi_measures()
    stmt = (select(Person.id, Person.staff_no, Person.name, Department.name)
            .join(CampaignSubject, CampaignSubject.person_id == Person.id)
            .join(Unit, Unit.id == Person.unit_id)
            .outerjoin(Department, Department.id == Person.department_id)
            .where(CampaignSubject.campaign_id == campaign.id).order_by(Person.staff_no))
    if scope is not None:
        stmt = stmt.where(Unit.path.startswith(scope.path, autoescape=True))
    people = db.session.execute(stmt).all()
    values = {key: c.value for key, c in current(campaign.id).items()}

    wb = new_workbook()
    ws = wb.active
    ws.title = KPI_SHEET
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    header = [cell(ws, h, font=bold) for h in ("工号", "姓名", "部门")]
    header += [cell(ws, m.name, font=bold, fill=fill,
                    comment=Comment(f"{m.code} · {m.unit or ''} {_range_text(m)}".strip(), "review"))
               for m in measures]
    append_row(ws, header)
    for pid, staff_no, name, dept in people:
        append_row(ws, [staff_no, name, dept or ""] + [values.get((pid, m.code)) for m in measures])
    ws.freeze_panes = "D2"
    for col in (1, 2, 3):
        ws.column_dimensions[get_column_letter(col)].width = 14
    last = max(len(people) + 1, 2)
    for idx, m in enumerate(measures, start=4):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = max(12, len(m.name) * 2 + 2)
        if m.min is not None or m.max is not None:
            kind = "whole" if m.integer else "decimal"
            lo = m.min if m.min is not None else -1e15
            hi = m.max if m.max is not None else 1e15
            dv = DataValidation(type=kind, operator="between", formula1=f"{lo:g}", formula2=f"{hi:g}",
                                allow_blank=True, showErrorMessage=True,
                                error=_("Between %(min)s and %(max)s.", min=f"{lo:g}", max=f"{hi:g}"))
            dv.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(dv)

    notes = wb.create_sheet("说明")
    append_row(notes, [_("Column"), _("Code"), _("Unit"), _("Allowed values"), _("Whole numbers")], font=bold)
    for m in measures:
        append_row(notes, [m.name, m.code, m.unit or "", _range_text(m), _("yes") if m.integer else _("no")])
    append_row(notes, [])
    append_row(notes, [_("Fill in one row per person, by staff number; leave a cell empty to keep its current "
                          "value. Name and department are for reading only. Upload the sheet on the campaign's "
                          "quantitative data page, or with: flask --app wsgi scores import CAMPAIGN FILE.")])
    for col, width in zip("ABCDE", (20, 18, 10, 16, 12)):
        notes.column_dimensions[col].width = width
    return save(wb)
