"""Survey tokens: issued in batches per target, stored as keyed digests only, printed as slips or
exported for text messages at the moment they are made — the secrets exist nowhere else."""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from ..core.errors import DomainError
from ..core.spreadsheet import csv_bytes, workbook
from ..core.tokens import IssuedToken, digests, new_token, token_key
from ..extensions import db
from ..org.models import Department, Person, Unit
from .models import Survey, SurveyState, SurveyToken, TargetKind, TokenBatch
from ..ballots.models import random_id

PURPOSE = b"survey tokens v1"
MAX_BATCH = 5000


def key() -> bytes:
    return token_key(current_app.config["SECRET_KEY"], PURPOSE)


def target_kind(survey: Survey) -> TargetKind:
    return TargetKind(survey.questionnaire_version.spec().target)


def targets(survey: Survey) -> list[tuple[int, str]]:
    """What the survey may ask about: its questionnaire's kind of target within the survey's unit subtree."""
    kind = target_kind(survey)
    in_scope = Unit.path.startswith(survey.unit.path, autoescape=True)
    if kind is TargetKind.UNIT:
        rows = db.session.execute(select(Unit.id, Unit.name).where(in_scope).order_by(Unit.path))
        return [(i, name) for i, name in rows]
    if kind is TargetKind.DEPARTMENT:
        rows = db.session.execute(select(Department.id, Unit.name, Department.name).join(Unit)
                                  .where(in_scope).order_by(Unit.path, Department.name))
        return [(i, f"{unit} {dept}") for i, unit, dept in rows]
    rows = db.session.execute(select(Person.id, Person.staff_no, Person.name, Unit.name).join(Unit)
                              .where(in_scope, Person.active.is_(True)).order_by(Person.staff_no))
    return [(i, f"{name}（{unit}）") for i, _no, name, unit in rows]


def resolve_target(survey: Survey, ref: str) -> tuple[int, str]:
    """A target named by id, or by what people know it by: a staff number, a unit code."""
    ref = (ref or "").strip()
    options = dict(targets(survey))
    kind = target_kind(survey)
    found = None
    if ref.isdigit() and int(ref) in options:
        found = int(ref)
    elif kind is TargetKind.PERSON:
        found = db.session.scalar(select(Person.id).where(Person.staff_no == ref))
    elif kind is TargetKind.UNIT:
        found = db.session.scalar(select(Unit.id).where(Unit.code == ref))
    if found is None or found not in options:
        raise DomainError(_("%(ref)s is not a target of this survey (%(kind)s within %(unit)s).",
                            ref=ref or "—", kind=kind.label, unit=survey.unit.name))
    return found, options[found]


def check_issue(survey: Survey, count: int, valid_from: date | None, valid_until: date | None) -> None:
    if survey.state is not SurveyState.OPEN:
        raise DomainError(_("Tokens can be issued only while the survey is open."))
    if not 1 <= count <= MAX_BATCH:
        raise DomainError(_("The number of tokens must be between 1 and %(n)d.", n=MAX_BATCH))
    if valid_from and valid_until and valid_until < valid_from:
        raise DomainError(_("The last valid day comes before the first."))


def issue(survey: Survey, target_id: int, target_label: str, tokens: list[IssuedToken],
          valid_from: date | None = None, valid_until: date | None = None) -> TokenBatch:
    check_issue(survey, len(tokens), valid_from, valid_until)
    batch = TokenBatch(survey_id=survey.id, target_kind=target_kind(survey), target_id=target_id,
                       target_label=target_label, count=len(tokens), valid_from=valid_from, valid_until=valid_until)
    db.session.add(batch)
    db.session.flush()
    k = key()
    db.session.execute(insert(SurveyToken), [
        {"id": random_id(), "batch_id": batch.id, "used": False, **digests(t, key=k)} for t in tokens])
    return batch


def new_tokens(count: int) -> list[IssuedToken]:
    return [new_token() for _i in range(count)]


def revoke(batch: TokenBatch) -> None:
    """Withdraw a batch: its unused tokens stop working; answers already given still count."""
    batch.revoked = True
    db.session.flush()


def register(survey: Survey) -> list[tuple[TokenBatch, int]]:
    """Each batch with how many of its tokens were answered — never which."""
    rows = db.session.execute(
        select(TokenBatch, func.count(SurveyToken.id).filter(SurveyToken.used.is_(True)))
        .outerjoin(SurveyToken, SurveyToken.batch_id == TokenBatch.id)
        .where(TokenBatch.survey_id == survey.id).group_by(TokenBatch.id).order_by(TokenBatch.id))
    return [(batch, int(used or 0)) for batch, used in rows]


def public_base_url() -> str:
    from ..ballots.slips import public_base_url as base
    return base()


def sheet_for(survey: Survey, target_label: str):
    from ..pdf import SlipSheet
    q = survey.questionnaire_version.spec()
    note = _("No login and no name: answers cannot be traced to this slip. Each slip counts once.")
    return SlipSheet(q.title, f"{target_label} · {survey.unit.name}", note, public_base_url(), "survey/")


def slips_pdf(sheet, tokens: list[IssuedToken]) -> bytes:
    from ..pdf import slip_sheet_pdf
    return slip_sheet_pdf(sheet, tokens)


def export_rows(sheet, target_label: str, tokens: list[IssuedToken]) -> list[list[str]]:
    return [[target_label, sheet.link_url(t.link), t.code] for t in tokens]


def export_xlsx(sheet, target_label: str, tokens: list[IssuedToken]) -> bytes:
    return workbook([(_("Tokens"), [_("Target"), _("Link"), _("Short code")],
                      export_rows(sheet, target_label, tokens))])


def export_csv(sheet, target_label: str, tokens: list[IssuedToken]) -> bytes:
    """UTF-8 with a BOM, so that Excel shows the Chinese; formula-like cells escaped."""
    return csv_bytes([[_("Target"), _("Link"), _("Short code")], *export_rows(sheet, target_label, tokens)])
