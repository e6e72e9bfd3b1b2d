"""An uploaded evidence file of a claim, a register entry or an appeal. The bytes live under the
instance folder by a random name; the row keeps the original name, the sniffed type, the size and a
SHA-256 for integrity."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..extensions import db


class EvidenceFile(db.Model):
    __tablename__ = "evidence_files"
    __audited__ = True
    __audit_exclude__ = ("stored_name",)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    register_entry_id: Mapped[int | None] = mapped_column(ForeignKey("register_entries.id", ondelete="CASCADE"),
                                                          index=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    claim = relationship("Claim", back_populates="evidence")
    register_entry = relationship("RegisterEntry", backref="evidence")
    appeal = relationship("Appeal", back_populates="evidence")

    @property
    def audit_label(self) -> str:
        return self.filename
