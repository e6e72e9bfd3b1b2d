"""The public survey pages: no login, phone first, working without JavaScript, CSRF-protected.
Secrets travel only in POST bodies (the QR code keeps its secret after "#"), never in a URL a log
would keep; failed lookups are rate-limited per address."""
from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, abort, current_app, get_template_attribute, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from markupsafe import Markup
from wtforms import ValidationError

from ..core import guesses
from ..core.access import public
from ..core.errors import DomainError
from ..extensions import csrf, db, limiter
from ..ids import query_id
from . import answering
from .models import Survey

bp = Blueprint("survey_public", __name__)


# Per address: lookups of well-formed codes that match no token (guessing), counted only when they miss
# (review/core/guesses.py). Nothing is counted per code: a code counts once anyway, and a counter keyed
# by a code would time its use for whoever reads the limiter's storage (docs/anonymity.md).
_GUESSES = "survey-lookup"


def _open_key() -> str:
    return f"survey-open:{request.view_args.get('key') if request.view_args else ''}:{request.remote_addr}"


def _csrf_valid() -> bool:
    """The page's CSRF token matches the session's (checked here rather than through a form class:
    these pages are answered by the thousand and need nothing else of one)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def _form() -> dict[str, list[str]]:
    return {k: request.form.getlist(k) for k in request.form if k not in ("csrf_token", "code", "send", "target", "ticket")}


@lru_cache(maxsize=64)
def _blank_fields(q, lang: str) -> Markup:
    # The questions as a blank form are the same for every token of a questionnaire: rendered once per
    # process and language (the questionnaire is a frozen dataclass, hashed by its content).
    return Markup(get_template_attribute("surveys/_questions.html", "questionnaire_fields")(q, lang, {}, {}))


def _fields(q, lang: str, values: dict, errors: dict) -> Markup | None:
    """The questions already rendered when nothing was typed yet; None: the template renders them."""
    return None if values or errors else _blank_fields(q, lang)


def _lang() -> str:
    from flask_babel import get_locale
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


@bp.route("/survey/", methods=["GET", "POST"])
@csrf.exempt  # checked below: a lost session must keep the answers and ask to send again, not fail with 400
@public
def answer():
    if request.method == "GET":
        return render_template("surveys/public/code.html", error=None)
    secret = (request.form.get("code") or "").strip()[:100]
    if answering.normalize(secret) is None:
        return render_template("surveys/public/code.html", error=_(
            "This is not a valid code: please check it and type it again.")), 422
    if guesses.refused(_GUESSES, request.remote_addr or ""):
        abort(429)
    # Only a sending needs the session's CSRF token: opening the questionnaire (the QR page's script
    # posting the code) must not greet a person with "expired" when their cookie is new.
    sending = "send" in request.form
    expired = sending and not _csrf_valid()
    if sending and not expired:
        q = answering.send_by_ticket(secret, request.form.get("ticket"), _form())
        if q is not None:
            return render_template("surveys/public/thanks.html", q=q, lang=_lang())
    try:
        opened = answering.open_for_page(secret, sending=sending and not expired)
    except answering.TokenRefused as e:
        return _refusal(e)
    q = opened.questionnaire
    errors: dict[str, str] = {}
    if sending and not expired:
        try:
            answering.submit_from_page(opened, _form())
        except answering.Incomplete as e:
            db.session.rollback()
            errors = e.errors
        except answering.TokenRefused as e:
            db.session.rollback()
            return _refusal(e)
        else:
            db.session.commit()
            return render_template("surveys/public/thanks.html", q=q, lang=_lang())
    values = _form() if sending else {}
    return render_template("surveys/public/answer.html", q=q, lang=_lang(), secret=secret, errors=errors,
                           values=values, fields=_fields(q, _lang(), values, errors), expired=expired,
                           target_label=opened.target_label, open_key=None, ticket=opened.ticket,
                           targets=None), (422 if errors or expired else 200)


def _refusal(e: answering.TokenRefused):
    if e.reason == "unknown":
        if not guesses.missed(current_app.config["SURVEY_LIMIT_PER_ADDRESS"], _GUESSES, request.remote_addr or ""):
            abort(429)
        return render_template("surveys/public/code.html", error=e.message), 422
    return render_template("surveys/public/refused.html", message=e.message), 410


@bp.route("/survey/open/<key>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SURVEY_LIMIT_OPEN_LINK"], methods=["POST"], key_func=_open_key,
               deduct_when=lambda response: response.status_code == 200 and getattr(request, "_survey_sent", False))
@csrf.exempt  # checked below, as on the token page
@public
def open_link(key: str):
    """A kiosk's open link: anyone may answer, flagged unverified and counted apart."""
    from sqlalchemy import select

    from .tokens import targets
    survey = db.session.scalar(select(Survey).where(Survey.open_key == key)) if key else None
    if survey is None:
        abort(404)
    q = survey.questionnaire_version.spec()
    choices = targets(survey)
    errors: dict[str, str] = {}
    expired = request.method == "POST" and not _csrf_valid()
    if request.method == "POST" and not expired:
        try:
            answering.submit_open(survey, query_id("target", request.form) or 0, _form())
        except answering.Incomplete as e:
            db.session.rollback()
            errors = e.errors
        except answering.TokenRefused as e:
            db.session.rollback()
            return render_template("surveys/public/refused.html", message=e.message), 410
        except DomainError as e:
            db.session.rollback()
            errors = {"_target": e.message}
        else:
            db.session.commit()
            request._survey_sent = True
            return render_template("surveys/public/thanks.html", q=q, lang=_lang(), again=True, open_key=key)
    values = _form() if request.method == "POST" else {}
    return render_template("surveys/public/answer.html", q=q, lang=_lang(), secret=None, errors=errors,
                           values=values, fields=_fields(q, _lang(), values, errors), expired=expired,
                           target_label=None, open_key=key, targets=choices), \
        (422 if errors or expired else 200)
