"""API keys: each scoped to a unit subtree, shown once, stored as a digest, revocable."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Unit


class ApiKey(db.Model):
    __tablename__ = "api_keys"
    __audited__ = True
    __audit_exclude__ = ("digest", "last_used_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    # The first characters of the key, to tell keys apart in lists and logs; the rest is secret.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    unit: Mapped[Unit] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def audit_label(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def audit_unit_path(self) -> str | None:
        return self.unit.path if self.unit else None
