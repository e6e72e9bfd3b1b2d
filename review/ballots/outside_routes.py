"""The performance office enters outside bodies' ratings (one sheet per body)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ..campaigns.rescoring import rescore
from ..campaigns.routes import EDITORS, _campaign
from ..core.access import roles
from ..core.errors import DomainError
from ..extensions import db
from . import outside

bp = Blueprint("outside", __name__, url_prefix="/campaigns")


@bp.route("/<int:campaign_id>/outside", methods=["GET", "POST"])
@roles(*EDITORS)
def sheet(campaign_id: int):
    campaign = _campaign(campaign_id)
    questions = outside.outside_questions(campaign)
    people = outside.ratees(campaign)
    body = (request.values.get("body") or "").strip()
    # Form values as the form sends them back: 80.0 → "80".
    values = {f"r{r}-{code}": f"{v:g}" for (r, code), v in outside.existing(campaign, body).items()} if body else {}
    errors: dict[int, str] = {}
    error = None
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        answers = {}
        for p in people:
            answers[p.id] = {}
            for q in questions:
                raw = request.form.get(f"r{p.id}-{q.code}", "")
                try:
                    answers[p.id][q.code] = float(raw) if raw else None
                except ValueError:
                    answers[p.id][q.code] = None
        values = dict(request.form)
        try:
            errors = outside.save(campaign, body, answers)
        except DomainError as e:
            error = e.message
        if errors or error:
            db.session.rollback()
        else:
            rescore(campaign)
            db.session.commit()
            flash(_("The ratings of %(body)s are saved.", body=body), "success")
            return redirect(url_for("outside.sheet", campaign_id=campaign.id))
    from .routes import _scales
    return render_template("ballots/outside.html", campaign=campaign, questions=questions, people=people,
                           body=body, values=values, errors=errors, error=error, bodies=outside.bodies(campaign),
                           scales=_scales(campaign), form=FlaskForm()), (422 if errors or error else 200)


@bp.post("/<int:campaign_id>/outside/remove")
@roles(*EDITORS)
def remove(campaign_id: int):
    campaign = _campaign(campaign_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not campaign.accepts_inputs:
        flash(_("Ratings can be entered only before voting closes."), "error")
    elif outside.remove(campaign, request.form.get("body", "")):
        rescore(campaign)
        db.session.commit()
        flash(_("Removed."), "success")
    return redirect(url_for("outside.sheet", campaign_id=campaign.id))
