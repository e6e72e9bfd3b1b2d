"""Pages to manage API keys: administrators for every unit, the performance office for the
units of its scope. A key is shown once, when it is created; revoking takes effect at once."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.forms import ConfirmForm
from ..core.access import Role, roles
from ..core.errors import DomainError
from ..extensions import db
from ..org.models import Unit
from ..org.queries import units_in_order
from . import keys
from .forms import ApiKeyForm
from .models import ApiKey

bp = Blueprint("api_keys", __name__, url_prefix="/api-keys")

MANAGERS = (Role.ADMIN, Role.OFFICE)


def _scope() -> Unit | None:
    """None for administrators (every unit); the office's own subtree otherwise."""
    if current_user.role is Role.ADMIN:
        return None
    if current_user.scope_unit is None:
        abort(403)
    return current_user.scope_unit


def _key(key_id: int) -> ApiKey:
    key = db.session.get(ApiKey, key_id) or abort(404)
    if not current_user.can_see_unit(key.unit):
        abort(403)
    return key


@bp.get("/")
@roles(*MANAGERS)
def index():
    return render_template("api/keys.html", keys=keys.keys_in_scope(_scope()))


@bp.route("/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def new():
    units = units_in_order(_scope())
    form = ApiKeyForm(units)
    if form.validate_on_submit():
        unit = next((u for u in units if str(u.id) == form.unit_id.data), None)
        if unit is None:  # pragma: no cover - SelectField refuses choices not offered
            abort(403)
        try:
            issued = keys.create_key(unit, form.name.data, created_by_id=current_user.id)
        except DomainError as e:
            form.name.errors.append(e.message)
        else:
            db.session.commit()
            return render_template("api/key_issued.html", key=issued.key, secret=issued.secret)
    return render_template("api/key_new.html", form=form)


@bp.route("/<int:key_id>/revoke", methods=["GET", "POST"])
@roles(*MANAGERS)
def revoke(key_id: int):
    """GET asks for confirmation; POST revokes."""
    key = _key(key_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if keys.revoke_key(key):
            db.session.commit()
        flash(_("Key %(name)s is revoked: requests with it are refused from now on.", name=key.audit_label),
              "success")
        return redirect(url_for("api_keys.index"))
    return render_template("api/key_revoke.html", key=key, form=form)
