"""Register pages: the index (per kind: keeper, counts), a register's entries with filters and the
form to add one, removal, the keepers of a unit's registers, and the Excel export. Readable by
the office, administrators and supervisors in scope and by the keeper departments' people;
written by the keepers and the office."""
from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..core.access import Role, authenticated, roles
from ..core.errors import DomainError
from ..core.spreadsheet import XLSX, workbook
from ..core.timeutil import local_today
from ..evidence.forms import allow_evidence_uploads, uploads
from ..evidence.storage import EvidenceRejected
from ..extensions import db
from ..ids import query_id
from ..org.models import Department, Unit
from ..org.queries import visible_units
from . import operations as ops
from .forms import EntryForm
from .models import REGISTER_LABELS, RegisterEntry, RegisterKind

bp = Blueprint("registers", __name__, url_prefix="/registers")
allow_evidence_uploads(bp, "add")

READERS = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
EDITORS = (Role.ADMIN, Role.OFFICE)


def _kind(value: str) -> RegisterKind:
    try:
        return RegisterKind(value)
    except ValueError:
        abort(404)


def _my_units() -> list[Unit]:
    """Units whose registers the user may look at: the scope of readers, the units their department keeps for."""
    units = visible_units(current_user) if current_user.role in READERS else []
    seen = {u.id for u in units}
    for kind in RegisterKind:
        for u in ops.kept_units(current_user, kind):
            if u.id not in seen:
                units.append(u)
                seen.add(u.id)
    return units


def _unit(units: list[Unit]) -> Unit:
    """The unit asked for (?unit=), among those the user may see; else their first."""
    if not units:
        abort(403)
    wanted = query_id("unit")
    if wanted is not None:
        return next((u for u in units if u.id == wanted), None) or abort(404)
    if current_user.role.scoped and current_user.scope_unit is not None:
        return next((u for u in units if u.id == current_user.scope_unit_id), units[0])
    if current_user.person is not None:
        return next((u for u in units if u.id == current_user.person.unit_id), units[0])
    return units[0]


def _gate_writer() -> None:
    """Before anything is looked up: only the office, administrators and keeper departments write."""
    if current_user.role not in EDITORS and not ops.keeps_any(current_user):
        abort(403)


def _gate_reader() -> None:
    if current_user.role not in READERS and not ops.keeps_any(current_user):
        abort(403)


@bp.get("/")
@authenticated
def index():
    _gate_reader()
    units = _my_units()
    unit = _unit(units)
    keepers = ops.keepers_of(unit)
    year = local_today().year
    readable = {k for k in RegisterKind if ops.may_read(current_user, k, unit)}
    return render_template("registers/index.html", unit=unit, units=units, kinds=list(RegisterKind), keepers=keepers,
                           total=ops.counts(unit), this_year=ops.counts(unit, year), year=year, readable=readable,
                           can_set_keepers=current_user.role in EDITORS)


def _filters(kind: RegisterKind, unit: Unit) -> tuple[int | None, int | None]:
    year = query_id("year")
    department = query_id("department")
    return year, department


def _list_page(kind: RegisterKind, unit: Unit, units: list[Unit], form: EntryForm | None, status: int = 200):
    year, department = _filters(kind, unit)
    rows = ops.entries(kind, unit, year=year, department_id=department)
    office = current_user.role in EDITORS and current_user.can_see_unit(unit)
    kept = ops.kept_units(current_user, kind)
    removable = {e.id for e in rows if office and current_user.can_see_unit(e.person.unit)
                 or any(u.contains(e.person.unit) for u in kept)}
    departments = db.session.scalars(select(Department).join(Unit, Unit.id == Department.unit_id)
                                     .where(Unit.path.startswith(unit.path, autoescape=True))
                                     .order_by(Department.unit_id, Department.sort_order, Department.id)).all()
    keeper = ops.keepers_of(unit).get(kind)
    return render_template("registers/list.html", kind=kind, label=REGISTER_LABELS[kind.value], unit=unit,
                           units=[u for u in units if ops.may_read(current_user, kind, u)], rows=rows,
                           years=ops.years(kind, unit), year=year, department=department, departments=departments,
                           keeper=keeper, form=form if form is not None and form.person.choices[1:] else None,
                           removable=removable, delete_form=FlaskForm(),
                           levels=ops.suggested_levels(kind)), status


def _readable_unit(kind: RegisterKind) -> tuple[Unit, list[Unit]]:
    _gate_reader()
    units = _my_units()
    unit = _unit(units)
    if not ops.may_read(current_user, kind, unit):
        abort(403)
    return unit, units


@bp.get("/<kind>")
@authenticated
def entries(kind: str):
    kind_ = _kind(kind)
    unit, units = _readable_unit(kind_)
    return _list_page(kind_, unit, units, EntryForm(ops.recordable_people(current_user, kind_, unit)))


@bp.post("/<kind>")
@authenticated
def add(kind: str):
    _gate_writer()
    kind_ = _kind(kind)
    unit, units = _readable_unit(kind_)
    people = ops.recordable_people(current_user, kind_, unit)
    form = EntryForm(people)
    if form.validate_on_submit():
        person = next((p for p in people if str(p.id) == form.person.data), None) or abort(400)
        try:
            ops.add_entry(current_user, kind_, person, title=form.title.data, occurred_on=form.occurred_on.data,
                          level=form.level.data, note=form.note.data, files=uploads(form.files))
        except DomainError as e:
            db.session.rollback()
            if isinstance(e, EvidenceRejected):
                form.files.errors = list(form.files.errors) + [e.message]
            else:
                form.form_errors.append(e.message)
        else:
            db.session.commit()
            flash(_("The entry was added to the register."), "success")
            return redirect(url_for("registers.entries", kind=kind_.value, unit=unit.id))
    return _list_page(kind_, unit, units, form, 422)


@bp.post("/entries/<int:entry_id>/delete")
@authenticated
def delete(entry_id: int):
    _gate_writer()
    entry = db.session.get(RegisterEntry, entry_id)
    if entry is None or not ops.can_view_entry(current_user, entry):
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    kind = entry.kind
    unit_id = query_id("unit", request.form)
    try:
        ops.remove_entry(current_user, entry)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("The entry was removed from the register."), "success")
    return redirect(url_for("registers.entries", kind=kind.value, unit=unit_id))


@bp.route("/keepers", methods=["GET", "POST"])
@roles(*EDITORS)
def keepers():
    units = visible_units(current_user)
    unit = _unit(units)
    departments = list(unit.departments)
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        by_id = {str(d.id): d for d in departments}
        choice = {}
        for kind in RegisterKind:
            raw = request.form.get(f"keeper_{kind.value}", "")
            if raw and raw not in by_id:
                abort(400)
            choice[kind] = by_id.get(raw)
        try:
            changed = ops.set_keepers(current_user, unit, choice)
        except DomainError as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("Keepers saved: %(n)d changed.", n=changed), "success")
            return redirect(url_for("registers.index", unit=unit.id))
    return render_template("registers/keepers.html", unit=unit, units=units, departments=departments,
                           keepers=ops.keepers_of(unit), kinds=list(RegisterKind), form=form)


@bp.get("/<kind>/export.xlsx")
@authenticated
def export(kind: str):
    kind_ = _kind(kind)
    unit, _units = _readable_unit(kind_)
    year, department = _filters(kind_, unit)
    rows = ops.entries(kind_, unit, year=year, department_id=department)
    header = [_("Date"), _("Staff number"), _("Name"), _("Unit"), _("Department"), _("Title"), _("Level"), _("Note"),
              _("Evidence files"), _("Recorded")]
    data = [(e.occurred_on, e.person.staff_no, e.person.name, e.person.unit.name,
             e.department.name if e.department else "", e.title, e.level or "", e.note or "", len(e.evidence),
             to_user_timezone(e.recorded_at).replace(tzinfo=None)) for e in rows]
    label = str(REGISTER_LABELS[kind_.value])
    content = workbook([(label, header, data)])
    suffix = f"-{year}" if year else ""
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"register-{kind_.value}-{unit.code}{suffix}-{date.today().isoformat()}.xlsx")
