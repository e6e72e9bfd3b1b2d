"""Appeals (申诉) during the publication period, the adjustments their review (复核) decides, and the
versions of a campaign's final results.

- An appeal is made by the person appraised, while the campaign is published and its window lasts.
  The performance office accepts it (with one or more adjustments) or rejects it, always with a
  reason that stays on the appeal.
- An adjustment replaces the points of one line of one person's breakdown (review/scoring/engine.py
  ``PersonInputs.adjustments``). It is never deleted: a withdrawn or replaced adjustment keeps its
  row, with who withdrew it, when and why (or which adjustment replaced it).
- A result version is a frozen copy of every person's result: version 1 when the campaign becomes
  final, version n + 1 for each correction the office makes afterwards (with a reason). Earlier
  versions are kept as they were."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..core.types import str_enum
from ..extensions import db
from ..org.models import OfPerson, Person


class AppealState(enum.StrEnum):
    SUBMITTED = "submitted"   # waiting for the performance office
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(APPEAL_STATE_LABELS[self.value])


APPEAL_STATE_LABELS = {"submitted": _l("Awaiting review"), "accepted": _l("Accepted"),
                       "rejected": _l("Rejected"), "withdrawn": _l("Withdrawn")}

TRANSITIONS = {
    AppealState.SUBMITTED: {AppealState.ACCEPTED, AppealState.REJECTED, AppealState.WITHDRAWN},
    AppealState.ACCEPTED: set(),
    AppealState.REJECTED: set(),
    AppealState.WITHDRAWN: set(),
}


class Appeal(OfPerson, db.Model):
    __tablename__ = "appeals"
    __audited__ = True
    # One appeal waiting for review per person and campaign (a decided one may be followed by another
    # while the window lasts). A partial unique index: two submissions at once cannot both pass.
    __table_args__ = (
        Index("uq_appeals_one_open", "campaign_id", "person_id", unique=True,
              sqlite_where=text("state = 'submitted'"), postgresql_where=text("state = 'submitted'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[str] = mapped_column(String(2000))
    state: Mapped[AppealState] = mapped_column(str_enum(AppealState, "appeal_state"), default=AppealState.SUBMITTED,
                                               index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str | None] = mapped_column(String(1000))   # the reviewer's reason, shown to the appellant
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)

    person: Mapped[Person] = relationship()
    campaign = relationship("Campaign")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    evidence: Mapped[list["EvidenceFile"]] = relationship(  # noqa: F821
        "EvidenceFile", back_populates="appeal", order_by="EvidenceFile.id")
    adjustments: Mapped[list["Adjustment"]] = relationship(back_populates="appeal", order_by="Adjustment.id")

    @property
    def audit_label(self) -> str:
        return f"{self.person.name if self.person else ''} · {self.campaign.name if self.campaign else ''}"

    @property
    def decided(self) -> bool:
        return self.state is not AppealState.SUBMITTED

    def move(self, to: AppealState) -> None:
        if to not in TRANSITIONS[self.state]:
            raise DomainError(_("An appeal that is “%(state)s” cannot become “%(to)s”.",
                                state=self.state.label, to=to.label))
        self.state = to


class Adjustment(OfPerson, db.Model):
    """Points decided on review for one line of one person's breakdown, with a reason. Active while
    ``withdrawn_at`` is empty; at most one active adjustment per person and indicator."""

    __tablename__ = "adjustments"
    __audited__ = True
    __table_args__ = (
        Index("uq_adjustments_active", "campaign_id", "person_id", "indicator", unique=True,
              sqlite_where=text("withdrawn_at IS NULL"), postgresql_where=text("withdrawn_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    indicator: Mapped[str] = mapped_column(String(40))
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(500))
    # The accepted appeal that decided it; None for a correction after the campaign became final.
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    # The result version a correction after final produced (None: decided during publication).
    version: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("adjustments.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship()
    campaign = relationship("Campaign")
    appeal: Mapped[Appeal | None] = relationship(back_populates="adjustments")
    created_by = relationship("User", foreign_keys=[created_by_id])
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id])
    replaced_by = relationship("Adjustment", remote_side=[id], foreign_keys=[replaced_by_id])

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def audit_label(self) -> str:
        return f"{self.person.name if self.person else ''} · {self.indicator} → {self.points:g}"


class ResultVersion(db.Model):
    """A frozen copy of a final campaign's results (its rows in ``result_snapshots``)."""

    __tablename__ = "result_versions"
    __audited__ = True
    __table_args__ = (UniqueConstraint("campaign_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(500))   # None for version 1, made when final
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    campaign = relationship("Campaign")
    created_by = relationship("User", foreign_keys=[created_by_id])

    @property
    def audit_label(self) -> str:
        return f"{self.campaign.name if self.campaign else ''} v{self.number}"

    @property
    def audit_unit_path(self) -> str | None:
        return self.campaign.unit.path if self.campaign and self.campaign.unit else None


class ResultSnapshot(db.Model):
    """One person's result as it stood in a version (copied from ``results``; derived, so not audited:
    the version row and the adjustments behind it are)."""

    __tablename__ = "result_snapshots"

    version_id: Mapped[int] = mapped_column(ForeignKey("result_versions.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), primary_key=True)
    total: Mapped[float] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(40))
    rank_category: Mapped[int | None] = mapped_column(Integer)
    rank_unit: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime)

    person: Mapped[Person] = relationship()
    version: Mapped[ResultVersion] = relationship(viewonly=True)

    def lines(self, lang: str = "zh") -> list[dict]:
        """Every line with its points and texts (review/scoring/stored.py)."""
        from ..scoring import stored
        return stored.lines(self.version.campaign.plan_version.spec(), self.detail, lang)
