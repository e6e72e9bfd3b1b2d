"""Running attempts at once, each in its own thread and application context, to test races."""
from __future__ import annotations

import threading
from collections.abc import Callable

from review.extensions import db


def race(app, attempts: list[Callable[[], Callable[[], object]]], refused) -> list[str]:
    """Each attempt prepares (reads what it needs) and returns the action to race; all actions are
    released together. Returns "ok" or "refused" (the exception type(s) given) per attempt."""
    outcomes: list[str] = []
    barrier = threading.Barrier(len(attempts))

    def run(attempt):
        with app.app_context():
            try:
                act = attempt()
                db.session.commit()  # end the reads: outside requests SQLite would hold the write lock
                barrier.wait()
                act()
                db.session.commit()
                outcomes.append("ok")
            except refused:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with app.app_context():
        db.engine.dispose()
    return outcomes
