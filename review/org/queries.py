"""Read-only directory queries, scoped to what the current user may see."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..core.access import Role
from ..extensions import db
from .models import Department, LeaderRole, Person, Unit


def units_in_order(root: Unit | None = None) -> list[Unit]:
    """Units depth-first (parents before children, siblings by sort order), optionally one subtree."""
    stmt = select(Unit).options(selectinload(Unit.departments))
    if root is not None:
        stmt = stmt.where(Unit.path.startswith(root.path))
    units = list(db.session.scalars(stmt))
    ids = {u.id for u in units}
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for u in units:
        children[u.parent_id if u.parent_id in ids else None].append(u)
    ordered: list[Unit] = []

    def walk(parent_id):
        for u in sorted(children.get(parent_id, []), key=lambda x: (x.sort_order, x.id)):
            ordered.append(u)
            walk(u.id)

    walk(None)
    return ordered


def visible_units(user) -> list[Unit]:
    if user.role is Role.ADMIN:
        return units_in_order()
    if user.role.scoped and user.scope_unit is not None:
        return units_in_order(user.scope_unit)
    return []


def scope_filter(stmt: Select, user) -> Select:
    """Restrict a query over Person to the user's unit subtree."""
    if user.role is Role.ADMIN:
        return stmt
    if user.role.scoped and user.scope_unit is not None:
        return stmt.join(Unit, Unit.id == Person.unit_id).where(Unit.path.startswith(user.scope_unit.path))
    return stmt.where(False)


def unit_counts(unit_ids: list[int]) -> dict[int, int]:
    """Active people per unit, in one query."""
    rows = db.session.execute(select(Person.unit_id, func.count(Person.id))
                              .where(Person.unit_id.in_(unit_ids), Person.active.is_(True))
                              .group_by(Person.unit_id))
    return dict(rows.all())


def department_counts(unit: Unit) -> dict[int, int]:
    rows = db.session.execute(select(Person.department_id, func.count(Person.id))
                              .where(Person.unit_id == unit.id, Person.active.is_(True))
                              .group_by(Person.department_id))
    return {k: v for k, v in rows.all() if k is not None}


def leadership_team(unit: Unit) -> list[Person]:
    order = {LeaderRole.CHIEF: 0, LeaderRole.DEPUTY: 1, LeaderRole.MEMBER: 2}
    team = db.session.scalars(select(Person).where(
        Person.unit_id == unit.id, Person.active.is_(True),
        Person.leader_role.in_([LeaderRole.CHIEF, LeaderRole.DEPUTY, LeaderRole.MEMBER]))
        .options(selectinload(Person.supervised)))
    return sorted(team, key=lambda p: (order[p.leader_role], p.staff_no))


def department_heads(unit: Unit) -> dict[int, list[Person]]:
    heads: dict[int, list[Person]] = defaultdict(list)
    for p in db.session.scalars(select(Person).where(
            Person.unit_id == unit.id, Person.active.is_(True), Person.leader_role == LeaderRole.HEAD)):
        heads[p.department_id].append(p)
    return heads


def search_people(user, *, q: str = "", unit_id: int | None = None, department_id: int | None = None,
                  category: str | None = None, status: str = "active") -> Select:
    stmt = select(Person).options(joinedload(Person.unit), joinedload(Person.department),
                                  joinedload(Person.category))
    stmt = scope_filter(stmt, user)
    if q:
        stmt = stmt.where(or_(Person.name.icontains(q, autoescape=True), Person.staff_no.icontains(q, autoescape=True),
                              Person.position.icontains(q, autoescape=True)))
    if unit_id:
        stmt = stmt.where(Person.unit_id == unit_id)
    if department_id:
        stmt = stmt.where(Person.department_id == department_id)
    if category:
        stmt = stmt.where(Person.category_code == category)
    if status == "active":
        stmt = stmt.where(Person.active.is_(True))
    elif status == "left":
        stmt = stmt.where(Person.active.is_(False))
    # NULLs sort differently on SQLite and PostgreSQL: say where they go.
    return stmt.order_by(Person.unit_id, Person.department_id.nulls_first(), Person.staff_no)


def departments_of(unit: Unit) -> list[Department]:
    """A unit's departments with their supervisors loaded (one query for all of them)."""
    return list(db.session.scalars(select(Department).where(Department.unit_id == unit.id)
                                   .options(selectinload(Department.supervisors))
                                   .order_by(Department.sort_order, Department.id)))


def children_of(units: list[Unit]) -> dict[int, list[Unit]]:
    """Child lists among already-loaded units, without a query per unit."""
    children: dict[int, list[Unit]] = defaultdict(list)
    for u in units:  # units_in_order: already depth-first and sorted
        if u.parent_id is not None:
            children[u.parent_id].append(u)
    return children


def roster_export_query(user=None) -> Select:
    """Everyone the user may see (everyone for the command line), in roster order."""
    stmt = select(Person).options(joinedload(Person.unit), joinedload(Person.department),
                                  joinedload(Person.category), selectinload(Person.supervised))
    if user is not None:
        stmt = scope_filter(stmt, user)
    return stmt.order_by(Person.unit_id, Person.department_id.nulls_first(), Person.staff_no)
