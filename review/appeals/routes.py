"""Pages of publication and appeals.

Everybody appraised: *My results* (published and final campaigns), their own result line by line,
the ranking list when the plan allows it, the appeal form within the window, their appeals and
outcomes. The performance office (supervisors read): the appeals of a campaign by state, an appeal
with its review form, the versions of a final campaign and the correction form."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..campaigns.models import Campaign, CampaignState, CampaignSubject, Result
from ..core.access import Role, authenticated, require_unit_access, roles
from ..core.errors import DomainError
from ..evidence.forms import allow_evidence_uploads, uploads
from ..evidence.storage import EvidenceRejected
from ..extensions import db
from ..org.models import Person
from ..org.terminology import all_categories
from . import adjustments, published, versions
from . import operations as ops
from .adjustments import Change
from .forms import AppealForm, CorrectionForm, DecisionForm, ReasonForm
from .models import Adjustment, Appeal, AppealState

bp = Blueprint("appeals", __name__)
allow_evidence_uploads(bp, "submit")

READERS = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
EDITORS = (Role.ADMIN, Role.OFFICE)


def _categories() -> dict[str, str]:
    return {c.code: c.label for c in all_categories()}


# --- my results ---------------------------------------------------------------------------------

@bp.get("/my/results")
@authenticated
def my_results():
    person = current_user.person
    rows = published.my_campaigns(person) if person else []
    appeals = {}
    if person:
        for a in ops.own_appeals(person):
            appeals.setdefault(a.campaign_id, []).append(a)
    return render_template("appeals/my_results.html", rows=rows, appeals=appeals,
                           window_open=ops.window_open)


def _my_campaign(campaign_id: int) -> tuple[Campaign, Result]:
    """A published or final campaign that appraises the current user, with their result; 404 otherwise
    (whether a campaign exists or appraises somebody else is not told)."""
    campaign = db.session.get(Campaign, campaign_id)
    person = current_user.person
    if campaign is None or person is None:
        abort(404)
    result = published.own_result(campaign, person)
    if result is None:
        abort(404)
    return campaign, result


def _my_result_page(campaign: Campaign, result: Result, form: AppealForm | None, status: int = 200):
    person = current_user.person
    return render_template(
        "appeals/my_result.html", campaign=campaign, result=result, person=person,
        plan=campaign.plan_version.spec(), appeals=ops.own_appeals(person, campaign),
        form=form, can_appeal=ops.may_appeal(current_user, campaign),
        waiting=ops.open_appeal(campaign, person), window_open=ops.window_open(campaign),
        ranking=published.ranking_allowed(campaign), items={i.code: i.path for i in adjustments.items(campaign)},
        withdraw_form=FlaskForm()), status


@bp.get("/my/results/<int:campaign_id>")
@authenticated
def my_result(campaign_id: int):
    campaign, result = _my_campaign(campaign_id)
    return _my_result_page(campaign, result, AppealForm())


@bp.get("/my/results/<int:campaign_id>/ranking")
@authenticated
def ranking(campaign_id: int):
    """The ranking list: for the people appraised when the plan publishes it, and for those who read
    the campaign's results anyway (office, supervisors and administrators in scope)."""
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    reader = current_user.role in READERS and current_user.can_see_unit(campaign.unit)
    subject = published.own_result(campaign, current_user.person) is not None if current_user.person else False
    if not published.visible_to_subjects(campaign) or not (reader or (subject and published.ranking_allowed(campaign))):
        abort(404)
    return render_template("appeals/ranking.html", campaign=campaign, rows=published.ranking(campaign),
                           categories=_categories(), me=current_user.person_id, subject=subject,
                           plan=campaign.plan_version.spec())


def _show_error(form, error: DomainError) -> None:
    if isinstance(error, EvidenceRejected):
        form.files.errors = list(form.files.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


@bp.post("/my/results/<int:campaign_id>/appeal")
@authenticated
def submit(campaign_id: int):
    campaign, result = _my_campaign(campaign_id)
    form = AppealForm()
    if form.validate_on_submit():
        try:
            appeal = ops.submit(current_user, campaign, form.reason.data, uploads(form.files))
        except DomainError as e:
            db.session.rollback()
            _show_error(form, e)
        else:
            db.session.commit()
            flash(_("Your appeal was submitted. The performance office will review it."), "success")
            return redirect(url_for("appeals.view", appeal_id=appeal.id))
    return _my_result_page(campaign, result, form, 422)


# --- one appeal ---------------------------------------------------------------------------------------

def _appeal(appeal_id: int) -> Appeal:
    """The appeal, or 404 to anybody who may not see it (ids cannot be probed)."""
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None or not ops.can_view(current_user, appeal):
        abort(404)
    return appeal


def _appeal_page(appeal: Appeal, form: DecisionForm | None = None, status: int = 200, errors: list[str] = ()):
    campaign = appeal.campaign
    actions = ops.actions_for(current_user, appeal)
    items = adjustments.items(campaign)
    if actions.review and form is None:
        form = DecisionForm(items)
    result = db.session.get(Result, (campaign.id, appeal.person_id))
    return render_template("appeals/view.html", appeal=appeal, campaign=campaign, actions=actions,
                           form=form if actions.review else None, result=result,
                           items={i.code: i.path for i in items}, withdraw_form=FlaskForm(), errors=errors,
                           own=current_user.person_id == appeal.person_id), status


@bp.get("/appeals/<int:appeal_id>")
@authenticated
def view(appeal_id: int):
    return _appeal_page(_appeal(appeal_id))


@bp.post("/appeals/<int:appeal_id>/withdraw")
@authenticated
def withdraw(appeal_id: int):
    appeal = _appeal(appeal_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        ops.withdraw(current_user, appeal)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Your appeal was withdrawn."), "success")
    return redirect(url_for("appeals.view", appeal_id=appeal.id))


@bp.post("/appeals/<int:appeal_id>/decide")
@roles(*EDITORS)
def decide(appeal_id: int):
    """Accept (with the filled adjustment rows) or reject."""
    appeal = _appeal(appeal_id)
    form = DecisionForm(adjustments.items(appeal.campaign))
    decision = request.form.get("decision", "")
    if decision not in ("accept", "reject"):
        abort(400)
    if form.validate_on_submit():
        try:
            if decision == "accept":
                changes = [(row.indicator.data, row.points.data, row.reason.data)
                           for row in form.rows if row.filled]
                ops.accept(current_user, appeal, form.outcome.data, changes)
                message = _("Accepted: the adjustments count and the scores were recomputed.")
            else:
                ops.reject(current_user, appeal, form.outcome.data)
                message = _("Rejected, with your reason.")
        except DomainError as e:
            db.session.rollback()
            if not ops.actions_for(current_user, appeal).review:   # not theirs to decide (any more)
                return _appeal_page(appeal, None, 422, [e.message])
            form.form_errors.append(e.message)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("appeals.view", appeal_id=appeal.id))
    return _appeal_page(appeal, form, 422)


# --- the office, per campaign --------------------------------------------------------------------------

def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    require_unit_access(campaign.unit)
    return campaign


@bp.get("/appeals/")
@roles(*READERS)
def index():
    """Published and final campaigns in scope, with their appeals by state."""
    campaigns = ops.published_campaigns(current_user)
    return render_template("appeals/index.html", campaigns=campaigns,
                           counts=ops.state_counts([c.id for c in campaigns]), states=list(AppealState))


@bp.get("/appeals/campaigns/<int:campaign_id>")
@roles(*READERS)
def campaign(campaign_id: int):
    campaign = _campaign(campaign_id)
    state = request.args.get("state") or None
    try:
        chosen = AppealState(state) if state else None
    except ValueError:
        chosen = None
    counts = {s: n for (_cid, s), n in ops.state_counts([campaign.id]).items()}
    return render_template("appeals/campaign.html", campaign=campaign, appeals=ops.campaign_appeals(campaign, chosen),
                           state=chosen, states=list(AppealState), counts=counts,
                           adjustments=adjustments.of_campaign(campaign),
                           items={i.code: i.path for i in adjustments.items(campaign)},
                           can_edit=current_user.role in EDITORS, reason_form=ReasonForm(),
                           versions=versions.of_campaign(campaign))


@bp.post("/appeals/adjustments/<int:adjustment_id>/withdraw")
@roles(*EDITORS)
def withdraw_adjustment(adjustment_id: int):
    adjustment = db.session.get(Adjustment, adjustment_id) or abort(404)
    require_unit_access(adjustment.person.unit)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or _("The form has expired. Please try again."), "error")
    else:
        try:
            ops.withdraw_adjustment(current_user, adjustment, form.reason.data)
        except DomainError as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("The adjustment was withdrawn and the scores were recomputed."), "success")
    return redirect(url_for("appeals.campaign", campaign_id=adjustment.campaign_id))


# --- versions of final results ------------------------------------------------------------------------

def _subjects(campaign: Campaign) -> list[Person]:
    return list(db.session.scalars(
        select(Person).join(CampaignSubject, CampaignSubject.person_id == Person.id)
        .where(CampaignSubject.campaign_id == campaign.id)
        .options(joinedload(Person.department), joinedload(Person.unit)).order_by(Person.staff_no)))


def _versions_page(campaign: Campaign, form: CorrectionForm | None, status: int = 200):
    may = versions.may_correct(current_user, campaign)
    if may and form is None:
        form = CorrectionForm(adjustments.items(campaign), _subjects(campaign))
    active = [a for a in adjustments.of_campaign(campaign) if a.active]
    return render_template("appeals/versions.html", campaign=campaign, versions=versions.of_campaign(campaign),
                           form=form if may else None, active=active,
                           items={i.code: i.path for i in adjustments.items(campaign)}), status


@bp.get("/appeals/campaigns/<int:campaign_id>/versions")
@roles(*READERS)
def versions_list(campaign_id: int):
    return _versions_page(_campaign(campaign_id), None)


@bp.get("/appeals/campaigns/<int:campaign_id>/versions/<int:number>")
@roles(*READERS)
def version(campaign_id: int, number: int):
    campaign = _campaign(campaign_id)
    found = versions.get(campaign, number) or abort(404)
    previous = versions.get(campaign, number - 1) if number > 1 else None
    return render_template("appeals/version.html", campaign=campaign, version=found, rows=versions.rows(found),
                           previous=previous, changes=versions.differences(previous, found) if previous else [],
                           categories=_categories())


@bp.post("/appeals/campaigns/<int:campaign_id>/corrections")
@roles(*EDITORS)
def correct(campaign_id: int):
    campaign = _campaign(campaign_id)
    people = _subjects(campaign)
    form = CorrectionForm(adjustments.items(campaign), people)
    if form.validate_on_submit():
        by_id = {str(p.id): p for p in people}
        try:
            changes = []
            for row in form.rows:
                if not row.filled:
                    continue
                person = by_id.get(row.person.data or "")
                if person is None:
                    raise DomainError(_("Choose the person of each line you change."))
                changes.append(Change(person, row.indicator.data, row.points.data, row.reason.data))
            chosen = {int(x) for x in request.form.getlist("withdraw") if x.isdigit()}
            withdrawals = [(a, form.reason.data) for a in adjustments.of_campaign(campaign)
                           if a.id in chosen and a.active]
            found = versions.correct(current_user, campaign, form.reason.data, changes, withdrawals)
        except DomainError as e:
            db.session.rollback()
            form.form_errors.append(e.message)
        else:
            db.session.commit()
            flash(_("The results were corrected: version %(n)d.", n=found.number), "success")
            return redirect(url_for("appeals.version", campaign_id=campaign.id, number=found.number))
    return _versions_page(campaign, form, 422)
