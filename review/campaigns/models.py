"""A campaign runs one frozen plan version for a period over a unit subtree.

Lifecycle: draft → open → closed → published (公示, until a date) → final, with
closed → open allowed to correct something before publication. Transitions are
guarded methods; an illegal move raises and changes nothing. The state column is
audited like every other change."""
from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..core.types import str_enum
from ..extensions import db
from ..org.models import OfPerson, Person, Unit
from ..plans.models import PlanVersion


class PeriodKind(enum.StrEnum):
    YEAR = "year"
    HALF = "half"
    QUARTER = "quarter"
    MONTH = "month"

    @property
    def periods(self) -> int:
        return {"year": 1, "half": 2, "quarter": 4, "month": 12}[self.value]


class CampaignState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"
    FINAL = "final"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.value])


STATE_LABELS = {"draft": _l("Draft"), "open": _l("Open"), "closed": _l("Closed"),
                "published": _l("Published for comment"), "final": _l("Final")}

TRANSITIONS = {
    CampaignState.DRAFT: {CampaignState.OPEN},
    CampaignState.OPEN: {CampaignState.CLOSED},
    CampaignState.CLOSED: {CampaignState.OPEN, CampaignState.PUBLISHED},
    CampaignState.PUBLISHED: {CampaignState.FINAL},
    CampaignState.FINAL: set(),
}


class IllegalTransition(DomainError):
    pass


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    period_kind: Mapped[PeriodKind] = mapped_column(str_enum(PeriodKind, "period_kind"))
    period_no: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[CampaignState] = mapped_column(str_enum(CampaignState, "campaign_state"), default=CampaignState.DRAFT)
    publish_until: Mapped[date | None] = mapped_column(Date)
    k_threshold: Mapped[int] = mapped_column(Integer, default=3)
    # Set when closing counted anonymous ballots: they are counted once, so a reopened campaign
    # takes no more (a second count would let anyone compare results before and after).
    ballots_counted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who can open the anonymous ballots (review/ballots/scrutineers.py): "server" (the server's key,
    # counted at close) or "scrutineers" (a key pair made at opening; the stored public key seals every
    # ballot, the private key exists only as the scrutineers' shares, `scrutineer_threshold` of
    # `scrutineers` count after close).
    ballot_key_mode: Mapped[str] = mapped_column(String(20), default="server", server_default="server")
    scrutineers: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    scrutineer_threshold: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    ballot_public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    # Set while a background job is to recompute the results after an input changed
    # (review/campaigns/rescoring.py): the figures shown are from before that change.
    rescore_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    plan_version: Mapped[PlanVersion] = relationship()
    unit: Mapped[Unit] = relationship()
    subjects: Mapped[list[CampaignSubject]] = relationship(back_populates="campaign", cascade="all, delete-orphan")

    @property
    def audit_label(self) -> str:
        return self.name

    @property
    def audit_unit_path(self) -> str | None:
        return self.unit.path if self.unit else None

    @property
    def period_label(self) -> str:
        kind = self.period_kind
        if kind is PeriodKind.YEAR:
            return _("%(year)d", year=self.year)
        if kind is PeriodKind.HALF:
            return _("%(year)d, half %(n)d", year=self.year, n=self.period_no)
        if kind is PeriodKind.QUARTER:
            return _("%(year)d Q%(n)d", year=self.year, n=self.period_no)
        return _("%(year)d-%(n)02d", year=self.year, n=self.period_no)

    @property
    def period_dates(self) -> tuple[date, date]:
        """First and last day of the campaign's period (registers count the entries dated within)."""
        months = 12 // self.period_kind.periods
        first = (self.period_no - 1) * months + 1
        last = first + months - 1
        end = date(self.year + 1, 1, 1) if last == 12 else date(self.year, last + 1, 1)
        return date(self.year, first, 1), end - timedelta(days=1)

    # --- lifecycle ---

    def _move(self, to: CampaignState) -> None:
        if to not in TRANSITIONS[self.state]:
            raise IllegalTransition(_("A campaign that is %(state)s cannot become %(to)s.",
                                      state=self.state.label, to=to.label))
        self.state = to

    def open(self) -> None:
        if not self.subjects:
            raise IllegalTransition(_("Nobody is appraised in this campaign: check the plan's categories and the unit."))
        self._move(CampaignState.OPEN)
        self.plan_version.frozen = True

    def close(self) -> None:
        self._move(CampaignState.CLOSED)

    def reopen(self) -> None:
        if self.state is not CampaignState.CLOSED:
            raise IllegalTransition(_("Only a closed campaign can be reopened."))
        self._move(CampaignState.OPEN)

    def publish(self, until: date, today: date | None = None) -> None:
        if until <= (today or date.today()):
            raise IllegalTransition(_("The publication period must end after today."))
        self._move(CampaignState.PUBLISHED)
        self.publish_until = until

    def finalize(self, today: date | None = None) -> None:
        if self.state is CampaignState.PUBLISHED and self.publish_until and (today or date.today()) <= self.publish_until:
            raise IllegalTransition(_("The publication period runs until %(date)s.", date=self.publish_until.isoformat()))
        self._move(CampaignState.FINAL)

    @property
    def accepts_inputs(self) -> bool:
        return self.state in (CampaignState.DRAFT, CampaignState.OPEN)


class CampaignSubject(db.Model):
    """Who is appraised. Derived from the plan and the directory while the campaign is a
    draft; fixed once it opens."""

    __tablename__ = "campaign_subjects"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), primary_key=True)

    campaign: Mapped[Campaign] = relationship(back_populates="subjects")
    person: Mapped[Person] = relationship()


class ManualEntry(OfPerson, db.Model):
    """A value entered by the performance office for one person and indicator: points for a
    manual item, a number of occurrences for a bonus or deduction item. Always with a reason."""

    __tablename__ = "manual_entries"
    __audited__ = True
    __table_args__ = (UniqueConstraint("campaign_id", "person_id", "indicator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    indicator: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(500))

    campaign: Mapped[Campaign] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.person.name if self.person else ''} · {self.indicator}"


class VetoEntry(OfPerson, db.Model):
    __tablename__ = "veto_entries"
    __audited__ = True
    __table_args__ = (UniqueConstraint("campaign_id", "person_id", "veto"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    veto: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(500))

    person: Mapped[Person] = relationship()


class Result(db.Model):
    """The engine's output for one person, recomputed whenever an input changes (derived,
    so not audited: the inputs are)."""

    __tablename__ = "results"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), primary_key=True)
    total: Mapped[float] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(40))
    rank_category: Mapped[int | None] = mapped_column(Integer)
    rank_unit: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(JSON)
    # What the table filters, sorts and exports by for everybody — dimension subtotals, vetoes,
    # flags — small enough to read for a province at once (review/results/summary.py).
    summary: Mapped[dict | None] = mapped_column(JSON)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # vetoed or flagged
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    campaign: Mapped[Campaign] = relationship(viewonly=True)

    def lines(self, lang: str = "zh") -> list[dict]:
        """Every line with its points and texts (review/scoring/stored.py)."""
        from ..scoring import stored
        return stored.lines(self.campaign.plan_version.spec(), self.detail, lang)
