import math
import time

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..core import audit
from ..core.access import Role, authenticated, public, roles
from ..core.errors import DomainError
from ..extensions import db, limiter
from ..ids import page_number
from ..org.models import Person, Unit
from ..org.queries import units_in_order
from ..utils import safe_next
from . import operations as ops
from . import throttle
from .forms import ChangePasswordForm, ConfirmForm, LoginForm, UserForm
from .models import User, new_session_token

bp = Blueprint("auth", __name__)


def _failed_login(response) -> bool:
    # A successful login redirects; a refused one re-renders the form.
    return response.status_code == 200


def _wait_phrase(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    return ngettext("%(num)d minute", "%(num)d minutes", math.ceil(seconds / 60))


def _refused(message: str, seconds: int):
    response = current_app.make_response(render_template("auth/login.html", form=LoginForm(), blocked=message))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


# Only failed logins count against the address (spraying); one account tried from one address
# slows that address down for that account (throttle.py), never locking the account itself.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_failed_login)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr or ""
        wait = throttle.seconds_to_wait(form.login.data, address)
        if wait:
            # Refused before the password is checked: the answer is the same whether it was right.
            return _refused(_("Too many failed logins for this account from your address. Please wait %(wait)s "
                              "and try again.", wait=_wait_phrase(wait)), wait)
        user = ops.authenticate(form.login.data, form.password.data)
        if user is None:
            ops.record_failed_login(form.login.data)
            db.session.commit()
            form.password.errors.append(_("Wrong staff number or password, or the account is disabled."))
            wait = throttle.record_failure(form.login.data, address)
            if wait:
                form.password.errors.append(_("Please wait %(wait)s before you try this account again.",
                                              wait=_wait_phrase(wait)))
        else:
            throttle.forget(form.login.data, address)
            session.clear()  # a fresh session at every login (no fixation)
            login_user(user)
            if user.locale:
                session["lang"] = user.locale
            ops.record_login(user)
            db.session.commit()
            if user.must_change_password:
                flash(_("Please replace your initial password before you continue."), "warning")
                return redirect(url_for("auth.change_password", next=safe_next(request.args.get("next"))))
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _seconds_until_reset() -> int | None:
    try:
        breached = limiter.current_limit
        # reset_at is a whole second: never say more than the limit's own window.
        return max(1, min(breached.limit.get_expiry(), math.ceil(breached.reset_at - time.time())))
    except Exception:  # the storage failed again while we asked: still answer with a page
        current_app.logger.warning("Could not read when the login limit resets.", exc_info=True)
        return None


@bp.errorhandler(429)
def too_many_attempts(_e):
    seconds = _seconds_until_reset()
    if seconds is None:
        return _refused(_("Too many failed login attempts. For your security, logging in is paused for a few "
                          "minutes. Please try again later or ask the administrator to reset your password."), 60)
    return _refused(_("Too many failed logins from your address. Please wait %(wait)s and try again, or ask the "
                      "administrator for help.", wait=_wait_phrase(seconds)), seconds)


@bp.post("/logout")
@authenticated
def logout():
    user = current_user._get_current_object()
    # Rotating the token makes a copied session cookie worthless (and ends the account's other sessions).
    user.session_token = new_session_token()
    audit.record("auth.logout", user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@authenticated
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            ops.change_password(current_user, form.current.data, form.new.data)
        except DomainError as e:
            form.new.errors.append(e.message)
        else:
            audit.record("auth.password_changed", current_user._get_current_object())
            db.session.commit()
            # The session token rotated: log in again under it so this session survives.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed."), "success")
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/change_password.html", form=form)


# --- account administration ---------------------------------------------------

@bp.get("/users")
@roles(Role.ADMIN)
def users():
    q = (request.args.get("q") or "").strip()
    stmt = select(User).outerjoin(User.person).options(joinedload(User.person), joinedload(User.scope_unit))
    if q:
        stmt = stmt.where(or_(User.login.icontains(q, autoescape=True), Person.name.icontains(q, autoescape=True)))
    role = request.args.get("role")
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    page = db.paginate(stmt.order_by(User.role, User.login), page=page_number(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("auth/users.html", page=page, q=q, role=role, roles=list(Role))


def _unit_choice(form) -> Unit | None:
    raw = form.scope_unit_id.data
    return db.session.get(Unit, int(raw)) if raw else None


@bp.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_new():
    form = UserForm(units_in_order())
    if form.validate_on_submit():
        person = None
        if form.staff_no.data:
            person = db.session.scalar(select(Person).where(Person.staff_no == form.staff_no.data.strip()))
            if person is None:
                form.staff_no.errors.append(_("No person has this staff number."))
        elif not form.login.data:
            form.login.errors.append(_("Give a staff number or a login."))
        if not form.errors:
            try:
                user, password = ops.create_user(login=form.login.data, person=person, role=Role(form.role.data),
                                                 scope_unit=_unit_choice(form))
            except DomainError as e:
                form.role.errors.append(e.message)
            else:
                if not form.active.data:
                    user.active = False
                user.email = (form.email.data or "").strip() or None
                db.session.commit()
                return render_template("auth/password_issued.html", user=user, password=password)
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(units_in_order(), obj=None if request.method == "POST" else user)
    if request.method == "GET":
        form.role.data = user.role.value
        form.scope_unit_id.data = str(user.scope_unit_id or "")
        form.login.data = user.login
        form.staff_no.data = user.person.staff_no if user.person else ""
    if form.validate_on_submit():
        try:
            ops.update_user(user, role=Role(form.role.data), scope_unit=_unit_choice(form), active=form.active.data)
            user.email = (form.email.data or "").strip() or None
        except DomainError as e:
            form.role.errors.append(e.message)
        else:
            db.session.commit()
            flash(_("Account %(login)s saved.", login=user.login), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user, reset_form=ConfirmForm())


@bp.post("/users/<int:user_id>/reset-password")
@roles(Role.ADMIN)
def user_reset_password(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    password = ops.reset_password(user)
    audit.record("auth.password_reset", user)
    db.session.commit()
    return render_template("auth/password_issued.html", user=user, password=password)


