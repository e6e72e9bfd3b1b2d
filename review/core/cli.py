"""`flask --app wsgi audit ...`"""
import json
from datetime import datetime

import click
from sqlalchemy import select

from ..extensions import db
from .audit import AuditEntry

audit_cli = click.Group("audit", help="Read the audit log.")


@audit_cli.command("list")
@click.option("--action", help="Action prefix, e.g. people. or auth.login")
@click.option("--actor", help="Login of whoever acted (substring).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this UTC day on.")
@click.option("--limit", type=int, default=100, show_default=True)
def list_entries(action: str | None, actor: str | None, since: datetime | None, limit: int):
    """Print the newest entries as tab-separated lines (UTC time, actor, action, object, changes as JSON)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
    if actor:
        stmt = stmt.where(AuditEntry.actor.contains(actor))
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    for e in db.session.scalars(stmt):
        changes = json.dumps({"before": e.before, "after": e.after}, ensure_ascii=False) if e.before or e.after else ""
        click.echo("\t".join([e.at.isoformat(timespec="seconds"), e.actor, e.action, e.object_label or "",
                              e.summary or "", changes]))
