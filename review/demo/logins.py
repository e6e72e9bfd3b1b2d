"""The demo's logins: one per role, all with the demo password, read back from the database."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..auth.models import User
from ..core.access import Role
from ..extensions import db
from ..org.models import LeaderRole, Person, Unit

COUNTY_CODE = "320921"
DEMO_PASSWORD = "demo2025"
ADMIN_LOGIN = "admin"


@dataclass
class DemoLogin:
    role: str
    login: str
    password: str
    who: str


def demo_logins() -> list[DemoLogin]:
    """One login per role, read back from the database."""
    def first(stmt):
        return db.session.scalars(stmt.order_by(User.login)).first()

    county = db.session.scalar(select(Unit).where(Unit.code == COUNTY_CODE))
    picks = [
        ("admin", first(select(User).where(User.role == Role.ADMIN))),
        ("office", first(select(User).where(User.role == Role.OFFICE))),
        ("supervisor", first(select(User).where(User.role == Role.SUPERVISOR))),
        ("leader", first(select(User).join(Person).where(Person.leader_role == LeaderRole.CHIEF,
                                                        Person.unit_id == county.id))),
        ("staff", first(select(User).join(Person).where(User.role == Role.STAFF, Person.unit_id == county.id))),
    ]
    out = []
    for role, user in picks:
        if user is None:
            continue
        who = f"{user.person.name} · {user.person.position}" if user.person else "系统管理员"
        out.append(DemoLogin(role, user.login, DEMO_PASSWORD, who))
    return out
