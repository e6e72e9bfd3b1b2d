"""Account operations: every write to users goes through here."""
from __future__ import annotations

import secrets
import string

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..core import audit
from ..core.access import Role
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Person, Unit
from .models import User, new_session_token

# Verified against when the login is unknown, so that both paths cost the same.
_DUMMY_HASH = generate_password_hash("not-a-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def password_problems(password: str, login: str | None = None) -> list[str]:
    minimum = current_app.config["MIN_PASSWORD_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(_("The password must have at least %(n)d characters.", n=minimum))
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append(_("The password must contain both letters and digits."))
    if login and password.lower() == login.lower():
        problems.append(_("The password must not be the same as the login."))
    return problems


def generate_initial_password(length: int = 12) -> str:
    # No look-alike characters: these passwords are read from paper.
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "Il1O0o")
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def find_by_login(login: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))


def authenticate(login: str, password: str) -> User | None:
    """The user if the login and password match an active account, else None."""
    user = find_by_login(login) if login else None
    stored = user.password_hash if user is not None else _DUMMY_HASH
    # End the read before the KDF (~0.15 s): on SQLite a write request holds the
    # database's write lock for its whole transaction, and logins would queue behind it.
    db.session.commit()
    if not check_password_hash(stored, password) or user is None or not user.can_log_in:
        return None
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    audit.record("auth.login", user)


def record_failed_login(login: str) -> None:
    user = find_by_login(login)
    audit.record("auth.login_failed", object_type="users", object_label=login[:64],
                 object_id=user.id if user else None, unit_path=user.audit_unit_path if user else None,
                 summary=_("Failed login for %(login)s", login=login[:64]))


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise DomainError(_("The current password is not correct."))
    problems = password_problems(new, user.login)
    if problems:
        raise DomainError(" ".join(problems))
    if check_password_hash(user.password_hash, new):
        raise DomainError(_("The new password must differ from the current one."))
    set_password(user, new, must_change=False)


def set_password(user: User, password: str, *, must_change: bool) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    # Every other session of this account ends.
    user.session_token = new_session_token()


def reset_password(user: User) -> str:
    """Give the account a fresh initial password, to be changed at next login. Returns it once."""
    password = generate_initial_password()
    set_password(user, password, must_change=True)
    return password


def _check_scope(role: Role, scope_unit: Unit | None) -> None:
    if role.scoped and scope_unit is None:
        raise DomainError(_("A performance office or supervisor account needs a unit scope."))


def create_user(*, login: str | None = None, person: Person | None = None, role: Role = Role.STAFF,
                scope_unit: Unit | None = None, password: str | None = None,
                must_change: bool = True) -> tuple[User, str]:
    """Create an account; returns it with its initial password (generated when not given)."""
    if person is not None:
        login = person.staff_no
        if db.session.scalar(select(User.id).where(User.person_id == person.id)):
            raise DomainError(_("%(name)s already has an account.", name=person.name))
    if not login or not login.strip():
        raise DomainError(_("A login is required."))
    login = login.strip()
    if find_by_login(login) is not None:
        raise DomainError(_("The login %(login)s is already taken.", login=login))
    _check_scope(role, scope_unit)
    if password is None:
        password = generate_initial_password()
    else:
        problems = password_problems(password, login)
        if problems:
            raise DomainError(" ".join(problems))
    user = User(login=login, person=person, role=role, scope_unit=scope_unit,
                password_hash=hash_password(password), must_change_password=must_change, active=True)
    db.session.add(user)
    db.session.flush()
    return user, password


def update_user(user: User, *, role: Role, scope_unit: Unit | None, active: bool) -> None:
    _check_scope(role, scope_unit)
    if user.role is Role.ADMIN and (role is not Role.ADMIN or not active):
        others = db.session.scalar(select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id))
        if not others:
            raise DomainError(_("The last active administrator cannot be demoted or deactivated."))
    user.role = role
    user.scope_unit = scope_unit if role.scoped else None
    if user.active and not active:
        user.session_token = new_session_token()
    user.active = active
