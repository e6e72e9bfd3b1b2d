"""The archive's index (一人一档、一年一卷): every issued appraisal file, one row per version.

The PDF itself lives in the content-addressed store (review/archive/store.py) under its SHA-256;
the row says whose file it is, for which year and campaign, which version, who issued it and why,
the printed verification code, and a fingerprint of what it was rendered from (a batch build skips
people whose fingerprint has not changed). Rows are never updated or deleted: re-issuing adds
version n + 1 with a reason, and the earlier versions stay downloadable.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Department, OfPerson, Person, Unit


class ArchiveFile(OfPerson, db.Model):
    __tablename__ = "archive_files"
    __audited__ = True
    __table_args__ = (UniqueConstraint("person_id", "year", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True)
    # Where the person stood when the file was issued: the archive is browsed by these, and a
    # transfer later on does not move last year's file.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    unit_path: Mapped[str] = mapped_column(String(255), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    # Printed in every page footer (Crockford base32 with a check symbol, stored without dashes).
    code: Mapped[str] = mapped_column(String(16), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    generated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    unit: Mapped[Unit] = relationship()
    department: Mapped[Department | None] = relationship()
    campaign = relationship("Campaign")
    generated_by = relationship("User")

    @property
    def audit_unit_path(self) -> str | None:
        return self.unit_path

    @property
    def filename(self) -> str:
        return f"{self.year}年度考核档案_{self.person.staff_no}_{self.person.name}_v{self.version}.pdf"

    def __repr__(self) -> str:
        return f"<ArchiveFile {self.person_id} {self.year} v{self.version}>"


class BuildState:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    ACTIVE = (QUEUED, RUNNING)


_ACTIVE = text("state IN ('queued', 'running')")


class ArchiveBuild(db.Model):
    """A build of a unit's files for a year started from the web, run by a background job; the row
    is its progress (updated after every file) and its outcome. Not row-audited: the start is
    recorded as ``archive.build`` and every file it issues as ``archive.issue``."""
    __tablename__ = "archive_builds"
    # One queued or running build per unit and year, whatever the race between two requests.
    __table_args__ = (Index("ix_archive_builds_active", "unit_id", "year", unique=True,
                            sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10), default=BuildState.QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the job last issued or skipped a file (or started): how a stopped job is told apart.
    progress_at: Mapped[datetime | None] = mapped_column(DateTime)

    unit: Mapped[Unit] = relationship()
    requested_by = relationship("User")

    @property
    def active(self) -> bool:
        return self.state in BuildState.ACTIVE

    def stalled(self, now: datetime, after: timedelta, *, queued_counts: bool) -> bool:
        """Running without a file for ``after``; or, when ``queued_counts`` (no queue holds the job:
        it runs in a thread of the process that started it), never started within ``after``."""
        if self.state == BuildState.RUNNING:
            return (self.progress_at or self.started_at or self.created_at) < now - after
        if self.state == BuildState.QUEUED and queued_counts:
            return self.created_at < now - after
        return False

    @property
    def percent(self) -> int:
        if self.state == BuildState.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def audit_unit_path(self) -> str | None:
        return self.unit.path if self.unit is not None else None

    @property
    def audit_label(self) -> str:
        return f"{self.unit.name if self.unit else self.unit_id} {self.year}"
