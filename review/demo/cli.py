"""`flask --app wsgi demo [--reset] [--if-empty]`"""
import os

import click

from ..extensions import db
from .ballots import demo_key_cards_path, demo_slips_path
from .logins import demo_logins
from .seed import database_empty, demo_present, demo_survey_slips_path, seed, wipe


def print_logins(logins) -> None:
    click.echo("")
    click.echo("Demo logins (演示账号) — http://127.0.0.1:5000")
    click.echo(f"  {'role':<11}{'login':<14}{'password':<12}who")
    for d in logins:
        click.echo(f"  {d.role:<11}{d.login:<14}{d.password:<12}{d.who}")
    click.echo("")


@click.command("demo")
@click.option("--reset", is_flag=True, help="Wipe every table first (destroys all data).")
@click.option("--if-empty", is_flag=True, help="Seed only when the database holds no units and no accounts.")
@click.option("--archive", is_flag=True,
              help="Also issue the appraisal files of the demo's final 2024 campaign (skips those already issued).")
@click.pass_context
def demo_command(ctx: click.Context, reset: bool, if_empty: bool, archive: bool):
    """Seed the demo county procuratorate (idempotent) and print one login per role."""
    if archive:
        ctx.call_on_close(lambda: _archive(ctx))
    if reset:
        wipe()
        from ..evidence.storage import purge_orphans
        purge_orphans()  # the wiped rows' evidence files
    elif demo_present():
        print_logins(demo_logins())
        click.echo("The demo institution is already present; nothing was changed.")
        return
    elif if_empty and not database_empty():
        click.echo("The database is not empty; the demo was not seeded.")
        return
    logins = seed()
    db.session.commit()
    click.echo("Demo institution seeded.")
    print_logins(logins)
    if os.path.exists(demo_slips_path()):
        click.echo(f"Meeting ballot slips of the leadership evaluation (printable): {demo_slips_path()}")
    if os.path.exists(demo_key_cards_path()):
        click.echo(f"Its scrutineers' key cards (2 of 3 count the ballots after closing): {demo_key_cards_path()}")
    if os.path.exists(demo_survey_slips_path()):
        click.echo(f"Satisfaction survey slips, unused (printable): {demo_survey_slips_path()}")


def _archive(ctx: click.Context) -> None:
    """The demo's 2024 files, as HR would have them at the end of that year."""
    if not demo_present():
        return
    from ..archive.cli import build
    click.echo("Appraisal files of 2024 (一人一档、一年一卷):")
    ctx.invoke(build, year=2024, unit_code=None, jobs=min(4, os.cpu_count() or 1), reason=None)
