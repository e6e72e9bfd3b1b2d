"""What /healthz reports: each dependency with its state, and whether the site can serve at all.

Only the database is required: without it no page works, so the answer is 503 and a load balancer
takes this instance out. Redis is not: while it is unreachable, rate limits count in each process
(Flask-Limiter's in-memory fallback) and jobs cannot be queued, so the answer stays 200 with the
status "degraded" for monitoring to raise an alarm, instead of every instance leaving the pool at
once over a dependency they can all do without. Nothing here names a server: the page is public.
"""
from __future__ import annotations

import logging

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, limiter

log = logging.getLogger(__name__)

OK, DOWN, OFF, NOT_CONFIGURED = "ok", "down", "off", "not configured"
# Seconds a health check waits for Redis: a probe must answer before the load balancer gives up.
TIMEOUT = 1


def database_state() -> str:
    try:
        db.session.execute(db.text("SELECT 1"))
        return OK
    except SQLAlchemyError:
        log.warning("Health check: the database is unreachable.", exc_info=True)
        return DOWN
    finally:
        db.session.rollback()


def limits_check() -> dict:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    storage = uri.split("://", 1)[0].split("+", 1)[0]
    if not current_app.config.get("RATELIMIT_ENABLED"):
        return {"state": OFF, "storage": storage}
    if storage == "memory":
        return {"state": OK, "storage": storage}
    try:
        healthy = limiter.storage.check()
    except Exception:  # a storage's check() should answer False, but a broken one must not fail the probe
        healthy = False
    if not healthy:
        log.warning("Health check: the rate-limit storage is unreachable; limits count in each process.")
    return {"state": OK if healthy else DOWN, "storage": storage}


def jobs_state() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return NOT_CONFIGURED
    connection = Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    try:
        connection.ping()
        return OK
    except RedisError:
        log.warning("Health check: the job queue's Redis is unreachable.", exc_info=True)
        return DOWN
    finally:
        connection.close()


def report() -> tuple[dict, int]:
    """The health report and its HTTP status: 503 when a required dependency is down."""
    checks = {
        "database": {"state": database_state(), "required": True},
        "limits": {**limits_check(), "required": False},
        "jobs": {"state": jobs_state(), "required": False},
    }
    if any(c["state"] == DOWN and c["required"] for c in checks.values()):
        status, code = "down", 503
    elif any(c["state"] == DOWN for c in checks.values()):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return {"status": status, "checks": checks}, code
