"""Rescoring after an input changes: in the request for most campaigns, in the background for a
province's.

A county's campaign recomputes in well under a second, so the request that changed an input (an
entry, an import, an approved claim, an accepted appeal) does it and the next page shows the new
figures. A province's campaign of 10,000 people takes seconds; with ``RESCORE_IN_BACKGROUND`` on
and Redis configured, a campaign of at least ``RESCORE_BACKGROUND_FROM`` people is marked as being
recomputed (``Campaign.rescore_requested_at``, shown on its pages) and a job does it once the
request has committed. Several changes while a job waits share that job: it reads the inputs when
it starts. A change that arrives while a job runs queues another, and the mark stays until a run
has read every change it stands for.

Moving a campaign (close, publish, final) and corrections after final recompute in the request
whatever the size: they need the figures they freeze.

Jobs run in ``flask --app wsgi jobs worker`` (RQ); without a worker the pages keep saying that the
results are being recomputed, and the office may recompute at once from the campaign page.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update

from ..core import after_commit
from ..core.timeutil import utcnow
from ..extensions import db
from .loader import recompute
from .models import Campaign, CampaignSubject

log = logging.getLogger(__name__)

JOB_TIMEOUT = 3600


def rescore(campaign: Campaign) -> None:
    """The campaign's inputs changed in this transaction: recompute now, or have a job do it."""
    if not in_background(campaign):
        recompute(campaign)
        return
    now = utcnow()
    # Not through the ORM: derived state, not an audited change of the campaign.
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(rescore_requested_at=now))
    db.session.expire(campaign, ["rescore_requested_at"])
    after_commit.defer(enqueue, campaign.id)   # only then can a worker read what the request wrote


def in_background(campaign: Campaign) -> bool:
    config = current_app.config
    if not config.get("RESCORE_IN_BACKGROUND") or not config.get("REDIS_URL"):
        return False
    people = db.session.scalar(select(func.count()).select_from(CampaignSubject)
                               .where(CampaignSubject.campaign_id == campaign.id))
    return people >= config["RESCORE_BACKGROUND_FROM"]


def settle(campaign: Campaign, *, force: bool = False) -> None:
    """Recompute now and clear the mark a waiting job would have cleared (the job, when it runs,
    finds nothing left to do). ``force``: see loader.recompute."""
    requested = db.session.scalar(select(Campaign.rescore_requested_at).where(Campaign.id == campaign.id))
    recompute(campaign, force=force)
    clear(campaign.id, requested)
    db.session.expire(campaign, ["rescore_requested_at"])


def clear(campaign_id: int, requested: datetime | None) -> None:
    """Remove the mark if no change came after ``requested`` (the one the run read)."""
    if requested is None:
        return
    db.session.execute(update(Campaign).where(Campaign.id == campaign_id,
                                              Campaign.rescore_requested_at == requested)
                       .values(rescore_requested_at=None))


# --- the queue ---------------------------------------------------------------------------------------

REDIS_TIMEOUT = 2   # seconds: a Redis that does not answer must fail the request, not hang it


def connection():
    """The jobs' Redis. Short timeouts: a request that queues a job waits at most seconds for a
    Redis that is down or hung (RQ's worker raises the read timeout for its own blocking waits)."""
    from redis import Redis
    return Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=REDIS_TIMEOUT,
                          socket_timeout=REDIS_TIMEOUT)


def queue():
    from rq import Queue
    return Queue(current_app.config["JOBS_QUEUE"], connection=connection())


def _waiting_key(campaign_id: int) -> str:
    return f"{current_app.config['JOBS_QUEUE']}:rescore:{campaign_id}:waiting"


def enqueue(campaign_id: int) -> bool:
    """Queue a run unless one is already waiting (it has not read the inputs yet, so it will read
    this change too). Returns whether a job was queued."""
    if not connection().set(_waiting_key(campaign_id), "1", nx=True, ex=JOB_TIMEOUT * 24):
        return False
    queue().enqueue(run, campaign_id, job_timeout=JOB_TIMEOUT, result_ttl=3600,
                    description=f"rescore campaign {campaign_id}")
    return True


def run(campaign_id: int) -> int:
    """The job: recompute the campaign with the inputs committed by now. Returns the people scored."""
    connection().delete(_waiting_key(campaign_id))   # later changes queue a run of their own
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return 0
    requested = db.session.scalar(select(Campaign.rescore_requested_at).where(Campaign.id == campaign_id))
    if requested is None:
        return 0   # already recomputed (by the office, or a move of the campaign)
    n = recompute(campaign)
    clear(campaign_id, requested)
    db.session.commit()
    log.info("rescored campaign %s: %s people", campaign_id, n)
    return n
