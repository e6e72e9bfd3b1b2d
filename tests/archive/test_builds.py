"""Builds of a unit's year started from the web: queued with an audit entry, one at a time per unit and
year, run by a job that counts every file (called here directly, through RQ on Redis, or in a thread)."""

from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from review.archive import builds
from review.archive import issue as archive
from review.archive.models import ArchiveBuild, ArchiveFile, BuildState
from review.core.audit import AuditEntry
from review.core.timeutil import utcnow
from review.extensions import db

from .test_pages import final  # noqa: F401  (fixture)



def people(final) -> int:
    return len(archive.people_of(final.campaign, final.o["county"].path))


def start(client, final, **data):
    return client.post("/archive/builds", data={"unit_id": final.o["county"].id, "year": 2025, **data})


def only_build() -> ArchiveBuild:
    db.session.expire_all()
    [build] = db.session.scalars(select(ArchiveBuild)).all()
    return build


def test_a_build_is_queued_audited_and_run_by_its_job(client, auth, final):
    n = people(final)
    auth.as_user(final["office"])
    resp = start(client, final)
    build = only_build()
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/archive/builds/{build.id}")
    assert (build.state, build.total, build.done, build.requested_by_id) == (BuildState.QUEUED, n, 0, final["office"].id)
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "archive.build")).all()
    assert entry.object_id == str(build.id) and entry.unit_path == final.o["county"].path
    html = client.get(f"/archive/builds/{build.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in html and "排队中" in html

    assert builds.run(build.id) == BuildState.DONE
    build = only_build()
    assert (build.state, build.done, build.issued, build.skipped, build.error) == (BuildState.DONE, n, n, 0, None)
    assert build.started_at and build.finished_at and build.percent == 100
    files = db.session.scalars(select(ArchiveFile)).all()
    assert len(files) == n and all(f.generated_by_id == final["office"].id for f in files)
    html = client.get(f"/archive/builds/{build.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html and "100%" in html
    assert builds.run(build.id) == BuildState.DONE   # delivered twice: nothing more
    assert db.session.scalar(select(func.count()).select_from(ArchiveFile)) == n

    # Again without a reason: everything unchanged is skipped; with one, everybody gets version 2.
    start(client, final)
    again = db.session.scalars(select(ArchiveBuild).order_by(ArchiveBuild.id.desc())).first()
    builds.run(again.id)
    db.session.refresh(again)
    assert (again.issued, again.skipped) == (0, n)
    start(client, final, reason="更换落款")
    third = db.session.scalars(select(ArchiveBuild).order_by(ArchiveBuild.id.desc())).first()
    builds.run(third.id)
    db.session.refresh(third)
    assert third.issued == n and archive.latest(final.o["s1"][0].id, 2025).reason == "更换落款"


def test_a_second_build_of_the_same_unit_and_year_is_refused(client, auth, final):
    auth.as_user(final["office"])
    start(client, final)
    resp = client.post("/archive/builds", data={"unit_id": final.o["county"].id, "year": 2025}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "already under way" in html or "正在进行" in html
    assert db.session.scalar(select(func.count()).select_from(ArchiveBuild)) == 1
    # The database refuses it too, whatever the race between two requests.
    first = only_build()
    db.session.add(ArchiveBuild(year=2025, unit_id=first.unit_id, state=BuildState.RUNNING, total=1, done=0,
                                issued=0, skipped=0))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Once the first is over, another may start.
    builds.run(first.id)
    assert start(client, final).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ArchiveBuild)) == 2


def test_bad_requests_change_nothing(client, auth, final):
    auth.as_user(final["office"])
    resp = client.post("/archive/builds", data={"unit_id": final.o["county"].id, "year": 2024}, follow_redirects=True)
    assert "2024" in resp.get_data(as_text=True)
    start(client, final, reason="长" * 501)
    auth.logout()
    auth.as_user(final["sibling_office"])   # the county is no choice of theirs
    assert start(client, final).status_code == 302
    auth.logout()
    auth.as_user(final["supervisor"])
    assert start(client, final).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ArchiveBuild)) == 0


def test_a_failing_build_keeps_its_error_and_frees_the_unit(client, auth, final, monkeypatch):
    auth.as_user(final["office"])
    start(client, final)
    build = only_build()
    calls = []

    def broken(campaign, person, **kwargs):
        calls.append(person.id)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(campaign, person, **kwargs)

    real = archive.prepare
    monkeypatch.setattr(archive, "prepare", broken)
    assert builds.run(build.id) == BuildState.FAILED
    build = only_build()
    assert build.state == BuildState.FAILED and "disk full" in build.error and build.done == 1 and build.issued == 1
    html = client.get(f"/archive/builds/{build.id}").get_data(as_text=True)
    assert "disk full" in html and 'http-equiv="refresh"' not in html
    assert start(client, final).status_code == 302


def test_a_build_whose_job_is_gone_may_be_marked_failed(client, auth, final):
    auth.as_user(final["office"])
    start(client, final)
    build = only_build()
    client.post(f"/archive/builds/{build.id}/abandon")
    assert only_build().state == BuildState.FAILED
    assert builds.run(build.id) == BuildState.FAILED   # a late job does nothing
    assert db.session.scalar(select(func.count()).select_from(ArchiveFile)) == 0


class ProcessKilled(BaseException):
    """What the job sees of its process being killed: nothing after this runs, not even its handler."""


def test_a_build_whose_process_stopped_is_shown_stalled_and_replaced_by_the_next(app, client, auth, final,
                                                                               monkeypatch):
    n = people(final)
    auth.as_user(final["office"])
    start(client, final)
    build = only_build()
    real, calls = archive.prepare, []

    def killed_at_the_third(campaign, person, **kwargs):
        calls.append(person.id)
        if len(calls) == 3:
            raise ProcessKilled
        return real(campaign, person, **kwargs)

    monkeypatch.setattr(archive, "prepare", killed_at_the_third)
    with pytest.raises(ProcessKilled):
        builds.run(build.id)
    db.session.rollback()
    monkeypatch.setattr(archive, "prepare", real)
    build = only_build()
    assert (build.state, build.done, build.issued) == (BuildState.RUNNING, 2, 2)

    # Recent progress: still under way, not stalled; starting again is refused.
    html = client.get(f"/archive/builds/{build.id}").get_data(as_text=True)
    assert 'id="stalled"' not in html
    start(client, final)
    assert db.session.scalar(select(func.count()).select_from(ArchiveBuild)) == 1

    # Eleven minutes without a file: the page says the job has stopped.
    minutes = app.config["ARCHIVE_BUILD_STALL_MINUTES"]
    build.progress_at -= timedelta(minutes=minutes + 1)
    db.session.commit()
    html = client.get(f"/archive/builds/{build.id}").get_data(as_text=True)
    assert 'id="stalled"' in html and f"{minutes} 分钟" in html

    # Starting again marks it failed (audited) and replaces it; the new one skips the two files issued.
    resp = start(client, final)
    db.session.expire_all()
    old = db.session.get(ArchiveBuild, build.id)
    [new] = db.session.scalars(select(ArchiveBuild).where(ArchiveBuild.id != build.id)).all()
    assert resp.headers["Location"].endswith(f"/archive/builds/{new.id}")
    assert old.state == BuildState.FAILED and old.finished_at and str(minutes) in old.error
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "archive.build_abandoned", AuditEntry.object_id == str(old.id))) == 1
    assert builds.run(new.id) == BuildState.DONE
    db.session.refresh(new)
    assert (new.issued, new.skipped) == (n - 2, 2)
    # Had the old job been alive after all, it stops at its next file: no file twice.
    assert builds.run(old.id) == BuildState.FAILED
    assert db.session.scalar(select(func.count()).select_from(ArchiveFile)) == n


def test_a_queued_build_is_stalled_only_when_no_queue_holds_it(app, final):
    now = utcnow()
    build = ArchiveBuild(year=2025, unit_id=final.o["county"].id, state=BuildState.QUEUED, total=1, done=0,
                         issued=0, skipped=0, created_at=now - timedelta(minutes=30))
    after = timedelta(minutes=10)
    # In a thread it starts at once, so half an hour of waiting means its process is gone; an RQ job
    # may wait that long behind others.
    assert build.stalled(now, after, queued_counts=True)
    assert not build.stalled(now, after, queued_counts=False)
    build.state, build.started_at, build.progress_at = BuildState.RUNNING, now - timedelta(minutes=30), now
    assert not build.stalled(now, after, queued_counts=True)
    build.state = BuildState.DONE
    build.progress_at = now - timedelta(days=1)
    assert not build.stalled(now, after, queued_counts=True)


@pytest.fixture
def queued(job_queue):
    return job_queue


def test_with_redis_the_build_is_a_job_queued_after_commit(client, auth, final, queued):
    auth.as_user(final["office"])
    start(client, final)
    assert queued.count == 1 and only_build().state == BuildState.QUEUED
    SimpleWorker([queued], connection=queued.connection).work(burst=True)
    build = only_build()
    assert build.state == BuildState.DONE and build.issued == people(final) and queued.count == 0


def test_a_refused_build_queues_nothing(client, auth, final, queued):
    auth.as_user(final["office"])
    client.post("/archive/builds", data={"unit_id": final.o["county"].id, "year": 2024})
    assert queued.count == 0


def test_without_redis_the_build_runs_in_a_thread(app, client, auth, final):
    app.config["ARCHIVE_BUILD_IN_THREAD"] = True
    auth.as_user(final["office"])
    start(client, final)
    build_id = only_build().id
    db.session.rollback()   # the test's session must not hold SQLite's write lock while the thread works
    builds.threads.pop(build_id).join(120)
    build = only_build()
    assert build.state == BuildState.DONE and build.issued == people(final)


@pytest.fixture
def silent_redis(app):
    """A socket that accepts connections and never answers: Redis hung, or a firewall dropping replies."""
    import socket
    import threading
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])   # never read, never answered
            except OSError:
                continue
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    app.config.update(REDIS_URL=f"redis://127.0.0.1:{server.getsockname()[1]}/0")
    yield
    app.config.update(REDIS_URL=None)
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_a_build_whose_queue_does_not_answer_fails_at_once_with_a_reason(client, auth, final, silent_redis):
    import time
    auth.as_user(final["office"])
    started = time.monotonic()
    response = start(client, final)
    assert time.monotonic() - started < 10 and response.status_code == 302
    build = only_build()
    assert build.state == BuildState.FAILED and "TimeoutError" in build.error
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert build.error[:30] in page
    assert start(client, final).status_code == 302 and len(db.session.scalars(select(ArchiveBuild)).all()) == 2
