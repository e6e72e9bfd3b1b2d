"""Time helpers. The database keeps naive UTC; display converts to the configured time zone."""
from datetime import date, datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_today() -> date:
    """Today where the institution is (REVIEW_TIMEZONE): validity windows are in local days."""
    from zoneinfo import ZoneInfo

    from flask import current_app
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return datetime.now(zone).date()
