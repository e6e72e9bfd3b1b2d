"""API keys: created shown once, stored as a digest, listed and revoked by administrators and by
the performance office within its scope, from the pages and from the command line."""
from __future__ import annotations

import re

from sqlalchemy import select

from review.api import keys
from review.api.models import ApiKey
from review.core.access import Role
from review.core.audit import AuditEntry
from review.extensions import db

from ..factories import small_institution
from .conftest import count

KEY = re.compile(r"rvk_[0-9a-f]{10}\.[A-Za-z0-9_-]{43}")


def test_a_key_is_shown_once_and_authenticates_until_revoked(make):
    unit = make.unit("市院")
    issued = keys.create_key(unit, "统一业务应用系统")
    make.commit()
    assert KEY.fullmatch(issued.secret) and issued.secret.startswith(issued.key.prefix + ".")
    identity = keys.authenticate(f"Bearer {issued.secret}")
    assert identity.id == issued.key.id and identity.unit_path == unit.path
    assert identity.actor == f"api:{issued.key.prefix}"
    other = keys.create_key(unit, "另一系统")
    assert other.key.prefix != issued.key.prefix and other.secret != issued.secret
    assert keys.revoke_key(issued.key) is True and keys.revoke_key(issued.key) is False
    make.commit()
    assert keys.authenticate(f"Bearer {issued.secret}") is None
    assert keys.authenticate(f"Bearer {other.secret}") is not None
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "api_keys")
                                 .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["api_keys.create", "api_keys.create", "api_keys.update"]
    assert "digest" not in entries[0].after and entries[0].after["prefix"] == issued.key.prefix
    assert issued.secret not in str(entries[0].after)
    assert set(entries[2].after) == {"revoked_at"}


def test_a_key_needs_a_name(make):
    import pytest

    from review.core.errors import DomainError
    unit = make.unit()
    with pytest.raises(DomainError):
        keys.create_key(unit, "  ")


def _office(make, o, scope):
    return make.user(Role.OFFICE, person=make.person(department=o["d3"], category="admin"), scope=scope)


def test_the_office_manages_the_keys_of_its_scope_only(client, auth, make):
    o = small_institution(make)
    county_key = keys.create_key(o["county"], "县院系统").key
    city_key = keys.create_key(o["city"], "市院系统").key
    office = _office(make, o, o["county"])
    admin = make.user(Role.ADMIN, login="root")
    make.commit()
    auth.as_user(office)
    page = client.get("/api-keys/").get_data(as_text=True)
    assert "县院系统" in page and county_key.prefix in page and "市院系统" not in page
    # Creating: only units of the scope are offered, and the key is shown once.
    form = client.get("/api-keys/new").get_data(as_text=True)
    assert "县院" in form and f'value="{o["city"].id}"' not in form
    resp = client.post("/api-keys/new", data={"name": "案管系统", "unit_id": str(o["city"].id)})
    assert resp.status_code == 200 and count(ApiKey) == 2  # refused: not a choice
    resp = client.post("/api-keys/new", data={"name": "案管系统", "unit_id": str(o["county"].id)})
    shown = KEY.search(resp.get_data(as_text=True)).group(0)
    created = db.session.scalar(select(ApiKey).where(ApiKey.name == "案管系统"))
    assert created.unit_id == o["county"].id and created.created_by_id == office.id
    assert keys.authenticate(f"Bearer {shown}").id == created.id
    assert shown not in client.get("/api-keys/").get_data(as_text=True)
    # Revoking: a confirmation first, then the POST; never a key outside the scope.
    assert client.get(f"/api-keys/{city_key.id}/revoke").status_code == 403
    assert client.post(f"/api-keys/{city_key.id}/revoke").status_code == 403
    confirm = client.get(f"/api-keys/{created.id}/revoke")
    assert confirm.status_code == 200 and created.prefix in confirm.get_data(as_text=True)
    assert created.revoked_at is None
    resp = client.post(f"/api-keys/{created.id}/revoke")
    assert resp.status_code == 302
    db.session.refresh(created)
    assert created.revoked_at is not None and keys.authenticate(f"Bearer {shown}") is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_keys.update"))
    assert entry.actor == office.login and entry.unit_path == o["county"].path
    auth.logout()
    auth.as_user(admin)
    page = client.get("/api-keys/").get_data(as_text=True)
    assert "县院系统" in page and "市院系统" in page
    assert client.post(f"/api-keys/{city_key.id}/revoke").status_code == 302


def test_an_office_without_scope_is_refused(client, auth, make):
    office = make.user(Role.OFFICE, scope=make.unit())
    office.scope_unit = None
    make.commit()
    auth.as_user(office)
    assert client.get("/api-keys/").status_code == 403


def test_cli_creates_lists_and_revokes(runner, make):
    unit = make.unit("市院", code="C320900")
    make.commit()
    result = runner.invoke(args=["api-keys", "create", "--unit", "C320900", "--name", "统一业务应用系统"])
    assert result.exit_code == 0, result.output
    secret = KEY.search(result.stdout).group(0)
    key = db.session.scalar(select(ApiKey))
    assert key.unit_id == unit.id and keys.authenticate(f"Bearer {secret}").id == key.id
    listed = runner.invoke(args=["api-keys", "list"]).output
    assert key.prefix in listed and "active" in listed and secret not in listed
    assert runner.invoke(args=["api-keys", "create", "--unit", "NOPE", "--name", "x"]).exit_code != 0
    result = runner.invoke(args=["api-keys", "revoke", key.prefix + "…"])
    assert result.exit_code == 0 and "revoked" in result.output
    db.session.refresh(key)
    assert key.revoked_at is not None and keys.authenticate(f"Bearer {secret}") is None
    assert "already" in runner.invoke(args=["api-keys", "revoke", key.prefix]).output
    assert runner.invoke(args=["api-keys", "revoke", "rvk_0000000000"]).exit_code != 0
    actors = set(db.session.scalars(select(AuditEntry.actor).where(AuditEntry.object_type == "api_keys")))
    assert len(actors) == 1 and actors.pop().startswith("cli:")
