"""Surveys for the performance office: questionnaires (list, import, preview, export), surveys over a
unit, and their batches of one-time tokens (issue as slips or for text messages, register, withdraw)."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SubmitField

from flask_login import current_user

from ..core import upload
from ..core.access import Role, require_unit_access, roles
from ..core.errors import DomainError
from ..core.spreadsheet import CSV, XLSX
from ..extensions import db
from ..ids import query_id
from ..org.models import Unit
from ..org.queries import visible_units
from ..utils import one_time_download
from . import operations as ops
from . import tokens
from .models import QuestionnaireVersion, StoredQuestionnaire, Survey, SurveyState, TargetKind, TokenBatch
from .operations import save_questionnaire
from .yaml_io import QuestionnaireInvalid, dump_questionnaire, load_questionnaire

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

READERS = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
EDITORS = (Role.ADMIN, Role.OFFICE)


class QuestionnaireUploadForm(FlaskForm):
    file = FileField(_l("Questionnaire file (.yaml)"), validators=[FileRequired(_l("Choose a file."))])
    submit = SubmitField(_l("Check and import"))


def _questionnaires(form: QuestionnaireUploadForm, problems: list[str] | None = None):
    stored = db.session.scalars(select(StoredQuestionnaire).order_by(StoredQuestionnaire.name)).all()
    return render_template("surveys/questionnaires.html", questionnaires=stored, form=form, problems=problems,
                           targets={t.value: t for t in TargetKind})


@bp.get("/questionnaires")
@roles(*READERS)
def questionnaires():
    return _questionnaires(QuestionnaireUploadForm())


@bp.post("/questionnaires/import")
@roles(Role.ADMIN)
def import_questionnaire():
    """Administrators only: questionnaires are shared by every unit's surveys and matched by name
    from the plans, so an office must not be able to change another unit's questionnaire."""
    form = QuestionnaireUploadForm()
    if not form.validate_on_submit():
        return _questionnaires(form), 422
    try:
        # Refused from its size before it is read, as plans are.
        q = load_questionnaire(upload.read_upload(form.file.data, upload.DOCUMENT_MAX_BYTES).decode("utf-8-sig"))
    except upload.UploadTooLarge as exc:
        return _questionnaires(form, [exc.message]), 413
    except UnicodeDecodeError:
        return _questionnaires(form, [_("The file is not UTF-8 text.")]), 422
    except QuestionnaireInvalid as exc:
        # Nothing is saved; every problem is named by its place in the questionnaire.
        return _questionnaires(form, exc.problems), 422
    version = save_questionnaire(q)
    db.session.commit()
    flash(_("%(name)s saved as version %(n)d.", name=q.name, n=version.version), "success")
    return redirect(url_for("surveys.questionnaire", version_id=version.id))


@bp.get("/questionnaires/versions/<int:version_id>")
@roles(*READERS)
def questionnaire(version_id: int):
    """A version as the public will see it (the form does not send), in either language."""
    version = db.session.get(QuestionnaireVersion, version_id) or abort(404)
    lang = "en" if request.args.get("lang") == "en" else "zh"
    return render_template("surveys/questionnaire.html", version=version, q=version.spec(), lang=lang,
                           targets={t.value: t for t in TargetKind})


@bp.get("/questionnaires/versions/<int:version_id>/export.yaml")
@roles(*READERS)
def export_questionnaire(version_id: int):
    version = db.session.get(QuestionnaireVersion, version_id) or abort(404)
    data = dump_questionnaire(version.spec()).encode("utf-8")
    return send_file(io.BytesIO(data), mimetype="application/yaml", as_attachment=True,
                     download_name=f"questionnaire-{version.questionnaire_id}-v{version.version}.yaml")


# --- surveys and their tokens ---------------------------------------------------------------

def _survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id) or abort(404)
    require_unit_access(survey.unit)
    return survey


@bp.get("/")
@roles(*READERS)
def index():
    units = visible_units(current_user)
    surveys = db.session.scalars(select(Survey).where(Survey.unit_id.in_([u.id for u in units]))
                                 .order_by(Survey.id.desc())).all() if units else []
    versions = [q.latest for q in db.session.scalars(select(StoredQuestionnaire).order_by(StoredQuestionnaire.name))]
    from ..campaigns.queries import visible_campaigns
    return render_template("surveys/index.html", surveys=surveys, versions=versions, units=units,
                           campaigns=visible_campaigns(current_user), can_edit=current_user.role in EDITORS)


@bp.post("/")
@roles(*EDITORS)
def create():
    if not FlaskForm().validate_on_submit():
        abort(400)
    version = db.session.get(QuestionnaireVersion, query_id("version", request.form) or 0)
    unit = db.session.get(Unit, query_id("unit", request.form) or 0)
    name = (request.form.get("name") or "").strip()
    if version is None or unit is None:
        flash(_("Choose a questionnaire and a unit."), "error")
        return redirect(url_for("surveys.index"))
    require_unit_access(unit)
    campaign = None
    if request.form.get("campaign"):
        from ..campaigns.models import Campaign
        campaign = db.session.get(Campaign, query_id("campaign", request.form) or 0) or abort(404)
        require_unit_access(campaign.unit)
    try:
        survey = ops.create_survey(version, unit, name or f"{unit.name} · {version.questionnaire.name}", campaign)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("surveys.index"))
    db.session.commit()
    return redirect(url_for("surveys.view", survey_id=survey.id))


@bp.get("/<int:survey_id>")
@roles(*READERS)
def view(survey_id: int):
    survey = _survey(survey_id)
    from sqlalchemy import func

    from .models import SurveyPoolEntry
    waiting = db.session.scalar(select(func.count()).select_from(SurveyPoolEntry)
                                .where(SurveyPoolEntry.survey_id == survey.id))
    return render_template("surveys/view.html", survey=survey, q=survey.questionnaire_version.spec(), waiting=waiting,
                           register=tokens.register(survey), targets=tokens.targets(survey),
                           kind=tokens.target_kind(survey), base=tokens.public_base_url() + "survey/",
                           can_edit=current_user.role in EDITORS and survey.state is SurveyState.OPEN,
                           max_batch=tokens.MAX_BATCH)


def _day(raw: str | None):
    from datetime import date
    return date.fromisoformat(raw) if raw else None


@bp.post("/<int:survey_id>/tokens")
@roles(*EDITORS)
def issue_tokens(survey_id: int):
    """Issue a batch and hand it out at once — slips as PDF, or links and codes as .xlsx/.csv for text
    messages. The secrets are in this one response and nowhere else."""
    survey = _survey(survey_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    fmt = request.form.get("format", "pdf")
    try:
        count = int(request.form.get("count") or 0)
        valid_from, valid_until = _day(request.form.get("valid_from")), _day(request.form.get("valid_until"))
    except ValueError:
        flash(_("Give a number of tokens and valid dates."), "error")
        return redirect(url_for("surveys.view", survey_id=survey.id))
    try:
        target_id, label = tokens.resolve_target(survey, request.form.get("target", ""))
        tokens.check_issue(survey, count, valid_from, valid_until)
        sheet = tokens.sheet_for(survey, label)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("surveys.view", survey_id=survey.id))
    # Made with no transaction open (on SQLite a POST holds the write lock), then stored.
    db.session.rollback()
    made = tokens.new_tokens(count)
    if fmt == "xlsx":
        data, mimetype, ext = tokens.export_xlsx(sheet, label, made), XLSX, "xlsx"
    elif fmt == "csv":
        data, mimetype, ext = tokens.export_csv(sheet, label, made), CSV, "csv"
    else:
        data, mimetype, ext = tokens.slips_pdf(sheet, made), "application/pdf", "pdf"
    survey = _survey(survey_id)
    try:
        batch = tokens.issue(survey, target_id, label, made, valid_from, valid_until)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("surveys.view", survey_id=survey.id))
    db.session.commit()
    return one_time_download(data, mimetype, f"survey-{survey.id}-tokens-{batch.id}.{ext}")


@bp.post("/<int:survey_id>/batches/<int:batch_id>/revoke")
@roles(*EDITORS)
def revoke_batch(survey_id: int, batch_id: int):
    survey = _survey(survey_id)
    batch = db.session.get(TokenBatch, batch_id)
    if batch is None or batch.survey_id != survey.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    tokens.revoke(batch)
    db.session.commit()
    flash(_("The unused tokens of this batch no longer work."), "success")
    return redirect(url_for("surveys.view", survey_id=survey.id))


@bp.post("/<int:survey_id>/close")
@roles(*EDITORS)
def close(survey_id: int):
    from . import answering
    survey = _survey(survey_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if survey.state is SurveyState.OPEN:
        n = answering.close(survey)
        db.session.commit()   # the pool's copies on disk are scrubbed after the commit
        flash(_("The survey is closed; %(n)d waiting answers were counted.", n=n), "success")
    return redirect(url_for("surveys.view", survey_id=survey.id))


@bp.post("/<int:survey_id>/open-link")
@roles(*EDITORS)
def open_link(survey_id: int):
    """Switch the open link (kiosk mode) on or off. Its answers are flagged unverified."""
    import secrets
    survey = _survey(survey_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    survey.open_key = secrets.token_urlsafe(16) if request.form.get("on") == "1" else None
    db.session.commit()
    return redirect(url_for("surveys.view", survey_id=survey.id))


# --- results ----------------------------------------------------------------------------------

@bp.get("/<int:survey_id>/results")
@roles(*READERS)
def results(survey_id: int):
    from . import results as res
    survey = _survey(survey_id)
    rows = res.summary(survey)
    chart = {"labels": [r.label for r in rows if r.index is not None],
             "values": [round(r.index, 1) for r in rows if r.index is not None]}
    from . import answering
    return render_template("surveys/results.html", survey=survey, rows=rows, k=res.k_threshold(survey),
                           waiting=answering.waiting(survey),
                           chart=chart, indicators=res.campaign_indicators(survey))


@bp.get("/<int:survey_id>/results/<kind>/<int:target_id>")
@roles(*READERS)
def target_results(survey_id: int, kind: str, target_id: int):
    from . import results as res
    survey = _survey(survey_id)
    try:
        target_kind = TargetKind(kind)
    except ValueError:
        abort(404)
    verified = request.args.get("unverified") != "1"
    result = res.for_target(survey, target_kind, target_id, verified=verified)
    lang = "en" if (get_locale() and get_locale().language == "en") else "zh"
    charts = [{"title": qr.question.label(lang), "labels": [label for _v, label in qr.question.choices(lang)],
               "values": [qr.counts.get(v, 0) for v, _l in qr.question.choices(lang)]} for qr in result.questions]
    hidden_part = result.withheld if verified else result.withheld_unverified
    texts = [] if hidden_part else res.texts(survey, target_kind, target_id, verified=verified,
                                             with_hidden=current_user.role in EDITORS)
    return render_template("surveys/target_results.html", survey=survey, result=result, verified=verified,
                           hidden_part=hidden_part,
                           lang=lang, charts=charts, texts=texts, k=res.k_threshold(survey),
                           can_moderate=current_user.role in EDITORS)


@bp.post("/<int:survey_id>/texts/<answer_id>/moderate")
@roles(*EDITORS)
def moderate(survey_id: int, answer_id: str):
    """Hide a free-text answer (abuse, names, personal data) or show it again: never deleted, audited."""
    from ..core import audit
    from .models import SurveyAnswer, SurveyResponse
    survey = _survey(survey_id)
    answer = db.session.get(SurveyAnswer, answer_id)
    if answer is None or answer.survey_id != survey.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    answer.hidden = request.form.get("hide") == "1"
    response = db.session.get(SurveyResponse, answer.response_id)
    audit.record("surveys.hide_text" if answer.hidden else "surveys.show_text", object_type="survey_answers",
                 object_id=answer.id, object_label=survey.name, unit_path=survey.unit.path)
    db.session.commit()
    return redirect(url_for("surveys.target_results", survey_id=survey.id, kind=response.target_kind.value,
                            target_id=response.target_id))


@bp.get("/<int:survey_id>/results.<fmt>")
@roles(*READERS)
def export_results(survey_id: int, fmt: str):
    from . import results as res
    from ..core.spreadsheet import csv_bytes, workbook
    survey = _survey(survey_id)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    header = [_("About"), _("Target"), _("Verified"), _("Question"), _("Answer"), _("Count")]
    lines = []
    summary_rows = []
    rows = res.summary(survey)
    for r in rows:
        summary_rows.append([r.kind.label, r.label, r.responses, None if r.index is None else round(r.index, 2),
                             r.unverified, None if r.index_unverified is None else round(r.index_unverified, 2),
                             _("withheld (fewer than %(k)d answers)", k=res.k_threshold(survey))
                             if r.withheld or r.withheld_unverified else ""])
        for verified in (True, False):
            if (r.withheld if verified else r.withheld_unverified):
                continue
            detail = res.for_target(survey, r.kind, r.target_id, verified=verified, row=r)
            for qr in detail.questions:
                for value, label in qr.question.choices("zh"):
                    if qr.counts.get(value):
                        lines.append([r.kind.label, r.label, _("yes") if verified else _("no"), qr.question.text,
                                      label, qr.counts[value]])
    from .models import SurveyAnswer, SurveyResponse
    text_codes = {x.code: x.text for x in survey.questionnaire_version.spec().questions() if x.kind == "text"}
    rows_by_target = {(r.kind, r.target_id): r for r in rows}
    for answer, kind, target, verified in db.session.execute(
            select(SurveyAnswer, SurveyResponse.target_kind, SurveyResponse.target_id, SurveyResponse.verified)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyAnswer.survey_id == survey.id, SurveyAnswer.hidden.is_(False),
                   SurveyAnswer.question.in_(list(text_codes))).order_by(SurveyAnswer.id)):
        r = rows_by_target.get((kind, target))
        if r is not None and not (r.withheld if verified else r.withheld_unverified):
            lines.append([kind.label, r.label, _("yes") if verified else _("no"),
                          text_codes[answer.question], answer.value, 1])
    summary_header = [_("About"), _("Target"), _("Verified answers"), _("Satisfaction index"), _("Unverified answers"),
                      _("Index of unverified answers"), _("Note")]
    name = f"survey-{survey.id}-results.{fmt}"
    if fmt == "xlsx":
        data = workbook([(_("Summary"), summary_header, summary_rows), (_("Answers"), header, lines)])
        return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=name)
    return send_file(io.BytesIO(csv_bytes([header, *lines])), mimetype=CSV, as_attachment=True, download_name=name)
