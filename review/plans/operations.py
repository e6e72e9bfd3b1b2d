"""Writes to stored plans: import (new plan or new version) and edits."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..core import audit
from ..core.errors import DomainError
from ..extensions import db
from .models import PlanVersion, StoredPlan
from .spec import Plan
from .yaml_io import parse_plan, plan_to_dict


def find_plan(name: str) -> StoredPlan | None:
    return db.session.scalar(select(StoredPlan).where(StoredPlan.name == name))


def save_plan(plan: Plan) -> PlanVersion:
    """Store a validated plan under its name: a new plan, a new version when the latest
    is frozen (in use) or differs, or nothing new when the document is unchanged."""
    document = plan_to_dict(plan)
    document.pop("version", None)
    parse_plan(document)  # the stored document must read back as the same plan
    stored = find_plan(plan.name)
    if stored is None:
        stored = StoredPlan(name=plan.name)
        db.session.add(stored)
        version = PlanVersion(plan=stored, version=1, year=plan.year, document=document)
        db.session.add(version)
        db.session.flush()
        return version
    latest = stored.latest
    if latest.document == document:
        return latest
    if latest.frozen:
        version = PlanVersion(plan=stored, version=latest.version + 1, year=plan.year, document=document)
        db.session.add(version)
        db.session.flush()
        audit.record("plans.new_version", version, summary=_("Version %(n)d of %(name)s", n=version.version,
                                                             name=stored.name))
        return version
    latest.document = document
    latest.year = plan.year
    db.session.flush()
    return latest


def get_version(name: str, version: int | None = None) -> PlanVersion:
    stored = find_plan(name)
    if stored is None:
        raise DomainError(_("No plan is named %(name)s.", name=name))
    if version is None:
        return stored.latest
    found = next((v for v in stored.versions if v.version == version), None)
    if found is None:
        raise DomainError(_("%(name)s has no version %(n)d.", name=name, n=version))
    return found
