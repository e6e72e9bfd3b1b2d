"""Survey results per target and question: counts, distributions, the satisfaction index.

Results exist once the survey is closed and its answers counted (review/surveys/answering.py).
Verified (token) answers and unverified ones (open link) are always counted apart, and each part
follows the ballots' k-threshold on its own, for every kind of target: a part with fewer than k
answers shows nothing, texts included — whoever knows who held the few codes would know the answers."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..org.models import Department, Person, Unit
from .models import Survey, SurveyAnswer, SurveyResponse, SurveySuppression, TargetKind
from .spec import Question, Questionnaire


def k_threshold(survey: Survey) -> int:
    if survey.campaign_id:
        from ..campaigns.models import Campaign
        campaign = db.session.get(Campaign, survey.campaign_id)
        if campaign is not None:
            return campaign.k_threshold
    return current_app.config.get("SURVEY_K_THRESHOLD", 3)


@dataclass
class QuestionResult:
    question: Question
    counts: dict[str, int] = field(default_factory=dict)   # value → answers
    answered: int = 0

    @property
    def mean(self) -> float | None:
        if self.question.kind not in ("satisfaction", "rating") or not self.answered:
            return None
        return sum(int(v) * n for v, n in self.counts.items()) / self.answered


@dataclass
class TargetResult:
    kind: TargetKind
    target_id: int
    label: str
    responses: int = 0          # verified
    unverified: int = 0
    index: float | None = None  # mean of the verified responses' indices, 0–100
    index_unverified: float | None = None
    withheld: bool = False      # verified answers below the k-threshold: none of them is shown
    withheld_unverified: bool = False
    questions: list[QuestionResult] = field(default_factory=list)

    def points(self, maximum: float) -> float | None:
        """The index mapped onto an indicator's points (linear)."""
        return None if self.index is None else self.index / 100 * maximum


def labels(kind: TargetKind, ids: set[int]) -> dict[int, str]:
    """Names as the token pages print them: a person with their unit, a department with its unit."""
    if not ids:
        return {}
    if kind is TargetKind.PERSON:
        rows = db.session.execute(select(Person.id, Person.name, Unit.name).join(Unit).where(Person.id.in_(ids)))
        return {i: f"{name}（{unit}）" for i, name, unit in rows}
    if kind is TargetKind.DEPARTMENT:
        rows = db.session.execute(select(Department.id, Unit.name, Department.name).join(Unit)
                                  .where(Department.id.in_(ids)))
        return {i: f"{unit} {dept}" for i, unit, dept in rows}
    return dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


def summary(survey: Survey, *, verified: bool = True) -> list[TargetResult]:
    """Every target with answers: counts and index (one GROUP BY), k-threshold applied."""
    k = k_threshold(survey)
    rows = db.session.execute(
        select(SurveyResponse.target_kind, SurveyResponse.target_id, SurveyResponse.verified,
               func.count(SurveyResponse.id), func.avg(SurveyResponse.index))
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyResponse.target_kind, SurveyResponse.target_id, SurveyResponse.verified))
    out: dict[tuple, TargetResult] = {}
    for kind, target, is_verified, n, avg in rows:
        r = out.setdefault((kind, target), TargetResult(kind, target, ""))
        if is_verified:
            r.responses, r.index = n, (float(avg) if avg is not None else None)
        else:
            r.unverified, r.index_unverified = n, (float(avg) if avg is not None else None)
    # Parts below k at the count: only their number was kept.
    for kind, target, is_verified, n in db.session.execute(
            select(SurveySuppression.target_kind, SurveySuppression.target_id, SurveySuppression.verified,
                   SurveySuppression.responses).where(SurveySuppression.survey_id == survey.id)):
        r = out.setdefault((kind, target), TargetResult(kind, target, ""))
        if is_verified:
            r.responses += n
        else:
            r.unverified += n
    names: dict[TargetKind, dict[int, str]] = {}
    for (kind, target), r in out.items():
        names.setdefault(kind, labels(kind, {t for (k2, t) in out if k2 is kind}))
        r.label = names[kind].get(target, str(target))
        if r.responses < k:
            r.withheld, r.index = r.responses > 0, None
        if r.unverified < k:
            r.withheld_unverified, r.index_unverified = r.unverified > 0, None
    return sorted(out.values(), key=lambda r: (r.kind.value, r.label))


def for_target(survey: Survey, kind: TargetKind, target_id: int, *, verified: bool = True,
               row: TargetResult | None = None) -> TargetResult:
    """One target's results question by question (verified answers, or unverified ones). ``row``: the
    target's line of :func:`summary` when the caller has it already (exports go through every target)."""
    q: Questionnaire = survey.questionnaire_version.spec()
    if row is not None:
        base = TargetResult(row.kind, row.target_id, row.label, row.responses, row.unverified, row.index,
                            row.index_unverified, row.withheld, row.withheld_unverified)
    else:
        base = next((r for r in summary(survey) if r.kind is kind and r.target_id == target_id),
                    TargetResult(kind, target_id, labels(kind, {target_id}).get(target_id, str(target_id))))
    if (base.withheld if verified else base.withheld_unverified) or not (base.responses if verified else base.unverified):
        return base
    rows = db.session.execute(
        select(SurveyAnswer.question, SurveyAnswer.value, func.count(SurveyAnswer.id))
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyAnswer.survey_id == survey.id, SurveyResponse.target_kind == kind,
               SurveyResponse.target_id == target_id, SurveyResponse.verified.is_(verified))
        .group_by(SurveyAnswer.question, SurveyAnswer.value))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for question, value, n in rows:
        counts[question][value] = n
    answered = dict(db.session.execute(
        select(SurveyAnswer.question, func.count(func.distinct(SurveyAnswer.response_id)))
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyAnswer.survey_id == survey.id, SurveyResponse.target_kind == kind,
               SurveyResponse.target_id == target_id, SurveyResponse.verified.is_(verified))
        .group_by(SurveyAnswer.question)).all())
    for question in q.questions():
        if question.kind == "text":
            continue
        base.questions.append(QuestionResult(question, counts.get(question.code, {}), answered.get(question.code, 0)))
    return base


def texts(survey: Survey, kind: TargetKind, target_id: int, *, verified: bool = True,
          with_hidden: bool = False) -> list[SurveyAnswer]:
    """Free-text answers about a target (verified or not), in random order (their ids are random)."""
    stmt = (select(SurveyAnswer).join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyAnswer.survey_id == survey.id, SurveyResponse.target_kind == kind,
                   SurveyResponse.target_id == target_id, SurveyResponse.verified.is_(verified),
                   SurveyAnswer.question.in_([x.code for x in survey.questionnaire_version.spec().questions()
                                              if x.kind == "text"]))
            .order_by(SurveyAnswer.id))
    if not with_hidden:
        stmt = stmt.where(SurveyAnswer.hidden.is_(False))
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class FedIndicator:
    """A survey indicator of the linked campaign's plan that this survey feeds."""
    name: str
    maximum: float
    source: object

    def points(self, index: float | None) -> float | None:
        from ..scoring.engine import survey_points
        return None if index is None else survey_points(self.source, index, self.maximum)


def campaign_indicators(survey: Survey) -> list[FedIndicator]:
    """Where the index goes: the linked campaign's survey indicators of this questionnaire."""
    if not survey.campaign_id:
        return []
    from ..campaigns.models import Campaign
    from ..plans.spec import SurveySource
    campaign = db.session.get(Campaign, survey.campaign_id)
    if campaign is None:
        return []
    plan = campaign.plan_version.spec()
    maxima = plan.maxima()
    name = survey.questionnaire_version.questionnaire.name
    return [FedIndicator(node.name, maxima[node.code], node.source) for _path, node in plan.leaves()
            if isinstance(node.source, SurveySource) and node.source.questionnaire == name]
