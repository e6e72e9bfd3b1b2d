"""Failed-login back-off per account and address (OWASP ASVS 2.2.1).

A lock per account would let anyone who knows a staff number keep its owner out. Instead, each
(account, address) pair has its own count of failed logins: the first few cost nothing, then the
address must wait before it may try that account again, twice as long after each further failure,
up to a cap. The owner, from an address that has not been failing, always gets through; a login
that succeeds forgets the pair's failures. Spraying many accounts from one address is the
per-address limit's job (``LOGIN_LIMIT_PER_ADDRESS``, in routes.py).

The counts live in the rate limiter's storage (Redis when configured, shared by all workers), and
in this process's memory while the limiter has fallen back to it because Redis is unreachable.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import current_app
from limits.storage import MemoryStorage

from ..extensions import limiter

log = logging.getLogger(__name__)

# Used when the limiter's storage fails between its own check and ours (Redis just went away).
_local = MemoryStorage()


def now() -> float:
    return time.time()


def backoff_seconds(failures: int, *, free: int, base: int, cap: int) -> int:
    """Seconds an address waits after its `failures`-th failed login on one account."""
    if failures <= free:
        return 0
    return min(cap, base * 2 ** min(failures - free - 1, 32))


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED"))


def _keys(login: str, address: str) -> tuple[str, str]:
    # Digested: a password typed into the login field by mistake must not sit in Redis for an hour.
    pair = hashlib.sha256(f"{(login or '').strip().lower()[:64]}\0{address}".encode()).hexdigest()[:32]
    return f"login-failures:{pair}", f"login-wait:{pair}"


def _call(operation: str, *args):
    storage = limiter.limiter.storage
    try:
        return getattr(storage, operation)(*args)
    except storage.base_exceptions:
        log.warning("Rate-limit storage unreachable: counting failed logins in this process.", exc_info=True)
        return getattr(_local, operation)(*args)


def seconds_to_wait(login: str, address: str) -> int:
    """How long this address must still wait before it may try this account's password again."""
    if not _enabled():
        return 0
    until_ms = _call("get", _keys(login, address)[1])
    return max(0, math.ceil(until_ms / 1000 - now()))


def record_failure(login: str, address: str) -> int:
    """Count a failed login of this account from this address; returns the wait it now imposes."""
    if not _enabled():
        return 0
    config = current_app.config
    failures_key, wait_key = _keys(login, address)
    failures = _call("incr", failures_key, int(config["LOGIN_BACKOFF_MEMORY_SECONDS"]))
    delay = backoff_seconds(failures, free=config["LOGIN_BACKOFF_FREE"], base=config["LOGIN_BACKOFF_BASE_SECONDS"],
                            cap=config["LOGIN_BACKOFF_MAX_SECONDS"])
    if delay:
        # The key holds the moment the wait ends, in milliseconds (a counter can only be set by
        # adding to it); its storage expiry only clears it away afterwards.
        _call("clear", wait_key)
        _call("incr", wait_key, delay + 1, math.ceil((now() + delay) * 1000))
    return delay


def forget(login: str, address: str) -> None:
    """A successful login: this pair starts afresh."""
    if not _enabled():
        return
    for key in _keys(login, address):
        _call("clear", key)
