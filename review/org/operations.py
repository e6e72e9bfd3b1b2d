"""Directory writes. Each takes models and clean values, checks the rules of the
directory, changes the session (the audit log follows automatically) and leaves
the commit to the caller."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..core.errors import DomainError
from ..extensions import db
from .models import Category, Department, Gender, LeaderRole, Person, Unit, UnitLevel


class ValidationFailed(DomainError):
    """Field-level problems: ``problems`` maps a field name to its messages."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("; ".join(m for msgs in problems.values() for m in msgs))
        self.problems = problems


def _assign_path(unit: Unit) -> None:
    unit.path = (unit.parent.path if unit.parent else "/") + f"{unit.id}/"


def create_unit(*, code: str, name: str, level: UnitLevel, parent: Unit | None, sort_order: int = 0) -> Unit:
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise DomainError(_("A unit needs a code and a name."))
    if db.session.scalar(select(Unit.id).where(Unit.code == code)):
        raise DomainError(_("The unit code %(code)s is already in use.", code=code))
    unit = Unit(code=code, name=name, level=level, parent=parent, sort_order=sort_order, path="/")
    db.session.add(unit)
    db.session.flush()
    _assign_path(unit)
    return unit


def create_department(unit: Unit, name: str, sort_order: int | None = None) -> Department:
    name = name.strip()
    if not name:
        raise DomainError(_("A department needs a name."))
    if db.session.scalar(select(Department.id).where(Department.unit_id == unit.id, Department.name == name)):
        raise DomainError(_("%(unit)s already has a department named %(name)s.", unit=unit.name, name=name))
    if sort_order is None:
        sort_order = (db.session.scalar(select(func.max(Department.sort_order))
                                        .where(Department.unit_id == unit.id)) or 0) + 1
    dept = Department(unit=unit, name=name, sort_order=sort_order)
    db.session.add(dept)
    db.session.flush()
    return dept


def rename_department(dept: Department, name: str) -> None:
    name = name.strip()
    if not name:
        raise DomainError(_("A department needs a name."))
    clash = db.session.scalar(select(Department.id).where(
        Department.unit_id == dept.unit_id, Department.name == name, Department.id != dept.id))
    if clash:
        raise DomainError(_("%(unit)s already has a department named %(name)s.", unit=dept.unit.name, name=name))
    dept.name = name


@dataclass
class PersonData:
    """Clean values for a person, as a form or a roster row provides them."""
    staff_no: str
    name: str
    category_code: str
    unit: Unit
    department: Department | None = None
    gender: Gender | None = None
    position: str | None = None
    leader_role: LeaderRole | None = None
    supervised: tuple[Department, ...] = ()
    hired_on: date | None = None
    left_on: date | None = None
    active: bool = True


def person_problems(data: PersonData, person: Person | None = None) -> dict[str, list[str]]:
    """Every rule a person's record must satisfy; empty when it is valid."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    staff_no = data.staff_no.strip()
    if not staff_no:
        add("staff_no", _("The staff number is required."))
    else:
        # Staff numbers are logins, and logins are compared without case.
        clash = db.session.scalar(select(Person.id).where(func.lower(Person.staff_no) == staff_no.lower()))
        if clash and (person is None or clash != person.id):
            add("staff_no", _("Another person already has staff number %(no)s.", no=staff_no))
        else:
            from ..auth.models import User
            owner = db.session.execute(select(User.id, User.person_id)
                                       .where(func.lower(User.login) == staff_no.lower())).first()
            if owner is not None and (person is None or owner.person_id != person.id):
                add("staff_no", _("Staff number %(no)s is already the login of another account.", no=staff_no))
    if not data.name.strip():
        add("name", _("The name is required."))
    if db.session.get(Category, data.category_code) is None:
        add("category_code", _("Unknown category."))
    if data.department is not None and data.department.unit_id != data.unit.id:
        add("department_id", _("The department %(dept)s is not part of %(unit)s.",
                               dept=data.department.name, unit=data.unit.name))
    if data.leader_role is LeaderRole.HEAD and data.department is None:
        add("leader_role", _("A department head needs a department."))
    if data.supervised:
        if data.leader_role is None or not data.leader_role.on_leadership_team:
            add("supervised", _("Only members of the leadership team supervise departments."))
        for d in data.supervised:
            if d.unit_id != data.unit.id:
                add("supervised", _("The department %(dept)s is not part of %(unit)s.",
                                    dept=d.name, unit=data.unit.name))
    if data.hired_on and data.left_on and data.left_on < data.hired_on:
        add("left_on", _("The leaving date is before the start date."))
    return problems


def _apply(person: Person, data: PersonData) -> None:
    # One flush for the whole change, so that the audit log shows it as one entry.
    with db.session.no_autoflush:
        _assign(person, data)


def _assign(person: Person, data: PersonData) -> None:
    person.staff_no = data.staff_no.strip()
    person.name = data.name.strip()
    person.category_code = data.category_code
    person.unit = data.unit
    person.department = data.department
    person.gender = data.gender
    person.position = (data.position or "").strip() or None
    person.leader_role = data.leader_role
    person.supervised = list(data.supervised)
    person.hired_on = data.hired_on
    person.left_on = data.left_on
    person.active = data.active
    if person.user is not None and person.user.login != person.staff_no:
        # Staff log in with their staff number; keep the login in step.
        person.user.login = person.staff_no


def create_person(data: PersonData) -> Person:
    problems = person_problems(data)
    if problems:
        raise ValidationFailed(problems)
    person = Person()
    _apply(person, data)
    db.session.add(person)
    db.session.flush()
    return person


def update_person(person: Person, data: PersonData) -> None:
    problems = person_problems(data, person)
    if problems:
        raise ValidationFailed(problems)
    _apply(person, data)
    db.session.flush()


def move_person(person: Person, department: Department, *, as_head: bool = False) -> None:
    """Move a person to another department (possibly in another unit). A head who
    moves stays a head only when ``as_head``; supervision ends when the unit changes."""
    if department.id == person.department_id and (person.leader_role is LeaderRole.HEAD) == as_head:
        raise DomainError(_("%(name)s is already in %(dept)s.", name=person.name, dept=department.name))
    changes_unit = department.unit_id != person.unit_id
    with db.session.no_autoflush:
        person.unit = department.unit
        person.department = department
        if as_head:
            person.leader_role = LeaderRole.HEAD
        elif person.leader_role is LeaderRole.HEAD:
            person.leader_role = None
        if changes_unit or not person.on_leadership_team:
            # Supervision is a leadership duty inside one unit.
            person.supervised = []
    db.session.flush()
