"""API keys: created for a unit subtree, shown once, stored as a keyed digest, revocable.

A key reads ``rvk_<10 hex>.<43 url-safe characters>``. The part before the dot is its
*prefix*: stored in clear, unique, shown in lists and in the audit log (``api:rvk_…``) so
that people can tell keys apart. The part after the dot is 256 random bits. The database
keeps only HMAC-SHA256 of the whole key under a key derived from SECRET_KEY (as the
one-time tokens do, :mod:`review.core.tokens`): a copy of the database alone gives no
usable key, and changing SECRET_KEY invalidates every API key.

A request is authenticated by looking the prefix up and comparing digests in constant
time; ``last_used_at`` is written at most once a minute per key, so that a busy client
does not turn every read into a write.
"""
from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError

from ..core import tokens
from ..core.errors import DomainError
from ..core.timeutil import utcnow
from ..extensions import db
from ..org.models import Unit
from .models import ApiKey

PREFIX_TAG = "rvk_"
PREFIX_HEX = 10          # 40 bits: only to tell keys apart, never to authenticate
SECRET_BYTES = 32        # 256 bits
KEY_RE = re.compile(r"(rvk_[0-9a-f]{10})\.([A-Za-z0-9_-]{43})")
TOUCH_EVERY = timedelta(minutes=1)
_PURPOSE = b"api keys v1"


@dataclass(frozen=True)
class KeyIdentity:
    """The authenticated key of a request (kept in ``flask.g.api_key``): plain values, no ORM
    object, so that the audit log can name it at any moment, even inside a flush."""
    id: int
    prefix: str
    name: str
    unit_id: int
    unit_path: str

    @property
    def actor(self) -> str:
        return f"api:{self.prefix}"


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # the whole key: shown once, stored nowhere


def _digest(full_key: str) -> str:
    return tokens.digest(full_key, key=tokens.token_key(current_app.config["SECRET_KEY"], _PURPOSE)).hex()


def create_key(unit: Unit, name: str, *, created_by_id: int | None = None) -> IssuedKey:
    """A new key for ``unit``'s subtree. The secret in the result is the only copy there will be."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the key a name (the system that will use it)."))
    if len(name) > 100:
        raise DomainError(_("The name may have at most %(n)d characters.", n=100))
    while True:
        prefix = PREFIX_TAG + secrets.token_hex(PREFIX_HEX // 2)
        if db.session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is None:
            break
    full = f"{prefix}.{secrets.token_urlsafe(SECRET_BYTES)}"
    key = ApiKey(name=name, unit=unit, unit_id=unit.id, prefix=prefix, digest=_digest(full),
                 created_by_id=created_by_id, created_at=utcnow())
    db.session.add(key)
    db.session.flush()  # audited as api_keys.create (without the digest)
    return IssuedKey(key, full)


def revoke_key(key: ApiKey) -> bool:
    """Revoke ``key`` at once (audited as api_keys.update). False when it already was."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    db.session.flush()
    return True


def find_by_prefix(prefix: str) -> ApiKey | None:
    return db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix.strip()))


def parse_authorization(header: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, or None."""
    if not header:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value if KEY_RE.fullmatch(value) else None


def authenticate(header: str | None) -> KeyIdentity | None:
    """The key an Authorization header carries, when it exists, matches and is not revoked."""
    full = parse_authorization(header)
    if full is None:
        return None
    prefix = KEY_RE.fullmatch(full).group(1)
    row = db.session.execute(
        select(ApiKey.id, ApiKey.prefix, ApiKey.name, ApiKey.unit_id, ApiKey.digest, ApiKey.revoked_at,
               ApiKey.last_used_at, Unit.path)
        .join(Unit, Unit.id == ApiKey.unit_id).where(ApiKey.prefix == prefix)).first()
    # Digest compared even for an unknown prefix, so that timing does not tell the two apart.
    expected = row.digest if row is not None else "0" * 64
    if not hmac.compare_digest(_digest(full), expected) or row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        _touch(row.id, now)
    return KeyIdentity(row.id, row.prefix, row.name, row.unit_id, row.path)


def _touch(key_id: int, now) -> None:
    """Record the use (at most once a minute). Committed at once: the request has only read the
    key so far; a failure here (SQLite busy) costs the timestamp, never the request."""
    try:
        db.session.execute(update(ApiKey).where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - TOUCH_EVERY))
            .values(last_used_at=now).execution_options(synchronize_session=False))
        db.session.commit()
    except OperationalError:  # pragma: no cover - only under write contention on SQLite
        db.session.rollback()


def keys_in_scope(scope: Unit | None) -> list[ApiKey]:
    """Keys of units inside ``scope`` (every key for None), newest first."""
    stmt = select(ApiKey).join(Unit, Unit.id == ApiKey.unit_id).order_by(ApiKey.revoked_at.is_not(None),
                                                                          ApiKey.created_at.desc(), ApiKey.id.desc())
    if scope is not None:
        stmt = stmt.where(Unit.path.startswith(scope.path, autoescape=True))
    return list(db.session.scalars(stmt))
