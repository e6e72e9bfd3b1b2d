"""One person's result as a tree: every dimension with its subtotal, every line with its points,
explanation and source notes, and links to the pages the values came from (the ballot results, the
survey, the KPI import or manual entry, the claims and deductions, the register, the office's entry
form, the shorter campaigns rolled up) — where the reader may open them."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..campaigns.models import Campaign, CampaignState, ManualEntry, PeriodKind, Result
from ..core.access import Role
from ..extensions import db
from ..i18n import scoring_lang
from ..scoring import stored
from ..org.models import Person
from ..plans.spec import BallotSource, BonusSource, DeductionSource, KpiSource, ManualSource, Node, Plan, SurveySource
from .queries import node_label

EDITORS = (Role.ADMIN, Role.OFFICE)


@dataclass
class Link:
    label: str
    url: str


@dataclass
class TreeRow:
    depth: int
    code: str
    label: str
    maximum: float
    points: float | None
    line: dict | None = None          # a leaf's line of the result's detail; None for a dimension or group
    links: list[Link] = field(default_factory=list)
    extra: bool = False

    @property
    def is_group(self) -> bool:
        return self.line is None


def tree(result: Result, plan: Plan, links: dict[str, list[Link]]) -> list[TreeRow]:
    """Rows in plan order: groups carry their subtotal, leaves their line. Lines whose indicator is
    no longer in the plan come last, as they were stored."""
    detail = result.detail or {}
    lines = {line.get("code"): line for line in result_lines(result, plan)}
    subtotals = detail.get("subtotals") or {}
    maxima = plan.maxima()
    rows: list[TreeRow] = []
    for path, node in plan.walk():
        if node.children:
            rows.append(TreeRow(len(path) - 1, node.code, node_label(node), maxima.get(node.code, 0.0),
                                subtotals.get(node.code), extra=node.extra))
        else:
            line = lines.pop(node.code, None)
            points = line.get("points") if line else None
            rows.append(TreeRow(len(path) - 1, node.code, node_label(node), maxima.get(node.code, 0.0), points,
                                line or {"notes": [], "explanation": _("Not computed yet.")},
                                links.get(node.code, []), extra=node.extra))
    for code, line in lines.items():
        rows.append(TreeRow(0, code, " › ".join(line.get("path") or [code]), line.get("max") or 0.0,
                            line.get("points"), line))
    return rows


def result_lines(result, plan: Plan) -> list[dict]:
    """A stored result's (or a version's snapshot's) lines with their texts in the reader's language."""
    return stored.lines(plan, result.detail, scoring_lang())


def links(campaign: Campaign, person: Person, plan: Plan) -> dict[str, list[Link]]:
    """Indicator code → where its value came from, as links the current user may follow. A few
    queries for the one person, whatever the number of lines."""
    leaves = {node.code: node for _path, node in plan.leaves()}
    out: dict[str, list[Link]] = {}

    def add(code: str, label: str, url: str) -> None:
        out.setdefault(code, []).append(Link(label, url))

    editor = current_user.role in EDITORS
    if any(isinstance(n.source, BallotSource) for n in leaves.values()):
        from ..ballots.models import Assignment
        rated = db.session.scalar(select(Assignment.id).where(Assignment.campaign_id == campaign.id,
                                                              Assignment.ratee_id == person.id).limit(1))
        if rated:
            url = url_for("ballot_results.ratee", campaign_id=campaign.id, person_id=person.id)
            for code, node in leaves.items():
                if isinstance(node.source, BallotSource):
                    add(code, _("Ballot results"), url)
    _survey_links(campaign, person, leaves, add)
    _kpi_links(campaign, person, leaves, add)
    _claim_links(campaign, person, leaves, add)
    for code, node in leaves.items():
        src = node.source
        if isinstance(src, (BonusSource, DeductionSource)) and src.register:
            from ..registers.models import RegisterKind
            add(code, _("Register: %(name)s", name=RegisterKind(src.register).label),
                url_for("registers.entries", kind=src.register, unit=person.unit_id))
    if editor:
        entered = set(db.session.scalars(select(ManualEntry.indicator).where(
            ManualEntry.campaign_id == campaign.id, ManualEntry.person_id == person.id)))
        for code in entered & set(leaves):
            if isinstance(leaves[code].source, (ManualSource, BonusSource, DeductionSource)):
                add(code, _("Entered by the office"), url_for("campaigns.enter", campaign_id=campaign.id, code=code))
    _rollup_links(campaign, person, leaves, add)
    return out


def _survey_links(campaign: Campaign, person: Person, leaves: dict[str, Node], add) -> None:
    asked = {code: node.source.questionnaire for code, node in leaves.items() if isinstance(node.source, SurveySource)}
    if not asked:
        return
    from ..surveys.models import QuestionnaireVersion, Survey, TargetKind
    surveys = db.session.scalars(select(Survey).where(Survey.campaign_id == campaign.id)
                                 .options(joinedload(Survey.questionnaire_version)
                                          .joinedload(QuestionnaireVersion.questionnaire))
                                 .order_by(Survey.id)).all()
    for survey in surveys:
        version = survey.questionnaire_version
        kind = TargetKind(version.spec().target)
        target = {TargetKind.PERSON: person.id, TargetKind.DEPARTMENT: person.department_id,
                  TargetKind.UNIT: person.unit_id}[kind]
        url = (url_for("surveys.target_results", survey_id=survey.id, kind=kind.value, target_id=target)
               if target is not None else url_for("surveys.results", survey_id=survey.id))
        for code, name in asked.items():
            if version.questionnaire.name == name:
                add(code, _("Survey: %(name)s", name=survey.name), url)


def _kpi_links(campaign: Campaign, person: Person, leaves: dict[str, Node], add) -> None:
    measures = {code: node.source.measure for code, node in leaves.items() if isinstance(node.source, KpiSource)}
    if not measures:
        return
    from ..kpi.models import KpiBatch
    from ..kpi.values import current
    values = current(campaign.id, [person.id])
    batches = {c.batch_id for c in values.values() if c.batch_id is not None}
    names = dict(db.session.execute(select(KpiBatch.id, KpiBatch.filename).where(KpiBatch.id.in_(batches))).all()) \
        if batches else {}
    for code, measure in measures.items():
        c = values.get((person.id, measure))
        if c is None:
            continue
        if c.batch_id is not None:
            add(code, _("Import #%(id)d %(file)s", id=c.batch_id, file=names.get(c.batch_id) or ""),
                url_for("kpi.batch", campaign_id=campaign.id, batch_id=c.batch_id))
        else:
            add(code, _("Manual entry"), url_for("kpi.entries", campaign_id=campaign.id))


def _claim_links(campaign: Campaign, person: Person, leaves: dict[str, Node], add) -> None:
    if not any(isinstance(n.source, (BonusSource, DeductionSource)) for n in leaves.values()):
        return
    from ..claims.models import Claim, ClaimState
    from ..claims.operations import can_view
    claims = db.session.scalars(select(Claim).where(
        Claim.campaign_id == campaign.id, Claim.person_id == person.id, Claim.state == ClaimState.APPROVED)
        .order_by(Claim.id)).all()
    for claim in claims:
        if claim.indicator in leaves and can_view(current_user, claim):
            label = _("Claim: %(title)s", title=claim.title) if claim.kind == "bonus" else \
                _("Deduction: %(title)s", title=claim.title)
            add(claim.indicator, label, url_for("claims.view", claim_id=claim.id))


def _rollup_links(campaign: Campaign, person: Person, leaves: dict[str, Node], add) -> None:
    rolled = [code for code, node in leaves.items() if node.rollup]
    if not rolled or campaign.period_kind is not PeriodKind.YEAR:
        return
    shorter = db.session.execute(
        select(Campaign).join(Result, Result.campaign_id == Campaign.id)
        .where(Campaign.unit_id == campaign.unit_id, Campaign.year == campaign.year, Campaign.id != campaign.id,
               Campaign.period_kind != PeriodKind.YEAR, Campaign.state != CampaignState.DRAFT,
               Result.person_id == person.id)
        .order_by(Campaign.period_kind, Campaign.period_no)).scalars().all()
    for other in shorter:
        url = url_for("campaigns.breakdown", campaign_id=other.id, person_id=person.id)
        for code in rolled:
            add(code, other.period_label, url)
