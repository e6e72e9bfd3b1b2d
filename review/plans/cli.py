"""`flask --app wsgi plans ...`"""
import sys

import click
from sqlalchemy import select

from ..core.errors import DomainError
from ..extensions import db
from .models import StoredPlan
from .operations import get_version, save_plan
from .yaml_io import PlanInvalid, dump_plan, load_plan

plans_cli = click.Group("plans", help="Assessment plans: validate, import, export, list.")


def _read(file: str):
    with open(file, encoding="utf-8-sig") as f:
        text = f.read()
    try:
        return load_plan(text)
    except PlanInvalid as exc:
        click.echo(f"{file}: {len(exc.problems)} problem(s); nothing was saved.", err=True)
        for p in exc.problems:
            click.echo(f"  {p}", err=True)
        sys.exit(1)


@plans_cli.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def validate(file: str):
    """Check a plan file; exit 0 when valid, 1 with every problem otherwise."""
    plan = _read(file)
    leaves = len(plan.leaves())
    click.echo(f"{file}: valid — {plan.name} ({plan.year}), {plan.mode}, {leaves} indicators, total {plan.total:g}.")


@plans_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_plan(file: str):
    """Store a plan file: a new plan, or a new version when the plan is in use."""
    plan = _read(file)
    version = save_plan(plan)
    db.session.commit()
    click.echo(f"{plan.name}: version {version.version} stored.")


@plans_cli.command("export")
@click.argument("name")
@click.option("--version", "version", type=int, help="Version number (default: the latest).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="File to write (default: standard output).")
def export_plan(name: str, version: int | None, out: str | None):
    """Write a stored plan as YAML."""
    try:
        found = get_version(name, version)
    except DomainError as e:
        raise click.ClickException(e.message)
    text = dump_plan(found.spec())
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        click.echo(f"{name} v{found.version} written to {out}.")
    else:
        click.echo(text, nl=False)


@plans_cli.command("list")
def list_plans():
    """Stored plans with their versions."""
    for p in db.session.scalars(select(StoredPlan).order_by(StoredPlan.name)):
        versions = ", ".join(f"v{v.version}{' (in use)' if v.frozen else ''}" for v in p.versions)
        click.echo(f"{p.name}\t{p.latest.year}\t{versions}")
