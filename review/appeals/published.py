"""What the people appraised read once results are published: their own result, exactly as stored
(the breakdown's lines already hold only what the ballot disclosure rule lets through — no per-rater
or per-group figure finer than the results pages show), and the ranking list when the plan allows it.
Nobody reads another person's breakdown here."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..campaigns.models import Campaign, CampaignState, CampaignSubject, Result
from ..extensions import db
from ..org.models import Department, Person

VISIBLE = (CampaignState.PUBLISHED, CampaignState.FINAL)


def visible_to_subjects(campaign: Campaign) -> bool:
    return campaign.state in VISIBLE


def my_campaigns(person: Person) -> list[tuple[Campaign, Result | None]]:
    """Published and final campaigns that appraise this person, newest first, with their result."""
    rows = db.session.execute(
        select(Campaign, Result)
        .join(CampaignSubject, CampaignSubject.campaign_id == Campaign.id)
        .outerjoin(Result, (Result.campaign_id == Campaign.id) & (Result.person_id == person.id))
        .where(CampaignSubject.person_id == person.id, Campaign.state.in_(VISIBLE))
        .order_by(Campaign.year.desc(), Campaign.id.desc()))
    return [(c, r) for c, r in rows]


def own_result(campaign: Campaign, person: Person) -> Result | None:
    """The person's stored result in a published or final campaign that appraises them, else None."""
    if not visible_to_subjects(campaign):
        return None
    if db.session.get(CampaignSubject, (campaign.id, person.id)) is None:
        return None
    return db.session.get(Result, (campaign.id, person.id))


def ranking_allowed(campaign: Campaign) -> bool:
    return visible_to_subjects(campaign) and campaign.plan_version.spec().publish_ranking


@dataclass(frozen=True)
class RankRow:
    person_id: int
    name: str
    department: str
    category: str
    total: float
    rank: int | None
    grade: str | None


def ranking(campaign: Campaign) -> list[RankRow]:
    """Name, department, total, rank in the category and grade of everybody appraised — nothing of
    their breakdowns — by category, then rank."""
    rows = db.session.execute(
        select(Result.person_id, Person.name, Department.name, Person.category_code, Result.total,
               Result.rank_category, Result.grade, Person.staff_no)
        .join(Person, Person.id == Result.person_id)
        .outerjoin(Department, Department.id == Person.department_id)
        .where(Result.campaign_id == campaign.id))
    out = [RankRow(pid, name, dept or "", cat, total, rank, grade)
           for pid, name, dept, cat, total, rank, grade, _no in
           sorted(rows, key=lambda r: (r[3], r[5] is None, r[5] or 0, r[7]))]
    return out
