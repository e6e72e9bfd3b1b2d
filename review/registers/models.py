"""Central registers (Nanjing system): bulletins, commendations, publicity, research papers and
disciplinary records. Each kind is kept by one department of a unit; a plan's bonus or
deduction item that names the register counts its entries in the campaign's period."""
from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..core.types import str_enum
from ..extensions import db
from ..org.models import Department, OfPerson, Person, Unit


class RegisterKind(enum.StrEnum):
    BULLETIN = "bulletin"
    COMMENDATION = "commendation"
    PUBLICITY = "publicity"
    RESEARCH = "research"
    DISCIPLINE = "discipline"

    @property
    def label(self) -> str:
        return str(REGISTER_LABELS[self.value])


REGISTER_LABELS = {"bulletin": _l("Bulletins"), "commendation": _l("Commendations"),
                   "publicity": _l("Publicity"), "research": _l("Research papers"),
                   "discipline": _l("Disciplinary records")}


class RegisterKeeper(db.Model):
    """Which department of a unit keeps which register."""

    __tablename__ = "register_keepers"
    __audited__ = True
    __table_args__ = (UniqueConstraint("unit_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[RegisterKind] = mapped_column(str_enum(RegisterKind, "register_kind"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))

    unit: Mapped[Unit] = relationship()
    department: Mapped[Department] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.kind.label} · {self.department.name if self.department else ''}"

    @property
    def audit_unit_path(self) -> str | None:
        return self.unit.path if self.unit else None


class RegisterEntry(OfPerson, db.Model):
    __tablename__ = "register_entries"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RegisterKind] = mapped_column(str_enum(RegisterKind, "register_kind"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    # e.g. 国家级 / 省级 / 市级 for a commendation; a plan item may count one level only.
    level: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(500))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.person.name if self.person else ''} · {self.title}"
