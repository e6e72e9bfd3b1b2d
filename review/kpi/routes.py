"""Quantitative data pages: a campaign's KPI sheet (template, upload → preview → confirm,
history of batches) and manual entries with their review."""
from __future__ import annotations

import hashlib
import io
from collections import Counter

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, SubmitField

from ..campaigns.models import Campaign, CampaignState, CampaignSubject
from ..core import upload
from ..core.access import Role, authenticated, require_unit_access, roles
from ..core.errors import DomainError
from ..core.spreadsheet import XLSX
from ..extensions import db
from ..org.models import Person, Unit
from . import entries as entry_ops
from .importer import import_file
from .models import EntryState, KpiBatch, KpiEntry, KpiRecord
from .values import current
from .sheets import template_workbook

bp = Blueprint("kpi", __name__)

READERS = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
EDITORS = (Role.ADMIN, Role.OFFICE)


class UploadForm(FlaskForm):
    file = FileField(_l("KPI sheet (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])
    submit = SubmitField(_l("Check the file"))


class ConfirmForm(FlaskForm):
    token = HiddenField()
    submit = SubmitField(_l("Import now"))


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    require_unit_access(campaign.unit)
    return campaign


def _scope() -> Unit | None:
    return None if current_user.role is Role.ADMIN else current_user.scope_unit


def _overview(campaign: Campaign, **extra):
    measures = campaign.plan_version.spec().kpi_measures()
    counts = Counter(measure for _pid, measure in current(campaign.id))
    batches = db.session.scalars(select(KpiBatch).where(KpiBatch.campaign_id == campaign.id)
                                 .order_by(KpiBatch.id.desc()).limit(50)).all()
    pending = db.session.scalar(select(func.count()).select_from(KpiEntry).where(
        KpiEntry.campaign_id == campaign.id, KpiEntry.state == EntryState.PENDING))
    return render_template("kpi/index.html", campaign=campaign, measures=measures, counts=counts,
                           subjects=len(campaign.subjects), batches=batches, pending=pending,
                           can_edit=current_user.role in EDITORS and campaign.accepts_inputs, **extra)


@bp.get("/campaigns/<int:campaign_id>/kpis")
@roles(*READERS)
def index(campaign_id: int):
    campaign = _campaign(campaign_id)
    return _overview(campaign, form=UploadForm())


@bp.post("/campaigns/<int:campaign_id>/kpis/import")
@roles(*EDITORS)
def import_check(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return _overview(campaign, form=form), 422
    try:
        data = upload.read_upload(form.file.data, upload.sheet_limit())
    except upload.UploadTooLarge as exc:
        form.file.errors.append(exc.message)
        return _overview(campaign, form=form), 413
    filename = (form.file.data.filename or "")[:255] or None
    report = import_file(campaign, data, apply=False, scope=_scope(), filename=filename,
                         max_rows=current_app.config["ROSTER_MAX_ROWS"])
    db.session.rollback()
    if not report.ok:
        return _overview(campaign, form=form, report=report), 422
    key = f"kpi_upload_{campaign.id}"
    upload.discard_pending((session.get(key) or {}).get("token"))
    token = upload.keep_pending(data)
    session[key] = {"token": token, "sha256": report.sha256, "filename": filename}
    return _overview(campaign, form=None, report=report, confirm=ConfirmForm(token=token))


@bp.post("/campaigns/<int:campaign_id>/kpis/import/confirm")
@roles(*EDITORS)
def import_confirm(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = ConfirmForm()
    key = f"kpi_upload_{campaign.id}"
    pending = session.get(key) or {}
    data = upload.load_pending(pending.get("token")) if form.validate_on_submit() and \
        form.token.data == pending.get("token") else None
    if data is None:
        flash(_("This import is no longer pending. Please upload the file again."), "error")
        return redirect(url_for("kpi.index", campaign_id=campaign.id))
    if hashlib.sha256(data).hexdigest() != pending["sha256"]:
        abort(400)
    report = import_file(campaign, data, apply=True, scope=_scope(), filename=pending.get("filename"),
                         user_id=current_user.id, max_rows=current_app.config["ROSTER_MAX_ROWS"])
    upload.discard_pending(pending["token"])
    session.pop(key, None)
    if not report.ok:
        # Something changed since the preview (people, the campaign's state): nothing is written.
        db.session.rollback()
        return _overview(campaign, form=UploadForm(), report=report), 422
    db.session.commit()
    flash(_("KPI values imported.") + " " + report.summary, "success")
    return redirect(url_for("kpi.index", campaign_id=campaign.id))


@bp.get("/campaigns/<int:campaign_id>/kpis/sheet.xlsx")
@roles(*READERS)
def sheet(campaign_id: int):
    campaign = _campaign(campaign_id)
    return send_file(io.BytesIO(template_workbook(campaign, scope=_scope())), mimetype=XLSX, as_attachment=True,
                     download_name=f"kpi-{campaign.id}.xlsx")


@bp.get("/campaigns/<int:campaign_id>/kpis/batches/<int:batch_id>")
@roles(*READERS)
def batch(campaign_id: int, batch_id: int):
    campaign = _campaign(campaign_id)
    found = db.session.get(KpiBatch, batch_id)
    if found is None or found.campaign_id != campaign.id:
        abort(404)
    stmt = (select(KpiRecord.id, KpiRecord.person_id, KpiRecord.values)
            .join(Person, Person.id == KpiRecord.person_id).join(Unit, Unit.id == Person.unit_id)
            .where(KpiRecord.batch_id == found.id).order_by(Person.staff_no))
    if _scope() is not None:
        stmt = stmt.where(Unit.path.startswith(_scope().path, autoescape=True))
    records = db.session.execute(stmt.limit(1000)).all()
    people = {p.id: p for p in db.session.scalars(select(Person).where(
        Person.id.in_({pid for _rid, pid, _values in records})))} if records else {}
    now = current(campaign.id, list(people)) if people else {}
    names = {m.code: m.name for m in campaign.plan_version.spec().kpi_measures()}
    # Each value, and whether a later import or approved entry has replaced it since.
    values = [(people[pid], names.get(code, code), value, now[(pid, code)].record_id != rid)
              for rid, pid, record in records for code, value in sorted(record.items())]
    return render_template("kpi/batch.html", campaign=campaign, batch=found, values=values,
                           truncated=len(records) >= 1000)


# --- manual entries (补录) ---------------------------------------------------------


def _entry_people(campaign: Campaign) -> list[Person]:
    """Whom the current user may enter values for in this campaign."""
    stmt = (select(Person).join(CampaignSubject, CampaignSubject.person_id == Person.id)
            .join(Unit, Unit.id == Person.unit_id)
            .where(CampaignSubject.campaign_id == campaign.id).order_by(Person.staff_no))
    if current_user.role in EDITORS:
        if _scope() is not None:
            stmt = stmt.where(Unit.path.startswith(_scope().path, autoescape=True))
    elif current_user.role in (Role.STAFF, Role.LEADER) and current_user.person is not None \
            and current_user.person.department_id is not None:
        stmt = stmt.where(Person.department_id == current_user.person.department_id)
    else:
        return []
    return list(db.session.scalars(stmt))


def _visible_entries(campaign: Campaign):
    stmt = (select(KpiEntry).where(KpiEntry.campaign_id == campaign.id)
            .join(Person, Person.id == KpiEntry.person_id).join(Unit, Unit.id == Person.unit_id)
            .options(joinedload(KpiEntry.person), joinedload(KpiEntry.entered_by), joinedload(KpiEntry.reviewed_by))
            .order_by(KpiEntry.state != EntryState.PENDING, KpiEntry.id.desc()))
    if current_user.role in (Role.OFFICE, Role.SUPERVISOR):
        stmt = stmt.where(Unit.path.startswith(current_user.scope_unit.path, autoescape=True))
    elif current_user.role in (Role.STAFF, Role.LEADER):
        dept = current_user.person.department_id if current_user.person else None
        stmt = stmt.where(or_(KpiEntry.entered_by_id == current_user.id,
                              Person.department_id == dept if dept is not None else False))
    return db.session.scalars(stmt.limit(500)).all()


def _may_open_entries(campaign: Campaign) -> bool:
    if current_user.role is Role.ADMIN:
        return True
    if current_user.role.scoped:
        return current_user.can_see_unit(campaign.unit)
    return bool(_entry_people(campaign))


@bp.route("/campaigns/<int:campaign_id>/kpis/entries", methods=["GET", "POST"])
@authenticated
def entries(campaign_id: int):
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    if not _may_open_entries(campaign):
        abort(403)
    people = _entry_people(campaign) if campaign.accepts_inputs else []
    measures = campaign.plan_version.spec().kpi_measures()
    errors: dict[str, str] = {}
    values = {"person": "", "measure": "", "value": "", "reason": ""}
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        values = {k: (request.form.get(k) or "").strip() for k in values}
        person = next((p for p in people if str(p.id) == values["person"]), None)
        if person is None:
            errors["person"] = _("Choose a person from the list.")
        if values["measure"] not in {m.code for m in measures}:
            errors["measure"] = _("Choose a measure from the list.")
        if values["value"] == "":
            errors["value"] = _("Enter the value.")
        if not values["reason"]:
            errors["reason"] = _("Every entry needs a reason.")
        if not errors:
            try:
                entry_ops.submit(campaign, person, values["measure"], values["value"], values["reason"], current_user)
            except DomainError as e:
                db.session.rollback()
                errors["value"] = e.message
            else:
                db.session.commit()
                flash(_("Entry saved; it counts once the performance office approves it."), "success")
                return redirect(url_for("kpi.entries", campaign_id=campaign.id))
    names = {m.code: m.name for m in measures}
    rows = _visible_entries(campaign)
    return render_template("kpi/entries.html", campaign=campaign, people=people, measures=measures, names=names,
                           entries=rows, errors=errors, values=values, form=FlaskForm(),
                           can_review={e.id for e in rows if e.state is EntryState.PENDING
                                       and entry_ops.may_review(current_user, e)}), (422 if errors else 200)


@bp.post("/campaigns/<int:campaign_id>/kpis/entries/<int:entry_id>/review")
@roles(*EDITORS)
def review(campaign_id: int, entry_id: int):
    campaign = _campaign(campaign_id)
    entry = db.session.get(KpiEntry, entry_id)
    if entry is None or entry.campaign_id != campaign.id:
        abort(404)
    require_unit_access(entry.person.unit)
    if not FlaskForm().validate_on_submit():
        abort(400)
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        abort(400)
    try:
        entry_ops.review(entry, current_user, approve=decision == "approve", note=request.form.get("note", ""))
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Entry approved: the value now counts.") if decision == "approve" else _("Entry rejected."),
              "success")
    return redirect(url_for("kpi.entries", campaign_id=campaign.id))


@bp.get("/data-entry")
@authenticated
def my_campaigns():
    """What the user may supply: missing KPI values of open campaigns (staff: for their department),
    claims, the registers they keep, and for the office the claims and registers to run."""
    from ..claims import operations as claim_ops
    from ..registers.operations import keeps_any
    campaigns = db.session.scalars(select(Campaign).where(
        Campaign.state.in_([CampaignState.DRAFT, CampaignState.OPEN])).order_by(Campaign.id.desc())).all()
    usable = []
    for c in campaigns:
        if not c.plan_version.spec().kpi_measures():
            continue
        if current_user.role.scoped or current_user.role is Role.ADMIN:
            if current_user.can_see_unit(c.unit):
                usable.append(c)
        elif _entry_people(c):
            usable.append(c)
    waiting = len(claim_ops.head_queue(current_user)) + len(claim_ops.office_queue(current_user))
    return render_template("kpi/my_campaigns.html", campaigns=usable, claims_waiting=waiting,
                           has_person=current_user.person is not None,
                           registers=current_user.role in READERS or keeps_any(current_user))
