"""KPI values with their provenance.

Every value arrives in a batch (a file, a CLI import or an API push) or through a manual
entry the performance office approved. A later value for the same person and measure
replaces the earlier one, which stays as history; the scoring engine reads only the
current values (review/kpi/values.py), and each of them can say where it came from."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..core.types import str_enum
from ..extensions import db
from ..org.models import OfPerson, Person


class BatchOrigin(enum.StrEnum):
    FILE = "file"
    CLI = "cli"
    API = "api"

    @property
    def label(self) -> str:
        return str(ORIGIN_LABELS[self.value])


ORIGIN_LABELS = {"file": _l("File upload"), "cli": _l("Command line"), "api": _l("API")}


class KpiBatch(db.Model):
    """One import. Audited by an explicit event (file hash, who, counts) rather than row by row."""

    __tablename__ = "kpi_batches"
    # A client's batch id makes an API push idempotent: sent twice, it is applied once.
    __table_args__ = (UniqueConstraint("campaign_id", "client_batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    origin: Mapped[BatchOrigin] = mapped_column(str_enum(BatchOrigin, "kpi_batch_origin"))
    filename: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    client_batch_id: Mapped[str | None] = mapped_column(String(100))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(120))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    value_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def label(self) -> str:
        what = self.filename or (self.client_batch_id and f"API {self.client_batch_id}") or self.origin.label
        return f"#{self.id} {what}"


class EntryState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return str(ENTRY_STATE_LABELS[self.value])


ENTRY_STATE_LABELS = {"pending": _l("Awaiting review"), "approved": _l("Approved"), "rejected": _l("Rejected")}


class KpiEntry(OfPerson, db.Model):
    """A value no system holds, entered by hand with a reason (补录); it counts once the
    performance office approves it, and nobody approves their own entry."""

    __tablename__ = "kpi_entries"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    measure: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[EntryState] = mapped_column(str_enum(EntryState, "kpi_entry_state"), default=EntryState.PENDING,
                                              index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    review_note: Mapped[str | None] = mapped_column(String(500))

    person: Mapped[Person] = relationship()
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    @property
    def audit_label(self) -> str:
        return f"{self.person.name if self.person else ''} · {self.measure}"


class KpiRecord(db.Model):
    """The values one batch (or one approved entry) gave one person: ``values`` maps measure codes
    to numbers, only those that were new or changed. A person's current value of a measure is the
    one in their latest record that holds it; earlier records are the history.

    One row per person rather than per value: an import of 10,000 people × 8 measures writes
    10,000 rows, not 80,000, and nothing is updated when values are replaced — on PostgreSQL
    the per-row costs (foreign-key checks, index entries) are what an import pays for."""

    __tablename__ = "kpi_records"
    __table_args__ = (Index("ix_kpi_records_person", "campaign_id", "person_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"))
    values: Mapped[dict] = mapped_column(JSON)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_batches.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_entries.id", ondelete="CASCADE"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    batch: Mapped[KpiBatch | None] = relationship()
    entry: Mapped[KpiEntry | None] = relationship()
