"""Counting anonymous ballots, once, when voting closes.

Every sealed ballot waits in the pool until the campaign closes. Then, in one transaction, the
count opens them all, applies the disclosure rule (review/ballots/disclosure.py) per ratee and
indicator, writes what may be kept in random order, and empties the pool:

* a group of at least k ballots keeps its name;
* pooled groups are written as "others" (which groups, in ``ballot_suppressions``);
* withheld groups leave only their number: their answers and comments are dropped.

So the answers table never holds what the pages may not show, and a database dump cannot tie a
small group's answers to the few people the participation table names. Counting only at close
also means every answer carries the same PostgreSQL transaction id and no result can be watched
changing while people vote (docs/anonymity.md)."""
from __future__ import annotations

import secrets
from collections import Counter, defaultdict

from sqlalchemy import delete, insert, select

from ..campaigns.models import Campaign
from ..core.after_commit import defer
from ..database import scrub_after_count
from ..extensions import db
from .disclosure import Tally, disclose
from .models import AnonymousAnswer, AnonymousComment, BallotSuppression, PoolEntry, RaterGroup, random_id
from .sealing import unseal

_shuffle = secrets.SystemRandom().shuffle


def count(campaign: Campaign, private_key=None) -> int:
    """Count the campaign's pooled ballots (``private_key``: the scrutineers' key, rebuilt from their
    shares, for ballots sealed to it). Returns how many ballots were counted."""
    entries = list(db.session.scalars(select(PoolEntry).where(PoolEntry.campaign_id == campaign.id)
                                      .with_for_update()))
    if not entries:
        return 0
    ballots = [unseal(e.sealed, pool="ballots", pool_id=campaign.id, private_key=private_key) for e in entries]
    levels: dict[tuple[int, str], dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for b in ballots:
        for code, value in b["answers"].items():
            levels[(b["ratee"], code)][b["group"]][float(value)] += 1
    labels: dict[tuple[int, str, str], RaterGroup | None] = {}
    notes = []
    for (ratee, code), groups in levels.items():
        d = disclose({g: Tally(c) for g, c in groups.items()}, campaign.k_threshold)
        for g in groups:
            labels[(ratee, code, g)] = (RaterGroup(g) if g in d.shown
                                        else RaterGroup.OTHERS if g in d.pooled else None)
        if d.pooled or d.withheld:
            notes.append({"campaign_id": campaign.id, "ratee_id": ratee, "indicator": code,
                          "pooled": ",".join(d.pooled), "withheld": ",".join(d.withheld),
                          "withheld_ballots": sum(sum(groups[g].values()) for g in d.withheld)})
    answers, comments = [], []
    for b in ballots:
        kept = []
        for code, value in b["answers"].items():
            label = labels[(b["ratee"], code, b["group"])]
            if label is not None:
                kept.append(label)
                answers.append({"id": random_id(), "campaign_id": campaign.id,
                                "ratee_id": b["ratee"], "group": label, "indicator": code, "value": value})
        # A comment stays only if its group can be shown somewhere, under the same name as there.
        if b.get("comment") and kept:
            label = RaterGroup(b["group"]) if RaterGroup(b["group"]) in kept else RaterGroup.OTHERS
            comments.append({"id": random_id(), "campaign_id": campaign.id, "ratee_id": b["ratee"],
                             "group": label, "text": b["comment"]})
    _shuffle(answers)
    _shuffle(comments)
    _shuffle(notes)
    if answers:
        db.session.execute(insert(AnonymousAnswer), answers)
    if comments:
        db.session.execute(insert(AnonymousComment), comments)
    if notes:
        db.session.execute(insert(BallotSuppression), notes)
    db.session.execute(delete(PoolEntry).where(PoolEntry.campaign_id == campaign.id))
    # Once this commits, no copy of the emptied pool stays on disk (review/database.py).
    defer(_scrub_pool, campaign.id)
    campaign.ballots_counted = True
    db.session.flush()
    return len(entries)


def _scrub_pool(_campaign_id: int) -> None:
    scrub_after_count("ballot_pool")
