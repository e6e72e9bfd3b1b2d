"""Who rates whom in a campaign (assignments) and whether they have done it (participation).

An assignment row is created when assignments are generated, before anybody votes;
voting only flips ``completed``. That flip is deliberately not audited: an audit entry
would time-stamp the vote. Answers are stored elsewhere and never reference an assignment
(docs/anonymity.md)."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import utcnow
from ..core.types import str_enum
from ..extensions import db
from ..org.models import Person


class RaterGroup(enum.StrEnum):
    SELF = "self"
    PEER = "peer"
    LEADER = "leader"
    DEMOCRATIC = "democratic"
    MIDDLE = "middle"
    OUTSIDE = "outside"
    # Only on counted anonymous answers: groups pooled at the count because they were small.
    OTHERS = "others"

    @property
    def anonymous(self) -> bool:
        return self in ANONYMOUS_GROUPS

    @property
    def label(self) -> str:
        return str(GROUP_LABELS[self.value])


ANONYMOUS_GROUPS = frozenset({RaterGroup.PEER, RaterGroup.DEMOCRATIC, RaterGroup.MIDDLE})
GROUP_LABELS = {"self": _l("Self"), "peer": _l("Peers"), "leader": _l("Leaders"),
                "democratic": _l("Democratic evaluation"), "middle": _l("Middle managers"),
                "outside": _l("Outside bodies"), "others": _l("Others, pooled")}


class Assignment(db.Model):
    __tablename__ = "ballot_assignments"
    __audited__ = True
    # Completion is participation: recording when it changed would time-stamp the vote.
    __audit_exclude__ = ("completed",)
    __table_args__ = (UniqueConstraint("campaign_id", "rater_id", "ratee_id", "group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    ratee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    group: Mapped[RaterGroup] = mapped_column(str_enum(RaterGroup, "rater_group"))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)

    rater: Mapped[Person] = relationship(foreign_keys=[rater_id])
    ratee: Mapped[Person] = relationship(foreign_keys=[ratee_id])

    @property
    def audit_label(self) -> str:
        rater = self.rater.name if self.rater else "?"
        ratee = self.ratee.name if self.ratee else "?"
        return f"{rater} → {ratee} ({self.group.value})"

    @property
    def audit_unit_path(self) -> str | None:
        return self.ratee.unit.path if self.ratee and self.ratee.unit else None


def random_id() -> str:
    """128 random bits: the only key anonymous rows have (no sequence, no order)."""
    return secrets.token_hex(16)


class PoolEntry(db.Model):
    """A submitted anonymous ballot, sealed, waiting for the count at close. It shares a
    transaction with the participation flip, which is why it is sealed with a key the
    database never holds, and why the count deletes it."""

    __tablename__ = "ballot_pool"
    __table_args__ = {"sqlite_with_rowid": False}  # a rowid would order the pool as the ballots came

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class AnonymousAnswer(db.Model):
    """One answer of one counted anonymous ballot. No voter, no token, no assignment, no time;
    random keys only; on SQLite a WITHOUT ROWID table, so not even insertion order survives."""

    __tablename__ = "ballot_answers"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    ratee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    group: Mapped[RaterGroup] = mapped_column(str_enum(RaterGroup, "rater_group"))
    indicator: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)


class AnonymousComment(db.Model):
    """A free-text comment of a counted anonymous ballot: shown only in aggregate, shuffled."""

    __tablename__ = "ballot_comments"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    ratee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    group: Mapped[RaterGroup] = mapped_column(str_enum(RaterGroup, "rater_group"))
    text: Mapped[str] = mapped_column(String(2000))


class BallotSuppression(db.Model):
    """What the count at close pooled or withheld for one ratee and indicator (disclosure rule):
    the groups inside "others", the groups withheld and how many ballots they had. The answers of
    withheld groups are not kept at all — they can never count, and a dump must not show them."""

    __tablename__ = "ballot_suppressions"
    __table_args__ = {"sqlite_with_rowid": False}

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    ratee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), primary_key=True)
    pooled: Mapped[str] = mapped_column(String(100), default="")      # comma-separated groups
    withheld: Mapped[str] = mapped_column(String(100), default="")
    withheld_ballots: Mapped[int] = mapped_column(Integer, default=0)


class SignedAnswer(db.Model):
    """Leader and self ballots are signed: they keep their assignment (and so their author)."""

    __tablename__ = "ballot_signed_answers"
    __audited__ = True
    __table_args__ = (UniqueConstraint("assignment_id", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("ballot_assignments.id", ondelete="CASCADE"), index=True)
    indicator: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(String(2000))

    assignment: Mapped[Assignment] = relationship()


class WorkReport(db.Model):
    """述职: the written work report a person hands in with the self-assessment. Signed, like the
    self-score it comes with; read by the office, and later printed in the appraisal file."""

    __tablename__ = "work_reports"
    __audited__ = True
    # The text is long; the audit keeps that it changed, not a second copy of it.
    __audit_redact__ = ("text",)
    __table_args__ = (UniqueConstraint("campaign_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text)

    person: Mapped[Person] = relationship()

    @property
    def audit_label(self) -> str:
        return self.person.name if self.person else "?"

    @property
    def audit_unit_path(self) -> str | None:
        return self.person.unit.path if self.person and self.person.unit else None


class SlipBatch(db.Model):
    """Nameless ballot slips printed for a meeting (现场测评): one rater group of a campaign voted
    on paper-issued codes instead of online. Once a batch exists, that group's online ballots are
    suspended for good, since a nameless slip cannot know who already voted online."""

    __tablename__ = "ballot_slip_batches"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    group: Mapped[RaterGroup] = mapped_column(str_enum(RaterGroup, "rater_group"))
    count: Mapped[int] = mapped_column(Integer)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    campaign = relationship("Campaign")

    @property
    def audit_label(self) -> str:
        return f"{self.group.value} × {self.count}"

    @property
    def audit_unit_path(self) -> str | None:
        return self.campaign.unit.path if self.campaign and self.campaign.unit else None


class Slip(db.Model):
    """One slip: digests of its link secret and short code (never the secrets), and whether it
    was used. A random key, no time, no answer: it is participation, like an assignment's flag."""

    __tablename__ = "ballot_slips"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ballot_slip_batches.id", ondelete="CASCADE"), index=True)
    link_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    code_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class Reminder(db.Model):
    """A reminder the office sent to everyone who still has ballots to cast online. Shown on the
    site to those people while the campaign is open; e-mailed when the site can send mail."""

    __tablename__ = "ballot_reminders"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(500))
    recipients: Mapped[int] = mapped_column(Integer)
    emailed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    campaign = relationship("Campaign")

    @property
    def audit_unit_path(self) -> str | None:
        return self.campaign.unit.path if self.campaign and self.campaign.unit else None


class OutsideRating(db.Model):
    """What an outside body (县委组织部, 人大, 政协, 纪委监委…) said of a person, entered by the office.
    Named and audited: a body's opinion is an official letter, not a secret ballot."""

    __tablename__ = "ballot_outside_ratings"
    __audited__ = True
    __table_args__ = (UniqueConstraint("campaign_id", "body", "ratee_id", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(String(100))
    ratee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    indicator: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)

    ratee: Mapped[Person] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.body} → {self.ratee.name if self.ratee else '?'} ({self.indicator})"

    @property
    def audit_unit_path(self) -> str | None:
        return self.ratee.unit.path if self.ratee and self.ratee.unit else None


def voted_online():
    """SQL condition on Assignment: its group is not held in a meeting with slips, so its
    participation flag is the whole story (for a meeting group, the slips' count is)."""
    from sqlalchemy import select
    return ~select(SlipBatch.id).where(SlipBatch.campaign_id == Assignment.campaign_id,
                                       SlipBatch.group == Assignment.group).exists()
