"""Answering a survey without an account: by a one-time token (slip or text message), or through a
survey's open link at a kiosk (unverified).

Redeeming a token is one conditional UPDATE whose row count decides, in the same transaction as
the sealed response dropped into the pool, so that exactly one of any number of attempts counts.
The pool is written out per target once at least ``SURVEY_COUNT_BATCH`` responses wait (and all of
it when the survey closes), shuffled, under one transaction id: a database reader who knows which
tokens were used since the last count learns a set of that many people, never who answered what."""
from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update

from ..ballots.models import random_id
from ..ballots.sealing import seal, unseal
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..core.tokens import digest, looks_like_link_token, normalize_code
from ..extensions import db
from .models import (Survey, SurveyAnswer, SurveyPoolEntry, SurveyResponse, SurveyState, SurveyToken, TargetKind,
                     TokenBatch)
from .spec import Questionnaire
from .tokens import key

COUNT_BATCH_DEFAULT = 5
_shuffle = secrets.SystemRandom().shuffle


class TokenRefused(DomainError):
    """Why a token cannot be used — about this token only, never about others."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class Incomplete(DomainError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(_("Please complete the questions marked below."))
        self.errors = errors


def normalize(secret: str) -> tuple[str, str] | None:
    code = normalize_code(secret)
    if code is not None:
        return "code", code
    if looks_like_link_token(secret):
        return "link", secret
    return None


@dataclass
class Opened:
    token: SurveyToken
    batch: TokenBatch
    survey: Survey

    @property
    def questionnaire(self) -> Questionnaire:
        return self.survey.questionnaire_version.spec()


def open_token(secret: str) -> Opened:
    form = normalize(secret or "")
    token = None
    if form is not None:
        kind, value = form
        column = SurveyToken.code_digest if kind == "code" else SurveyToken.link_digest
        token = db.session.scalar(select(SurveyToken).where(column == digest(value, key=key())))
    if token is None:
        raise TokenRefused("unknown", _("This code was not found. Please check it and type it again."))
    batch = db.session.get(TokenBatch, token.batch_id)
    survey = db.session.get(Survey, batch.survey_id)
    today = local_today()
    if token.used:
        raise TokenRefused("used", _("This code has already been used. Thank you: each code counts once."))
    if batch.revoked:
        raise TokenRefused("revoked", _("This code has been withdrawn."))
    if survey.state is not SurveyState.OPEN or (batch.valid_until and today > batch.valid_until):
        raise TokenRefused("expired", _("This survey is no longer open to answers."))
    if batch.valid_from and today < batch.valid_from:
        raise TokenRefused("early", _("This code can be used from %(day)s.", day=batch.valid_from.isoformat()))
    return Opened(token, batch, survey)


def _sealed(survey: Survey, kind: TargetKind, target_id: int, answers: dict, verified: bool) -> dict:
    return {"id": random_id(), "survey_id": survey.id, "sealed": seal({
        "kind": kind.value, "target": target_id, "verified": verified, "answers": answers})}


def submit(secret: str, form: dict[str, list[str]]) -> Survey:
    """Answer with a token: all questions checked first; then the token is spent exactly once."""
    opened = open_token(secret)
    answers, errors = opened.questionnaire.clean(form)
    if errors:
        raise Incomplete(errors)
    spent = db.session.execute(
        update(SurveyToken).where(SurveyToken.id == opened.token.id, SurveyToken.used.is_(False))
        .values(used=True).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        raise TokenRefused("used", _("This code has already been used. Thank you: each code counts once."))
    db.session.execute(insert(SurveyPoolEntry), [_sealed(opened.survey, opened.batch.target_kind,
                                                          opened.batch.target_id, answers, True)])
    return opened.survey


def submit_open(survey: Survey, target_id: int, form: dict[str, list[str]]) -> None:
    """Answer through the open link (kiosk): no token, so flagged unverified and counted apart."""
    if survey.state is not SurveyState.OPEN or not survey.open_key:
        raise TokenRefused("expired", _("This survey is no longer open to answers."))
    from .tokens import target_kind, targets
    if target_id not in dict(targets(survey)):
        raise DomainError(_("Choose whom your answers are about."))
    answers, errors = survey.questionnaire_version.spec().clean(form)
    if errors:
        raise Incomplete(errors)
    db.session.execute(insert(SurveyPoolEntry), [_sealed(survey, target_kind(survey), target_id, answers, False)])


def count(survey: Survey, *, everything: bool = False) -> int:
    """Write out the pooled responses of every target with at least the batch size waiting (all of
    them when ``everything``, at close), shuffled. Returns how many responses were counted."""
    entries = list(db.session.scalars(select(SurveyPoolEntry).where(SurveyPoolEntry.survey_id == survey.id)
                                      .with_for_update()))
    if not entries:
        return 0
    batch = current_app.config.get("SURVEY_COUNT_BATCH", COUNT_BATCH_DEFAULT)
    by_target: dict[tuple[str, int], list[tuple[SurveyPoolEntry, dict]]] = defaultdict(list)
    for e in entries:
        content = unseal(e.sealed)
        by_target[(content["kind"], content["target"])].append((e, content))
    ready = [items for items in by_target.values() if everything or len(items) >= batch]
    if not ready:
        return 0
    q = survey.questionnaire_version.spec()
    today = local_today()
    responses, answers, done = [], [], []
    for items in ready:
        for entry, content in items:
            rid = random_id()
            responses.append({"id": rid, "survey_id": survey.id, "target_kind": TargetKind(content["kind"]),
                              "target_id": content["target"], "day": today, "verified": content["verified"],
                              "index": q.index(content["answers"])})
            for code, value in content["answers"].items():
                for v in (value if isinstance(value, list) else [value]):
                    answers.append({"id": random_id(), "response_id": rid, "survey_id": survey.id,
                                    "question": code, "value": str(v), "hidden": False})
            done.append(entry.id)
    _shuffle(responses)
    _shuffle(answers)
    db.session.execute(insert(SurveyResponse), responses)
    if answers:
        db.session.execute(insert(SurveyAnswer), answers)
    db.session.execute(delete(SurveyPoolEntry).where(SurveyPoolEntry.id.in_(done)))
    db.session.flush()
    return len(done)


def close(survey: Survey) -> int:
    """Close the survey: no more answers; everything waiting is counted, and the campaign it feeds
    scored again."""
    db.session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    survey.state = SurveyState.CLOSED
    n = count(survey, everything=True)
    rescore(survey)
    return n


def rescore(survey: Survey) -> None:
    """Score the campaign the survey feeds again, with the answers counted so far."""
    if survey.campaign_id:
        from ..campaigns.loader import recompute
        from ..campaigns.models import Campaign
        campaign = db.session.get(Campaign, survey.campaign_id)
        if campaign is not None:
            recompute(campaign)

