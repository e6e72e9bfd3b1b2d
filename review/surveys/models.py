"""Public satisfaction surveys: questionnaires (versioned like plans), surveys run over a unit's
targets, batches of one-time tokens, and anonymous responses.

Anonymity follows the ballots (docs/anonymity.md): a token is stored as keyed digests and a used
flag; redeeming it flips the flag and seals the response into a pool in one transaction; the
pool is written out in shuffled batches of at least k responses per target (and at close), so
that neither a key, an order, a time finer than the day nor a transaction id ties a response to
the token that brought it."""
from __future__ import annotations

import enum
from functools import lru_cache
from datetime import date, datetime

import orjson
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..ballots.models import random_id
from ..core.timeutil import utcnow
from ..core.types import str_enum
from ..extensions import db
from ..org.models import Unit
from .spec import Questionnaire
from .yaml_io import parse_questionnaire


class TargetKind(enum.StrEnum):
    UNIT = "unit"
    DEPARTMENT = "department"
    PERSON = "person"

    @property
    def label(self) -> str:
        return str(TARGET_LABELS[self.value])


TARGET_LABELS = {"unit": _l("Unit"), "department": _l("Department"), "person": _l("Person")}


class StoredQuestionnaire(db.Model):
    __tablename__ = "questionnaires"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.version", cascade="all, delete-orphan")

    @property
    def latest(self) -> QuestionnaireVersion:
        return self.versions[-1]

    @property
    def audit_label(self) -> str:
        return self.name


class QuestionnaireVersion(db.Model):
    """A questionnaire's text as data. Frozen once a survey uses it: editing then makes a new version,
    so answers always refer to the questions that were asked."""

    __tablename__ = "questionnaire_versions"
    __audited__ = True
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict] = mapped_column(JSON)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    questionnaire: Mapped[StoredQuestionnaire] = relationship(back_populates="versions")

    def spec(self) -> Questionnaire:
        return questionnaire_from(self.document)

    @property
    def audit_label(self) -> str:
        return f"{self.questionnaire.name if self.questionnaire else ''} v{self.version}"


def questionnaire_from(document: dict) -> Questionnaire:
    """A stored questionnaire document as a Questionnaire."""
    return _parsed(orjson.dumps(document, option=orjson.OPT_SORT_KEYS))


@lru_cache(maxsize=64)
def _parsed(document: bytes) -> Questionnaire:
    # The public pages read the questionnaire on every request; parsing it is most of a request's
    # Python time. Keyed by the text itself, so a version edited in place is never served stale.
    # Questionnaires are frozen dataclasses: sharing one between requests is safe.
    return parse_questionnaire(orjson.loads(document))


class SurveyState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(SURVEY_STATE_LABELS[self.value])


SURVEY_STATE_LABELS = {"open": _l("Open"), "closed": _l("Closed")}


class Survey(db.Model):
    """A questionnaire version asked about the targets of one unit's subtree, optionally for a
    campaign whose public-survey indicators it feeds."""

    __tablename__ = "surveys"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id", ondelete="RESTRICT"),
                                                          index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    state: Mapped[SurveyState] = mapped_column(str_enum(SurveyState, "survey_state"), default=SurveyState.OPEN)
    # Open-link mode for a kiosk: answers without a token, flagged unverified. None: off.
    open_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    unit: Mapped[Unit] = relationship()

    @property
    def audit_unit_path(self) -> str | None:
        return self.unit.path if self.unit else None


class TokenBatch(db.Model):
    """Tokens issued at once for one target of a survey: how many, valid when, withdrawn or not."""

    __tablename__ = "survey_token_batches"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind, "target_kind"))
    target_id: Mapped[int] = mapped_column(Integer)
    target_label: Mapped[str] = mapped_column(String(200))  # the name when issued, as printed on the slips
    count: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    survey: Mapped[Survey] = relationship()

    @property
    def audit_label(self) -> str:
        return f"{self.target_label} × {self.count}"

    @property
    def audit_unit_path(self) -> str | None:
        return self.survey.audit_unit_path if self.survey else None


class SurveyToken(db.Model):
    """One token: keyed digests of its link secret and short code, and whether it was used. A random
    key, no time, no answer, so it shares nothing with the response it brought."""

    __tablename__ = "survey_tokens"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    batch_id: Mapped[int] = mapped_column(ForeignKey("survey_token_batches.id", ondelete="CASCADE"), index=True)
    link_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    code_digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class SurveyPoolEntry(db.Model):
    """A response, sealed, waiting to be counted with others of its target (see the module docstring)."""

    __tablename__ = "survey_pool"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class SurveyResponse(db.Model):
    """One counted response: its target, whether a token vouched for it, the day it was counted and
    its satisfaction index. No token, no address, no user agent, no time finer than the day."""

    __tablename__ = "survey_responses"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind, "target_kind"))
    target_id: Mapped[int] = mapped_column(Integer, index=True)
    day: Mapped[date] = mapped_column(Date)
    verified: Mapped[bool] = mapped_column(Boolean)
    index: Mapped[float | None] = mapped_column(Float)


class SurveySuppression(db.Model):
    """A target's part (verified, or unverified) that had fewer than k responses at the count: only
    their number is kept, their answers were dropped — the database never holds what the pages may not
    show (whoever knows who held the few codes would know their answers)."""

    __tablename__ = "survey_suppressions"
    __table_args__ = {"sqlite_with_rowid": False}

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True)
    target_kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind, "target_kind"), primary_key=True)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    verified: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    responses: Mapped[int] = mapped_column(Integer)


class SurveyAnswer(db.Model):
    """One answer of a counted response: a choice's value (one row per selected option), a score, or a
    text. Texts can be hidden by moderation, never deleted."""

    __tablename__ = "survey_answers"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    response_id: Mapped[str] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(2000))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
