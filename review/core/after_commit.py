"""Work that may start only once the current transaction has committed: a background job must be
able to read what the request wrote. Callers name an action and the ids to run it for; a rollback
forgets them. Failures are logged, not raised: the commit has already happened."""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

log = logging.getLogger(__name__)
KEY = "review.after_commit"   # session.info: action → ids


def defer(action: Callable[[int], object], item: int) -> None:
    """Run ``action(item)`` after the session's next commit (once per action and item)."""
    db.session.info.setdefault(KEY, {}).setdefault(action, set()).add(item)


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    for action, items in (session.info.pop(KEY, None) or {}).items():
        for item in sorted(items):
            try:
                action(item)
            except Exception:   # Redis away, say: the pages show what still waits
                log.exception("%s(%s) after commit failed", action.__qualname__, item)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous) -> None:
    session.info.pop(KEY, None)
