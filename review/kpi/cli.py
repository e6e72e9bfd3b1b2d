"""`flask --app wsgi scores ...`: KPI sheets in and out from the command line."""
from __future__ import annotations

import os

import click
from flask import current_app

from ..campaigns.cli import campaign_or_fail
from ..extensions import db
from .importer import import_file
from .models import BatchOrigin
from .sheets import template_workbook

scores_cli = click.Group("scores", help="Quantitative scores: import KPI sheets, write the sheet a campaign expects.")


@scores_cli.command("import")
@click.argument("campaign_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
def import_command(campaign_id: int, path: str, dry_run: bool):
    """Import a KPI sheet (.xlsx or .csv) into a campaign: all rows or none."""
    campaign = campaign_or_fail(campaign_id)
    with open(path, "rb") as f:
        data = f.read()
    report = import_file(campaign, data, apply=not dry_run, filename=os.path.basename(path), origin=BatchOrigin.CLI,
                         max_rows=current_app.config["ROSTER_MAX_ROWS"])
    if not report.ok:
        db.session.rollback()
        for e in report.errors:
            where = ", ".join(x for x in (f"row {e.row}" if e.row else "", e.column) if x)
            click.echo(f"{where}: {e.message}" if where else e.message, err=True)
        raise click.ClickException(f"{len(report.errors)} problems; nothing was imported.")
    for c in report.changes[:50]:
        before = "—" if c.before is None else f"{c.before:g}"
        click.echo(f"{c.staff_no} {c.name} · {c.measure}: {before} → {c.after:g}")
    if report.new + report.changed > 50:
        click.echo(f"… and {report.new + report.changed - 50} more changes")
    if dry_run:
        db.session.rollback()
        click.echo("Dry run: nothing written. " + report.summary)
    else:
        db.session.commit()
        click.echo(f"Imported as batch #{report.batch_id}. " + report.summary)


@scores_cli.command("sheet")
@click.argument("campaign_id", type=int)
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def sheet_command(campaign_id: int, path: str):
    """Write the campaign's KPI sheet (people, one column per measure, current values)."""
    campaign = campaign_or_fail(campaign_id)
    with open(path, "wb") as f:
        f.write(template_workbook(campaign))
    click.echo(f"Written {path}")
