"""Factories for directory and account records: `make.person(...)` and friends."""
from __future__ import annotations

import itertools
from datetime import date

from review.auth.models import User
from review.auth.operations import hash_password
from review.core.access import Role
from review.extensions import db
from review.org import operations as ops
from review.org.terminology import ensure_terminology
from review.org.models import Department, Gender, LeaderRole, Person, Unit, UnitLevel

_seq = itertools.count(1)


class Factory:
    PASSWORD = "secret123"

    def __init__(self):
        self._hash = None
        ensure_terminology()

    def unit(self, name: str | None = None, *, parent: Unit | None = None, level: UnitLevel | None = None,
             code: str | None = None) -> Unit:
        n = next(_seq)
        level = level or (UnitLevel.COUNTY if parent else UnitLevel.CITY)
        return ops.create_unit(code=code or f"U{n:05d}", name=name or f"单位{n}", level=level, parent=parent)

    def department(self, unit: Unit, name: str | None = None) -> Department:
        return ops.create_department(unit, name or f"部门{next(_seq)}")

    def person(self, unit: Unit | None = None, *, department: Department | None = None, name: str | None = None,
               role: LeaderRole | None = None, category: str = "quota", supervised=(), active: bool = True,
               staff_no: str | None = None, position: str | None = None) -> Person:
        if unit is None:
            unit = department.unit if department else self.unit()
        n = next(_seq)
        p = Person(staff_no=staff_no or f"S{n:06d}", name=name or f"人员{n}", gender=Gender.MALE,
                   position=position, category_code=category, unit=unit, department=department, leader_role=role,
                   supervised=list(supervised), hired_on=date(2015, 7, 1), active=active)
        db.session.add(p)
        db.session.flush()
        return p

    def user(self, role: Role = Role.STAFF, *, person: Person | None = None, scope: Unit | None = None,
             login: str | None = None, must_change: bool = False, active: bool = True) -> User:
        if self._hash is None:
            self._hash = hash_password(self.PASSWORD)
        if person is None and role in (Role.STAFF, Role.LEADER):
            person = self.person(role=LeaderRole.HEAD if role is Role.LEADER else None,
                                 department=None if role is Role.STAFF else self.department(self.unit()))
        if role.scoped and scope is None:
            scope = person.unit if person else self.unit()
        u = User(login=login or (person.staff_no if person else f"user{next(_seq)}"), person=person, role=role,
                 scope_unit=scope, password_hash=self._hash, must_change_password=must_change, active=active)
        db.session.add(u)
        db.session.flush()
        return u

    def commit(self):
        db.session.commit()


def small_institution(make: Factory) -> dict:
    """A city with one county: chief, two deputies, a member, three departments with heads and staff."""
    city = make.unit("市院", level=UnitLevel.CITY)
    county = make.unit("县院", parent=city)
    sibling = make.unit("邻县院", parent=city)
    d1, d2, d3 = (make.department(county, n) for n in ("第一检察部", "第二检察部", "政治部"))
    city_chief = make.person(city, role=LeaderRole.CHIEF, name="市检察长")
    sibling_chief = make.person(sibling, role=LeaderRole.CHIEF, name="邻县检察长")
    chief = make.person(county, role=LeaderRole.CHIEF, name="检察长", supervised=[d3])
    dep1 = make.person(county, role=LeaderRole.DEPUTY, name="副检察长甲", supervised=[d1])
    dep2 = make.person(county, role=LeaderRole.DEPUTY, name="副检察长乙", supervised=[d2])
    member = make.person(county, role=LeaderRole.MEMBER, name="专职委员")
    h1 = make.person(department=d1, role=LeaderRole.HEAD, name="一部主任")
    h2 = make.person(department=d2, role=LeaderRole.HEAD, name="二部主任")
    s1 = [make.person(department=d1, name=f"一部干警{i}") for i in range(3)]
    s2 = [make.person(department=d2, name=f"二部干警{i}") for i in range(2)]
    s3 = [make.person(department=d3, name="政治部干警", category="admin")]
    left = make.person(department=d1, name="已离职", active=False)
    return dict(city=city, county=county, sibling=sibling, d1=d1, d2=d2, d3=d3, city_chief=city_chief,
                sibling_chief=sibling_chief, chief=chief, dep1=dep1, dep2=dep2, member=member, h1=h1, h2=h2,
                s1=s1, s2=s2, s3=s3, left=left)
