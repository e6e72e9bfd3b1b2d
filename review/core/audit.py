"""The audit log: who changed what, when, with before/after values.

Models opt in with ``__audited__ = True``; every insert, update and delete of
such a model inside a flush is written to ``audit_log`` automatically, in the
same transaction, so a change can never land without its record. Operations add
higher-level events (login, import) with :func:`record`.

Ballot and survey answers are never audited: their models do not opt in, and
nothing here ever reads them.
"""
from __future__ import annotations

import enum
import getpass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history

from ..extensions import db
from .timeutil import utcnow

REDACTED = "***"


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(120))
    ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    object_label: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(String(500))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    # Path of the unit the change belongs to, so that a supervisor scoped to a
    # subtree reads only that subtree's entries; None for institution-wide changes.
    unit_path: Mapped[str | None] = mapped_column(String(255), index=True)

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        # Binary columns hold keys and digests: the log says that they changed and how long they are.
        return f"<{len(value)} bytes>"
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return value


def current_actor() -> tuple[int | None, str, str | None]:
    """(user id, label, address) of whoever is acting: the API key of an API request (``api:<prefix>``),
    the logged-in user, or the shell account for the CLI."""
    if has_request_context():
        ip = request.remote_addr
        api_key = g.get("api_key")
        if api_key is not None:
            return None, api_key.actor, ip
        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.login, ip
        return None, "anonymous", ip
    try:
        who = getpass.getuser()
    except Exception:  # pragma: no cover - no passwd entry in some containers
        who = "unknown"
    return None, f"cli:{who}", None


def _label(obj: Any) -> str:
    return str(getattr(obj, "audit_label", None) or obj)[:200]


def _entry(action: str, obj: Any = None, *, summary: str | None = None,
           before: dict | None = None, after: dict | None = None,
           object_type: str | None = None, object_id: Any = None, object_label: str | None = None,
           unit_path: str | None = None) -> dict:
    actor_id, actor, ip = current_actor()
    if obj is not None:
        object_type = object_type or obj.__tablename__
        if object_id is None:
            object_id = _pk(obj)
        object_label = object_label or _label(obj)
        if unit_path is None:
            unit_path = getattr(obj, "audit_unit_path", None)
    return {
        "at": utcnow(), "actor_id": actor_id, "actor": actor, "ip": ip, "action": action,
        "object_type": object_type, "object_id": None if object_id is None else str(object_id),
        "object_label": object_label, "summary": summary[:500] if summary else None,
        "before": before, "after": after, "unit_path": unit_path,
    }


def record(action: str, obj: Any = None, **kwargs) -> None:
    """Add an explicit audit entry (an event that is more than a row change) to the current transaction."""
    db.session.execute(insert(AuditEntry), [_entry(action, obj, **kwargs)])


def record_read(action: str, obj: Any = None, **kwargs) -> None:
    """Audit a read (a download) in a transaction of its own, committed at once. The entry is made
    from what was read, then the request's reading transaction ends: on SQLite a GET's transaction
    takes no write lock, and upgrading it after reads could fail while a batch is committing."""
    entry = _entry(action, obj, **kwargs)
    db.session.rollback()
    db.session.execute(insert(AuditEntry), [entry])
    db.session.commit()


def record_many(entries: Iterable[dict]) -> None:
    """Bulk form for imports: each dict holds the keyword arguments of :func:`record` plus ``action``."""
    rows = [_entry(e.pop("action"), e.pop("obj", None), **e) for e in entries]
    if rows:
        db.session.execute(insert(AuditEntry), rows)


# --- automatic change capture -------------------------------------------------

def _excluded(obj) -> frozenset[str]:
    return frozenset(getattr(obj, "__audit_exclude__", ()))


def _redacted(obj) -> frozenset[str]:
    return frozenset(getattr(obj, "__audit_redact__", ()))


def _value(obj, key, value):
    return REDACTED if key in _redacted(obj) and value is not None else _jsonable(value)


def snapshot(obj) -> dict:
    """Every column and every writable collection (e.g. the departments a leader supervises)."""
    mapper = inspect(obj).mapper
    skip = _excluded(obj)
    values = {a.key: _value(obj, a.key, getattr(obj, a.key)) for a in mapper.column_attrs if a.key not in skip}
    for rel in mapper.relationships:
        if rel.uselist and not rel.viewonly and rel.key not in skip:
            values[rel.key] = _related_ids(getattr(obj, rel.key))
    return values


def _pk(obj) -> str | None:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return None if any(k is None for k in key) else ",".join(str(k) for k in key)


def _related_ids(items) -> list:
    return sorted(str(_pk(i) or _label(i)) for i in items)


def changes(obj) -> tuple[dict, dict]:
    """Changed attributes of a dirty object: columns and collections, before and after."""
    state = inspect(obj)
    skip = _excluded(obj)
    before, after = {}, {}
    for attr in state.mapper.column_attrs:
        if attr.key in skip:
            continue
        hist = get_history(obj, attr.key)
        if hist.has_changes() and hist.deleted != hist.added:
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                before[attr.key] = _value(obj, attr.key, old)
                after[attr.key] = _value(obj, attr.key, new)
    for rel in state.mapper.relationships:
        if not rel.uselist or rel.key in skip or rel.viewonly:
            continue
        # A collection nobody loaded was not changed through it, and loading it here, inside the
        # flush, would read rows this very flush inserted (children created with their parent) and
        # put second copies of them in the session.
        hist = get_history(obj, rel.key, passive=PASSIVE_NO_INITIALIZE)
        if hist.added or hist.deleted:
            before[rel.key] = _related_ids(list(hist.unchanged) + list(hist.deleted))
            after[rel.key] = _related_ids(list(hist.unchanged) + list(hist.added))
    return before, after


@event.listens_for(Session, "after_flush")
def _capture_changes(session: Session, _flush_context) -> None:
    rows = []
    for obj in session.new:
        if getattr(obj, "__audited__", False):
            rows.append(_entry(f"{obj.__tablename__}.create", obj, after=snapshot(obj)))
    for obj in session.dirty:
        if getattr(obj, "__audited__", False) and session.is_modified(obj):
            before, after = changes(obj)
            if before or after:
                rows.append(_entry(f"{obj.__tablename__}.update", obj, before=before, after=after))
    for obj in session.deleted:
        if getattr(obj, "__audited__", False):
            rows.append(_entry(f"{obj.__tablename__}.delete", obj, before=snapshot(obj)))
    if rows:
        session.connection().execute(insert(AuditEntry), rows)
