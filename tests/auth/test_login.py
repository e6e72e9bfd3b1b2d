"""Login, initial passwords, throttling, CSRF and session security."""
import pytest
from sqlalchemy import select

from review.auth import operations as ops
from review.core.access import Role
from review.core.audit import AuditEntry
from review.extensions import db

from ..conftest import make_app, rate_limited_app
from ..factories import Factory


def test_login_with_staff_number_and_password(client, auth, make):
    user = make.user(Role.STAFF)
    make.commit()
    resp = auth.login(user.login)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert user.person.name in client.get("/").get_data(as_text=True)
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "auth.login" in actions


def test_wrong_password_is_refused_with_a_message_and_audited(client, auth, make):
    user = make.user(Role.STAFF)
    make.commit()
    resp = auth.login(user.login, "wrong-password")
    assert resp.status_code == 200
    assert "Wrong staff number or password" in resp.get_data(as_text=True) or "工号或密码" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login_failed")).one()
    assert entry.object_label == user.login


def test_passwords_are_stored_with_a_kdf(app):
    app.config.pop("PASSWORD_HASH_METHOD")
    hashed = ops.hash_password("s3cret-pass")
    assert hashed.startswith("scrypt:") and "s3cret" not in hashed


def test_initial_password_must_be_changed_first(client, auth, make):
    user = make.user(Role.STAFF, must_change=True)
    make.commit()
    resp = auth.login(user.login)
    assert "/password" in resp.headers["Location"]
    assert "/password" in client.get("/").headers["Location"]
    resp = client.post("/password", data={"current": Factory.PASSWORD, "new": "short", "confirm": "short"})
    assert resp.status_code == 200 and db.session.get(type(user), user.id).must_change_password
    resp = client.post("/password", data={"current": Factory.PASSWORD, "new": "brandnew2025",
                                          "confirm": "brandnew2025"})
    assert resp.status_code == 302
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert not user.must_change_password
    assert ops.authenticate(user.login, "brandnew2025") is not None


def test_password_change_ends_other_sessions(app, make):
    user = make.user(Role.STAFF)
    make.commit()
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/login", data={"login": user.login, "password": Factory.PASSWORD})
    first.post("/password", data={"current": Factory.PASSWORD, "new": "another2025", "confirm": "another2025"})
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302


@pytest.fixture
def limited_app(_schema, tmp_path):
    with rate_limited_app(_schema, LOGIN_BACKOFF_FREE=2, LOGIN_LIMIT_PER_ADDRESS="5 per minute") as app:
        yield app


def test_failed_logins_slow_down_that_account_from_that_address(limited_app):
    # The full policy (other addresses, waiting out the back-off) is in test_throttle.py.
    make = Factory()
    user = make.user(Role.STAFF)
    make.commit()
    client = limited_app.test_client()
    for _ in range(3):
        assert client.post("/login", data={"login": user.login, "password": "nope1234"}).status_code == 200
    resp = client.post("/login", data={"login": user.login, "password": Factory.PASSWORD})
    assert resp.status_code == 429
    text = resp.get_data(as_text=True)
    assert "Please wait 2 seconds" in text or "请等待 2 秒" in text
    # Another account from the same address is not slowed.
    other = make.user(Role.STAFF)
    make.commit()
    assert client.post("/login", data={"login": other.login, "password": Factory.PASSWORD}).status_code == 302


def test_failed_logins_are_throttled_per_address(limited_app):
    make = Factory()
    users = [make.user(Role.STAFF) for _ in range(6)]
    make.commit()
    client = limited_app.test_client()
    for u in users[:5]:
        client.post("/login", data={"login": u.login, "password": "nope1234"})
    assert client.post("/login", data={"login": users[5].login, "password": Factory.PASSWORD}).status_code == 429


def test_successful_logins_do_not_count(limited_app):
    make = Factory()
    user = make.user(Role.STAFF)
    make.commit()
    client = limited_app.test_client()
    for _ in range(6):
        assert client.post("/login", data={"login": user.login, "password": Factory.PASSWORD}).status_code == 302
        client.post("/logout")


@pytest.fixture
def csrf_app(_schema, tmp_path):
    app = make_app(_schema, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


# Public answer pages check the token themselves: a phone that lost its session must get its answers
# back with a request to send again (422), never a bare 400 that loses them. Their own tests prove
# that such a POST changes nothing (tests/surveys/test_answering.py, tests/ballots/test_slips.py).
SELF_CHECKED = {"slips.slip", "survey_public.answer", "survey_public.open_link"}
# The JSON API authenticates each request by its API key, never by a cookie: a forged cross-site
# request has nothing to ride on, so it is exempt and answers 401 without a key (tests/api).
KEY_AUTHENTICATED_PREFIX = "api."


def test_every_post_route_requires_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    posts = [r for r in csrf_app.url_map.iter_rules() if "POST" in r.methods]
    assert posts
    for rule in posts:
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "1")
        resp = client.post(url, data={"login": "x", "password": "y"})
        expected = ((404, 422) if rule.endpoint in SELF_CHECKED
                    else (401,) if rule.endpoint.startswith(KEY_AUTHENTICATED_PREFIX) else (400,))
        assert resp.status_code in expected, f"{rule.rule} accepted a POST without a CSRF token"


def test_login_page_carries_a_csrf_token(csrf_app):
    html = csrf_app.test_client().get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in html


def test_security_headers_and_cookie_flags(client, auth, make):
    user = make.user(Role.STAFF)
    make.commit()
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    resp = auth.login(user.login)
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_open_redirect_after_login_is_refused(client, make):
    user = make.user(Role.STAFF)
    make.commit()
    resp = client.post("/login?next=https://evil.example/", data={"login": user.login, "password": Factory.PASSWORD})
    assert resp.headers["Location"] == "/"
