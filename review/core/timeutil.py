"""Time helpers. The database keeps naive UTC; display converts to the configured time zone."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
