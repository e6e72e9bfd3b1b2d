"""Stored plans. A plan has versions; a version's document is the plan as data
(the YAML format, stored as JSON). A version used by a campaign is frozen: editing
the plan then creates a new version, so a running campaign never changes under it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..extensions import db
from .spec import Plan
from .yaml_io import parse_plan


class StoredPlan(db.Model):
    __tablename__ = "plans"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    versions: Mapped[list[PlanVersion]] = relationship(back_populates="plan", order_by="PlanVersion.version",
                                                       cascade="all, delete-orphan")

    @property
    def latest(self) -> PlanVersion:
        return self.versions[-1]

    @property
    def audit_label(self) -> str:
        return self.name


class PlanVersion(db.Model):
    __tablename__ = "plan_versions"
    __audited__ = True
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer, index=True)
    document: Mapped[dict] = mapped_column(JSON)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    plan: Mapped[StoredPlan] = relationship(back_populates="versions")

    def spec(self) -> Plan:
        """The plan as the engine reads it (documents are validated before they are stored)."""
        plan = parse_plan(self.document)
        plan.version = self.version
        return plan

    @property
    def audit_label(self) -> str:
        return f"{self.plan.name if self.plan else ''} v{self.version}"
