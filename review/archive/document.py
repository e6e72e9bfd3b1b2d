"""Everything a person's appraisal file shows, as plain data built by one function (``build``).

The template (templates/archive/file.html) only lays it out; the fingerprint of this data is what
a batch build compares to decide whether a file must be issued again. What the file shows follows
the same rules as the site: ballot figures only as the disclosure rule lets them through, comments
only when the ratee's ballots may be shown, and shuffled.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from statistics import fmean

from sqlalchemy import func, select

from ..appeals.models import Appeal, ResultVersion
from ..ballots.models import Assignment, RaterGroup, SignedAnswer
from ..campaigns.models import Campaign, CampaignState, PeriodKind, Result
from ..claims.models import Claim, ClaimState
from ..extensions import db
from ..org.models import Category, Person
from ..plans.spec import BallotSource, BonusSource, DeductionSource, KpiSource, Plan, SurveySource
from ..scoring import stored
from ..scoring.messages import group_name


@dataclass
class Line:
    path: str
    source: str
    raw: str
    explanation: str
    notes: list[str]
    points: float | None
    maximum: float


@dataclass
class Dimension:
    name: str
    points: float
    maximum: float
    lines: list[Line]


@dataclass
class BallotRow:
    indicator: str
    means: list[float | None]   # one per rater group of ``Ballots.groups`` (None: nothing may be shown)
    counts: list[int]


@dataclass
class Ballots:
    groups: list[str]           # rater group names, in the columns' order
    rows: list[BallotRow]
    top: float                  # the scale's best value
    withheld: list[str]         # "同事互评（2 票，少于保密下限）"


@dataclass
class KpiRow:
    name: str
    unit: str
    value: float | None
    department_mean: float | None


@dataclass
class Item:
    """A bonus or deduction item: its points and where each occurrence came from."""
    name: str
    kind: str                   # "bonus" or "deduction"
    points: float | None
    maximum: float
    sources: list[str]
    evidence: list[str]         # file names and SHA-256 prefixes of the evidence on record


@dataclass
class AppealEntry:
    submitted: str
    reason: str
    state: str
    outcome: str | None
    decided: str | None


@dataclass
class LeaderNote:
    leader: str
    text: str


@dataclass
class Period:
    label: str
    total: float
    grade: str | None


@dataclass
class AppraisalFile:
    # who
    name: str
    staff_no: str
    unit: str
    department: str | None
    category: str
    position: str | None
    year: int
    # what
    campaign: str
    campaign_state: str
    result_version: int | None
    total: float
    maximum: float
    grade: str | None
    rank_category: int | None
    category_size: int
    rank_unit: int | None
    vetoes: list[str]
    flags: list[str]
    dimensions: list[Dimension]
    ballots: Ballots | None
    surveys: list[Line]
    kpis: list[KpiRow]
    items: list[Item]
    report: str | None
    comments: list[str]
    appeals: list[AppealEntry]
    leader_notes: list[LeaderNote]
    periods: list[Period] = field(default_factory=list)

    def fingerprint(self) -> str:
        """SHA-256 of what the file shows, comments in a fixed order (they are shuffled for print)."""
        data = asdict(self)
        data["comments"] = sorted(data["comments"])
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


class Context:
    """What several people's files of one campaign share, computed once per batch."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.plan: Plan = campaign.plan_version.spec()
        self._category_sizes: dict[str, int] | None = None
        self._department_means: dict[int | None, dict[str, float]] = {}
        self._kpi_values: dict[tuple[int, str], float] | None = None

    def category_size(self, code: str) -> int:
        if self._category_sizes is None:
            self._category_sizes = dict(db.session.execute(
                select(Person.category_code, func.count()).join(Result, Result.person_id == Person.id)
                .where(Result.campaign_id == self.campaign.id).group_by(Person.category_code)).all())
        return self._category_sizes.get(code, 0)

    def department_means(self, department_id: int | None, unit_id: int) -> dict[str, float]:
        """Measure → mean of the current values of the campaign's people in that department."""
        key = department_id if department_id is not None else -unit_id
        if key not in self._department_means:
            from ..kpi.values import current
            if self._kpi_values is None:
                self._kpi_values = {k: c.value for k, c in current(self.campaign.id).items()}
            members = set(db.session.scalars(
                select(Person.id).where(Person.department_id == department_id, Person.unit_id == unit_id)))
            values: dict[str, list[float]] = {}
            for (pid, measure), value in self._kpi_values.items():
                if pid in members:
                    values.setdefault(measure, []).append(value)
            self._department_means[key] = {m: fmean(vs) for m, vs in values.items() if vs}
        return self._department_means[key]


def _day(moment) -> str:
    return moment.date().isoformat() if moment else ""


def build(campaign: Campaign, person: Person, context: Context | None = None) -> AppraisalFile:
    """The appraisal file of ``person`` from ``campaign`` (the year's annual campaign)."""
    context = context or Context(campaign)
    plan = context.plan
    result = db.session.get(Result, (campaign.id, person.id))
    if result is None:
        raise LookupError(f"{person.staff_no} has no result in campaign {campaign.id}")
    detail = result.detail or {}
    lines = stored.lines(plan, detail, "zh")
    by_code = {line["code"]: line for line in lines}
    maxima = plan.maxima()
    subtotals = detail.get("subtotals") or {}
    leaves = {node.code: node for _path, node in plan.leaves()}

    def line_of(code: str) -> Line:
        line = by_code.get(code) or {}
        return Line(" › ".join(line.get("path") or [code]), line.get("source") or "", line.get("raw") or "",
                    line.get("explanation") or "", list(line.get("notes") or []), line.get("points"),
                    maxima.get(code, 0.0))

    dimensions = []
    for top in plan.indicators:
        codes = [n.code for _p, n in _walk_leaves(top)]
        dimensions.append(Dimension(top.name, subtotals.get(top.code, by_code.get(top.code, {}).get("points") or 0.0),
                                    maxima.get(top.code, 0.0), [line_of(c) for c in codes]))
    category = db.session.get(Category, person.category_code)
    latest = db.session.scalar(select(func.max(ResultVersion.number)).where(ResultVersion.campaign_id == campaign.id))
    return AppraisalFile(
        name=person.name, staff_no=person.staff_no, unit=person.unit.name,
        department=person.department.name if person.department else None,
        category=category.label_zh if category else person.category_code, position=person.position,
        year=campaign.year, campaign=campaign.name, campaign_state=campaign.state.label,
        result_version=latest, total=result.total, maximum=plan.total, grade=result.grade,
        rank_category=result.rank_category, category_size=context.category_size(person.category_code),
        rank_unit=result.rank_unit, vetoes=list(detail.get("vetoes") or []),
        flags=[f for f in detail.get("flags") or [] if not f.startswith("一票否决")],
        dimensions=dimensions,
        ballots=_ballots(campaign, person, plan),
        surveys=[line_of(code) for code, node in leaves.items() if isinstance(node.source, SurveySource)],
        kpis=_kpis(plan, detail, context.department_means(person.department_id, person.unit_id)),
        items=_items(campaign, person, plan, by_code, maxima),
        report=_report(campaign, person),
        comments=_comments(campaign, person),
        appeals=_appeals(campaign, person),
        leader_notes=_leader_notes(campaign, person),
        periods=_periods(campaign, person),
    )


def _walk_leaves(node):
    if not node.children:
        yield (), node
    for child in node.children:
        yield from _walk_leaves(child)


def _ballots(campaign: Campaign, person: Person, plan: Plan) -> Ballots | None:
    """Each ballot indicator's mean per rater group, as the disclosure rule lets it through."""
    from ..ballots.results import for_ratee
    from ..plans.scales import SHIPPED
    rated = [(node.code, node.name, node.source) for _path, node in plan.leaves()
             if isinstance(node.source, BallotSource)]
    if not rated:
        return None
    seen = for_ratee(campaign, person.id)
    groups: list[str] = []
    for _code, _name, src in rated:
        for g, _w in src.groups:
            if g not in groups:
                groups.append(g)
    if any(d.others for d in seen.anonymous.values()):
        groups.append(RaterGroup.OTHERS.value)
    rows, withheld = [], []
    scales = {**SHIPPED, **plan.scales}
    top = max(scales[src.scale].max_value for _c, _n, src in rated)
    for code, name, _src in rated:
        d = seen.anonymous.get(code)
        signed = seen.signed.get(code, {})
        tallies = {}
        if d is not None:
            tallies.update(d.shown)
            if d.others:
                tallies[RaterGroup.OTHERS.value] = d.others
            for g in d.withheld:
                label = f"{name}：{group_name('zh', g)}（有效票少于保密下限，不单独显示）"
                if label not in withheld:
                    withheld.append(label)
        tallies.update(signed)
        means = [(tallies[g].total / tallies[g].count) if g in tallies and tallies[g].count else None
                 for g in groups]
        counts = [tallies[g].count if g in tallies else 0 for g in groups]
        rows.append(BallotRow(name, means, counts))
    return Ballots([group_name("zh", g) if g != RaterGroup.OTHERS.value else "其他（合并）" for g in groups],
                   rows, top, withheld)


def _kpis(plan: Plan, detail: dict, means: dict[str, float]) -> list[KpiRow]:
    values = (detail.get("inputs") or {}).get("kpis") or {}
    measures = {m.code: m for m in plan.kpi_measures()}
    used = []
    for _path, node in plan.leaves():
        if isinstance(node.source, KpiSource) and node.source.measure not in used:
            used.append(node.source.measure)
    out = []
    for code in used:
        m = measures.get(code)
        out.append(KpiRow(m.name if m else code, (m.unit or "") if m else "", values.get(code), means.get(code)))
    return out


def _items(campaign: Campaign, person: Person, plan: Plan, by_code: dict, maxima: dict) -> list[Item]:
    claims = db.session.scalars(select(Claim).where(
        Claim.campaign_id == campaign.id, Claim.person_id == person.id, Claim.state == ClaimState.APPROVED)
        .order_by(Claim.id)).all()
    evidence: dict[str, list[str]] = {}
    for claim in claims:
        for f in claim.evidence:
            evidence.setdefault(claim.indicator, []).append(f"{claim.title}：{f.filename}（SHA-256 {f.sha256[:12]}…）")
    out = []
    for _path, node in plan.leaves():
        if isinstance(node.source, (BonusSource, DeductionSource)):
            line = by_code.get(node.code) or {}
            out.append(Item(node.name, "bonus" if isinstance(node.source, BonusSource) else "deduction",
                            line.get("points"), maxima.get(node.code, 0.0), list(line.get("notes") or []),
                            evidence.get(node.code, [])))
    return out


def _report(campaign: Campaign, person: Person) -> str | None:
    from ..ballots.models import WorkReport
    return db.session.scalar(select(WorkReport.text).where(WorkReport.campaign_id == campaign.id,
                                                           WorkReport.person_id == person.id))


def _comments(campaign: Campaign, person: Person) -> list[str]:
    from ..ballots.results import comments, disclosed
    anonymous = {code: d for (_r, code), d in disclosed(campaign, [person.id]).items()}
    return comments(campaign, person.id, anonymous)


def _appeals(campaign: Campaign, person: Person) -> list[AppealEntry]:
    rows = db.session.scalars(select(Appeal).where(Appeal.campaign_id == campaign.id, Appeal.person_id == person.id)
                              .order_by(Appeal.submitted_at)).all()
    return [AppealEntry(_day(a.submitted_at), a.reason, a.state.label, a.outcome, _day(a.reviewed_at))
            for a in rows]


def _leader_notes(campaign: Campaign, person: Person) -> list[LeaderNote]:
    """The leaders' written comments on their signed ballots (领导评价意见), with their names."""
    rows = db.session.execute(
        select(Person.name, SignedAnswer.comment)
        .join(Assignment, Assignment.id == SignedAnswer.assignment_id)
        .join(Person, Person.id == Assignment.rater_id)
        .where(Assignment.campaign_id == campaign.id, Assignment.ratee_id == person.id,
               Assignment.group == RaterGroup.LEADER, SignedAnswer.comment.is_not(None), SignedAnswer.comment != "")
        .order_by(Person.staff_no, SignedAnswer.id)).all()
    return [LeaderNote(name, text) for name, text in rows]


def _periods(campaign: Campaign, person: Person) -> list[Period]:
    if campaign.period_kind is not PeriodKind.YEAR:
        return []
    rows = db.session.execute(
        select(Campaign, Result.total, Result.grade).join(Result, Result.campaign_id == Campaign.id)
        .where(Campaign.unit_id == campaign.unit_id, Campaign.year == campaign.year, Campaign.id != campaign.id,
               Campaign.period_kind != PeriodKind.YEAR, Campaign.state != CampaignState.DRAFT,
               Result.person_id == person.id)
        .order_by(Campaign.period_kind, Campaign.period_no)).all()
    return [Period(c.period_label, total, grade) for c, total, grade in rows]
