"""Directory models. Units form a tree (province → city → county); a unit has
departments and people; leadership members supervise (分管) departments."""
from __future__ import annotations

import enum
from datetime import date

from flask import g, has_app_context
from flask_babel import get_locale, lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import str_enum
from ..extensions import db
from .presets import DEFAULT_PRESET, PRESETS


class UnitLevel(enum.StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"

    @property
    def label(self) -> str:
        return str({"province": _l("Province"), "city": _l("City"), "county": _l("County")}[self.value])


class Gender(enum.StrEnum):
    MALE = "M"
    FEMALE = "F"

    @property
    def label(self) -> str:
        return str(_l("Male") if self is Gender.MALE else _l("Female"))


class LeaderRole(enum.StrEnum):
    CHIEF = "chief"
    DEPUTY = "deputy"
    MEMBER = "member"
    HEAD = "head"

    @property
    def label(self) -> str:
        """The institution's word for the role (检察长, 院长, 局长 …), see role_label."""
        return role_label(self)

    @property
    def on_leadership_team(self) -> bool:
        return self in (LeaderRole.CHIEF, LeaderRole.DEPUTY, LeaderRole.MEMBER)


class Category(db.Model):
    """A staff category (三类人员). Codes are fixed; labels are configurable so that
    courts and justice bureaus see their own words."""

    __tablename__ = "categories"
    __audited__ = True

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    label_zh: Mapped[str] = mapped_column(String(50))
    label_en: Mapped[str] = mapped_column(String(80))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def label(self) -> str:
        locale = get_locale()
        return self.label_en if locale is not None and locale.language == "en" else self.label_zh

    def __str__(self) -> str:
        return self.label_zh


class LeaderRoleLabel(db.Model):
    """The institution's name for a leader role, like category labels configurable."""

    __tablename__ = "leader_role_labels"
    __audited__ = True

    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    label_zh: Mapped[str] = mapped_column(String(50))
    label_en: Mapped[str] = mapped_column(String(80))

    def __str__(self) -> str:
        return self.label_zh


# The role labels live beside their table because LeaderRole.label reads them; org.terminology
# writes them.
def role_labels() -> dict[str, tuple[str, str]]:
    """role → (zh, en), read once per request; the procuratorate words where none are stored."""
    cached = g.get("_role_labels") if has_app_context() else None
    if cached is None:
        cached = dict(PRESETS[DEFAULT_PRESET]["roles"])
        if has_app_context():
            cached.update({r.role: (r.label_zh, r.label_en) for r in db.session.scalars(select(LeaderRoleLabel))})
            g._role_labels = cached
    return cached


def forget_role_labels() -> None:
    """Drop this request's copy after the labels were changed, so that the next read sees them."""
    if has_app_context():
        g.pop("_role_labels", None)


def role_label(role: LeaderRole, locale_language: str | None = None) -> str:
    zh, en = role_labels()[role.value]
    if locale_language is None:
        locale = get_locale() if has_app_context() else None
        locale_language = locale.language if locale is not None else "zh"
    return en if locale_language == "en" else zh


class Unit(db.Model):
    __tablename__ = "units"
    __audited__ = True
    __audit_exclude__ = ("path",)  # derived from the parent, not a change anybody made

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[UnitLevel] = mapped_column(str_enum(UnitLevel, "unit_level"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    # Materialised path ("/1/4/9/") so that a subtree is one indexed prefix query.
    path: Mapped[str] = mapped_column(String(255), index=True, default="/")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="(Unit.sort_order, Unit.id)")
    departments: Mapped[list[Department]] = relationship(
        back_populates="unit", order_by="(Department.sort_order, Department.id)")

    def contains(self, other: Unit) -> bool:
        return other.path.startswith(self.path)

    @property
    def audit_unit_path(self) -> str | None:
        # A unit being created has no path of its own yet: it belongs to its parent's subtree.
        if self.path and self.path != "/":
            return self.path
        return self.parent.path if self.parent else None

    def __str__(self) -> str:
        return self.name


supervisions = Table(
    "supervisions",
    db.metadata,
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class Department(db.Model):
    __tablename__ = "departments"
    __audited__ = True
    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    unit: Mapped[Unit] = relationship(back_populates="departments")
    members: Mapped[list[Person]] = relationship(back_populates="department", foreign_keys="Person.department_id")
    supervisors: Mapped[list[Person]] = relationship(secondary=supervisions, back_populates="supervised",
                                                     viewonly=True)

    @property
    def audit_label(self) -> str:
        return f"{self.unit.name if self.unit else ''} {self.name}".strip()

    @property
    def audit_unit_path(self) -> str | None:
        return self.unit.path if self.unit else None

    def __str__(self) -> str:
        return self.name


class Person(db.Model):
    __tablename__ = "people"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, "gender"))
    position: Mapped[str | None] = mapped_column(String(100))
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"),
                                                       index=True)
    leader_role: Mapped[LeaderRole | None] = mapped_column(str_enum(LeaderRole, "leader_role"))
    hired_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    category: Mapped[Category] = relationship()
    unit: Mapped[Unit] = relationship()
    department: Mapped[Department | None] = relationship(back_populates="members", foreign_keys=[department_id])
    supervised: Mapped[list[Department]] = relationship(
        secondary=supervisions, back_populates="supervisors", order_by="(Department.sort_order, Department.id)")

    @property
    def audit_label(self) -> str:
        return f"{self.name} ({self.staff_no})"

    @property
    def audit_unit_path(self) -> str | None:
        return self.unit.path if self.unit else None

    @property
    def on_leadership_team(self) -> bool:
        return self.leader_role is not None and self.leader_role.on_leadership_team

    def __str__(self) -> str:
        return self.name


class OfPerson:
    """A row about one person (an entry, a claim, an appeal…): audited within that person's unit,
    so that a supervisor scoped to a subtree reads its history."""

    @property
    def audit_unit_path(self) -> str | None:
        return self.person.unit.path if self.person and self.person.unit else None
