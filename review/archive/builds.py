"""Building a unit's files for a year from the web, as a background job.

The office starts a build (:func:`start`); the row in ``archive_builds`` is its progress. Once the
request has committed, the job runs:

- with ``REDIS_URL`` set, as an RQ job on the jobs queue, run by ``flask --app wsgi jobs worker``
  (any machine of the cluster; the web processes stay free);
- without Redis, in a daemon thread of the web process that started it (``ARCHIVE_BUILD_IN_THREAD``,
  on by default). That is for a single machine: a web process restarted during the build takes the
  thread with it.

A build that has issued no file for ``ARCHIVE_BUILD_STALL_MINUTES`` (or, in a thread, never started)
is taken as stopped (:func:`stalled`): its page says so, and starting the build again marks it
failed and replaces it; the office can also mark it failed by hand (:func:`abandon`). Either way the
new build skips every file already issued, and the old job, should it still be alive after all,
stops at its next file.

The job issues the files one by one as ``flask archive build`` does: each is rendered and stored
without the database's write lock, then indexed and committed with the progress counts, so a build
interrupted at any point loses at most the file in flight.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..core import after_commit, audit, heap
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Person, Unit
from .models import ArchiveBuild, BuildState

log = logging.getLogger(__name__)

JOB_TIMEOUT = 24 * 3600
ERROR_MAX = 4000

# Threads started by this process (tests join them).
threads: dict[int, threading.Thread] = {}


def tasks(year: int, unit: Unit) -> list[tuple[int, int]]:
    """(campaign id, person id) of every file the build issues: the people of the unit's subtree with
    a result in a final annual campaign of the year (as ``flask archive build --unit``)."""
    from .issue import final_annual_campaigns, year_files
    return year_files(final_annual_campaigns(year), unit.path)


def active(unit: Unit, year: int) -> ArchiveBuild | None:
    return db.session.scalar(select(ArchiveBuild).where(
        ArchiveBuild.unit_id == unit.id, ArchiveBuild.year == year, ArchiveBuild.state.in_(BuildState.ACTIVE)))


def stalled(build: ArchiveBuild) -> bool:
    """Whether the build's job has evidently stopped (see the module's docstring)."""
    config = current_app.config
    return build.stalled(utcnow(), timedelta(minutes=config["ARCHIVE_BUILD_STALL_MINUTES"]),
                         queued_counts=not config.get("REDIS_URL"))


def start(unit: Unit, year: int, *, user, reason: str | None = None) -> ArchiveBuild:
    """Queue a build of the unit's files for the year (launched when the transaction commits).

    Refused while another build of the same unit and year is queued or running (one that has
    stalled is marked failed and replaced), and when the year has no final annual campaign with
    people of the unit."""
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > 500:
        raise DomainError(_("The reason may be at most 500 characters long."))
    previous = active(unit, year)
    if previous is not None and stalled(previous):
        abandon(previous, message=_("No file for %(minutes)s minutes: the job had stopped. A new build replaced it.",
                                    minutes=current_app.config["ARCHIVE_BUILD_STALL_MINUTES"]))
        db.session.flush()   # the unique index of active builds sees it failed before the new row
    elif previous is not None:
        raise DomainError(_("A build of %(unit)s for %(year)s is already under way: wait for it to finish.",
                            unit=unit.name, year=year))
    total = len(tasks(year, unit))
    if not total:
        raise DomainError(_("No final annual campaign of %(year)s appraises anybody in %(unit)s: there is "
                            "nothing to build.", unit=unit.name, year=year))
    build = ArchiveBuild(year=year, unit=unit, requested_by_id=user.id if user else None, reason=reason,
                         state=BuildState.QUEUED, total=total, done=0, issued=0, skipped=0)
    try:
        with db.session.begin_nested():
            db.session.add(build)
            db.session.flush()
    except IntegrityError:
        # Another request queued the same build between our check and our insert.
        raise DomainError(_("A build of %(unit)s for %(year)s is already under way: wait for it to finish.",
                            unit=unit.name, year=year)) from None
    audit.record("archive.build", build,
                 summary=f"{unit.name} {year}: {total}" + (f" — {reason}" if reason else ""))
    after_commit.defer(launch, build.id)   # only then can the job read the row the request wrote
    return build


def abandon(build: ArchiveBuild, *, message: str) -> None:
    """Mark a build whose job is gone (its process was restarted) as failed, so another may start."""
    if not build.active:
        raise DomainError(_("This build is not under way."))
    build.state = BuildState.FAILED
    build.error = message[:ERROR_MAX]
    build.finished_at = utcnow()
    audit.record("archive.build_abandoned", build, summary=message[:500])


# --- the job -----------------------------------------------------------------------------------------

def run(build_id: int) -> str | None:
    """The job as RQ runs it, in a worker process that does nothing else meanwhile: the collector
    is kept off the heap for the length of the build (review/core/heap.py)."""
    with heap.frozen():
        return _run(build_id)


def _run(build_id: int) -> str | None:
    """Issue the build's files one by one, counting as it goes. Returns the final state."""
    from .issue import STOPPED, issue_committed, store

    build = db.session.get(ArchiveBuild, build_id)
    if build is None or build.state != BuildState.QUEUED:
        return build.state if build else None   # run already (a job delivered twice) or abandoned
    build.state = BuildState.RUNNING
    build.started_at = build.progress_at = utcnow()
    store().sweep()   # what an interrupted build's writers left behind
    unit, year, reason, user_id = build.unit, build.year, build.reason, build.requested_by_id
    work = tasks(year, unit)
    build.total = len(work)
    db.session.commit()
    current = None

    def count(prepared) -> bool:
        build = db.session.get(ArchiveBuild, build_id)
        if build.state != BuildState.RUNNING:
            return False   # abandoned meanwhile: stop here
        if prepared is None:
            build.skipped += 1
        else:
            build.issued += 1
        build.done += 1
        build.progress_at = utcnow()
        return True

    try:
        for campaign_id, person_id in work:
            current = person_id
            if issue_committed(campaign_id, person_id, reason=reason, user_id=user_id, proceed=count) is STOPPED:
                return db.session.get(ArchiveBuild, build_id).state
        current = None
        build = db.session.get(ArchiveBuild, build_id)
        build.state = BuildState.DONE
        build.finished_at = utcnow()
        db.session.commit()
        log.info("archive build %s: %s issued, %s unchanged", build_id, build.issued, build.skipped)
        return BuildState.DONE
    except Exception as e:
        db.session.rollback()
        log.exception("archive build %s failed", build_id)
        who = db.session.get(Person, current) if current else None
        message = getattr(e, "message", None) or f"{type(e).__name__}: {e}"
        if who is not None:
            message = f"{who.staff_no} {who.name}: {message}"
        build = db.session.get(ArchiveBuild, build_id)
        build.state = BuildState.FAILED
        build.error = message[:ERROR_MAX]
        build.finished_at = utcnow()
        db.session.commit()
        return BuildState.FAILED


def _in_thread(app, build_id: int) -> None:
    with app.app_context():
        try:
            # Not run(): freezing the collector is process-wide, and this process goes on serving
            # requests whose garbage a frozen heap would keep until the build ends.
            _run(build_id)
        finally:
            db.session.remove()


def launch(build_id: int) -> None:
    """Start the committed build: queue the job, or run it in a thread of this process."""
    config = current_app.config
    if config.get("REDIS_URL"):
        from redis.exceptions import RedisError

        from ..campaigns.rescoring import queue
        try:
            queue().enqueue(run, build_id, job_timeout=JOB_TIMEOUT, result_ttl=3600,
                            description=f"archive build {build_id}")
        except RedisError as e:
            # Left queued, no job would ever run it and the unit and year would stay blocked.
            _fail_unqueued(build_id, _("The job queue did not accept the build (%(error)s); "
                                       "it may be started again.", error=type(e).__name__))
            raise
    elif config.get("ARCHIVE_BUILD_IN_THREAD", True):
        thread = threading.Thread(target=_in_thread, args=(current_app._get_current_object(), build_id),
                                  name=f"archive-build-{build_id}", daemon=True)
        threads[build_id] = thread
        thread.start()


def _fail_unqueued(build_id: int, message: str) -> None:
    """Mark a build that never reached the queue as failed. Runs after the request's commit, when
    its session cannot write, hence a connection of its own."""
    with db.engine.begin() as conn:
        conn.execute(update(ArchiveBuild).where(ArchiveBuild.id == build_id, ArchiveBuild.state == BuildState.QUEUED)
                     .values(state=BuildState.FAILED, error=message[:ERROR_MAX], finished_at=utcnow()))
