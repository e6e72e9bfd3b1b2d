from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..core.access import Role
from ..core.timeutil import utcnow
from ..core.types import str_enum
from ..extensions import db
from ..org.models import Person, Unit


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    """An account. Staff log in with their staff number; an account not linked to a
    person (the first administrator) has a login of its own."""

    __tablename__ = "users"
    __audited__ = True
    __audit_redact__ = ("password_hash", "session_token")

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    # For reminders by e-mail, when the site has an SMTP server (MAIL_SERVER).
    email: Mapped[str | None] = mapped_column(String(254))
    # Part of the session identity: rotating it logs out every other session of the account.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    person: Mapped[Person | None] = relationship(backref=backref("user", uselist=False))
    scope_unit: Mapped[Unit | None] = relationship()

    __audit_exclude__ = ("last_login_at",)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def can_log_in(self) -> bool:
        """An enabled account whose person (if any) is still in service."""
        return self.active and (self.person is None or self.person.active)

    @property
    def display_name(self) -> str:
        return self.person.name if self.person else self.login

    @property
    def audit_label(self) -> str:
        return self.login

    @property
    def audit_unit_path(self) -> str | None:
        if self.person is not None and self.person.unit is not None:
            return self.person.unit.path
        return self.scope_unit.path if self.scope_unit is not None else None

    def can_see_unit(self, unit: Unit) -> bool:
        if self.role is Role.ADMIN:
            return True
        if self.role.scoped:
            return self.scope_unit is not None and self.scope_unit.contains(unit)
        return False

    def __str__(self) -> str:
        return self.login
