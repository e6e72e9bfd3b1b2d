"""`flask --app wsgi org ...`"""
import sys

import click
from sqlalchemy import select

from ..core.errors import DomainError
from ..extensions import db
from . import operations as ops
from .terminology import PRESETS, all_categories, all_role_labels, ensure_terminology
from .models import Person, Unit, UnitLevel
from .roster import RosterImporter, export_workbook, template_workbook

org_cli = click.Group("org", help="The institution's directory: roster import and export, units, categories.")


@org_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check and report what would change; write nothing.")
def import_roster(file: str, dry_run: bool):
    """Import a roster (.xlsx or .csv). All or nothing: any bad row writes nothing."""
    with open(file, "rb") as f:
        data = f.read()
    result = RosterImporter().run(data, apply=not dry_run)
    if not result.ok:
        db.session.rollback()
        click.echo(f"{file}: {len(result.errors)} problem(s); nothing was imported.", err=True)
        for e in result.errors:
            click.echo(f"row {e.row or '-'}\tcolumn {e.column or '-'}\t{e.message}", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would be" if dry_run else "were"
    click.echo(f"{result.rows} rows: {result.created} {verb} created, {result.updated} {verb} updated, "
               f"{result.unchanged} unchanged.")
    for unit, dept in result.new_departments:
        click.echo(f"new department: {unit} {dept}")


@org_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def export_roster(file: str):
    """Export the whole roster to FILE (.xlsx)."""
    from .queries import roster_export_query
    people = db.session.scalars(roster_export_query()).unique()
    with open(file, "wb") as f:
        f.write(export_workbook(people))
    click.echo(f"Roster written to {file}.")


@org_cli.command("template")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def template(file: str):
    """Write an empty roster template to FILE (.xlsx)."""
    with open(file, "wb") as f:
        f.write(template_workbook())
    click.echo(f"Template written to {file}.")


@org_cli.command("add-unit")
@click.argument("code")
@click.argument("name")
@click.option("--level", type=click.Choice([lv.value for lv in UnitLevel]), required=True)
@click.option("--parent", "parent_code", help="Code of the parent unit.")
def add_unit(code: str, name: str, level: str, parent_code: str | None):
    """Add a unit under an existing one (or a root unit)."""
    parent = None
    if parent_code:
        parent = db.session.scalar(select(Unit).where(Unit.code == parent_code))
        if parent is None:
            raise click.ClickException(f"No unit has code {parent_code}.")
    try:
        unit = ops.create_unit(code=code, name=name, level=UnitLevel(level), parent=parent)
    except DomainError as e:
        raise click.ClickException(e.message)
    db.session.commit()
    click.echo(f"Unit {unit.code} {unit.name} added.")


@org_cli.command("terminology")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default="procuratorate", show_default=True)
def terminology(preset: str):
    """Name the staff categories and leader roles for a kind of institution (procuratorate, court, justice)."""
    ensure_terminology(preset, relabel=True)
    db.session.commit()
    for c in all_categories():
        click.echo(f"category\t{c.code}\t{c.label_zh}\t{c.label_en}")
    for r in all_role_labels():
        click.echo(f"role\t{r.role}\t{r.label_zh}\t{r.label_en}")


@org_cli.command("tree")
def tree():
    """Print the unit tree with departments and head counts."""
    from .queries import department_counts, unit_counts, units_in_order
    units = units_in_order()
    counts = unit_counts([u.id for u in units])
    depth = {}
    for u in units:
        depth[u.id] = depth.get(u.parent_id, -1) + 1
        click.echo(f"{'  ' * depth[u.id]}{u.code}\t{u.name}\t{u.level.value}\t{counts.get(u.id, 0)}")
        per_dept = department_counts(u)
        for d in u.departments:
            click.echo(f"{'  ' * (depth[u.id] + 1)}- {d.name}\t{per_dept.get(d.id, 0)}")


@org_cli.command("relations")
@click.argument("staff_no")
def relations(staff_no: str):
    """Print a person's superiors, subordinates and peers."""
    from .relations import relations_of
    person = db.session.scalar(select(Person).where(Person.staff_no == staff_no))
    if person is None:
        raise click.ClickException(f"No person has staff number {staff_no}.")
    rel = relations_of(person)
    for title, people in (("superiors", rel.superiors), ("subordinates", rel.subordinates), ("peers", rel.peers)):
        click.echo(f"{title}:")
        for p in people:
            click.echo(f"  {p.staff_no}\t{p.name}")
