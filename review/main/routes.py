from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..core.access import public
from ..extensions import db
from ..org.relations import relations_of
from ..utils import safe_next
from .health import report

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    person = current_user.person
    rel = relations_of(person) if person is not None and person.active else None
    from ..ballots.reminders import for_person
    pending = for_person(person.id) if person is not None else []
    return render_template("main/index.html", person=person, rel=rel, pending_campaigns=pending)


@bp.post("/language")
@public
def set_language():
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated and current_user.locale != lang:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")))


@bp.get("/healthz")
@public
def healthz():
    body, code = report()
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response
