"""`flask --app wsgi api-keys ...`"""
import click
from sqlalchemy import select

from ..core.errors import DomainError
from ..extensions import db
from ..org.models import Unit
from . import keys

api_keys_cli = click.Group("api-keys", help="API keys: create (shown once), list, revoke.")


@api_keys_cli.command("create")
@click.option("--unit", "unit_code", required=True, help="Code of the unit whose subtree the key reaches.")
@click.option("--name", required=True, help="The system that will use the key.")
def create(unit_code: str, name: str):
    """Create a key and print it: this is the only time it is shown."""
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"No unit with code {unit_code}.")
    try:
        issued = keys.create_key(unit, name)
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(e.message)
    db.session.commit()
    click.echo(f"Key {issued.key.prefix} for {unit.name} ({unit.code}), shown only this once:", err=True)
    click.echo(issued.secret)


@api_keys_cli.command("list")
def list_keys():
    """Every key as tab-separated lines: prefix, name, unit code, created, last used, revoked (UTC)."""
    for k in keys.keys_in_scope(None):
        click.echo("\t".join([k.prefix, k.name, k.unit.code, k.created_at.isoformat(timespec="seconds"),
                              k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "-",
                              k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "active"]))


@api_keys_cli.command("revoke")
@click.argument("prefix")
def revoke(prefix: str):
    """Revoke the key with this prefix (e.g. rvk_3f9a1c0b2d); requests with it are refused at once."""
    key = keys.find_by_prefix(prefix.split(".")[0].rstrip("…"))
    if key is None:
        raise click.ClickException(f"No API key with prefix {prefix}.")
    if not keys.revoke_key(key):
        click.echo(f"Key {key.prefix} was already revoked.")
        return
    db.session.commit()
    click.echo(f"Key {key.prefix} ({key.name}) revoked.")
