"""A claim asks for occurrences of a campaign's bonus item (a major or difficult case, an
excellent legal document …) with evidence. Chain: the department head endorses, then the
performance office approves; either may reject with a reason, which stays on the claim.
Deductions (inspection findings, verified complaints) are recorded the same way by the
office and take effect at once."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..core.types import str_enum
from ..extensions import db
from ..org.models import OfPerson, Person


class ClaimState(enum.StrEnum):
    SUBMITTED = "submitted"   # waiting for the department head
    ENDORSED = "endorsed"     # the head agreed; waiting for the performance office
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(CLAIM_STATE_LABELS[self.value])


# Submitted claims wait for the department head, endorsed ones for the office. The claimant may
# withdraw an undecided claim; the office may withdraw a deduction it recorded (approved at once).
TRANSITIONS = {
    ClaimState.SUBMITTED: {ClaimState.ENDORSED, ClaimState.REJECTED, ClaimState.WITHDRAWN},
    ClaimState.ENDORSED: {ClaimState.APPROVED, ClaimState.REJECTED, ClaimState.WITHDRAWN},
    ClaimState.APPROVED: {ClaimState.WITHDRAWN},
    ClaimState.REJECTED: set(),
    ClaimState.WITHDRAWN: set(),
}

CLAIM_STATE_LABELS = {"submitted": _l("Awaiting the department head"), "endorsed": _l("Awaiting the office"),
                      "approved": _l("Approved"), "rejected": _l("Rejected"), "withdrawn": _l("Withdrawn")}


class Claim(OfPerson, db.Model):
    __tablename__ = "claims"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    indicator: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # bonus or deduction, as the indicator's source
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(String(2000), default="")
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[ClaimState] = mapped_column(str_enum(ClaimState, "claim_state"), default=ClaimState.SUBMITTED,
                                              index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    head_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    head_at: Mapped[datetime | None] = mapped_column(DateTime)
    head_note: Mapped[str | None] = mapped_column(String(500))
    office_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    office_at: Mapped[datetime | None] = mapped_column(DateTime)
    office_note: Mapped[str | None] = mapped_column(String(500))

    person: Mapped[Person] = relationship()
    campaign = relationship("Campaign")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    head_by = relationship("User", foreign_keys=[head_by_id])
    office_by = relationship("User", foreign_keys=[office_by_id])
    evidence: Mapped[list["EvidenceFile"]] = relationship(  # noqa: F821
        "EvidenceFile", back_populates="claim", order_by="EvidenceFile.id")

    @property
    def audit_label(self) -> str:
        return f"{self.person.name if self.person else ''} · {self.title}"

    @property
    def decided(self) -> bool:
        return self.state in (ClaimState.APPROVED, ClaimState.REJECTED, ClaimState.WITHDRAWN)

    def move(self, to: ClaimState) -> None:
        """Change state along the chain; any other move raises and changes nothing."""
        if to not in TRANSITIONS[self.state]:
            raise DomainError(_("A claim that is “%(state)s” cannot become “%(to)s”.",
                                state=self.state.label, to=to.label))
        self.state = to
