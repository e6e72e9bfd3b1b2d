"""Demo ballots: most of a campaign's online ballots cast, and the leadership's evaluation held in a
meeting on printed slips (the slip set written to the instance folder)."""
from __future__ import annotations

import os
import random

from flask import current_app
from sqlalchemy import select

from ..ballots import ballot_key, outside, slips, voting
from ..ballots.models import Assignment, RaterGroup
from ..campaigns import operations as campaign_ops
from ..campaigns.loader import recompute
from ..extensions import db
from ..org.models import Person, Unit
from .logins import demo_logins

LEADERSHIP_PLAN = "基层院检察长及班子成员考核"
COMMENTS = ["工作认真负责，业务能力强。", "希望多深入一线，加强沟通。", "办案质效突出，值得学习。",
            "对年轻干警传帮带做得好。", "建议进一步提高文书质量。", "作风扎实，廉洁自律。",
            "有时工作节奏偏慢，希望改进。", "团结同志，乐于助人。"]
REPORT = ("{year}年，本人在院党组领导下，认真履行{position}职责，坚持以办案为中心，全年依法办理各类案件，"
          "案件质量评查未发现问题。积极参加政治理论和业务学习，严格遵守廉洁从检各项规定。"
          "不足之处是调查研究和理论写作偏少。下一步将进一步提高办案质效，加强学习，争取更好成绩。")


def pick_level(rng: random.Random, values: tuple[float, ...], lean: float) -> float:
    """A level, best levels most likely; ``lean`` < 1 moves a ratee's ballots down the scale."""
    weights = [max(0.02, (0.5 ** i) * (lean if i == 0 else 1)) for i in range(len(values))]
    return rng.choices(sorted(values, reverse=True), weights=weights)[0]


def voters_keep_their_ballots() -> set[int]:
    """The demo logins vote themselves: their own ballots stay to do."""
    logins = {d.login for d in demo_logins()}
    return set(db.session.scalars(select(Person.id).where(Person.staff_no.in_(logins))))


def seed_ballots(campaign, rng: random.Random, share: float = 0.72) -> None:
    """About three quarters of the staff have voted; in small departments the peer groups stay below k."""
    keep = voters_keep_their_ballots()
    leans = {}
    rows = db.session.scalars(select(Assignment).where(Assignment.campaign_id == campaign.id)
                              .order_by(Assignment.rater_id, Assignment.group, Assignment.ratee_id)).all()
    voters = sorted({a.rater_id for a in rows} - keep)
    voted = set(rng.sample(voters, round(len(voters) * share)))
    # In the smallest department only two people have voted: its peer groups stay below k.
    by_dept: dict[int, list[int]] = {}
    for person in db.session.scalars(select(Person).where(Person.id.in_(voters), Person.department_id.is_not(None))):
        by_dept.setdefault(person.department_id, []).append(person.id)
    smallest = min((ids for ids in by_dept.values() if len(ids) >= 3), key=len, default=[])
    voted -= set(smallest[2:])
    voted |= set(smallest[:2])
    questions = {g: voting.questions(campaign, g) for g in RaterGroup}
    for a in rows:
        if a.rater_id not in voted:
            continue
        lean = leans.setdefault(a.ratee_id, rng.choice([1.0, 1.0, 1.0, 0.6, 0.3]))
        answers = {q.code: pick_level(rng, q.values, lean) for q in questions[a.group]}
        comment = rng.choice(COMMENTS) if a.group.anonymous and rng.random() < 0.15 else ""
        report = REPORT.format(year=campaign.year, position=a.rater.position or "检察人员") \
            if a.group is RaterGroup.SELF else None
        voting.submit(a.id, a.rater, answers, comment, report=report)
    # The anonymous ballots wait sealed until the office closes voting and they are counted.


def seed_meeting(version, county: Unit, rng: random.Random) -> None:
    """The leadership's democratic evaluation, held in a meeting: a printed slip set (written to the
    instance folder), most of it already used; the middle managers vote online."""
    campaign = campaign_ops.create_campaign(version, county, name="东湖县院2025年度领导班子民主测评", year=2025)
    # A meeting has scrutineers: this campaign's ballots open only with 2 of their 3 key cards. A real
    # office prints the cards at opening and keeps no copy; the demo writes them to its instance folder
    # so that whoever tries it can count (demo_key_cards_path).
    ballot_key.choose(campaign, "scrutineers", 3, 2)
    cards = campaign_ops.move(campaign, "open")
    with open(demo_key_cards_path(), "w", encoding="utf-8") as f:
        f.write(f"{campaign.name}: scrutineers' key cards, {cards[0].threshold} of {cards[0].total} needed to count "
                f"(key fingerprint {cards[0].fingerprint}). Demo only: a real office prints them and keeps no copy.\n\n")
        for card in cards:
            f.write(f"Card {card.number}: {card.words}\n\n")
    voters = slips.raters_by_group(campaign).get(RaterGroup.DEMOCRATIC, 0)
    if not voters:
        return
    tokens = slips.new_tokens(voters)
    slips.issue(campaign, RaterGroup.DEMOCRATIC, tokens)
    os.makedirs(current_app.instance_path, exist_ok=True)
    with open(demo_slips_path(), "wb") as f:
        f.write(slips.slips_pdf(slips.sheet_for(campaign, RaterGroup.DEMOCRATIC), tokens))
    people = slips.ratees(campaign, RaterGroup.DEMOCRATIC)
    questions = voting.questions(campaign, RaterGroup.DEMOCRATIC)
    # Slips are handed out at random: use a random 80 %, keep the rest (and the PDF) for trying.
    for token in rng.sample(tokens, round(len(tokens) * 0.8)):
        slips.submit(token.code, {p.id: {q.code: pick_level(rng, q.values, 1.0) for q in questions} for p in people},
                     {p.id: rng.choice(COMMENTS) for p in people if rng.random() < 0.1})
    # Two department heads have rated the leadership online so far: below k, so pooled with the slips.
    keep = voters_keep_their_ballots()
    middle = db.session.scalars(select(Assignment).where(Assignment.campaign_id == campaign.id,
                                                         Assignment.group == RaterGroup.MIDDLE)
                                .order_by(Assignment.rater_id, Assignment.ratee_id)).all()
    heads = sorted({a.rater_id for a in middle} - keep)[:2]
    for a in middle:
        if a.rater_id in heads:
            voting.submit(a.id, a.rater, {q.code: pick_level(rng, q.values, 1.0)
                                          for q in voting.questions(campaign, RaterGroup.MIDDLE)})
    # Three outside bodies have answered the city's letter asking their opinion of the leadership.
    qs = outside.outside_questions(campaign)
    for body in ("县委组织部", "县人大常委会", "县纪委监委"):
        outside.save(campaign, body, {p.id: {q.code: pick_level(rng, q.values, 1.0) for q in qs}
                                      for p in outside.ratees(campaign)})
    recompute(campaign)


def demo_key_cards_path() -> str:
    return os.path.join(current_app.instance_path, "demo-key-cards.txt")


def demo_slips_path() -> str:
    return os.path.join(current_app.instance_path, "demo-slips.pdf")
