from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..core.access import (DIRECTORY_EDITORS, DIRECTORY_READERS, Role, require_editor_of,
                           require_unit_access, roles)
from ..core.errors import DomainError
from ..extensions import db
from ..ids import page_number, query_id
from . import operations as ops
from . import queries
from .terminology import all_categories, all_role_labels
from .forms import TerminologyForm, DepartmentForm, MoveForm, PersonForm, UnitForm
from .models import Department, Gender, LeaderRole, Person, Unit, UnitLevel
from .relations import chart_for_unit, relations_of

bp = Blueprint("org", __name__, url_prefix="/org")


def _get(model, ident):
    return db.session.get(model, ident) or abort(404)


@bp.get("/")
@roles(*DIRECTORY_READERS)
def tree():
    units = queries.visible_units(current_user)
    counts = queries.unit_counts([u.id for u in units])
    ids = {u.id for u in units}
    roots = [u for u in units if u.parent_id not in ids]
    return render_template("org/tree.html", roots=roots, children=queries.children_of(units), counts=counts,
                           unit_form=UnitForm(units) if current_user.role is Role.ADMIN else None)


@bp.post("/units")
@roles(Role.ADMIN)
def unit_new():
    units = queries.units_in_order()
    form = UnitForm(units)
    if form.validate_on_submit():
        parent = db.session.get(Unit, int(form.parent_id.data)) if form.parent_id.data else None
        try:
            unit = ops.create_unit(code=form.code.data, name=form.name.data, level=UnitLevel(form.level.data),
                                   parent=parent)
        except DomainError as e:
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("Unit %(name)s added.", name=unit.name), "success")
            return redirect(url_for("org.unit", unit_id=unit.id))
    else:
        for field_errors in form.errors.values():
            for msg in field_errors:
                flash(msg, "error")
    return redirect(url_for("org.tree"))


@bp.get("/units/<int:unit_id>")
@roles(*DIRECTORY_READERS)
def unit(unit_id: int):
    unit = _get(Unit, unit_id)
    require_unit_access(unit)
    can_edit = current_user.role in DIRECTORY_EDITORS
    return render_template(
        "org/unit.html", unit=unit, departments=queries.departments_of(unit), team=queries.leadership_team(unit),
        heads=queries.department_heads(unit),
        dept_counts=queries.department_counts(unit), children=[c for c in unit.children],
        child_counts=queries.unit_counts([c.id for c in unit.children]),
        dept_form=DepartmentForm() if can_edit else None, can_edit=can_edit)


@bp.post("/units/<int:unit_id>/departments")
@roles(*DIRECTORY_EDITORS)
def department_new(unit_id: int):
    unit = _get(Unit, unit_id)
    require_editor_of(unit)
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            dept = ops.create_department(unit, form.name.data)
        except DomainError as e:
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("Department %(name)s added.", name=dept.name), "success")
    else:
        flash(_("A department needs a name."), "error")
    return redirect(url_for("org.unit", unit_id=unit.id))


@bp.get("/departments/<int:dept_id>")
@roles(*DIRECTORY_READERS)
def department(dept_id: int):
    dept = _get(Department, dept_id)
    require_unit_access(dept.unit)
    members = db.session.scalars(select(Person).where(Person.department_id == dept.id)
                                 .order_by(Person.active.desc(), Person.leader_role.nulls_last(),
                                           Person.staff_no)).all()
    return render_template("org/department.html", dept=dept, members=members,
                           can_edit=current_user.role in DIRECTORY_EDITORS)


@bp.post("/departments/<int:dept_id>/rename")
@roles(*DIRECTORY_EDITORS)
def department_rename(dept_id: int):
    dept = _get(Department, dept_id)
    require_editor_of(dept.unit)
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            ops.rename_department(dept, form.name.data)
        except DomainError as e:
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("Department renamed."), "success")
    return redirect(url_for("org.department", dept_id=dept.id))


@bp.get("/people")
@roles(*DIRECTORY_READERS)
def people():
    args = request.args
    q = (args.get("q") or "").strip()
    unit_id = query_id("unit")
    category = args.get("category") or None
    status = args.get("status", "active")
    stmt = queries.search_people(current_user, q=q, unit_id=unit_id, department_id=query_id("department"),
                                 category=category, status=status)
    page = db.paginate(stmt, page=page_number(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("org/people.html", page=page, q=q, unit_id=unit_id, category=category, status=status,
                           units=queries.visible_units(current_user), categories=all_categories(),
                           department=query_id("department"))


@bp.get("/people/<int:person_id>")
@roles(*DIRECTORY_READERS)
def person(person_id: int):
    person = _get(Person, person_id)
    require_unit_access(person.unit)
    return render_template("org/person.html", person=person, rel=relations_of(person),
                           can_edit=current_user.role in DIRECTORY_EDITORS)


def _person_data(form: PersonForm, unit: Unit) -> ops.PersonData:
    dept_ids = {d.id: d for d in unit.departments}
    return ops.PersonData(
        staff_no=form.staff_no.data or "", name=form.name.data or "", category_code=form.category_code.data,
        unit=unit, department=dept_ids.get(int(form.department_id.data)) if form.department_id.data else None,
        gender=Gender(form.gender.data) if form.gender.data else None, position=form.position.data,
        leader_role=LeaderRole(form.leader_role.data) if form.leader_role.data else None,
        supervised=tuple(dept_ids[int(i)] for i in form.supervised.data or () if int(i) in dept_ids),
        hired_on=form.hired_on.data, left_on=form.left_on.data, active=form.active.data)


def _show_problems(form: PersonForm, problems: dict[str, list[str]]) -> None:
    for name, messages in problems.items():
        getattr(form, name).errors = list(getattr(form, name).errors) + messages


@bp.route("/units/<int:unit_id>/people/new", methods=["GET", "POST"])
@roles(*DIRECTORY_EDITORS)
def person_new(unit_id: int):
    unit = _get(Unit, unit_id)
    require_editor_of(unit)
    form = PersonForm(unit, all_categories())
    if form.validate_on_submit():
        try:
            person = ops.create_person(_person_data(form, unit))
        except ops.ValidationFailed as e:
            _show_problems(form, e.problems)
        else:
            db.session.commit()
            flash(_("%(name)s added.", name=person.name), "success")
            return redirect(url_for("org.person", person_id=person.id))
    return render_template("org/person_form.html", form=form, unit=unit, person=None)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@roles(*DIRECTORY_EDITORS)
def person_edit(person_id: int):
    person = _get(Person, person_id)
    require_editor_of(person.unit, person)
    form = PersonForm(person.unit, all_categories(), obj=person if request.method == "GET" else None)
    if request.method == "GET":
        form.gender.data = person.gender.value if person.gender else ""
        form.department_id.data = str(person.department_id or "")
        form.leader_role.data = person.leader_role.value if person.leader_role else ""
        form.supervised.data = [str(d.id) for d in person.supervised]
    if form.validate_on_submit():
        try:
            ops.update_person(person, _person_data(form, person.unit))
        except ops.ValidationFailed as e:
            db.session.rollback()
            _show_problems(form, e.problems)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=person.name), "success")
            return redirect(url_for("org.person", person_id=person.id))
    return render_template("org/person_form.html", form=form, unit=person.unit, person=person)


@bp.route("/people/<int:person_id>/move", methods=["GET", "POST"])
@roles(*DIRECTORY_EDITORS)
def person_move(person_id: int):
    person = _get(Person, person_id)
    require_editor_of(person.unit, person)
    form = MoveForm(queries.visible_units(current_user))
    if form.validate_on_submit():
        dept = _get(Department, int(form.department_id.data))
        require_editor_of(dept.unit)
        try:
            ops.move_person(person, dept, as_head=form.as_head.data)
        except DomainError as e:
            form.department_id.errors = list(form.department_id.errors) + [e.message]
        else:
            db.session.commit()
            flash(_("%(name)s moved to %(dept)s.", name=person.name, dept=dept.name), "success")
            return redirect(url_for("org.person", person_id=person.id))
    elif request.method == "GET":
        form.department_id.data = str(person.department_id or "")
    return render_template("org/person_move.html", form=form, person=person)


@bp.get("/team")
@roles(Role.LEADER, Role.ADMIN, Role.OFFICE)
def my_team():
    person = current_user.person
    if person is None:
        abort(404)
    chart = chart_for_unit(person.unit)
    return render_template("org/team.html", person=person, rel=chart.relations(person))


@bp.route("/terminology", methods=["GET", "POST"])
@roles(Role.ADMIN)
def terminology():
    form = TerminologyForm()
    items = [("cat", c.code, c) for c in all_categories()] + [("role", r.role, r) for r in all_role_labels()]
    if form.validate_on_submit():
        bad = False
        for prefix, code, obj in items:
            zh = (request.form.get(f"{prefix}-zh-{code}") or "").strip()
            en = (request.form.get(f"{prefix}-en-{code}") or "").strip()
            if not zh or not en or len(zh) > 50 or len(en) > 80:
                bad = True
            else:
                obj.label_zh, obj.label_en = zh, en
        if bad:
            db.session.rollback()
            flash(_("Every name needs a Chinese and an English label (at most 50 and 80 characters)."), "error")
            return render_template("org/terminology.html", form=form, cats=all_categories(),
                                   roles=all_role_labels()), 422
        db.session.commit()
        flash(_("Names saved."), "success")
        return redirect(url_for("org.terminology"))
    return render_template("org/terminology.html", form=form, cats=all_categories(), roles=all_role_labels())
