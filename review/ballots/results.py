"""Ballot results read from the database: tallies per ratee, indicator and rater group (one
GROUP BY query each for anonymous and signed ballots), passed through the disclosure rule
before anything leaves this module."""
from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import String, func, select, type_coerce

from ..campaigns.models import Campaign
from ..extensions import db
from ..plans.scales import SHIPPED
from ..plans.spec import BallotSource, Scale
from .disclosure import Disclosure, Tally
from .models import (AnonymousAnswer, AnonymousComment, Assignment, BallotSuppression, OutsideRating, RaterGroup,
                     SignedAnswer, WorkReport)

Key = tuple[int, str]  # (ratee id, indicator code)


def _collect(rows) -> dict[Key, dict[str, Tally]]:
    levels: dict[Key, dict[str, Counter]] = {}
    for ratee, group, code, value, n in rows:
        levels.setdefault((ratee, code), {}).setdefault(group.value, Counter())[float(value)] += int(n)
    return {key: {g: Tally(c) for g, c in groups.items()} for key, groups in levels.items()}


def anonymous_tallies(campaign: Campaign, ratee_ids: list[int] | None = None) -> dict[Key, dict[str, Tally]]:
    stmt = (select(AnonymousAnswer.ratee_id, AnonymousAnswer.group, AnonymousAnswer.indicator,
                   AnonymousAnswer.value, func.count())
            .where(AnonymousAnswer.campaign_id == campaign.id)
            .group_by(AnonymousAnswer.ratee_id, AnonymousAnswer.group, AnonymousAnswer.indicator,
                      AnonymousAnswer.value))
    if ratee_ids is not None:
        stmt = stmt.where(AnonymousAnswer.ratee_id.in_(ratee_ids))
    return _collect(db.session.execute(stmt))


def signed_tallies(campaign: Campaign, ratee_ids: list[int] | None = None) -> dict[Key, dict[str, Tally]]:
    stmt = (select(Assignment.ratee_id, Assignment.group, SignedAnswer.indicator, SignedAnswer.value, func.count())
            .join(SignedAnswer, SignedAnswer.assignment_id == Assignment.id)
            .where(Assignment.campaign_id == campaign.id)
            .group_by(Assignment.ratee_id, Assignment.group, SignedAnswer.indicator, SignedAnswer.value))
    if ratee_ids is not None:
        stmt = stmt.where(Assignment.ratee_id.in_(ratee_ids))
    return _collect(db.session.execute(stmt))


def outside_tallies(campaign: Campaign, ratee_ids: list[int] | None = None) -> dict[Key, dict[str, Tally]]:
    """Outside bodies' ratings: one ballot per body, named, so not subject to the k-threshold."""
    stmt = (select(OutsideRating.ratee_id, OutsideRating.indicator, OutsideRating.value, func.count())
            .where(OutsideRating.campaign_id == campaign.id)
            .group_by(OutsideRating.ratee_id, OutsideRating.indicator, OutsideRating.value))
    if ratee_ids is not None:
        stmt = stmt.where(OutsideRating.ratee_id.in_(ratee_ids))
    return _collect((r, RaterGroup.OUTSIDE, code, v, n) for r, code, v, n in db.session.execute(stmt))


def named_tallies(campaign: Campaign, ratee_ids: list[int] | None = None) -> dict[Key, dict[str, Tally]]:
    """Everything not anonymous: signed self and leader ballots, and outside bodies' ratings."""
    out = signed_tallies(campaign, ratee_ids)
    for key, groups in outside_tallies(campaign, ratee_ids).items():
        out.setdefault(key, {}).update(groups)
    return out


def disclosed(campaign: Campaign, ratee_ids: list[int] | None = None) -> dict[Key, Disclosure]:
    """What may be shown, per ratee and indicator. The count at close stored only that (groups of at
    least k, "others", and notes of what was pooled or withheld); nothing exists before the count."""
    tallies = anonymous_tallies(campaign, ratee_ids)
    stmt = select(BallotSuppression).where(BallotSuppression.campaign_id == campaign.id)
    if ratee_ids is not None:
        stmt = stmt.where(BallotSuppression.ratee_id.in_(ratee_ids))
    notes = {(n.ratee_id, n.indicator): n for n in db.session.scalars(stmt)}
    out = {}
    for key in tallies.keys() | notes.keys():
        groups, note = tallies.get(key, {}), notes.get(key)
        out[key] = Disclosure(
            {g: t for g, t in groups.items() if g != RaterGroup.OTHERS.value}, groups.get(RaterGroup.OTHERS.value),
            tuple(note.pooled.split(",")) if note and note.pooled else (),
            tuple(note.withheld.split(",")) if note and note.withheld else (),
            note.withheld_ballots if note else 0)
    return out


def disclosed_sums(campaign: Campaign) -> dict[Key, tuple[dict[str, tuple[float, int]], tuple[str, ...],
                                                           tuple[str, ...]]]:
    """What scoring needs of :func:`disclosed`, per ratee and indicator: (sum, count) of every stored
    group (``others`` the pool), the pooled and the withheld groups. One GROUP BY without the values:
    the count at close stored only what may be shown, so sums of stored answers disclose nothing more."""
    out: dict[Key, tuple[dict[str, tuple[float, int]], tuple[str, ...], tuple[str, ...]]] = {}
    # The group as its stored name (a province has 100,000 of these rows: no enum round trip).
    group = type_coerce(AnonymousAnswer.group, String)
    rows = db.session.execute(
        select(AnonymousAnswer.ratee_id, AnonymousAnswer.indicator, group,
               func.sum(AnonymousAnswer.value), func.count())
        .where(AnonymousAnswer.campaign_id == campaign.id)
        .group_by(AnonymousAnswer.ratee_id, AnonymousAnswer.indicator, group))
    for ratee, code, name, total, n in rows:
        entry = out.get((ratee, code))
        if entry is None:
            out[(ratee, code)] = ({name: (float(total), n)}, (), ())
        else:
            entry[0][name] = (float(total), n)
    for note in db.session.scalars(select(BallotSuppression).where(BallotSuppression.campaign_id == campaign.id)):
        groups = out.get((note.ratee_id, note.indicator), ({}, (), ()))[0]
        out[(note.ratee_id, note.indicator)] = (
            groups, tuple(note.pooled.split(",")) if note.pooled else (),
            tuple(note.withheld.split(",")) if note.withheld else ())
    return out


@dataclass(frozen=True)
class BallotIndicator:
    code: str
    name: str
    scale: Scale
    groups: tuple[str, ...]


def ballot_indicators(campaign: Campaign) -> list[BallotIndicator]:
    plan = campaign.plan_version.spec()
    scales = {**SHIPPED, **plan.scales}
    return [BallotIndicator(node.code, node.name, scales[node.source.scale], tuple(g for g, _w in node.source.groups))
            for _path, node in plan.leaves() if isinstance(node.source, BallotSource)]


@dataclass
class RateeResults:
    """Everything that may be shown of one ratee's ballots in a campaign."""
    anonymous: dict[str, Disclosure]             # indicator → disclosure
    signed: dict[str, dict[str, Tally]]          # indicator → group (self, leader) → tally
    comments: list[str]                          # shuffled; empty when nothing may be shown
    report: WorkReport | None = None             # 述职, signed


def for_ratee(campaign: Campaign, ratee_id: int) -> RateeResults:
    anonymous = {code: d for (_r, code), d in disclosed(campaign, [ratee_id]).items()}
    signed = {code: groups for (_r, code), groups in named_tallies(campaign, [ratee_id]).items()}
    report = db.session.scalar(select(WorkReport).where(WorkReport.campaign_id == campaign.id,
                                                        WorkReport.person_id == ratee_id))
    return RateeResults(anonymous, signed, comments(campaign, ratee_id, anonymous), report)


def comments(campaign: Campaign, ratee_id: int, anonymous: dict[str, Disclosure]) -> list[str]:
    """Free-text comments of anonymous ballots: in aggregate, without their group, in a fresh random
    order every time. The count kept only comments of groups that may be shown (a comment from a
    group of one would be that person's); this checks again that the ratee's ballots may be shown."""
    ballots = max((d.total.count for d in anonymous.values() if d.total), default=0)
    if ballots < campaign.k_threshold:
        return []
    texts = list(db.session.scalars(select(AnonymousComment.text).where(
        AnonymousComment.campaign_id == campaign.id, AnonymousComment.ratee_id == ratee_id)))
    secrets.SystemRandom().shuffle(texts)
    return texts


@dataclass(frozen=True)
class GradeRow:
    """One line of a democratic-evaluation report (民主测评): counts per level and the share of the
    two best levels (优秀 + 称职)."""
    ratee_id: int
    indicator: str
    counts: tuple[int, ...]   # in the scale's level order, best first
    ballots: int

    @property
    def top_two_share(self) -> float | None:
        return (self.counts[0] + self.counts[1]) / self.ballots if self.ballots and len(self.counts) > 1 else None


DEMOCRATIC_GROUPS = {RaterGroup.DEMOCRATIC.value, RaterGroup.MIDDLE.value}


def grade_report(campaign: Campaign) -> tuple[list[BallotIndicator], list[GradeRow]]:
    """For each indicator rated by the democratic or middle-manager group: the distribution over their
    ballots as the disclosure rule lets them through (peers' ballots are not a democratic evaluation;
    a pool that holds some is left out)."""
    indicators = [i for i in ballot_indicators(campaign)
                  if i.groups and {RaterGroup.DEMOCRATIC.value, RaterGroup.MIDDLE.value} & set(i.groups)]
    codes = {i.code: i for i in indicators}
    rows = []
    for (ratee, code), d in disclosed(campaign).items():
        if code not in codes:
            continue
        parts = [t for g, t in d.shown.items() if g in DEMOCRATIC_GROUPS]
        if d.others is not None and set(d.pooled) <= DEMOCRATIC_GROUPS:
            parts.append(d.others)
        if not parts:
            continue
        total = sum(parts[1:], parts[0])
        levels = [lv.value for lv in codes[code].scale.levels]
        rows.append(GradeRow(ratee, code, tuple(total.levels.get(float(v), 0) for v in levels), total.count))
    return indicators, rows
