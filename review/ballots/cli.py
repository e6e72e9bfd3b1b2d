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


@ballots_cli.command("slips")
@click.argument("campaign_id", type=int)
@click.option("--group", type=click.Choice(["democratic", "middle"]), default="democratic", show_default=True)
@click.option("--count", type=int, required=True, help="How many slips to print.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True, help="PDF file to write.")
@click.option("--base-url", help="Address printed in the QR codes (default: REVIEW_PUBLIC_URL).")
def print_slips(campaign_id: int, group: str, count: int, out: str, base_url: str | None):
    """Print nameless meeting ballot slips (QR code and short code) as a PDF. The codes exist only in it."""
    from flask import current_app
    from . import slips
    from .models import RaterGroup
    campaign = _campaign(campaign_id)
    if base_url:
        current_app.config["REVIEW_PUBLIC_URL"] = base_url
    try:
        tokens = slips.new_tokens(count)
        slips.check_issue(campaign, RaterGroup(group), count)
        pdf = slips.slips_pdf(slips.sheet_for(campaign, RaterGroup(group)), tokens)
        slips.issue(campaign, RaterGroup(group), tokens)
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(e.message)
    # Write the file before committing: a batch whose codes nobody holds is worse than none.
    with open(out, "wb") as f:
        f.write(pdf)
    db.session.commit()
    click.echo(f"{count} slips → {out}")
