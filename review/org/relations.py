"""The reporting line, derived from the directory.

- A department head leads the members of the department.
- A leadership member (deputy, full-time member) leads the heads of the departments
  they supervise (分管); where such a department has no head, its members.
- The chief leads the leadership team, and the heads of departments the chief
  supervises directly; a county chief's superior is the chief of the unit above.
- A department with nobody supervising it answers to the chief.

Peers are those at the same level of the same group: staff of one department
(heads excluded), the department heads of a unit, the deputies and members of a
team, the chiefs of sibling units. Only active people take part.

:class:`OrgChart` works on one unit's people loaded once, so that rater assignment
for a whole campaign costs a few queries, not a few per person.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from .models import LeaderRole, Person, Unit

TEAM = (LeaderRole.DEPUTY, LeaderRole.MEMBER)


@dataclass
class Relations:
    superiors: list[Person] = field(default_factory=list)
    subordinates: list[Person] = field(default_factory=list)
    peers: list[Person] = field(default_factory=list)


def _sorted(people: Iterable[Person]) -> list[Person]:
    unique = {p.id: p for p in people}
    return sorted(unique.values(), key=lambda p: (p.staff_no, p.id))


class OrgChart:
    """Reporting lines inside one unit. ``parent_chiefs`` are the chiefs of the unit
    above; ``sibling_chiefs`` those of units sharing its parent."""

    def __init__(self, people: Iterable[Person], parent_chiefs: Iterable[Person] = (),
                 sibling_chiefs: Iterable[Person] = ()):
        self.people = [p for p in people if p.active]
        self.parent_chiefs = [p for p in parent_chiefs if p.active]
        self.sibling_chiefs = [p for p in sibling_chiefs if p.active]
        self.chiefs = [p for p in self.people if p.leader_role is LeaderRole.CHIEF]
        self.team = [p for p in self.people if p.leader_role in TEAM]
        self.heads_of: dict[int, list[Person]] = defaultdict(list)
        self.staff_of: dict[int, list[Person]] = defaultdict(list)
        self.supervisors_of: dict[int, list[Person]] = defaultdict(list)
        for p in self.people:
            if p.leader_role is LeaderRole.HEAD and p.department_id is not None:
                self.heads_of[p.department_id].append(p)
            elif p.leader_role is None and p.department_id is not None:
                self.staff_of[p.department_id].append(p)
            if p.on_leadership_team:
                for d in p.supervised:
                    self.supervisors_of[d.id].append(p)

    def _leaders_of_department(self, department_id: int) -> list[Person]:
        return self.supervisors_of.get(department_id) or self.chiefs

    def superiors(self, p: Person) -> list[Person]:
        role = p.leader_role
        if role is None:
            if p.department_id is None:
                return _sorted(self.chiefs)
            return _sorted(self.heads_of.get(p.department_id) or self._leaders_of_department(p.department_id))
        if role is LeaderRole.HEAD:
            if p.department_id is None:
                return _sorted(self.chiefs)
            return _sorted(x for x in self._leaders_of_department(p.department_id) if x.id != p.id)
        if role in TEAM:
            return _sorted(self.chiefs)
        return _sorted(self.parent_chiefs)

    def subordinates(self, p: Person) -> list[Person]:
        role = p.leader_role
        if role is LeaderRole.HEAD:
            return _sorted(self.staff_of.get(p.department_id, [])) if p.department_id else []
        if role is None:
            return []
        led: list[Person] = []
        if role is LeaderRole.CHIEF:
            led.extend(self.team)
        for d in p.supervised:
            led.extend(self.heads_of.get(d.id) or self.staff_of.get(d.id, []))
        if role is LeaderRole.CHIEF:
            # Departments nobody supervises answer to the chief.
            for dept_id in set(self.heads_of) | set(self.staff_of):
                if not self.supervisors_of.get(dept_id):
                    led.extend(self.heads_of.get(dept_id) or self.staff_of.get(dept_id, []))
        return _sorted(x for x in led if x.id != p.id)

    def peers(self, p: Person) -> list[Person]:
        role = p.leader_role
        if role is None:
            group = self.staff_of.get(p.department_id, []) if p.department_id else []
        elif role is LeaderRole.HEAD:
            group = [x for heads in self.heads_of.values() for x in heads]
        elif role in TEAM:
            group = self.team
        else:
            group = self.sibling_chiefs
        return _sorted(x for x in group if x.id != p.id)

    def relations(self, p: Person) -> Relations:
        return Relations(self.superiors(p), self.subordinates(p), self.peers(p))


def _unit_people(unit_ids: Iterable[int]) -> list[Person]:
    return list(db.session.scalars(
        select(Person).where(Person.unit_id.in_(list(unit_ids)), Person.active.is_(True))
        .options(selectinload(Person.supervised))))


def chart_for_unit(unit: Unit) -> OrgChart:
    """Load one unit's reporting lines in a constant number of queries."""
    people = _unit_people([unit.id])
    parent_chiefs: list[Person] = []
    sibling_chiefs: list[Person] = []
    if unit.parent_id is not None:
        siblings = list(db.session.scalars(select(Unit.id).where(Unit.parent_id == unit.parent_id)))
        chiefs = db.session.scalars(select(Person).where(
            Person.unit_id.in_(siblings + [unit.parent_id]), Person.active.is_(True),
            Person.leader_role == LeaderRole.CHIEF))
        for c in chiefs:
            (parent_chiefs if c.unit_id == unit.parent_id else sibling_chiefs).append(c)
    return OrgChart(people, parent_chiefs, sibling_chiefs)


def relations_of(person: Person) -> Relations:
    """Who are this person's superiors, subordinates and peers."""
    if not person.active:
        return Relations()
    return chart_for_unit(person.unit).relations(person)
