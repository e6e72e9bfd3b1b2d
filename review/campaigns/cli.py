"""`flask --app wsgi campaigns ...`"""
import click
from sqlalchemy import func, select

from ..core.errors import DomainError
from ..extensions import db
from ..org.models import Person, Unit
from ..plans.operations import get_version
from . import operations as ops
from .loader import recompute
from .models import Campaign, PeriodKind, Result

campaigns_cli = click.Group("campaigns", help="Campaigns: create, move through the lifecycle, enter scores, results.")


def campaign_or_fail(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"No campaign {campaign_id}.")
    return campaign


def _run(fn):
    try:
        return fn()
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(e.message)


@campaigns_cli.command("create")
@click.option("--plan", "plan_name", required=True)
@click.option("--version", type=int)
@click.option("--unit", "unit_code", required=True, help="Unit code of the subtree.")
@click.option("--year", type=int)
@click.option("--period", type=click.Choice([k.value for k in PeriodKind]), default="year", show_default=True)
@click.option("--number", "period_no", type=int, default=1, show_default=True, help="Which half, quarter or month.")
@click.option("--name")
def create(plan_name, version, unit_code, year, period, period_no, name):
    """Create a draft campaign; prints its id and how many people it appraises."""
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"No unit has code {unit_code}.")
    campaign = _run(lambda: ops.create_campaign(get_version(plan_name, version), unit, name=name, year=year,
                                                period_kind=PeriodKind(period), period_no=period_no))
    db.session.commit()
    click.echo(f"{campaign.id}\t{campaign.name}\t{len(campaign.subjects)} people")


@campaigns_cli.command("move")
@click.argument("campaign_id", type=int)
@click.argument("action", type=click.Choice(["open", "close", "reopen", "publish", "finalize"]))
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day of the publication period.")
def move(campaign_id: int, action: str, until):
    """Move a campaign through its lifecycle; an illegal move is refused."""
    campaign = campaign_or_fail(campaign_id)
    cards = _run(lambda: ops.move(campaign, action, until=until.date() if until else None))
    db.session.commit()
    click.echo(f"{campaign.name}: {campaign.state.value}")
    if cards:
        # Opening a campaign counted by scrutineers: this output is the only copy of the key cards.
        click.echo(f"Scrutineers' key cards ({cards[0].threshold} of {cards[0].total} count; key fingerprint "
                   f"{cards[0].fingerprint}). Print them now and hand one to each scrutineer; nothing keeps them.")
        for card in cards:
            click.echo(f"Card {card.number}: {card.words}")


@campaigns_cli.command("count")
@click.argument("campaign_id", type=int)
def count(campaign_id: int):
    """Count the anonymous ballots of a closed campaign with its scrutineers' cards (typed at the prompt,
    never on the command line, which the shell's history would keep)."""
    from ..ballots import ballot_key
    campaign = campaign_or_fail(campaign_id)
    shares = [click.prompt(f"Card of scrutineer {i} of {campaign.scrutineer_threshold}", hide_input=True)
              for i in range(1, campaign.scrutineer_threshold + 1)]
    n = _run(lambda: ballot_key.count_with_shares(campaign, shares))
    from .rescoring import settle
    settle(campaign, force=True)
    db.session.commit()
    click.echo(f"{campaign.name}: {n} anonymous ballots counted; the key was not kept.")


@campaigns_cli.command("enter")
@click.argument("campaign_id", type=int)
@click.argument("staff_no")
@click.argument("indicator")
@click.argument("value", type=float)
@click.option("--reason", required=True)
def enter(campaign_id: int, staff_no: str, indicator: str, value: float, reason: str):
    """Enter points (manual item) or occurrences (bonus/deduction item) for one person."""
    campaign = campaign_or_fail(campaign_id)
    person = db.session.scalar(select(Person).where(Person.staff_no == staff_no))
    if person is None:
        raise click.ClickException(f"No person has staff number {staff_no}.")
    _run(lambda: ops.set_manual_entry(campaign, person, indicator, value, reason))
    db.session.commit()
    click.echo("saved")


@campaigns_cli.command("results")
@click.argument("campaign_id", type=int)
def results(campaign_id: int):
    """Print the results: staff number, name, total, grade, ranks."""
    campaign = campaign_or_fail(campaign_id)
    recompute(campaign)
    db.session.commit()
    rows = db.session.execute(select(Person.staff_no, Person.name, Result.total, Result.grade, Result.rank_category,
                                     Result.rank_unit).join(Result, Result.person_id == Person.id)
                              .where(Result.campaign_id == campaign.id)
                              .order_by(Result.rank_category, Person.staff_no))
    for no, name, total, grade, rc, ru in rows:
        click.echo(f"{no}\t{name}\t{total:.2f}\t{grade or ''}\t{rc}\t{ru}")


@campaigns_cli.command("list")
def list_campaigns():
    for c in db.session.scalars(select(Campaign).order_by(Campaign.year.desc(), Campaign.id)):
        click.echo(f"{c.id}\t{c.name}\t{c.period_label}\t{c.state.value}\t{len(c.subjects)}")


jobs_cli = click.Group("jobs", help="Background jobs: rescoring province-sized campaigns.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
def worker(burst: bool):
    """Run queued jobs (RQ, on REDIS_URL) in this process, one after the other."""
    from flask import current_app
    from rq import SimpleWorker

    from . import rescoring
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: there is no queue to work on.")

    class Worker(SimpleWorker):
        def perform_job(self, *args, **kwargs):
            try:
                return super().perform_job(*args, **kwargs)
            finally:
                db.session.remove()   # each job starts with a fresh session

    Worker([rescoring.queue()], connection=rescoring.connection()).work(burst=burst)


@campaigns_cli.command("rescore")
@click.argument("campaign_id", type=int)
def rescore_now(campaign_id: int):
    """Recompute a campaign's results now (also what a waiting background job would do)."""
    from .rescoring import settle
    campaign = campaign_or_fail(campaign_id)
    settle(campaign)
    db.session.commit()
    click.echo(f"{db.session.scalar(select(func.count()).select_from(Result).where(Result.campaign_id == campaign.id))}"
               " results")
