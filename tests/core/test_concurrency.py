"""Several worker processes writing at once never fail with "database is locked"."""
import multiprocessing as mp

from sqlalchemy import func, select

from review.extensions import db
from review.org.models import Department, Unit

WORKERS = 4
WRITES = 25


def _worker(url: str, unit_id: int, worker: int, errors) -> None:
    from review import create_app
    from review.org import operations as ops

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    try:
        for i in range(WRITES):
            # A write request reads first, then writes: the pattern that fails under
            # deferred SQLite transactions when another process commits in between.
            with app.test_request_context("/", method="POST"):
                unit = db.session.get(Unit, unit_id)
                db.session.scalar(select(func.count(Department.id)))
                ops.create_department(unit, f"并发部门{worker}-{i}")
                db.session.commit()
                db.session.remove()
    except Exception as exc:  # reported to the parent
        errors.append(f"worker {worker}: {exc!r}")
    finally:
        with app.app_context():
            db.engine.dispose()


def test_concurrent_writers_all_succeed(app, make, _schema):
    unit_id = make.unit("并发测试").id
    # Outside a request the session takes the write lock at its first statement:
    # commit and touch nothing until the workers are done.
    make.commit()
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        errors = manager.list()
        procs = [ctx.Process(target=_worker, args=(_schema, unit_id, w, errors)) for w in range(WORKERS)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert list(errors) == []
    assert all(p.exitcode == 0 for p in procs)
    count = db.session.scalar(select(func.count(Department.id)).where(Department.unit_id == unit_id))
    assert count == WORKERS * WRITES
