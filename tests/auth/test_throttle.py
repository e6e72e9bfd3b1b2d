"""Failed logins slow down the address that fails, per account and address (OWASP ASVS 2.2.1):
nobody can lock the owner out of an account by knowing its staff number, and spraying many
accounts from one address still meets the per-address limit."""
import pytest
from sqlalchemy import func, select

from review.auth import throttle
from review.core.access import Role
from review.core.audit import AuditEntry
from review.extensions import db, limiter

from ..conftest import rate_limited_app
from ..factories import Factory

ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
OWNER = {"REMOTE_ADDR": "10.1.2.3"}
WRONG = "nope12345"


class Clock:
    """The back-off's clock, moved by hand: tests wait out a back-off without sleeping."""

    def __init__(self):
        self.t = 1_900_000_000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(throttle, "now", c)
    return c


SETTINGS = dict(LOGIN_BACKOFF_FREE=3, LOGIN_BACKOFF_BASE_SECONDS=2, LOGIN_BACKOFF_MAX_SECONDS=60,
                LOGIN_LIMIT_PER_ADDRESS="100 per 15 minutes")


@pytest.fixture
def limited(_schema):
    with rate_limited_app(_schema, **SETTINGS) as app:
        yield app


@pytest.fixture
def spray_limited(_schema):
    with rate_limited_app(_schema, **{**SETTINGS, "LOGIN_LIMIT_PER_ADDRESS": "5 per minute"}) as app:
        yield app


def post_login(client, login, password, address):
    return client.post("/login", data={"login": login, "password": password}, environ_base=address)


def fail_patiently(client, clock, login, times):
    """Fail `times` real password checks from the attacker's address, waiting out each back-off."""
    for _ in range(times):
        wait = throttle.seconds_to_wait(login, ATTACKER["REMOTE_ADDR"])
        clock.advance(wait)
        resp = post_login(client, login, WRONG, ATTACKER)
        assert resp.status_code == 200, resp.status_code


def test_backoff_is_free_at_first_then_doubles_up_to_the_cap():
    delays = [throttle.backoff_seconds(n, free=3, base=2, cap=60) for n in range(1, 11)]
    assert delays == [0, 0, 0, 2, 4, 8, 16, 32, 60, 60]
    assert throttle.backoff_seconds(10_000, free=3, base=2, cap=60) == 60


def test_twenty_failures_from_one_address_leave_the_owner_free_to_log_in_from_another(limited, clock):
    make = Factory()  # not the `make` fixture: its app would switch the shared limiter off
    user = make.user(Role.STAFF)
    make.commit()
    attacker, owner = limited.test_client(), limited.test_client()
    fail_patiently(attacker, clock, user.login, 20)

    resp = post_login(owner, user.login, Factory.PASSWORD, OWNER)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert owner.get("/").status_code == 200
    # Every real failure is in the audit log; nothing else counted as a login failure.
    failed = db.session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "auth.login_failed"))
    assert failed == 20


def test_the_failing_address_is_slowed_for_that_account_with_a_message(limited, clock):
    make = Factory()
    user, other = make.user(Role.STAFF), make.user(Role.STAFF)
    make.commit()
    attacker = limited.test_client()
    fail_patiently(attacker, clock, user.login, 20)

    # Even the right password is refused while the address waits: the refusal tells nothing.
    resp = post_login(attacker, user.login, Factory.PASSWORD, ATTACKER)
    assert resp.status_code == 429
    text = resp.get_data(as_text=True)
    assert "请等待 60 秒" in text or "wait 60 seconds" in text
    assert resp.headers["Retry-After"] == "60"
    assert attacker.get("/").status_code == 302  # not logged in
    # Refusals while waiting check no password and write no audit entry.
    failed = db.session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "auth.login_failed"))
    assert failed == 20
    # The back-off is for that account only: another account from the same address logs in.
    assert post_login(attacker, other.login, Factory.PASSWORD, ATTACKER).status_code == 302


def test_a_failure_that_starts_the_backoff_says_how_long_to_wait(limited, clock):
    make = Factory()
    user = make.user(Role.STAFF)
    make.commit()
    client = limited.test_client()
    fail_patiently(client, clock, user.login, 3)
    resp = post_login(client, user.login, WRONG, ATTACKER)
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "请等待 2 秒" in text or "wait 2 seconds" in text


def test_after_the_backoff_the_right_password_from_the_failing_address_works(limited, clock):
    make = Factory()
    user = make.user(Role.STAFF)
    make.commit()
    client = limited.test_client()
    fail_patiently(client, clock, user.login, 6)
    wait = throttle.seconds_to_wait(user.login, ATTACKER["REMOTE_ADDR"])
    assert wait == 8
    clock.advance(wait - 1)
    assert post_login(client, user.login, Factory.PASSWORD, ATTACKER).status_code == 429
    clock.advance(1)
    resp = post_login(client, user.login, Factory.PASSWORD, ATTACKER)
    assert resp.status_code == 302 and client.get("/").status_code == 200
    # A successful login forgets the failures: the next typo costs nothing.
    client.post("/logout")
    assert throttle.seconds_to_wait(user.login, ATTACKER["REMOTE_ADDR"]) == 0
    assert post_login(client, user.login, WRONG, ATTACKER).status_code == 200
    assert throttle.seconds_to_wait(user.login, ATTACKER["REMOTE_ADDR"]) == 0


def test_spraying_many_accounts_from_one_address_hits_the_address_limit(spray_limited, clock):
    make = Factory()
    users = [make.user(Role.STAFF) for _ in range(6)]
    make.commit()
    sprayer, elsewhere = spray_limited.test_client(), spray_limited.test_client()
    for u in users[:5]:
        assert post_login(sprayer, u.login, WRONG, ATTACKER).status_code == 200
    resp = post_login(sprayer, users[5].login, Factory.PASSWORD, ATTACKER)
    assert resp.status_code == 429
    text = resp.get_data(as_text=True)
    assert "您所在地址" in text or "from your address" in text
    # A clear wait, never more than the limit's window (one minute here).
    assert any(f"请等待 {n} 秒" in text or f"wait {n} seconds" in text for n in range(1, 61))
    assert int(resp.headers["Retry-After"]) <= 60
    # The owner of that account, elsewhere, is not concerned.
    assert post_login(elsewhere, users[5].login, Factory.PASSWORD, OWNER).status_code == 302
