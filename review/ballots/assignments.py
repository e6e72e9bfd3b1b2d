"""Generating who rates whom from the directory and the plan's rater groups.

- self: everyone appraised rates themselves (述职 and a self-score);
- peer: the others of the same department (optionally a random sample of N);
- leader: the person's superiors on the reporting line (review.org.relations);
- democratic: all active staff of the unit rate the leadership team and the department heads
  among those appraised (everyone appraised, when the plan appraises no leaders);
- middle: department heads rate the leadership team members among those appraised;
- outside: entered by the performance office per outside body, so no personal assignments.
"""
from __future__ import annotations

import random
from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import Integer, cast, delete, func, insert, select
from sqlalchemy.orm import selectinload

from ..campaigns.models import Campaign, CampaignState, CampaignSubject
from ..core import audit
from ..core.errors import DomainError
from ..extensions import db
from ..org.models import LeaderRole, Person
from ..org.relations import OrgChart
from ..plans.spec import BallotSource, Plan
from .models import ANONYMOUS_GROUPS, Assignment, RaterGroup, voted_online


def plan_groups(plan: Plan) -> set[RaterGroup]:
    groups: set[RaterGroup] = set()
    for _path, node in plan.leaves():
        if isinstance(node.source, BallotSource):
            groups.update(RaterGroup(g) for g, _w in node.source.groups)
    return groups


def derive(plan: Plan, subjects: list[Person], people_by_unit: dict[int, list[Person]],
           parent_chiefs: dict[int, list[Person]], *, peer_sample: int | None = None,
           seed: int = 0) -> set[tuple[int, int, RaterGroup]]:
    """(rater id, ratee id, group) for everybody appraised. Pure: the directory comes in as lists."""
    groups = plan_groups(plan)
    rng = random.Random(seed)
    charts = {unit_id: OrgChart(people, parent_chiefs.get(unit_id, ())) for unit_id, people in people_by_unit.items()}
    leaders = [s for s in subjects if s.leader_role is not None]
    democratic_ratees = leaders or subjects
    out: set[tuple[int, int, RaterGroup]] = set()
    for s in subjects:
        chart = charts[s.unit_id]
        if RaterGroup.SELF in groups:
            out.add((s.id, s.id, RaterGroup.SELF))
        if RaterGroup.PEER in groups and s.department_id is not None:
            peers = [p for p in people_by_unit[s.unit_id]
                     if p.active and p.department_id == s.department_id and p.id != s.id]
            if peer_sample and len(peers) > peer_sample:
                peers = rng.sample(sorted(peers, key=lambda p: p.id), peer_sample)
            out.update((p.id, s.id, RaterGroup.PEER) for p in peers)
        if RaterGroup.LEADER in groups:
            out.update((p.id, s.id, RaterGroup.LEADER) for p in chart.superiors(s))
    if RaterGroup.DEMOCRATIC in groups:
        for s in democratic_ratees:
            out.update((p.id, s.id, RaterGroup.DEMOCRATIC) for p in people_by_unit[s.unit_id]
                       if p.active and p.id != s.id)
    if RaterGroup.MIDDLE in groups:
        for s in subjects:
            if s.on_leadership_team:
                out.update((p.id, s.id, RaterGroup.MIDDLE) for p in people_by_unit[s.unit_id]
                           if p.active and p.leader_role is LeaderRole.HEAD)
    return without_twins(out)


def without_twins(rows: set[tuple[int, int, RaterGroup]]) -> set[tuple[int, int, RaterGroup]]:
    """Nobody rates one person both signed and anonymously in a campaign: a department head who is a
    person's signed leader would otherwise also be one of their anonymous peers, and matching the signed
    ballot to the anonymous one would pick the latter out. The signed rating stays (the reporting line
    asks for it by name); the anonymous one goes."""
    signed = {(r, e) for r, e, g in rows if not g.anonymous and r != e}
    return {(r, e, g) for r, e, g in rows if not (g.anonymous and (r, e) in signed)}


def signed_pairs(campaign: Campaign, raters=None, ratees=None):
    """(rater id, ratee id) of the campaign's signed ratings of someone else, optionally only of these
    raters and ratees (subqueries)."""
    query = select(Assignment.rater_id, Assignment.ratee_id).where(
        Assignment.campaign_id == campaign.id, Assignment.group.in_([g for g in RaterGroup if not g.anonymous]),
        Assignment.rater_id != Assignment.ratee_id)
    if raters is not None:
        query = query.where(Assignment.rater_id.in_(raters))
    if ratees is not None:
        query = query.where(Assignment.ratee_id.in_(ratees))
    return query


def names_of(ids) -> dict[int, str]:
    ids = set(ids)
    return dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}


def twins(campaign: Campaign) -> list[tuple[str, str]]:
    """(rater, ratee) names of pairs that rate both signed and anonymously in the campaign."""
    anonymous = select(Assignment.rater_id, Assignment.ratee_id).where(
        Assignment.campaign_id == campaign.id, Assignment.group.in_(sorted(ANONYMOUS_GROUPS)))
    pairs = list(db.session.execute(signed_pairs(campaign).intersect(anonymous)))
    names = names_of(i for pair in pairs for i in pair)
    return sorted((names.get(r, str(r)), names.get(e, str(e))) for r, e in pairs)


def generate(campaign: Campaign, *, peer_sample: int | None = None) -> int:
    """Replace a draft campaign's assignments by those the directory and plan give. Returns how many."""
    if campaign.state is not CampaignState.DRAFT:
        raise DomainError(_("Assignments are fixed once the campaign opens."))
    plan = campaign.plan_version.spec()
    subjects = list(db.session.scalars(select(Person).join(CampaignSubject, CampaignSubject.person_id == Person.id)
                                       .where(CampaignSubject.campaign_id == campaign.id)))
    unit_ids = {s.unit_id for s in subjects}
    people_by_unit: dict[int, list[Person]] = defaultdict(list)
    for p in db.session.scalars(select(Person).where(Person.unit_id.in_(unit_ids), Person.active.is_(True))
                                .options(selectinload(Person.supervised))):
        people_by_unit[p.unit_id].append(p)
    parents = {s.unit_id: s.unit.parent_id for s in subjects if s.unit.parent_id}
    parent_chiefs: dict[int, list[Person]] = defaultdict(list)
    if parents:
        chiefs = db.session.scalars(select(Person).where(Person.unit_id.in_(set(parents.values())),
                                                         Person.active.is_(True),
                                                         Person.leader_role == LeaderRole.CHIEF))
        by_parent = defaultdict(list)
        for c in chiefs:
            by_parent[c.unit_id].append(c)
        for unit_id, parent_id in parents.items():
            parent_chiefs[unit_id] = by_parent.get(parent_id, [])
    rows = derive(plan, subjects, people_by_unit, parent_chiefs, peer_sample=peer_sample, seed=campaign.id)
    db.session.execute(delete(Assignment).where(Assignment.campaign_id == campaign.id))
    if rows:
        db.session.execute(insert(Assignment), [
            {"campaign_id": campaign.id, "rater_id": r, "ratee_id": e, "group": g, "completed": False}
            for r, e, g in sorted(rows, key=lambda x: (x[1], x[2].value, x[0]))])
    audit.record("ballots.assignments_generated", campaign,
                 summary=_("%(n)d assignments generated.", n=len(rows)))
    db.session.flush()
    return len(rows)


def add(campaign: Campaign, rater: Person, ratee: Person, group: RaterGroup) -> Assignment:
    if campaign.state is not CampaignState.DRAFT:
        raise DomainError(_("Assignments are fixed once the campaign opens."))
    if not db.session.get(CampaignSubject, (campaign.id, ratee.id)):
        raise DomainError(_("%(name)s is not appraised in this campaign.", name=ratee.name))
    exists = db.session.scalar(select(Assignment.id).where(
        Assignment.campaign_id == campaign.id, Assignment.rater_id == rater.id, Assignment.ratee_id == ratee.id,
        Assignment.group == group))
    if exists:
        raise DomainError(_("%(rater)s already rates %(ratee)s in this group.", rater=rater.name, ratee=ratee.name))
    if rater.id != ratee.id:
        other = [g for g in RaterGroup if g.anonymous != group.anonymous]
        twin = db.session.scalar(select(Assignment.group).where(
            Assignment.campaign_id == campaign.id, Assignment.rater_id == rater.id, Assignment.ratee_id == ratee.id,
            Assignment.group.in_(other)))
        if twin is not None:
            raise DomainError(_("%(rater)s already rates %(ratee)s as %(group)s: nobody rates one person both "
                                "signed and anonymously, since the signed ballot would identify the anonymous one.",
                                rater=rater.name, ratee=ratee.name, group=twin.label))
    a = Assignment(campaign_id=campaign.id, rater=rater, ratee=ratee, group=group)
    db.session.add(a)
    db.session.flush()
    return a


def remove(campaign: Campaign, assignment: Assignment) -> None:
    if campaign.state is not CampaignState.DRAFT:
        raise DomainError(_("Assignments are fixed once the campaign opens."))
    db.session.delete(assignment)
    db.session.flush()


def counts(campaign: Campaign) -> dict[str, tuple[int, int]]:
    """group → (assignments, completed), one GROUP BY query."""
    rows = db.session.execute(select(Assignment.group, func.count(Assignment.id),
                                     func.sum(cast(Assignment.completed, Integer)))
                              .where(Assignment.campaign_id == campaign.id, voted_online())
                              .group_by(Assignment.group))
    return {g.value: (n, int(done or 0)) for g, n, done in rows}


def participation(campaign: Campaign) -> list[tuple[str, str, int, int]]:
    """(department, group, completed, assigned) per rater department and group — who has voted is
    known, never what. One GROUP BY query."""
    from ..org.models import Department
    rows = db.session.execute(
        select(Department.name, Assignment.group, func.sum(cast(Assignment.completed, Integer)),
               func.count(Assignment.id))
        .join(Person, Person.id == Assignment.rater_id)
        .outerjoin(Department, Department.id == Person.department_id)
        .where(Assignment.campaign_id == campaign.id, voted_online())
        .group_by(Department.name, Assignment.group)
        .order_by(Department.name, Assignment.group))
    return [(dept or "—", group.value, int(done or 0), n) for dept, group, done, n in rows]


def not_yet_voted(campaign: Campaign) -> list[tuple[Person, int]]:
    """People with ballots still to cast, and how many."""
    rows = db.session.execute(
        select(Person, func.count(Assignment.id)).join(Assignment, Assignment.rater_id == Person.id)
        .where(Assignment.campaign_id == campaign.id, Assignment.completed.is_(False), voted_online())
        .group_by(Person.id).order_by(Person.staff_no))
    return [(p, n) for p, n in rows]
