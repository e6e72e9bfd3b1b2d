"""Campaign pages for the performance office: create, follow progress, enter scores,
move through the lifecycle, read results line by line."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, NumberRange, Optional

from ..core.access import Role, require_unit_access, roles
from ..core import audit
from ..core.errors import DomainError
from ..extensions import db
from ..org.models import Person, Unit
from ..org.queries import visible_units
from ..plans.models import PlanVersion, StoredPlan
from ..utils import safe_next
from . import operations as ops
from .rescoring import rescore, settle
from . import queries
from .models import Campaign, CampaignState, CampaignSubject, ManualEntry, PeriodKind, Result, TRANSITIONS, VetoEntry

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

READERS = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
EDITORS = (Role.ADMIN, Role.OFFICE)
ACTIONS = {CampaignState.OPEN: "open", CampaignState.CLOSED: "close", CampaignState.PUBLISHED: "publish",
           CampaignState.FINAL: "finalize"}
ACTION_LABELS = {"open": _l("Open the campaign"), "close": _l("Close"), "reopen": _l("Reopen"),
                 "publish": _l("Publish for comment"), "finalize": _l("Make final")}
SOURCE_LABELS = {"ballot": _l("Ballots"), "survey": _l("Public survey"), "kpi": _l("Quantitative"),
                 "bonus": _l("Bonus"), "deduction": _l("Deduction"), "manual": _l("Entered by hand")}
PERIOD_LABELS = {"year": _l("Year"), "half": _l("Half-year"), "quarter": _l("Quarter"), "month": _l("Month")}


class CampaignForm(FlaskForm):
    plan_version_id = SelectField(_l("Plan"), choices=[], validators=[DataRequired()])
    unit_id = SelectField(_l("Unit (with its subordinate units)"), choices=[], validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[Optional()])
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    period_kind = SelectField(_l("Period"), choices=[], validators=[DataRequired()])
    period_no = IntegerField(_l("Which half, quarter or month"), default=1, validators=[NumberRange(1, 12)])
    submit = SubmitField(_l("Create campaign"))

    def __init__(self, versions, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_version_id.choices = [(str(v.id), f"{v.plan.name} v{v.version}") for v in versions]
        self.unit_id.choices = [(str(u.id), u.name) for u in units]
        self.period_kind.choices = [(k.value, str(PERIOD_LABELS[k.value])) for k in PeriodKind]


def _latest_versions() -> list[PlanVersion]:
    return [p.latest for p in db.session.scalars(select(StoredPlan).order_by(StoredPlan.name))]


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    require_unit_access(campaign.unit)
    return campaign


@bp.get("/")
@roles(*READERS)
def index():
    form = CampaignForm(_latest_versions(), visible_units(current_user), year=date.today().year)
    return render_template("campaigns/index.html", campaigns=queries.visible_campaigns(current_user), form=form)


@bp.post("/")
@roles(*EDITORS)
def create():
    units = visible_units(current_user)
    form = CampaignForm(_latest_versions(), units)
    if form.validate_on_submit():
        version = db.session.get(PlanVersion, int(form.plan_version_id.data)) or abort(400)
        unit = db.session.get(Unit, int(form.unit_id.data)) or abort(400)
        require_unit_access(unit)
        try:
            campaign = ops.create_campaign(version, unit, name=form.name.data or None, year=form.year.data,
                                           period_kind=PeriodKind(form.period_kind.data),
                                           period_no=form.period_no.data or 1)
        except DomainError as e:
            form.plan_version_id.errors = [e.message]
        else:
            db.session.commit()
            flash(_("Campaign created: %(n)d people appraised.", n=len(campaign.subjects)), "success")
            return redirect(url_for("campaigns.view", campaign_id=campaign.id))
    return render_template("campaigns/index.html", campaigns=queries.visible_campaigns(current_user),
                           form=form), 422


@bp.get("/<int:campaign_id>")
@roles(*READERS)
def view(campaign_id: int):
    campaign = _campaign(campaign_id)
    items = queries.progress(campaign)
    actions = [ACTIONS[s] for s in TRANSITIONS[campaign.state] if s in ACTIONS]
    if campaign.state is CampaignState.CLOSED:
        actions = ["reopen" if a == "open" else a for a in actions]
    subjects = db.session.scalars(select(Person).join(CampaignSubject, CampaignSubject.person_id == Person.id)
                                  .where(CampaignSubject.campaign_id == campaign.id)
                                  .options(joinedload(Person.department), joinedload(Person.unit))
                                  .order_by(Person.staff_no)).all()
    from ..ballots import ballot_key as keys
    from ..ballots.scrutineers import fingerprint
    key_form = BallotKeyForm(mode=campaign.ballot_key_mode, scrutineers=campaign.scrutineers,
                             threshold=campaign.scrutineer_threshold)
    return render_template("campaigns/view.html", campaign=campaign, plan=campaign.plan_version.spec(),
                           key_form=key_form, awaiting_count=keys.awaiting_count(campaign),
                           sealed_waiting=keys.pooled(campaign) if keys.uses_scrutineers(campaign) else 0,
                           key_fingerprint=fingerprint(campaign.ballot_public_key) if campaign.ballot_public_key else None,
                           subjects=subjects,
                           progress=items, blockers=queries.blockers(campaign, items), actions=actions,
                           action_labels=ACTION_LABELS, source_labels=SOURCE_LABELS,
                           can_edit=current_user.role in EDITORS, has_outside=_asks_outside(campaign))


def _asks_outside(campaign: Campaign) -> bool:
    from ..ballots.outside import outside_questions
    return bool(outside_questions(campaign))


@bp.post("/<int:campaign_id>/rescore")
@roles(*EDITORS)
def rescore_now(campaign_id: int):
    """Recompute at once instead of waiting for the background job."""
    campaign = _campaign(campaign_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    settle(campaign)
    audit.record("campaigns.rescore", campaign)
    db.session.commit()
    flash(_("The results are recomputed."), "success")
    return redirect(safe_next(request.form.get("next")) if request.form.get("next") else
                    url_for("campaigns.results", campaign_id=campaign.id))


@bp.post("/<int:campaign_id>/move")
@roles(*EDITORS)
def move(campaign_id: int):
    campaign = _campaign(campaign_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "")
    until = None
    if action == "publish":
        try:
            until = date.fromisoformat(request.form.get("until", ""))
        except ValueError:
            flash(_("Give the last day of the publication period."), "error")
            return redirect(url_for("campaigns.view", campaign_id=campaign.id))
    try:
        cards = ops.move(campaign, action, until=until)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()   # closing counted the pool; its copies on disk are scrubbed after the commit
        if cards:
            return _key_cards(campaign, cards)
        flash(_("The campaign is now: %(state)s.", state=campaign.state.label), "success")
    return redirect(url_for("campaigns.view", campaign_id=campaign.id))


def _key_cards(campaign: Campaign, cards):
    """The scrutineers' key cards, shown once: this response is the only copy (never cached)."""
    import segno
    codes = [segno.make(card.words, error="m").svg_inline(scale=3, border=2, title=_("Key card %(n)d", n=card.number))
             for card in cards]
    response = current_app.make_response(render_template("campaigns/key_cards.html", campaign=campaign,
                                                         cards=list(zip(cards, codes))))
    response.headers["Cache-Control"] = "no-store"
    return response


class BallotKeyForm(FlaskForm):
    mode = SelectField(_l("Who can open the anonymous ballots"), choices=[], validators=[DataRequired()])
    scrutineers = IntegerField(_l("Scrutineers (key cards)"), default=3, validators=[NumberRange(2, 9)])
    threshold = IntegerField(_l("Cards needed to count"), default=2, validators=[NumberRange(2, 9)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode.choices = [
            ("server", str(_l("The server's key: counted at close (simpler)"))),
            ("scrutineers", str(_l("Scrutineers' key cards: counted when enough of them enter their shares (the "
                                   "server holds no key while voting is open)")))]


@bp.post("/<int:campaign_id>/ballot-key")
@roles(*EDITORS)
def ballot_key(campaign_id: int):
    from ..ballots import ballot_key as keys
    campaign = _campaign(campaign_id)
    form = BallotKeyForm()
    if not form.validate_on_submit():
        for field in (form.mode, form.scrutineers, form.threshold):
            for error in field.errors:
                flash(f"{field.label.text}: {error}", "error")
        return redirect(url_for("campaigns.view", campaign_id=campaign.id, _anchor="ballot-key"))
    try:
        keys.choose(campaign, form.mode.data, form.scrutineers.data, form.threshold.data)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Saved: who can open the anonymous ballots."), "success")
    return redirect(url_for("campaigns.view", campaign_id=campaign.id, _anchor="ballot-key"))


@bp.post("/<int:campaign_id>/key-cards")
@roles(*EDITORS)
def new_key_cards(campaign_id: int):
    """New cards while no anonymous ballot is sealed yet (the first ones were lost before printing)."""
    from ..ballots import ballot_key as keys
    campaign = _campaign(campaign_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        cards = keys.issue_cards(campaign)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("campaigns.view", campaign_id=campaign.id, _anchor="ballot-key"))
    db.session.commit()
    return _key_cards(campaign, cards)


@bp.route("/<int:campaign_id>/count", methods=["GET", "POST"])
@roles(*EDITORS)
def count_ballots(campaign_id: int):
    """The scrutineers enter their shares together; the ballots are counted, the key forgotten."""
    from ..ballots import ballot_key as keys
    campaign = _campaign(campaign_id)
    if not keys.awaiting_count(campaign):
        flash(_("No anonymous ballot of this campaign waits for the scrutineers."), "info")
        return redirect(url_for("campaigns.view", campaign_id=campaign.id))
    error = None
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        shares = [request.form.get(f"share{i}", "")[:2000] for i in range(1, campaign.scrutineers + 1)]
        try:
            n = keys.count_with_shares(campaign, shares)
        except DomainError as e:
            db.session.rollback()
            error = e.message
        else:
            settle(campaign, force=True)
            db.session.commit()
            flash(_("%(n)d anonymous ballots counted. The key was rebuilt for this count only and is not kept. The "
                    "scrutineers now destroy their cards: with enough of them, a backup made before the count "
                    "would still open.", n=n), "success")
            return redirect(url_for("campaigns.view", campaign_id=campaign.id))
    from ..ballots.scrutineers import fingerprint
    return render_template("campaigns/count.html", campaign=campaign, waiting=keys.pooled(campaign),
                           fingerprint=fingerprint(campaign.ballot_public_key), error=error), (422 if error else 200)


def _hand_leaf(campaign: Campaign, code: str):
    plan = campaign.plan_version.spec()
    found = ops.hand_entered_leaf(plan, code) or abort(404)
    return plan, found[0], found[1]


@bp.route("/<int:campaign_id>/enter/<code>", methods=["GET", "POST"])
@roles(*EDITORS)
def enter(campaign_id: int, code: str):
    """One indicator for everybody: a row per person, value and reason. All rows save or none."""
    campaign = _campaign(campaign_id)
    plan, path, node = _hand_leaf(campaign, code)
    people = db.session.scalars(select(Person).join(CampaignSubject, CampaignSubject.person_id == Person.id)
                                .where(CampaignSubject.campaign_id == campaign.id).order_by(Person.staff_no)).all()
    existing = {e.person_id: e for e in db.session.scalars(select(ManualEntry).where(
        ManualEntry.campaign_id == campaign.id, ManualEntry.indicator == code))}
    errors: dict[int, str] = {}
    values = {p.id: (existing[p.id].value if p.id in existing else None,
                     existing[p.id].reason if p.id in existing else "") for p in people}
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        changed = 0
        for p in people:
            raw = (request.form.get(f"value-{p.id}") or "").strip()
            reason = (request.form.get(f"reason-{p.id}") or "").strip()
            values[p.id] = (raw, reason)
            if raw == "":
                continue
            try:
                number = ops.hand_value(plan, node, raw)
            except DomainError as e:
                errors[p.id] = e.message
                continue
            before = existing.get(p.id)
            if before is not None and before.value == number and before.reason == reason:
                continue
            try:
                ops.set_manual_entry(campaign, p, code, number, reason, rescore=False)
                changed += 1
            except DomainError as e:
                errors[p.id] = e.message
        if errors:
            db.session.rollback()
            flash(_("Nothing was saved: %(n)d rows need correcting.", n=len(errors)), "error")
        else:
            rescore(campaign)
            db.session.commit()
            flash(_("%(n)d entries saved.", n=changed), "success")
            return redirect(url_for("campaigns.view", campaign_id=campaign.id))
    maximum = plan.maxima()[code]
    return render_template("campaigns/enter.html", campaign=campaign, node=node, path=" › ".join(path),
                           people=people, values=values, errors=errors, maximum=maximum,
                           form=FlaskForm()), (422 if errors else 200)


@bp.get("/<int:campaign_id>/results")
@roles(*READERS)
def results(campaign_id: int):
    """The results table (filters, sort, pages) beside the grades by category with their quotas,
    the score histogram and the department statistics (review/results)."""
    from ..results import queries as rq
    campaign = _campaign(campaign_id)
    plan = campaign.plan_version.spec()
    dimensions = rq.dimensions(plan)
    filters = rq.Filters.from_args(request.args)
    order = rq.Order.from_args(request.args, [n.code for n in dimensions])
    facts = rq.Facts(campaign, plan)
    page = rq.table(campaign, plan, filters, order, page=request.args.get("page", 1, type=int),
                    per_page=current_app.config["PAGE_SIZE"], count=facts.count(filters))
    labels = rq.categories()
    overview = facts.overview(filters)
    histogram = rq.histogram(campaign, filters, overview)

    def here(**changes) -> str:
        """This page with some arguments changed (None drops one)."""
        args = {**filters.args(), **order.args(), "page": page.page if page.page > 1 else None, **changes}
        return url_for("campaigns.results", campaign_id=campaign.id, **{k: v for k, v in args.items() if v is not None})

    options = facts.options
    # A province has hundreds of departments: statistics per unit until a unit or department is chosen,
    # and the department filter lists those of the chosen unit.
    per_unit = options.several_units and not (filters.unit or filters.department)
    departments = [d for d in options.departments
                   if len(options.departments) <= 100 or d[2] == filters.unit or d[0] == filters.department]
    link = here(page=None, department=None, unit=None if per_unit else filters.unit)
    return render_template("campaigns/results.html", campaign=campaign, plan=plan, dimensions=dimensions, here=here,
                           filters=filters, order=order, page=page, categories=labels,
                           by_category=facts.by_category(labels), overview=overview, histogram=histogram,
                           chart={"labels": [b.label for b in histogram], "values": [b.count for b in histogram]},
                           stats=facts.departments(filters, by_unit=per_unit), per_unit=per_unit, options=options,
                           department_choices=departments, stats_link=link + ("&" if "?" in link else "?"),
                           grades=[g.grade for g in plan.grades], no_grade=rq.NO_GRADE, node_label=rq.node_label)


@bp.get("/<int:campaign_id>/results.xlsx")
@roles(*READERS)
def results_export(campaign_id: int):
    """The results in the table's filters and order, and the department statistics, as .xlsx."""
    import io

    from flask import send_file

    from ..core.spreadsheet import XLSX
    from ..results import queries as rq
    from ..results.export import result_workbook
    campaign = _campaign(campaign_id)
    plan = campaign.plan_version.spec()
    filters = rq.Filters.from_args(request.args)
    order = rq.Order.from_args(request.args, [n.code for n in rq.dimensions(plan)])
    data = result_workbook(campaign, plan, filters, order)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"results-{campaign.id}.xlsx")


@bp.get("/<int:campaign_id>/results/<int:person_id>")
@roles(*READERS)
def breakdown(campaign_id: int, person_id: int):
    """One person's result line by line, grouped by dimension, each value linked to its source."""
    from ..results import breakdown as rb
    from ..results.queries import node_label
    campaign = _campaign(campaign_id)
    result = db.session.get(Result, (campaign.id, person_id)) or abort(404)
    person = result.person
    plan = campaign.plan_version.spec()
    vetoes = db.session.scalars(select(VetoEntry).where(VetoEntry.campaign_id == campaign.id,
                                                        VetoEntry.person_id == person_id)).all()
    in_category = db.session.scalar(
        select(func.count()).select_from(Result).join(Person, Person.id == Result.person_id)
        .where(Result.campaign_id == campaign.id, Person.category_code == person.category_code))
    return render_template("campaigns/breakdown.html", campaign=campaign, result=result, person=person,
                           plan=plan, rows=rb.tree(result, plan, rb.links(campaign, person, plan)),
                           in_category=in_category, vetoes=vetoes, form=FlaskForm(), node_label=node_label,
                           can_edit=current_user.role in EDITORS and campaign.accepts_inputs)


@bp.post("/<int:campaign_id>/results/<int:person_id>/veto")
@roles(*EDITORS)
def veto(campaign_id: int, person_id: int):
    campaign = _campaign(campaign_id)
    person = db.session.get(Person, person_id) or abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        ops.set_veto(campaign, person, request.form.get("veto", ""), request.form.get("reason", ""),
                     on=request.form.get("on") == "1")
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("campaigns.breakdown", campaign_id=campaign.id, person_id=person.id))


@bp.get("/<int:campaign_id>/ballots")
@roles(*READERS)
def ballots(campaign_id: int):
    """Who rates whom, participation per department and rater group, and who has not voted yet."""
    from ..ballots import assignments, reminders, slips
    from ..ballots.models import Assignment
    from ..core import mail
    campaign = _campaign(campaign_id)
    rows = db.session.scalars(select(Assignment).where(Assignment.campaign_id == campaign.id)
                              .options(joinedload(Assignment.rater), joinedload(Assignment.ratee))
                              .order_by(Assignment.ratee_id, Assignment.group, Assignment.rater_id)).all()
    by_ratee: dict = {}
    for a in rows:
        by_ratee.setdefault(a.ratee, {}).setdefault(a.group, []).append(a)
    slip_groups = slips.raters_by_group(campaign)
    return render_template("campaigns/ballots.html", campaign=campaign, by_ratee=by_ratee,
                           counts=assignments.counts(campaign), participation=assignments.participation(campaign),
                           waiting=assignments.not_yet_voted(campaign), form=FlaskForm(),
                           can_edit=current_user.role in EDITORS and campaign.state is CampaignState.DRAFT,
                           groups=list(assignment_groups()),
                           group_labels={g.value: g.label for g in assignment_groups()},
                           slip_batches=slips.counts(campaign), slip_groups=slip_groups,
                           slip_twins={g: slips.signed_twins(campaign, g) for g in slip_groups},
                           reminders=reminders.history(campaign), mail_configured=mail.configured(),
                           slip_base=slips.public_base_url() + "slip/",
                           can_print=current_user.role in EDITORS
                           and campaign.state in (CampaignState.DRAFT, CampaignState.OPEN))


@bp.post("/<int:campaign_id>/ballots/remind")
@roles(*EDITORS)
def ballots_remind(campaign_id: int):
    from ..ballots import reminders
    campaign = _campaign(campaign_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        reminder, mails = reminders.send(campaign, request.form.get("message", ""))
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
    else:
        db.session.commit()
        failed = reminders.deliver(reminder, mails)
        db.session.commit()
        flash(_("%(n)d people will see the reminder when they next open the site; %(m)d e-mails sent.",
                n=reminder.recipients, m=reminder.emailed), "success")
        if failed:
            flash(_("%(n)d e-mails could not be sent.", n=failed), "error")
    return redirect(url_for("campaigns.ballots", campaign_id=campaign.id))


def assignment_groups():
    from ..ballots.models import RaterGroup
    return [g for g in RaterGroup if g.value != "outside"]


@bp.post("/<int:campaign_id>/ballots/edit")
@roles(*EDITORS)
def ballots_edit(campaign_id: int):
    from ..ballots import assignments
    from ..ballots.models import Assignment, RaterGroup
    campaign = _campaign(campaign_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    action = request.form.get("action")
    try:
        if action == "regenerate":
            n = assignments.generate(campaign)
            flash(_("%(n)d assignments generated.", n=n), "success")
        elif action == "remove":
            a = db.session.get(Assignment, request.form.get("assignment", type=int) or 0)
            if a is None or a.campaign_id != campaign.id:
                abort(404)
            assignments.remove(campaign, a)
            flash(_("Saved."), "success")
        elif action == "add":
            rater = db.session.scalar(select(Person).where(Person.staff_no == (request.form.get("rater") or "").strip()))
            ratee = db.session.get(Person, request.form.get("ratee", type=int) or 0)
            if rater is None or ratee is None:
                raise DomainError(_("No person has this staff number."))
            assignments.add(campaign, rater, ratee, RaterGroup(request.form.get("group", "peer")))
            flash(_("Saved."), "success")
        else:
            abort(400)
    except (DomainError, ValueError) as e:
        db.session.rollback()
        flash(getattr(e, "message", str(e)), "error")
    else:
        db.session.commit()
    return redirect(url_for("campaigns.ballots", campaign_id=campaign.id))
