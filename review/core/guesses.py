"""Limiting guesses of codes per address, counting only the guesses.

A public page that opens a code (a survey token, say) is answered by the thousand with good codes, and
only a guesser sends codes that match nothing. Flask-Limiter's ``deduct_when`` counts only misses but
still asks the storage before every request, good or bad: one Redis round trip for each page and each
answer. Here nothing is asked before a lookup; a miss is counted (one round trip, for misses only), and
an address found over its limit is remembered by this process until its window ends, so that its
requests are refused at once, found codes or not.

Bound: a process that has not yet seen the address over its limit looks up one more code before it
refuses it too, so an address gets at most one lookup per process beyond its limit in a window (a
4-worker server: 4 more than the limit), as with Flask-Limiter's own parallel overshoot.

Keys name the scope and the address only, never a code: a counter keyed by a code would tell whoever
reads the storage when that code was used (docs/anonymity.md). The counts live in the limiter's storage
(Redis in production); with it unreachable they count in this process, with a warning in the log.
"""
from __future__ import annotations

import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from ..extensions import limiter

# Seconds before an unreachable storage is tried again.
RETRY_STORAGE_SECONDS = 30
# Addresses remembered as over their limit, per process: beyond this, the oldest are forgotten (they
# are then refused again at their next miss, one round trip later).
MAX_REMEMBERED = 10_000

_blocked: dict[tuple[str, str], float] = {}
_local = FixedWindowRateLimiter(MemoryStorage())
_storage_failed_at: float | None = None


def _enabled() -> bool:
    return bool(limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True))


def _prefix() -> str:
    return current_app.config.get("RATELIMIT_KEY_PREFIX") or ""


def refused(scope: str, address: str) -> bool:
    """Is this address over its limit in this scope, as far as this process knows? Asks no storage."""
    if not _enabled():
        return False
    until = _blocked.get((scope, address))
    if until is None:
        return False
    if until <= time.time():
        _blocked.pop((scope, address), None)
        return False
    return True


def missed(limit_text: str, scope: str, address: str) -> bool:
    """Count a lookup that matched nothing. True while the address is within its limit; False when this
    miss is beyond it (the address is then refused by this process until the window ends)."""
    global _storage_failed_at
    if not _enabled():
        return True
    item = parse(limit_text)
    identifiers = (_prefix(), scope, address)
    strategy = None
    if _storage_failed_at is None or time.monotonic() - _storage_failed_at > RETRY_STORAGE_SECONDS:
        strategy = FixedWindowRateLimiter(limiter.storage)
    within = None
    if strategy is not None:
        try:
            within = strategy.hit(item, *identifiers)
            reset_at = strategy.get_window_stats(item, *identifiers).reset_time if not within else 0.0
            if _storage_failed_at is not None:
                current_app.logger.info("Rate limit storage recovered")
            _storage_failed_at = None
        except Exception:  # noqa: BLE001 - the storage is down: count here instead
            if _storage_failed_at is None:
                current_app.logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
            _storage_failed_at = time.monotonic()
            within = None
    if within is None:
        within = _local.hit(item, *identifiers)
        reset_at = _local.get_window_stats(item, *identifiers).reset_time if not within else 0.0
    if not within:
        if len(_blocked) >= MAX_REMEMBERED:
            _blocked.pop(next(iter(_blocked)))
        _blocked[(scope, address)] = max(reset_at, time.time() + 1)
    return within


def reset() -> None:
    """Forget every address remembered and every local count (tests, and a limiter reset)."""
    global _storage_failed_at
    _blocked.clear()
    _local.storage.reset()
    _storage_failed_at = None
