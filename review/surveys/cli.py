"""`flask --app wsgi surveys ...`"""
import sys

import click
from sqlalchemy import select

from ..extensions import db
from .models import StoredQuestionnaire
from .operations import save_questionnaire
from .yaml_io import QuestionnaireInvalid, load_questionnaire

surveys_cli = click.Group("surveys", help="Public satisfaction surveys: questionnaires, tokens, results.")


def _read(file: str):
    with open(file, encoding="utf-8-sig") as f:
        text = f.read()
    try:
        return load_questionnaire(text)
    except QuestionnaireInvalid as exc:
        click.echo(f"{file}: {len(exc.problems)} problem(s); nothing was saved.", err=True)
        for p in exc.problems:
            click.echo(f"  {p}", err=True)
        sys.exit(1)


@surveys_cli.command("import-questionnaire")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_questionnaire(file: str):
    """Store a questionnaire file: a new one, or a new version when it is in use."""
    q = _read(file)
    version = save_questionnaire(q)
    db.session.commit()
    click.echo(f"{q.name}: version {version.version} stored.")


@surveys_cli.command("questionnaires")
def list_questionnaires():
    """Stored questionnaires with their versions."""
    for stored in db.session.scalars(select(StoredQuestionnaire).order_by(StoredQuestionnaire.name)):
        versions = ", ".join(f"v{v.version}{' (in use)' if v.frozen else ''}" for v in stored.versions)
        click.echo(f"{stored.name}\t{stored.latest.spec().target}\t{versions}")


@surveys_cli.command("create")
@click.option("--questionnaire", "name", required=True, help="Questionnaire name (its latest version is used).")
@click.option("--unit", "unit_code", required=True, help="Unit code: the survey covers its subtree.")
@click.option("--name", "survey_name", help="Survey name (default: unit · questionnaire).")
@click.option("--campaign", "campaign_id", type=int, help="Campaign whose public-survey indicators it feeds.")
def create_survey(name: str, unit_code: str, survey_name: str | None, campaign_id: int | None):
    """Create a survey; prints its id."""
    from ..core.errors import DomainError
    from ..org.models import Unit
    from .operations import create_survey as create, get_version
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"No unit has the code {unit_code}.")
    try:
        version = get_version(name)
    except DomainError as e:
        raise click.ClickException(e.message)
    campaign = None
    if campaign_id:
        from ..campaigns.cli import campaign_or_fail
        campaign = campaign_or_fail(campaign_id)
    try:
        survey = create(version, unit, survey_name or f"{unit.name} · {name}", campaign)
    except DomainError as e:
        raise click.ClickException(e.message)
    db.session.commit()
    click.echo(survey.id)


@surveys_cli.command("tokens")
@click.argument("survey_id", type=int)
@click.option("--target", required=True, help="Whom the tokens ask about: a staff number, a unit code, or an id.")
@click.option("--count", type=int, required=True, help="How many tokens.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="slips.pdf (printable slips), or .xlsx / .csv (links and codes for text messages).")
@click.option("--valid-from", type=click.DateTime(["%Y-%m-%d"]), help="First valid day.")
@click.option("--valid-until", type=click.DateTime(["%Y-%m-%d"]), help="Last valid day.")
@click.option("--base-url", help="Address printed in links and QR codes (default: REVIEW_PUBLIC_URL).")
def issue_tokens(survey_id: int, target: str, count: int, out: str, valid_from, valid_until, base_url):
    """Issue a batch of one-time tokens. The file written is the only copy of the codes."""
    from flask import current_app
    from ..core.errors import DomainError
    from . import tokens
    from .models import Survey
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise click.ClickException(f"No survey {survey_id}.")
    if base_url:
        current_app.config["REVIEW_PUBLIC_URL"] = base_url
    start = valid_from.date() if valid_from else None
    end = valid_until.date() if valid_until else None
    try:
        target_id, label = tokens.resolve_target(survey, target)
        tokens.check_issue(survey, count, start, end)
        sheet = tokens.sheet_for(survey, label)
        made = tokens.new_tokens(count)
        ext = out.rsplit(".", 1)[-1].lower()
        data = (tokens.export_xlsx(sheet, label, made) if ext == "xlsx"
                else tokens.export_csv(sheet, label, made) if ext == "csv" else tokens.slips_pdf(sheet, made))
        tokens.issue(survey, target_id, label, made, start, end)
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(e.message)
    # The file first: a batch whose codes nobody holds is worse than none.
    with open(out, "wb") as f:
        f.write(data)
    db.session.commit()
    click.echo(f"{count} tokens for {label} → {out}")
