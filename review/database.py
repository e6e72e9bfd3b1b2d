"""Engine set-up that makes SQLite safe for several worker processes.

SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout,
and requests that may write begin with BEGIN IMMEDIATE. A deferred transaction
that reads and then writes can fail at once with "database is locked" when
another process committed in between — SQLite cannot wait there without risking
a deadlock. Taking the write lock at BEGIN lets the busy timeout do its job.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar

import orjson
from flask import has_request_context, request
from sqlalchemy import JSON, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def json_dumps(value) -> str:
    """JSON columns are written with orjson: a province's results are 30 MB of JSON, which the
    standard library encodes several times slower. Keys that are not strings become strings, as
    json.dumps makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


json_loads = orjson.loads


_reading = ContextVar("reading", default=False)


@contextmanager
def reading_only():
    """Transactions begun inside only read (on SQLite: no write lock taken at BEGIN), e.g. while a
    batch worker renders a file for seconds before a short transaction records it."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


@contextmanager
def read_outside_transaction(engine: Engine):
    """A connection for reads that need no transaction: PostgreSQL in autocommit (no BEGIN and ROLLBACK
    round trips around one SELECT), SQLite in a deferred transaction (no write lock taken)."""
    with reading_only(), engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def wants_write_lock() -> bool:
    """Requests with safe methods only read; everything else (POST, CLI, tests) may write."""
    if _reading.get():
        return False
    if has_request_context():
        return request.method not in READ_ONLY_METHODS
    return True


def check_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection with a round trip only when it sat unused for ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` checks on every checkout: one more round trip to the server for every
    request, a fifth of what a public survey page costs. A connection returned a moment ago was alive
    then. One that fails the check is replaced (the pool tries again with a new connection); one that
    dies while in constant use fails its request, and SQLAlchemy then drops every connection of the
    pool made before the failure, so the next requests connect afresh."""
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_conn, record, _proxy):
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < idle_seconds:
            return
        try:
            ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure means this connection is gone
            raise DisconnectionError() from exc


def ping(dbapi_conn) -> None:
    """One round trip, leaving no transaction open (psycopg switches autocommit on the client side)."""
    autocommit = getattr(dbapi_conn, "autocommit", None)
    if autocommit is False:
        dbapi_conn.autocommit = True
    try:
        cursor = dbapi_conn.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
    finally:
        if autocommit is False:
            dbapi_conn.autocommit = False


def configure_engine(engine: Engine, ping_idle_seconds: float | None = None) -> None:
    if engine.dialect.name != "sqlite":
        if ping_idle_seconds is not None:
            check_idle_connections(engine, ping_idle_seconds)
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows are overwritten with zeros rather than left in free pages: a copy of the file
        # taken after a count must not hold the sealed pool it emptied (docs/anonymity.md).
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")


SCRUB_ATTEMPTS = 5
SCRUB_WAIT_SECONDS = 0.2


def scrub_after_count(*tables: str) -> bool:
    """After a count emptied a pool: leave no copy of the deleted rows on disk. PostgreSQL keeps deleted
    rows until vacuumed; SQLite zeroes them in place (secure_delete) but the write-ahead log still holds
    the pages as they were until a checkpoint folds it into the file and truncates it. Runs outside any
    transaction. Returns False when SQLite could not truncate its log (a reader held an older snapshot
    past the busy timeout): the next count, or the next checkpoint, does it."""
    engine = db_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.exec_driver_sql(f'VACUUM "{table}"')
        return True
    if engine.dialect.name == "sqlite":
        # The driver's own connection: SQLAlchemy's connections begin a transaction (see configure_engine),
        # inside which SQLite refuses a checkpoint.
        # A reader holding an older snapshot keeps the log from being truncated: wait for it a little.
        for attempt in range(SCRUB_ATTEMPTS):
            raw = engine.raw_connection()
            try:
                busy, _log, _done = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                raw.close()
            if not busy:
                return True
            time.sleep(SCRUB_WAIT_SECONDS * (attempt + 1))
        logging.getLogger(__name__).warning(
            "After a count the SQLite write-ahead log could not be truncated (a reader held it): the emptied "
            "pool stays in it until the next checkpoint. Run PRAGMA wal_checkpoint(TRUNCATE) when the site is quiet.")
        return False
    return True


def db_engine() -> Engine:
    from .extensions import db
    return db.engine


def bulk_insert(session, table, rows: list[dict]) -> None:
    """Insert many rows in the session's transaction: COPY on PostgreSQL (several times faster
    than multi-row INSERTs for tens of thousands of rows), an executemany elsewhere."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    # COPY takes JSON as text.
    as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json_dumps(row[c]) if c in as_json else row[c]
                                for c in columns])
