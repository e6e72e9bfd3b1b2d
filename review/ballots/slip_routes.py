"""Meeting ballot slips: the office prints (and withdraws) them; anyone holding one votes without login.

The public page refuses failed lookups beyond a rate per address, generous enough for a meeting
room behind one address, tight enough to make guessing pointless."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from ..campaigns.routes import EDITORS, _campaign
from ..core.access import public, roles
from ..core.errors import DomainError
from ..extensions import csrf, db, limiter
from ..utils import one_time_download
from . import slips, voting
from .models import RaterGroup, SlipBatch

bp = Blueprint("slips", __name__)


def _refused() -> bool:
    return getattr(request, "_slip_refused", False)


def _limited(view):
    # Only lookups of well-formed codes that match no slip count: a typo caught by the check
    # symbol never reaches the database, and must not lock a meeting room (one address) out.
    return limiter.limit(lambda: current_app.config["SLIP_LIMIT_PER_ADDRESS"], methods=["POST"],
                         deduct_when=lambda response: _refused())(view)


@bp.route("/slip/", methods=["GET", "POST"])
@_limited
@csrf.exempt  # checked below: a lost session must keep the answers and ask to send again, not fail with 400
@public
def slip():
    """One page for the whole slip: type the code (or arrive from the QR code, whose secret the
    page's script posts from the address fragment), fill the sheet, send it. Secrets travel only
    in POST bodies, never in a URL that a log or a browser history would keep."""
    if request.method == "GET":
        return render_template("ballots/slip_code.html", form=FlaskForm(), error=None)
    form = FlaskForm()
    secret = (request.form.get("code") or "").strip()[:100]
    if not form.validate_on_submit():
        # A phone that lost its session cookie: keep what was typed and ask to send again.
        return _entry_or_sheet(secret, expired=True)
    if not secret or (slips.normalize(secret) is None):
        return render_template("ballots/slip_code.html", form=FlaskForm(), error=_(
            "This is not a valid code: please check it and type it again.")), 422
    return _entry_or_sheet(secret, send="send" in request.form)


def _entry_or_sheet(secret: str, *, send: bool = False, expired: bool = False):
    try:
        opened = slips.open_slip(secret)
    except slips.SlipRefused as e:
        if e.reason == "unknown":
            request._slip_refused = True
            return render_template("ballots/slip_code.html", form=FlaskForm(), error=e.message), 422
        return render_template("ballots/slip_refused.html", reason=e.reason, message=e.message), 410
    group, campaign = opened.batch.group, opened.campaign
    people = slips.ratees(campaign, group)
    questions = voting.questions(campaign, group)
    missing: set[int] = set()
    if send and not expired:
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
        except DomainError as e:
            db.session.rollback()
            return render_template("ballots/slip_refused.html", reason="closed", message=e.message), 410
        else:
            db.session.commit()
            return render_template("ballots/slip_done.html", campaign=campaign, n=len(people))
    from .routes import _scales
    status = 422 if (missing or expired) else 200
    return render_template("ballots/slip_vote.html", campaign=campaign, group=group, people=people,
                           questions=questions, missing=missing, expired=expired, scales=_scales(campaign),
                           form=FlaskForm(), secret=secret), status


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
        slips.check_issue(campaign, group, count)
        sheet = slips.sheet_for(campaign, group)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("campaigns.ballots", campaign_id=campaign.id))
    # Render with no transaction open (on SQLite a POST holds the write lock): votes go on meanwhile.
    db.session.rollback()
    tokens = slips.new_tokens(count)
    pdf = slips.slips_pdf(sheet, tokens)
    campaign = _campaign(campaign_id)
    try:
        batch = slips.issue(campaign, group, tokens)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("campaigns.ballots", campaign_id=campaign.id))
    db.session.commit()
    return one_time_download(pdf, "application/pdf", f"slips-{campaign.id}-{group.value}-{batch.id}.pdf")


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
