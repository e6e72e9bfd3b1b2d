"""Pooled connections are checked when they sat unused, not on every request (review/database.py)."""
import time

from sqlalchemy import text

from review.extensions import db

from ..conftest import make_app


def _kill_other_backends(app_engine) -> None:
    """What a restart of the database server does to the pool: every connection it holds dies."""
    with app_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))


def test_a_connection_killed_while_idle_is_replaced_before_a_request_uses_it(_schema):
    app = make_app(_schema, DB_PING_IDLE_SECONDS=0)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            db.engine.dispose()
            return  # SQLite files have no server to lose
        client = app.test_client()
        assert client.get("/healthz").status_code == 200          # a pooled connection now exists
        db.session.remove()
        _kill_other_backends(db.engine)
        assert client.get("/healthz").status_code == 200          # checked, found dead, replaced
        db.session.remove()
        db.engine.dispose()


def test_a_connection_back_a_moment_ago_is_not_checked_again(_schema, monkeypatch):
    import review.database
    pings = []
    real = review.database.ping
    monkeypatch.setattr(review.database, "ping", lambda conn: (pings.append(1), real(conn)))
    app = make_app(_schema, DB_PING_IDLE_SECONDS=0.5)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            db.engine.dispose()
            return
        for _ in range(5):                          # back to the pool and out again at once: no check
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT 2")).scalar() == 2
        assert pings == []
        time.sleep(0.6)                             # idle past the threshold: checked once
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT 3")).scalar() == 3
        assert pings == [1]
        db.engine.dispose()
