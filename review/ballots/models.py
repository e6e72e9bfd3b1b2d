"""Who rates whom in a campaign (assignments) and whether they have done it (participation).

An assignment row is created when assignments are generated, before anybody votes;
voting only flips ``completed``. That flip is deliberately not audited: an audit entry
would time-stamp the vote. Answers are stored elsewhere and never reference an assignment
(docs/anonymity.md)."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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

    @property
    def anonymous(self) -> bool:
        return self in ANONYMOUS_GROUPS

    @property
    def label(self) -> str:
        return str(GROUP_LABELS[self.value])


ANONYMOUS_GROUPS = frozenset({RaterGroup.PEER, RaterGroup.DEMOCRATIC, RaterGroup.MIDDLE})
GROUP_LABELS = {"self": _l("Self"), "peer": _l("Peers"), "leader": _l("Leaders"),
                "democratic": _l("Democratic evaluation"), "middle": _l("Middle managers"),
                "outside": _l("Outside bodies")}


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
