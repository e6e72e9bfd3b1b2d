"""Access rules. Every endpoint must declare who may use it; an endpoint that
declares nothing is refused (deny by default), and the check runs on the server
before every request."""
from __future__ import annotations

import enum
from typing import Callable

from flask import abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user


class Role(enum.StrEnum):
    ADMIN = "admin"
    OFFICE = "office"          # 绩效办: runs the year within a unit subtree
    SUPERVISOR = "supervisor"  # 监督: read-only within a subtree, reads the audit log
    LEADER = "leader"
    STAFF = "staff"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self.value])

    @property
    def scoped(self) -> bool:
        return self in (Role.OFFICE, Role.SUPERVISOR)


ROLE_LABELS = {
    "admin": _l("System administrator"),
    "office": _l("Performance office"),
    "supervisor": _l("Supervisor"),
    "leader": _l("Leader"),
    "staff": _l("Staff"),
}

PUBLIC = "public"
ANY_USER = "any-user"
# Reachable while a user must still replace an initial password.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "auth.login", "main.set_language",
                                       "main.healthz", "static"})

# Who may read the directory, and who may change it.
DIRECTORY_READERS = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
DIRECTORY_EDITORS = (Role.ADMIN, Role.OFFICE)
AUDIT_READERS = (Role.ADMIN, Role.SUPERVISOR)


def _mark(rule) -> Callable:
    def decorator(view):
        view.access_rule = rule
        return view
    return decorator


def public(view):
    """Anyone, logged in or not."""
    return _mark(PUBLIC)(view)


def authenticated(view):
    """Any logged-in user."""
    return _mark(ANY_USER)(view)


def roles(*allowed: Role) -> Callable:
    """Logged-in users holding one of these roles."""
    return _mark(frozenset(allowed))


def enforce_access():
    """before_request hook: apply the endpoint's declared rule, refusing endpoints that declare none."""
    if request.endpoint is None:
        return None  # no route matched: the 404 handler answers
    if request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    rule = getattr(view, "access_rule", None)
    if rule is None:
        abort(403)
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS):
        return redirect(url_for("auth.change_password", next=request.full_path))
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if rule == ANY_USER or current_user.role in rule:
        return None
    abort(403)


def has_role(*allowed: Role) -> bool:
    return current_user.is_authenticated and current_user.role in allowed


def require_unit_access(unit) -> None:
    """Scoped roles see only their subtree; abort with 403 otherwise."""
    if not current_user.can_see_unit(unit):
        abort(403)


def require_editor_of(unit, person=None) -> None:
    """May the current user change this unit (and this person)? A person whose account
    is an administrator's is changed by administrators only: their staff number is a login."""
    if current_user.role not in DIRECTORY_EDITORS or not current_user.can_see_unit(unit):
        abort(403)
    user = getattr(person, "user", None)
    if user is not None and user.role is Role.ADMIN and current_user.role is not Role.ADMIN:
        abort(403)
