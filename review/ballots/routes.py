"""Voting in the browser: the to-do list (待评价), one page per ratee, and the democratic
evaluation grid (every ratee × every question on one sheet)."""
from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..campaigns.models import Campaign, CampaignState
from ..core.access import authenticated
from ..core.errors import DomainError
from ..extensions import db
from . import voting
from .models import ANONYMOUS_GROUPS, Assignment, RaterGroup, voted_online

bp = Blueprint("ballots", __name__, url_prefix="/ballots")

GRID_GROUPS = (RaterGroup.DEMOCRATIC, RaterGroup.MIDDLE)


def pending(person_id: int) -> list[Assignment]:
    """The person's ballots still to cast online, in open campaigns (not those held in a meeting)."""
    return list(db.session.scalars(
        select(Assignment).join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(Assignment.rater_id == person_id, Assignment.completed.is_(False),
               Campaign.state == CampaignState.OPEN, voted_online(),
               # Anonymous ballots are counted once, at the first close: none after a reopening.
               or_(Campaign.ballots_counted.is_(False), Assignment.group.not_in(ANONYMOUS_GROUPS)))
        .options(joinedload(Assignment.ratee))
        .order_by(Assignment.campaign_id, Assignment.group, Assignment.ratee_id)))


def _me():
    if current_user.person is None:
        abort(404)
    return current_user.person


@bp.get("/")
@authenticated
def todo():
    person = _me()
    items = pending(person.id)
    campaigns = {c.id: c for c in db.session.scalars(select(Campaign).where(
        Campaign.id.in_({a.campaign_id for a in items})))}
    grids: dict[tuple[int, str], int] = defaultdict(int)
    singles = []
    for a in items:
        if a.group in GRID_GROUPS:
            grids[(a.campaign_id, a.group.value)] += 1
        else:
            singles.append(a)
    from .reminders import for_person
    return render_template("ballots/todo.html", singles=singles, grids=grids, campaigns=campaigns,
                           groups={g.value: g for g in RaterGroup}, pending_campaigns=for_person(person.id))


def _answers(form, prefix: str, questions) -> dict[str, float]:
    out = {}
    for q in questions:
        raw = form.get(f"{prefix}{q.code}")
        if raw not in (None, ""):
            try:
                out[q.code] = float(raw)
            except ValueError:
                pass
    return out


@bp.route("/<int:assignment_id>", methods=["GET", "POST"])
@authenticated
def ballot(assignment_id: int):
    person = _me()
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.rater_id != person.id:
        abort(404)
    campaign = db.session.get(Campaign, assignment.campaign_id)
    questions = voting.questions(campaign, assignment.group)
    error = None
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            voting.submit(assignment.id, person, _answers(request.form, "q-", questions),
                          request.form.get("comment", ""), report=request.form.get("report"))
        except DomainError as e:
            db.session.rollback()
            error = e.message
        else:
            db.session.commit()
            flash(_("Thank you: your ballot has been recorded."), "success")
            return redirect(url_for("ballots.todo"))
    return render_template("ballots/ballot.html", assignment=assignment, campaign=campaign, questions=questions,
                           error=error, scales=_scales(campaign), form=FlaskForm(),
                           report_limits=(voting.REPORT_MIN, voting.REPORT_MAX)), (422 if error else 200)


@bp.route("/grid/<int:campaign_id>/<group>", methods=["GET", "POST"])
@authenticated
def grid(campaign_id: int, group: str):
    person = _me()
    try:
        rater_group = RaterGroup(group)
    except ValueError:
        abort(404)
    if rater_group not in GRID_GROUPS:
        abort(404)
    campaign = db.session.get(Campaign, campaign_id) or abort(404)
    rows = [a for a in pending(person.id) if a.campaign_id == campaign.id and a.group is rater_group]
    if not rows:
        flash(_("Nothing left to evaluate here."), "info")
        return redirect(url_for("ballots.todo"))
    questions = voting.questions(campaign, rater_group)
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        # One sheet, all or nothing: a row with a missing answer keeps every row unsent.
        for a in rows:
            try:
                voting.submit(a.id, person, _answers(request.form, f"a{a.id}-", questions),
                              request.form.get(f"a{a.id}-comment", ""))
            except DomainError as e:
                errors[a.id] = e.message
        if errors:
            db.session.rollback()
        else:
            db.session.commit()
            flash(_("Thank you: %(n)d ballots recorded.", n=len(rows)), "success")
            return redirect(url_for("ballots.todo"))
    return render_template("ballots/grid.html", campaign=campaign, group=rater_group, rows=rows,
                           questions=questions, errors=errors, scales=_scales(campaign),
                           form=FlaskForm()), (422 if errors else 200)


def _scales(campaign: Campaign) -> dict:
    from ..plans.scales import SHIPPED
    return {**SHIPPED, **campaign.plan_version.spec().scales}
