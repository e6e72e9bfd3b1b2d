"""Redis unreachable: rate-limited pages keep working and their limits count in this process (with a
warning in the log), and /healthz reports each dependency: 503 only when the database is down."""
import logging

import pytest

from review.api import keys
from review.core import guesses
from review.core.access import Role
from review.extensions import db, limiter
from review.surveys import tokens

from ..conftest import _empty_all_tables, make_app
from ..factories import Factory

NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused at once
LOCAL_REDIS = "redis://127.0.0.1:6379/13"


@pytest.fixture
def redis_down(_schema):
    enabled = limiter.enabled
    app = make_app(_schema, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=NOWHERE,
                   LOGIN_LIMIT_PER_ADDRESS="3 per minute", LOGIN_BACKOFF_FREE=1,
                   SURVEY_LIMIT_PER_ADDRESS="2 per minute", API_RATE_LIMIT="2 per minute")
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()
    # The limiter is one object for every app of the test run: leave it neither on its fallback nor
    # switched on for the session's shared app.
    limiter._storage_dead = False
    limiter.enabled = enabled
    guesses.reset()


class Collected(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def app_log(redis_down):
    """What reaches the application's own log (where a server without logging set up sees it)."""
    handler = Collected()
    redis_down.logger.addHandler(handler)
    yield handler
    redis_down.logger.removeHandler(handler)


def fallback_warnings(app_log) -> list[str]:
    return [r.getMessage() for r in app_log.records
            if r.levelno == logging.WARNING and "falling back to in-memory" in r.getMessage()]


def test_login_works_and_is_throttled_in_process_when_redis_is_down(redis_down, app_log):
    make = Factory()  # not the `make` fixture: its app would switch the shared limiter off
    users = [make.user(Role.STAFF) for _ in range(5)]
    make.commit()
    client = redis_down.test_client()
    assert client.get("/login").status_code == 200
    resp = client.post("/login", data={"login": users[0].login, "password": Factory.PASSWORD})
    assert resp.status_code == 302 and client.get("/").status_code == 200
    client.post("/logout")
    assert fallback_warnings(app_log)

    # The account-and-address back-off counts in this process: the second failure makes it wait.
    assert client.post("/login", data={"login": users[1].login, "password": "nope12345"}).status_code == 200
    resp = client.post("/login", data={"login": users[1].login, "password": "nope12345"})
    assert resp.status_code == 200
    resp = client.post("/login", data={"login": users[1].login, "password": Factory.PASSWORD})
    assert resp.status_code == 429
    assert "请等待 2 秒" in resp.get_data(as_text=True)
    # The per-address limit too: a third failure from this address, then every login is refused.
    assert client.post("/login", data={"login": users[2].login, "password": "nope12345"}).status_code == 200
    resp = client.post("/login", data={"login": users[3].login, "password": Factory.PASSWORD})
    assert resp.status_code == 429
    assert "您所在地址登录失败次数过多" in resp.get_data(as_text=True)


def test_survey_code_page_works_and_is_limited_in_process_when_redis_is_down(redis_down, app_log):
    client = redis_down.test_client()
    assert client.get("/survey/").status_code == 200
    for _i in range(2):
        resp = client.post("/survey/", data={"code": tokens.new_tokens(1)[0].code})
        assert resp.status_code == 422
    resp = client.post("/survey/", data={"code": tokens.new_tokens(1)[0].code})
    assert resp.status_code == 429 and "尝试次数过多" in resp.get_data(as_text=True)
    assert fallback_warnings(app_log)


def test_api_works_and_is_limited_in_process_when_redis_is_down(redis_down, app_log):
    make = Factory()
    unit = make.unit("市院")
    secret = keys.create_key(unit, "甲").secret
    make.commit()
    client = redis_down.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    for _i in range(2):
        assert client.get("/api/v1/campaigns", headers=headers).status_code == 200
    resp = client.get("/api/v1/campaigns", headers=headers)
    assert resp.status_code == 429 and resp.get_json()["error"] == "rate_limited"
    assert fallback_warnings(app_log)


# --- /healthz ---------------------------------------------------------------------------------------

@pytest.fixture
def health_app(_schema):
    enabled = limiter.enabled
    contexts = []

    def build(**overrides):
        app = make_app(_schema, **overrides)
        contexts.append(app.app_context())
        contexts[-1].push()
        return app

    yield build
    for context in reversed(contexts):
        db.engine.dispose()
        context.pop()
    limiter._storage_dead = False
    limiter.enabled = enabled


def test_healthz_says_degraded_with_redis_down_and_the_database_up(health_app):
    app = health_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=NOWHERE, REDIS_URL=NOWHERE)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"state": "ok", "required": True}
    assert body["checks"]["limits"] == {"state": "down", "required": False, "storage": "redis"}
    assert body["checks"]["jobs"] == {"state": "down", "required": False}
    assert "127.0.0.1" not in resp.get_data(as_text=True)  # a public page names no server
    assert resp.headers["Cache-Control"] == "no-store"


def test_healthz_says_ok_with_every_dependency_up(health_app):
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown
    try:
        Redis.from_url(LOCAL_REDIS).ping()
    except RedisDown:
        pytest.skip("no Redis at 127.0.0.1:6379")
    app = health_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=LOCAL_REDIS, REDIS_URL=LOCAL_REDIS)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "checks": {
        "database": {"state": "ok", "required": True},
        "limits": {"state": "ok", "required": False, "storage": "redis"},
        "jobs": {"state": "ok", "required": False}}}


def test_healthz_without_redis_configured_is_ok(health_app):
    app = health_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", REDIS_URL=None)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "checks": {
        "database": {"state": "ok", "required": True},
        "limits": {"state": "ok", "required": False, "storage": "memory"},
        "jobs": {"state": "not configured", "required": False}}}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_healthz_answers_503_when_the_database_is_down(kind, tmp_path):
    # A folder that does not exist, a port nothing listens on.
    url = {"sqlite": f"sqlite:///{tmp_path}/missing/review.db",
           "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/review?connect_timeout=2"}[kind]
    app = make_app(url, RATELIMIT_ENABLED=False)
    with app.app_context():
        resp = app.test_client().get("/healthz")
        db.engine.dispose()
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == {"state": "down", "required": True}


def test_healthz_says_when_rate_limiting_is_off(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["limits"] == {"state": "off", "required": False, "storage": "memory"}
