"""Test fixtures. Every database test runs on SQLite and, when TEST_DATABASE_URL is
set, on PostgreSQL too, in a database of its own that is dropped afterwards."""
from __future__ import annotations

import os
import uuid

import flask_babel
import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from review import create_app
from review.extensions import db

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
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for t in reversed(tables):
                conn.exec_driver_sql(f'DELETE FROM "{t}"')


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


@pytest.fixture
def app(_schema, tmp_path):
    app = make_app(_schema)
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()


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
