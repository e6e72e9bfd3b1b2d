"""`flask --app wsgi users ...`"""
import click
from sqlalchemy import select

from ..core.access import Role
from ..core.errors import DomainError
from ..extensions import db
from ..org.models import Person, Unit
from . import operations as ops
from .models import User

users_cli = click.Group("users", help="Accounts: create, reset, list.")


@users_cli.command("create-admin")
@click.option("--login", default="admin", show_default=True)
@click.password_option(help="Prompted for when not given.")
def create_admin(login: str, password: str):
    """Create a system administrator (not linked to a person)."""
    try:
        user, _ = ops.create_user(login=login, role=Role.ADMIN, password=password, must_change=False)
    except DomainError as e:
        raise click.ClickException(e.message)
    db.session.commit()
    click.echo(f"Administrator {user.login} created.")


@users_cli.command("create")
@click.argument("staff_no")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="staff", show_default=True)
@click.option("--scope", "scope_code", help="Unit code of the scope (performance office, supervisor).")
def create(staff_no: str, role: str, scope_code: str | None):
    """Create an account for the person with STAFF_NO; prints the initial password."""
    person = db.session.scalar(select(Person).where(Person.staff_no == staff_no))
    if person is None:
        raise click.ClickException(f"No person has staff number {staff_no}.")
    scope = db.session.scalar(select(Unit).where(Unit.code == scope_code)) if scope_code else None
    if scope_code and scope is None:
        raise click.ClickException(f"No unit has code {scope_code}.")
    try:
        user, password = ops.create_user(person=person, role=Role(role), scope_unit=scope)
    except DomainError as e:
        raise click.ClickException(e.message)
    db.session.commit()
    click.echo(f"{user.login}\t{person.name}\t{password}")


@users_cli.command("reset-password")
@click.argument("login")
def reset_password(login: str):
    """Issue a new initial password (to be changed at next login)."""
    user = ops.find_by_login(login)
    if user is None:
        raise click.ClickException(f"No account {login}.")
    password = ops.reset_password(user)
    db.session.commit()
    click.echo(f"{user.login}\t{password}")


@users_cli.command("list")
def list_users():
    """List accounts with their roles."""
    for u in db.session.scalars(select(User).order_by(User.role, User.login)):
        scope = u.scope_unit.code if u.scope_unit else "-"
        click.echo(f"{u.login}\t{u.role.value}\t{scope}\t{'active' if u.active else 'disabled'}")
