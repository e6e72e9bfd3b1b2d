"""`flask --app wsgi ballots ...`"""
import click

from ..campaigns.cli import campaign_or_fail as _campaign
from ..core.errors import DomainError
from ..extensions import db
from . import assignments

ballots_cli = click.Group("ballots", help="Staff ballots: assignments and participation.")


@ballots_cli.command("assign")
@click.argument("campaign_id", type=int)
@click.option("--peer-sample", type=int, help="Each person is rated by at most N randomly chosen peers.")
def assign(campaign_id: int, peer_sample: int | None):
    """Generate (again) who rates whom in a draft campaign."""
    campaign = _campaign(campaign_id)
    try:
        n = assignments.generate(campaign, peer_sample=peer_sample)
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(e.message)
    db.session.commit()
    click.echo(f"{n} assignments")


@ballots_cli.command("progress")
@click.argument("campaign_id", type=int)
def progress(campaign_id: int):
    """Assignments and completed ballots per rater group."""
    for group, (n, done) in sorted(assignments.counts(_campaign(campaign_id)).items()):
        click.echo(f"{group}\t{done}/{n}")
