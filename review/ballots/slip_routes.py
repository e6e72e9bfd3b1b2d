"""Meeting ballot slips: the office prints (and withdraws) them; anyone holding one votes without login.

The public pages refuse failed lookups beyond a rate per address and per code, generous
enough for a meeting room behind one address, tight enough to make guessing pointless."""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ..campaigns.routes import EDITORS, _campaign
from ..core.access import public, roles
from ..core.errors import DomainError
from ..core.tokens import normalize_code
from ..extensions import db, limiter
from . import slips, voting
from .models import RaterGroup, SlipBatch

bp = Blueprint("slips", __name__)


def _refused() -> bool:
    return getattr(request, "_slip_refused", False)


def _code_key() -> str:
    secret = request.view_args.get("secret") if request.view_args else None
    return "slip:" + (secret or request.form.get("code") or "")[:64]


def _limits(view):
    view = limiter.limit(lambda: current_app.config["SLIP_LIMIT_PER_ADDRESS"], deduct_when=lambda r: _refused())(view)
    return limiter.limit(lambda: current_app.config["SLIP_LIMIT_PER_CODE"], key_func=_code_key,
                         deduct_when=lambda r: _refused())(view)


@bp.route("/slip/", methods=["GET", "POST"])
@_limits
@public
def enter_code():
    error = None
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        code = normalize_code(request.form.get("code", ""))
        if code is None or slips.find(code) is None:
            request._slip_refused = True
            error = _("This code was not found. Please check it and type it again.")
        else:
            return redirect(url_for("slips.vote", secret=code))
    return render_template("ballots/slip_code.html", form=FlaskForm(), error=error), (422 if error else 200)


@bp.route("/slip/<secret>", methods=["GET", "POST"])
@_limits
@public
def vote(secret: str):
    try:
        opened = slips.open_slip(secret)
    except slips.SlipRefused as e:
        request._slip_refused = e.reason == "unknown"
        return render_template("ballots/slip_refused.html", reason=e.reason, message=e.message), \
            (404 if e.reason == "unknown" else 410)
    group, campaign = opened.batch.group, opened.campaign
    people = slips.ratees(campaign, group)
    questions = voting.questions(campaign, group)
    missing: set[int] = set()
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        answers = {p.id: _answers(f"r{p.id}-", questions) for p in people}
        comments = {p.id: request.form.get(f"r{p.id}-comment", "") for p in people}
        try:
            slips.submit(secret, answers, comments)
        except slips.IncompleteSlip as e:
            db.session.rollback()
            missing = set(e.missing)
        except slips.SlipRefused as e:
            db.session.rollback()
            return render_template("ballots/slip_refused.html", reason=e.reason, message=e.message), 410
        else:
            db.session.commit()
            voting.mix_now(campaign)
            return render_template("ballots/slip_done.html", campaign=campaign, n=len(people))
    from .routes import _scales
    return render_template("ballots/slip_vote.html", campaign=campaign, group=group, people=people,
                           questions=questions, missing=missing, scales=_scales(campaign), form=FlaskForm(),
                           secret=secret), (422 if missing else 200)


def _answers(prefix: str, questions) -> dict[str, float]:
    from .routes import _answers as read
    return read(request.form, prefix, questions)


@bp.post("/campaigns/<int:campaign_id>/slips")
@roles(*EDITORS)
def issue(campaign_id: int):
    campaign = _campaign(campaign_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        group = RaterGroup(request.form.get("group", ""))
        count = int(request.form.get("count", "0"))
    except ValueError:
        flash(_("Choose a rater group and a number of slips."), "error")
        return redirect(url_for("campaigns.ballots", campaign_id=campaign.id))
    try:
        batch, tokens = slips.issue(campaign, group, count)
        pdf = slips.slips_pdf(campaign, batch, tokens)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("campaigns.ballots", campaign_id=campaign.id))
    db.session.commit()
    # The only copy of these codes: the response is not to be kept by any cache on the way.
    resp = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"slips-{campaign.id}-{group.value}-{batch.id}.pdf")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/campaigns/<int:campaign_id>/slips/<int:batch_id>/revoke")
@roles(*EDITORS)
def revoke(campaign_id: int, batch_id: int):
    campaign = _campaign(campaign_id)
    batch = db.session.get(SlipBatch, batch_id)
    if batch is None or batch.campaign_id != campaign.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    slips.revoke(batch)
    db.session.commit()
    flash(_("The unused slips of this batch no longer work."), "success")
    return redirect(url_for("campaigns.ballots", campaign_id=campaign.id))
