"""Between the database and the pure engine: gather a campaign's inputs with a few
aggregate queries (no per-person loops), score, and store the results."""
from __future__ import annotations

from sqlalchemy import delete, insert, select

from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Department, Person, Unit
from ..plans.spec import BonusSource, DeductionSource, ManualSource
from ..scoring import PersonInputs, Subject, score_campaign
from .models import Campaign, CampaignSubject, ManualEntry, Result, VetoEntry


def gather(campaign: Campaign) -> tuple:
    plan = campaign.plan_version.spec()
    rows = db.session.execute(
        select(Person.id, Person.staff_no, Person.name, Person.category_code, Unit.name, Department.name,
               Person.leader_role)
        .join(CampaignSubject, CampaignSubject.person_id == Person.id)
        .join(Unit, Unit.id == Person.unit_id)
        .outerjoin(Department, Department.id == Person.department_id)
        .where(CampaignSubject.campaign_id == campaign.id)
        .order_by(Person.staff_no))
    subjects = [Subject(pid, no, name, cat, unit, dept, role.value if role else None)
                for pid, no, name, cat, unit, dept, role in rows]
    inputs: dict[int, PersonInputs] = {s.id: PersonInputs() for s in subjects}
    kinds = {node.code: node.source for _path, node in plan.leaves()}
    for pid, code, value, reason in db.session.execute(
            select(ManualEntry.person_id, ManualEntry.indicator, ManualEntry.value, ManualEntry.reason)
            .where(ManualEntry.campaign_id == campaign.id)):
        if pid not in inputs:
            continue
        source = kinds.get(code)
        if isinstance(source, ManualSource):
            inputs[pid].manual[code] = (value, reason)
        elif isinstance(source, (BonusSource, DeductionSource)):
            inputs[pid].occurrences[code] = value
    for pid, veto in db.session.execute(select(VetoEntry.person_id, VetoEntry.veto)
                                        .where(VetoEntry.campaign_id == campaign.id)):
        if pid in inputs:
            inputs[pid].vetoes.add(veto)
    return plan, subjects, inputs


def _detail(r) -> dict:
    return {
        "lines": [{"code": line.code, "path": list(line.path), "source": line.source, "max": line.max_points,
                   "points": line.points, "weight": line.weight, "raw": line.raw,
                   "explanation": line.explanation, "notes": line.notes} for line in r.lines],
        "subtotals": r.subtotals, "vetoes": r.vetoes, "flags": r.flags,
    }


def recompute(campaign: Campaign, lang: str = "zh") -> int:
    """Score the campaign again and replace its stored results. Returns the number of people."""
    plan, subjects, inputs = gather(campaign)
    results = score_campaign(plan, subjects, inputs, lang=lang)
    db.session.execute(delete(Result).where(Result.campaign_id == campaign.id))
    now = utcnow()
    if results:
        db.session.execute(insert(Result), [
            {"campaign_id": campaign.id, "person_id": r.subject.id, "total": r.total, "grade": r.grade,
             "rank_category": r.rank_category, "rank_unit": r.rank_unit, "detail": _detail(r), "computed_at": now}
            for r in results])
    return len(results)
