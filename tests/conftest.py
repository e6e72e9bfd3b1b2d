"""Test fixtures. Every database test runs on SQLite and, when TEST_DATABASE_URL is
set, on PostgreSQL too, in a database of its own that is dropped afterwards."""
from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import flask_babel
import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from review import create_app
from review.core import guesses
from review.extensions import db, limiter

from .factories import Factory

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _admin_url() -> str:
    url = os.environ["TEST_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def create_pg_database(prefix: str = "review_test") -> str:
    """Create a fresh database on the test server; returns its URL."""
    admin = make_url(_admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    admin = make_url(_admin_url())
    name = make_url(url).database
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "review.db"
        yield f"sqlite:///{path}"
    else:
        url = create_pg_database()
        yield url
        drop_pg_database(url)


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return database_url


def _empty_all_tables() -> None:
    """Delete every row a test wrote, children first, and restart the id sequences.

    Only the tables that hold rows are touched: PostgreSQL's TRUNCATE costs about a second for the
    schema's tables whatever they hold, a DELETE of a test's few rows a few milliseconds. Ids restart at
    1 as a fresh database's would (SQLite reuses rowids of an emptied table by itself)."""
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        filled = {row[0] for row in conn.execute(text(" UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)))}
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for t in reversed(tables):
            if t in filled:
                conn.exec_driver_sql(f'DELETE FROM "{t}"')
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S' "
                "AND c.relnamespace = 'public'::regnamespace")


class Client(FlaskClient):
    """Tests keep one app context open so that they can use the session; requests
    then share its ``g``. Drop what extensions cache there, as a fresh request would."""

    def open(self, *args, **kwargs):
        for cached in ("_login_user", "_role_labels"):
            g.pop(cached, None)
        flask_babel.refresh()
        return super().open(*args, **kwargs)


def make_app(database_url: str, **overrides):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, **overrides)
    app.test_client_class = Client
    return app


@contextmanager
def rate_limited_app(database_url: str, **overrides):
    """An application of a test's own with rate limits on, its limiter counts reset before and after.
    The limiter is one object for every application: its settings go back as they were afterwards."""
    state = dict(limiter.__dict__)
    app = make_app(database_url, RATELIMIT_ENABLED=True, **overrides)
    with app.app_context():
        limiter.reset()
        guesses.reset()
        try:
            yield app
        finally:
            limiter.reset()
            guesses.reset()
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()
    limiter.__dict__.clear()
    limiter.__dict__.update(state)


@pytest.fixture(scope="session")
def _shared_app(_schema):
    """One application per database for the whole session: building one costs a tenth of a second, and
    its connection pool then serves every test. Each test gets the configuration back as it was built."""
    app = make_app(_schema)
    # The limiter is one object for every application: an app built later with limits on (a test's own)
    # leaves its settings there. Each test gets back the state this app set.
    yield app, dict(app.config), dict(limiter.__dict__)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_shared_app, tmp_path):
    app, config, limiter_state = _shared_app
    limiter.__dict__.clear()
    limiter.__dict__.update(limiter_state)
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            _empty_all_tables()
            # Tests that reach the database from other threads or processes leave connections behind.
            db.engine.dispose()
            app.config.clear()
            app.config.update(config)


@dataclass
class DemoTemplate:
    url: str
    instance: str
    logins: list


@pytest.fixture(scope="session")
def _demo_template(database_url, tmp_path_factory):
    """The demo institution, seeded once per database and worker; tests get copies (see ``demo_app``)."""
    from review.demo.seed import seed
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'demo.db'}" if database_url.startswith("sqlite") else create_pg_database("review_demo")
    app = make_app(url)
    app.instance_path = str(folder / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    with app.app_context():
        db.create_all()
        logins = seed()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # a PostgreSQL template must have no connection; SQLite folds its WAL back in
    yield DemoTemplate(url, app.instance_path, logins)
    if not url.startswith("sqlite"):
        drop_pg_database(url)


def copy_database(url: str, folder) -> str:
    """A new database holding what the one at ``url`` holds: a file copy, or PostgreSQL's TEMPLATE."""
    if url.startswith("sqlite"):
        target = os.path.join(str(folder), "copy.db")
        shutil.copyfile(make_url(url).database, target)
        return f"sqlite:///{target}"
    admin = make_url(_admin_url())
    name = f"review_copy_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def demo_app(_demo_template, tmp_path):
    """An application on a copy of the seeded demo of its own (a tenth of a second instead of seeding it
    again): tests may change anything in it. ``demo_app.demo_logins`` are the printed logins."""
    url = copy_database(_demo_template.url, tmp_path)
    app = make_app(url)
    app.instance_path = str(tmp_path / "demo-instance")
    shutil.copytree(_demo_template.instance, app.instance_path)
    app.demo_logins = _demo_template.logins
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
    if not url.startswith("sqlite"):
        drop_pg_database(url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app) -> Factory:
    return Factory()


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, login: str, password: str = Factory.PASSWORD, **kwargs):
        return self.client.post("/login", data={"login": login, "password": password}, **kwargs)

    def as_user(self, user):
        return self.login(user.login)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


JOBS_REDIS = "redis://127.0.0.1:6379/14"


@pytest.fixture
def job_queue(app):
    """Background jobs on the local Redis, on a queue (and key prefix) of this test's own, emptied after."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown
    from rq import Queue
    try:
        Redis.from_url(JOBS_REDIS).ping()
    except RedisDown:
        pytest.skip("no Redis at 127.0.0.1:6379")
    name = f"test-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=JOBS_REDIS, JOBS_QUEUE=name)
    connection = Redis.from_url(JOBS_REDIS)
    yield Queue(name, connection=connection)
    for key in connection.scan_iter(f"{name}:*"):
        connection.delete(key)
    Queue(name, connection=connection).empty()
    app.config.update(REDIS_URL=None)
