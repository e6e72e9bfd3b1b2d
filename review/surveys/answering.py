"""Answering a survey without an account: by a one-time token (slip or text message), or through a
survey's open link at a kiosk (unverified).

Redeeming a token is one conditional UPDATE whose row count decides, in the same transaction as
the sealed response dropped into the pool, so that exactly one of any number of attempts counts.
The pool is counted once, when the survey closes: every response is written out shuffled under
one transaction id, and results exist only from then on — so nobody can compare results before
and after one person's answer, and no database reader can narrow an answer down to the few tokens
spent between two counts (the same reasoning as for anonymous ballots, docs/anonymity.md)."""
from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, insert, select, text, update

from ..ballots.models import random_id
from ..ballots.sealing import plain_text, seal, unseal
from ..core.after_commit import defer
from ..core.errors import DomainError
from ..core.timeutil import local_today
from ..core.tokens import digest, parse_secret
from ..database import read_outside_transaction, scrub_after_count
from ..extensions import db
from .models import (QuestionnaireVersion, Survey, SurveyAnswer, SurveyPoolEntry, SurveyResponse, SurveyState,
                     SurveySuppression, SurveyToken, TargetKind, TokenBatch, questionnaire_from)
from .results import k_threshold
from .spec import TEXT_MAX, Questionnaire
from .tokens import key

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


normalize = parse_secret


@dataclass(frozen=True)
class Opened:
    """A token that may be used now, with what answering needs of its batch and survey."""
    token_id: object
    survey_id: int
    target_kind: TargetKind
    target_id: int
    target_label: str
    questionnaire_version_id: int
    questionnaire: Questionnaire

    @property
    def ticket(self) -> str:
        """What the page carries back when it is sent, so that sending need not read the token again:
        the statement that spends it checks every part against the database (:func:`_spend_and_pool`)."""
        return f"{self.survey_id}.{self.questionnaire_version_id}.{self.target_kind.value}.{self.target_id}"


# Frozen versions never change (editing one in use makes a new version): parsed once per process.
_frozen_questionnaires: dict[int, Questionnaire] = {}


def questionnaire_of(version_id: int, frozen: bool, conn=None) -> Questionnaire:
    """A questionnaire version's questions; frozen ones from this process's memory after their first
    read, so a public page does not fetch and decode the document on every request."""
    if frozen and version_id in _frozen_questionnaires:
        return _frozen_questionnaires[version_id]
    query = select(QuestionnaireVersion.document).where(QuestionnaireVersion.id == version_id)
    if conn is None:
        with read_outside_transaction(db.engine) as own:
            document = own.scalar(query)
    else:
        document = conn.scalar(query)
    if document is None:
        raise TokenRefused("expired", _("This survey is no longer open to answers."))
    q = questionnaire_from(document)
    if frozen:
        if len(_frozen_questionnaires) > 256:
            _frozen_questionnaires.clear()
        _frozen_questionnaires[version_id] = q
    return q


# Plain columns rather than four ORM objects: a public answer page reads them on every request. Built
# once: constructing the statement is a good part of a request's Python time.
_OPEN_COLUMNS = (SurveyToken.id, SurveyToken.used, TokenBatch.revoked, TokenBatch.valid_from, TokenBatch.valid_until,
                 TokenBatch.target_kind, TokenBatch.target_id, TokenBatch.target_label, Survey.id, Survey.state,
                 QuestionnaireVersion.id, QuestionnaireVersion.frozen)
_OPEN_QUERY = (select(*_OPEN_COLUMNS)
               .join(TokenBatch, TokenBatch.id == SurveyToken.batch_id)
               .join(Survey, Survey.id == TokenBatch.survey_id)
               .join(QuestionnaireVersion, QuestionnaireVersion.id == Survey.questionnaire_version_id))
_OPEN_BY = {"code": _OPEN_QUERY.where(SurveyToken.code_digest == bindparam("digest")),
            "link": _OPEN_QUERY.where(SurveyToken.link_digest == bindparam("digest"))}
_OPEN_BY_FOR_ANSWER = {kind: q.with_for_update(read=True, of=Survey) for kind, q in _OPEN_BY.items()}


def open_token(secret: str, *, for_answer: bool = False) -> Opened:
    """The token a person typed or scanned, with its batch, survey and questionnaire, in one query.

    ``for_answer``: read in the session's transaction with the survey row share-locked until the answer
    commits (see :func:`_share_locked`). Otherwise the page only shows the questions: one read outside
    any transaction, which on PostgreSQL spares the BEGIN and ROLLBACK round trips and on SQLite takes
    no write lock."""
    form = normalize(secret or "")
    row = None
    if form is not None:
        kind, value = form
        params = {"digest": digest(value, key=key())}
        if for_answer:
            row = db.session.execute(_OPEN_BY_FOR_ANSWER[kind], params).first()
            if row is not None:
                q = questionnaire_of(row[10], row[11], db.session)
        else:
            with read_outside_transaction(db.engine) as conn:
                row = conn.execute(_OPEN_BY[kind], params).first()
                if row is not None:
                    q = questionnaire_of(row[10], row[11], conn)
    if row is None:
        raise TokenRefused("unknown", _("This code was not found. Please check it and type it again."))
    (token_id, used, revoked, valid_from, valid_until, target_kind, target_id, target_label, survey_id, state,
     version_id, _frozen) = row
    today = local_today()
    if used:
        raise TokenRefused("used", _("This code has already been used. Thank you: each code counts once."))
    if revoked:
        raise TokenRefused("revoked", _("This code has been withdrawn."))
    if state is not SurveyState.OPEN or (valid_until and today > valid_until):
        raise TokenRefused("expired", _("This survey is no longer open to answers."))
    if valid_from and today < valid_from:
        raise TokenRefused("early", _("This code can be used from %(day)s.", day=valid_from.isoformat()))
    return Opened(token_id, survey_id, target_kind, target_id, target_label, version_id, q)


def _share_locked(query):
    """Share-lock the survey row until the answer commits: closing takes the row for update and counts
    the pool, so it waits for answers in flight and none is left sealed after the count. Read afresh,
    so a state changed since the session last saw the row is the one checked."""
    return query.with_for_update(read=True, of=Survey).execution_options(populate_existing=True)


def _sealed(survey_id: int, kind: TargetKind, target_id: int, answers: dict, verified: bool,
            q: Questionnaire) -> dict:
    answers = {code: plain_text(v, TEXT_MAX) if isinstance(v, str) and code in _text_codes(q) else v
               for code, v in answers.items()}
    return {"id": random_id(), "survey_id": survey_id, "sealed": seal({
        "kind": kind.value, "target": target_id, "verified": verified, "answers": answers},
        pool="survey", pool_id=survey_id, size=pool_size(q))}


@lru_cache(maxsize=256)
def _text_codes(q: Questionnaire) -> frozenset[str]:
    return frozenset(x.code for x in q.questions() if x.kind == "text")


@lru_cache(maxsize=256)
def pool_size(q: Questionnaire) -> int:
    """The plaintext size of every sealed response of a survey asking ``q``: room for the longest answers
    the questionnaire accepts, so that a row's length never tells how much a person wrote."""
    bound = 120   # kind, target, verified and the JSON around the answers
    for question in q.questions():
        bound += len(question.code.encode()) + 8
        if question.kind == "text":
            bound += TEXT_MAX * 4      # at most 4 bytes a character once control characters are gone
        elif question.kind == "multiple":
            bound += sum(len(o.code.encode()) + 3 for o in question.options)
        elif question.kind == "single":
            bound += max((len(o.code.encode()) + 2 for o in question.options), default=2)
        else:
            bound += 4
    return -(-bound // 1024) * 1024


def _lock_open(survey_id: int) -> None:
    survey = db.session.scalar(_share_locked(select(Survey).where(Survey.id == survey_id)))
    if survey is None or survey.state is not SurveyState.OPEN:
        raise TokenRefused("expired", _("This survey is no longer open to answers."))


def submit(secret: str, form: dict[str, list[str]]) -> None:
    """Answer with a token: all questions checked first; then the token is spent exactly once."""
    submit_opened(open_token(secret, for_answer=True), form)


def submit_opened(opened: Opened, form: dict[str, list[str]]) -> None:
    """Answer with a token opened ``for_answer`` in this transaction."""
    answers, errors = opened.questionnaire.clean(form)
    if errors:
        raise Incomplete(errors)
    spent = db.session.execute(
        update(SurveyToken).where(SurveyToken.id == opened.token_id, SurveyToken.used.is_(False))
        .values(used=True).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        raise TokenRefused("used", _("This code has already been used. Thank you: each code counts once."))
    db.session.execute(insert(SurveyPoolEntry), [_sealed(opened.survey_id, opened.target_kind, opened.target_id,
                                                          answers, True, opened.questionnaire)])


def _single_statement() -> bool:
    return db.engine.dialect.name == "postgresql"


def open_for_page(secret: str, *, sending: bool) -> Opened:
    """The token of a public page's request. On PostgreSQL always read outside any transaction: the
    answer is then spent by one statement that checks everything again (:func:`submit_from_page`). On
    SQLite, when sending, read inside the request's write transaction, which spends it."""
    return open_token(secret, for_answer=sending and not _single_statement())


def submit_from_page(opened: Opened, form: dict[str, list[str]]) -> None:
    """Answer from the public page, opened by :func:`open_for_page`: the answer is the request's only
    write. Raises Incomplete (nothing spent) or TokenRefused."""
    if not _single_statement():
        submit_opened(opened, form)
        return
    answers, errors = opened.questionnaire.clean(form)
    if errors:
        raise Incomplete(errors)
    entry = _sealed(opened.survey_id, opened.target_kind, opened.target_id, answers, True, opened.questionnaire)
    pooled = _spend_and_pool("id", opened.token_id, entry, opened.questionnaire_version_id, opened.target_kind,
                             opened.target_id)
    if pooled != 1:
        # Something changed since the page was read: say what, about this token only.
        _why_not_now(opened)
        raise TokenRefused("used", _("This code has already been used. Thank you: each code counts once."))


# On PostgreSQL an answer from the page is one statement in a transaction of its own: it spends the token
# (found by its id, or by its digest when the page carries its ticket, :attr:`Opened.ticket`, and nothing
# was read first) and pools the sealed response only if the survey is open with that questionnaire (its
# row share-locked, so that closing waits for it as for any answer in flight) and the token's batch, not
# withdrawn and valid today, is about that target; anything else spends nothing, and a last read says why.
_SPEND_AND_POOL = """
WITH open_survey AS (
    SELECT id FROM surveys
    WHERE id = :survey_id AND state = :open AND questionnaire_version_id = :version_id FOR SHARE
), spent AS (
    UPDATE survey_tokens SET used = true
    WHERE {column} = :token AND used = false
      AND EXISTS (SELECT 1 FROM open_survey)
      AND EXISTS (SELECT 1 FROM survey_token_batches b
                  WHERE b.id = survey_tokens.batch_id AND b.survey_id = :survey_id AND b.revoked = false
                    AND b.target_kind = :kind AND b.target_id = :target_id
                    AND (b.valid_from IS NULL OR b.valid_from <= :today)
                    AND (b.valid_until IS NULL OR b.valid_until >= :today))
    RETURNING id
)
INSERT INTO survey_pool (id, survey_id, sealed) SELECT :id, :survey_id, :sealed FROM spent
"""
_SPEND_BY = {"code": text(_SPEND_AND_POOL.format(column="code_digest")),
            "link": text(_SPEND_AND_POOL.format(column="link_digest")),
            "id": text(_SPEND_AND_POOL.format(column="id"))}


def _spend_and_pool(by: str, token, entry: dict, version_id: int, kind: TargetKind, target_id: int) -> int:
    """Run the statement above; returns how many responses it pooled (1, or 0: nothing was spent)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return conn.execute(_SPEND_BY[by], {
            **entry, "token": token, "open": SurveyState.OPEN.value, "version_id": version_id, "kind": kind.value,
            "target_id": target_id, "today": local_today()}).rowcount


def _read_ticket(ticket: str | None) -> tuple[int, int, TargetKind, int] | None:
    parts = (ticket or "").split(".")
    if len(parts) != 4 or not (parts[0].isdigit() and parts[1].isdigit() and parts[3].isdigit()):
        return None
    try:
        kind = TargetKind(parts[2])
    except ValueError:
        return None
    survey_id, version_id, target_id = int(parts[0]), int(parts[1]), int(parts[3])
    if not all(0 < n < 2 ** 31 for n in (survey_id, version_id, target_id)):
        return None
    return survey_id, version_id, kind, target_id


def send_by_ticket(secret: str, ticket: str | None, form: dict[str, list[str]]) -> Questionnaire | None:
    """Spend the token and pool its answers in one statement, without reading first (PostgreSQL, a
    frozen questionnaire this process knows). Returns the questionnaire when the answer counted; None
    when this way cannot tell (no or stale ticket, a questionnaire not at hand, answers incomplete, a
    token refused): then nothing was spent, and the page takes the way that reads the token."""
    parsed = _read_ticket(ticket)
    code = normalize(secret or "")
    if parsed is None or code is None or not _single_statement():
        return None
    survey_id, version_id, kind, target_id = parsed
    q = _frozen_questionnaires.get(version_id)
    if q is None:
        return None
    answers, errors = q.clean(form)
    if errors:
        return None
    entry = _sealed(survey_id, kind, target_id, answers, True, q)
    pooled = _spend_and_pool(code[0], digest(code[1], key=key()), entry, version_id, kind, target_id)
    return q if pooled == 1 else None


def _why_not_now(opened: Opened) -> None:
    """Raise the reason a token opened earlier cannot be used now (closed survey, withdrawn batch)."""
    with read_outside_transaction(db.engine) as conn:
        row = conn.execute(select(Survey.state, TokenBatch.revoked).join(TokenBatch, TokenBatch.survey_id == Survey.id)
                           .join(SurveyToken, SurveyToken.batch_id == TokenBatch.id)
                           .where(SurveyToken.id == opened.token_id)).first()
    if row is not None and row.revoked:
        raise TokenRefused("revoked", _("This code has been withdrawn."))
    if row is None or row.state is not SurveyState.OPEN:
        raise TokenRefused("expired", _("This survey is no longer open to answers."))


def submit_open(survey: Survey, target_id: int, form: dict[str, list[str]]) -> None:
    """Answer through the open link (kiosk): no token, so flagged unverified and counted apart."""
    _lock_open(survey.id)
    if not survey.open_key:
        raise TokenRefused("expired", _("This survey is no longer open to answers."))
    from .tokens import target_kind, targets
    if target_id not in dict(targets(survey)):
        raise DomainError(_("Choose whom your answers are about."))
    q = survey.questionnaire_version.spec()
    answers, errors = q.clean(form)
    if errors:
        raise Incomplete(errors)
    db.session.execute(insert(SurveyPoolEntry), [_sealed(survey.id, target_kind(survey), target_id, answers, False, q)])


def count(survey: Survey) -> int:
    """Write out every pooled response of the survey, shuffled, in one transaction. Returns how many."""
    entries = list(db.session.scalars(select(SurveyPoolEntry).where(SurveyPoolEntry.survey_id == survey.id)
                                      .with_for_update()))
    if not entries:
        return 0
    q = survey.questionnaire_version.spec()
    today = local_today()
    contents = [unseal(entry.sealed, pool="survey", pool_id=survey.id) for entry in entries]
    # The k rule at the count: a target's part (verified, unverified) with fewer than k responses keeps
    # only its number; its answers are never written out.
    k = k_threshold(survey)
    parts = Counter((c["kind"], c["target"], bool(c["verified"])) for c in contents)
    suppressed = [{"survey_id": survey.id, "target_kind": TargetKind(kind), "target_id": target,
                   "verified": verified, "responses": n}
                  for (kind, target, verified), n in parts.items() if n < k]
    small = {(r["target_kind"].value, r["target_id"], r["verified"]) for r in suppressed}
    responses, answers = [], []
    for content in contents:
        if (content["kind"], content["target"], bool(content["verified"])) in small:
            continue
        rid = random_id()
        responses.append({"id": rid, "survey_id": survey.id, "target_kind": TargetKind(content["kind"]),
                          "target_id": content["target"], "day": today, "verified": content["verified"],
                          "index": q.index(content["answers"])})
        for code, value in content["answers"].items():
            for v in (value if isinstance(value, list) else [value]):
                answers.append({"id": random_id(), "response_id": rid, "survey_id": survey.id,
                                "question": code, "value": str(v), "hidden": False})
    _shuffle(responses)
    _shuffle(answers)
    _shuffle(suppressed)
    if suppressed:
        _add_suppressed(survey.id, suppressed)
    if responses:
        db.session.execute(insert(SurveyResponse), responses)
    if answers:
        db.session.execute(insert(SurveyAnswer), answers)
    db.session.execute(delete(SurveyPoolEntry).where(SurveyPoolEntry.survey_id == survey.id))
    # Once this commits, no copy of the emptied pool stays on disk (review/database.py).
    defer(_scrub_pool, survey.id)
    db.session.flush()
    return len(entries)


def _add_suppressed(survey_id: int, rows: list[dict]) -> None:
    """Counts of parts below k, added to those of an earlier count of the same survey (a survey counted,
    reopened and counted again keeps one note per part)."""
    earlier = {(s.target_kind, s.target_id, s.verified): s for s in db.session.scalars(
        select(SurveySuppression).where(SurveySuppression.survey_id == survey_id))}
    for row in rows:
        note = earlier.get((row["target_kind"], row["target_id"], row["verified"]))
        if note is not None:
            note.responses += row["responses"]
        else:
            db.session.add(SurveySuppression(**row))


def waiting(survey: Survey) -> int:
    from sqlalchemy import func
    return db.session.scalar(select(func.count()).select_from(SurveyPoolEntry)
                             .where(SurveyPoolEntry.survey_id == survey.id)) or 0


def close(survey: Survey) -> int:
    """Close the survey: no more answers; everything waiting is counted, and the campaign it feeds
    scored again."""
    db.session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    survey.state = SurveyState.CLOSED
    survey.open_key = None
    n = count(survey)
    rescore(survey)
    return n


def _scrub_pool(_survey_id: int) -> None:
    scrub_after_count("survey_pool")


def rescore(survey: Survey) -> None:
    """Score the campaign the survey feeds again, with the answers counted so far."""
    if survey.campaign_id:
        from ..campaigns.models import Campaign
        from ..campaigns.rescoring import rescore
        campaign = db.session.get(Campaign, survey.campaign_id)
        if campaign is not None:
            rescore(campaign)

