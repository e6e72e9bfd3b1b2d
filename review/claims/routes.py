"""Claim pages: my claims and a new claim (staff), the queue of claims waiting for me (heads,
supervising leaders, the office), a claim with its evidence and stages, and per campaign the
office's list of claims by state with the deduction form. Supervisors read."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..campaigns.models import Campaign, CampaignSubject
from ..campaigns.queries import visible_campaigns
from ..core.access import Role, authenticated, require_unit_access, roles
from ..core.errors import DomainError
from ..evidence.forms import allow_evidence_uploads, uploads
from ..evidence.storage import EvidenceRejected
from ..extensions import db
from ..org.models import Person
from . import operations as ops
from .forms import ClaimForm, DecisionForm, DeductionForm, ReasonForm
from .models import Claim, ClaimState

bp = Blueprint("claims", __name__, url_prefix="/claims")
allow_evidence_uploads(bp, "new", "record_deduction")

READERS = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
EDITORS = (Role.ADMIN, Role.OFFICE)


def _claim(claim_id: int) -> Claim:
    """The claim, or 404 to anybody who may not see it (ids cannot be probed)."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or not ops.can_view(current_user, claim):
        abort(404)
    return claim


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    require_unit_access(campaign.unit)
    return campaign


def _show_error(form, error: DomainError) -> None:
    """A refused file belongs to the files field; any other refusal to the form as a whole."""
    if isinstance(error, EvidenceRejected):
        form.files.errors = list(form.files.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


@bp.get("/")
@authenticated
def mine():
    person = current_user.person
    claims = ops.own_claims(person) if person else []
    can_claim = bool(person and ops.campaigns_open_to(person))
    return render_template("claims/mine.html", claims=claims, can_claim=can_claim,
                           waiting=len(ops.head_queue(current_user)) + len(ops.office_queue(current_user)))


@bp.route("/new", methods=["GET", "POST"])
@authenticated
def new():
    person = current_user.person
    if person is None:
        flash(_("Your account is not linked to a person of the directory."), "error")
        return redirect(url_for("claims.mine"))
    campaigns = ops.campaigns_open_to(person)
    form = ClaimForm(campaigns)
    if not campaigns:
        return render_template("claims/new.html", form=None)
    if form.validate_on_submit():
        campaign_id, _sep, code = form.item.data.partition(":")
        campaign = next((c for c in campaigns if str(c.id) == campaign_id), None) or abort(400)
        try:
            claim = ops.submit(current_user, campaign, code, title=form.title.data,
                               description=form.description.data, occurrences=form.occurrences.data,
                               files=uploads(form.files))
        except DomainError as e:
            db.session.rollback()
            _show_error(form, e)
        else:
            db.session.commit()
            flash(_("Your claim was submitted. It now waits for your department head."), "success")
            return redirect(url_for("claims.view", claim_id=claim.id))
    status = 422 if request.method == "POST" else 200
    return render_template("claims/new.html", form=form), status


@bp.get("/review")
@authenticated
def queue():
    """Claims waiting for me: to endorse (heads, supervising leaders), to approve (the office)."""
    campaigns = []
    if current_user.role in READERS:
        campaigns = visible_campaigns(current_user)
    counts = {}
    if campaigns:
        counts = {(cid, state): n for cid, state, n in db.session.execute(
            select(Claim.campaign_id, Claim.state, func.count(Claim.id))
            .where(Claim.campaign_id.in_([c.id for c in campaigns])).group_by(Claim.campaign_id, Claim.state))}
    return render_template("claims/queue.html", head=ops.head_queue(current_user),
                           office=ops.office_queue(current_user), campaigns=campaigns, counts=counts,
                           states=list(ClaimState), form=DecisionForm(), department_name=ops.department_name)


@bp.get("/<int:claim_id>")
@authenticated
def view(claim_id: int):
    claim = _claim(claim_id)
    return render_template("claims/view.html", claim=claim, actions=ops.actions_for(current_user, claim),
                           item=_item_path(claim), form=DecisionForm(), reason_form=ReasonForm(),
                           department_name=ops.department_name(claim))


def _item_path(claim: Claim) -> str:
    for path, node in claim.campaign.plan_version.spec().leaves():
        if node.code == claim.indicator:
            return " › ".join(path)
    return claim.indicator


@bp.post("/<int:claim_id>/decide")
@authenticated
def decide(claim_id: int):
    """Endorse, approve or reject — whichever the claim's stage and the user's place allow."""
    claim = _claim(claim_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(" ".join(form.note.errors) or _("The form has expired. Please try again."), "error")
        return redirect(_back(claim))
    decision = request.form.get("decision", "")
    note = form.note.data or ""
    try:
        if decision == "endorse":
            ops.endorse(current_user, claim, note)
            message = _("Endorsed: the claim now waits for the performance office.")
        elif decision == "approve":
            ops.approve(current_user, claim, note)
            message = _("Approved: the claim counts in the scores.")
        elif decision == "reject":
            ops.reject(current_user, claim, note)
            message = _("Rejected, with your reason.")
        else:
            abort(400)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(_back(claim))


def _back(claim: Claim) -> str:
    """Back to the queue when the decision came from it, else to the claim."""
    if request.form.get("back") == "queue":
        return url_for("claims.queue")
    return url_for("claims.view", claim_id=claim.id)


@bp.post("/<int:claim_id>/withdraw")
@authenticated
def withdraw(claim_id: int):
    claim = _claim(claim_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        if claim.kind == ops.DEDUCTION:
            form = ReasonForm()
            ops.withdraw_deduction(current_user, claim, form.reason.data or "")
            message = _("The deduction was withdrawn.")
        else:
            ops.withdraw(current_user, claim)
            message = _("Your claim was withdrawn.")
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("claims.view", claim_id=claim.id))


# --- the office, per campaign ---------------------------------------------------------------------

def _subjects(campaign: Campaign) -> list[Person]:
    return list(db.session.scalars(
        select(Person).join(CampaignSubject, CampaignSubject.person_id == Person.id)
        .where(CampaignSubject.campaign_id == campaign.id)
        .options(joinedload(Person.department), joinedload(Person.unit)).order_by(Person.staff_no)))


def _campaign_page(campaign: Campaign, form: DeductionForm | None, status: int = 200):
    state = request.args.get("state") or None
    kind = request.args.get("kind") or None
    try:
        chosen = ClaimState(state) if state else None
    except ValueError:
        chosen = None
    claims = ops.campaign_claims(campaign, state=chosen, kind=kind if kind in (ops.BONUS, ops.DEDUCTION) else None)
    counts = dict(db.session.execute(select(Claim.state, func.count(Claim.id))
                                     .where(Claim.campaign_id == campaign.id).group_by(Claim.state)).all())
    can_record = (current_user.role in EDITORS and campaign.accepts_inputs and form is not None
                  and bool(form.item.choices))
    return render_template("claims/campaign.html", campaign=campaign, claims=claims, state=state, kind=kind,
                           states=list(ClaimState), counts=counts, form=form if can_record else None,
                           item_names=dict(ops.claimable_items(campaign) + ops.deduction_items(campaign)),
                           department_name=ops.department_name), status


@bp.get("/campaigns/<int:campaign_id>")
@roles(*READERS)
def campaign(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = DeductionForm(campaign, _subjects(campaign)) if current_user.role in EDITORS else None
    return _campaign_page(campaign, form)


@bp.post("/campaigns/<int:campaign_id>/deductions")
@roles(*EDITORS)
def record_deduction(campaign_id: int):
    campaign = _campaign(campaign_id)
    people = _subjects(campaign)
    form = DeductionForm(campaign, people)
    if form.validate_on_submit():
        person = next((p for p in people if str(p.id) == form.person.data), None) or abort(400)
        try:
            ops.record_deduction(current_user, campaign, person, form.item.data, title=form.title.data,
                                 description=form.description.data, occurrences=form.occurrences.data,
                                 files=uploads(form.files))
        except DomainError as e:
            db.session.rollback()
            _show_error(form, e)
        else:
            db.session.commit()
            flash(_("The deduction was recorded and counts in the scores."), "success")
            return redirect(url_for("claims.campaign", campaign_id=campaign.id, kind=ops.DEDUCTION))
    return _campaign_page(campaign, form, 422)
