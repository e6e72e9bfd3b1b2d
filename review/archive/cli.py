"""`flask --app wsgi archive ...`: issue a year's appraisal files in bulk.

Files are rendered in worker processes (``--jobs``), each recycled after ``RECYCLE`` files so that
WeasyPrint's caches cannot grow without bound over a province's thousands of files. Every file is
stored and committed on its own: killing the build loses at most the files in flight, and running
it again skips everyone whose file already shows the current data.
"""
from __future__ import annotations

import multiprocessing
import time

import click
from flask import current_app
from sqlalchemy import select

from ..core import heap
from ..extensions import db
from ..org.models import Unit

archive_cli = click.Group("archive", help="Appraisal files (一人一档、一年一卷): build and verify the archive.")

RECYCLE = 40   # files a worker process renders before it is replaced


def _campaigns(year: int, unit_code: str | None):
    """The final annual campaigns of the year, those over the unit's subtree or above it."""
    from .issue import final_annual_campaigns
    campaigns = final_annual_campaigns(year)
    if not campaigns:
        raise click.ClickException(f"No final annual campaign for {year}.")
    unit = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.ClickException(f"No unit {unit_code}.")
    return campaigns, unit


# --- worker processes ----------------------------------------------------------------------------------

_app = None


def _start_worker(config: dict) -> None:
    """Each worker builds its own application and database connections (nothing is shared with the
    parent across the fork but the configuration)."""
    global _app
    from .. import create_app
    _app = create_app(config.pop("__class__"), **config)
    _app.app_context().push()
    heap.freeze()   # the process renders files until it is replaced, nothing else


def _issue_one(task: tuple[int, int, str | None]) -> tuple[int, int | None, float, int]:
    from .issue import issue_committed
    campaign_id, person_id, reason = task
    started = time.perf_counter()
    try:
        prepared = issue_committed(campaign_id, person_id, reason=reason)
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.remove()
    return person_id, (prepared.version if prepared else None), time.perf_counter() - started, \
        (prepared.size if prepared else 0)


def _config() -> dict:
    """What a worker needs to build the same application: its configuration class, database and
    archive folder."""
    from .issue import store
    app = current_app
    return {"__class__": app.config["CONFIG_CLASS"], "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "ARCHIVE_DIR": str(store().root), "SECRET_KEY": app.config["SECRET_KEY"]}


def issue_all(tasks: list[tuple[int, int, str | None]], jobs: int):
    """Issue the files of ``tasks`` (campaign id, person id, reason), in this process or in ``jobs``
    recycled worker processes; yields what :func:`_issue_one` returns, in the order files finish."""
    if jobs == 1:
        with heap.frozen():
            yield from map(_issue_one, tasks)
        return
    # fork keeps start-up cheap; each child still opens its own app and connections.
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker, initargs=(_config(),),
                                                    maxtasksperchild=RECYCLE)
    db.engine.dispose(close=False)   # children must not reuse the parent's connections
    try:
        yield from pool.imap_unordered(_issue_one, tasks)
    except BaseException:   # interrupted, or the caller stopped reading: no new files after this
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()


@archive_cli.command("build")
@click.option("--year", type=int, required=True)
@click.option("--unit", "unit_code", help="Only people of this unit's subtree (unit code).")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option("--reason", help="Issue a new version for everybody, with this reason (default: only changed files).")
def build(year: int, unit_code: str | None, jobs: int, reason: str | None):
    """Issue the year's files: a new version where the data changed (or for everyone with --reason)."""
    from .issue import store, year_files
    campaigns, unit = _campaigns(year, unit_code)
    if swept := store().sweep():
        click.echo(f"removed {swept} temporary files left by an interrupted build")
    tasks = [(cid, pid, reason) for cid, pid in year_files(campaigns, unit.path if unit else None)]
    db.session.remove()
    issued = skipped = 0
    size = 0
    started = time.perf_counter()
    with click.progressbar(length=len(tasks), label=f"{year}: {len(tasks)} files", show_pos=True) as bar:
        for _pid, version, _seconds, nbytes in issue_all(tasks, jobs):
            if version is None:
                skipped += 1
            else:
                issued += 1
                size += nbytes
            bar.update(1)
    took = time.perf_counter() - started
    click.echo(f"issued {issued}, unchanged {skipped}, {size / 1024 / 1024:.1f} MB, {took:.1f} s")
