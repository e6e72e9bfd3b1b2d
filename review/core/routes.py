"""Browsing the audit log (administrators and supervisors)."""
from datetime import datetime, time, timedelta, timezone

from flask import Blueprint, current_app, request, render_template
from flask_babel import get_timezone
from sqlalchemy import false, or_, select

from flask_login import current_user

from ..core.access import AUDIT_READERS, Role, roles
from ..extensions import db
from ..ids import page_number
from .audit import AuditEntry
from .audit_display import ACTIONS, describe

bp = Blueprint("core", __name__)


def _day_bound(raw: str | None, *, end: bool) -> datetime | None:
    """A local calendar day from the filter form, as a naive UTC bound."""
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        return None
    local = datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=get_timezone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)


@bp.get("/audit")
@roles(*AUDIT_READERS)
def audit_log():
    args = request.args
    stmt = select(AuditEntry)
    if current_user.role is not Role.ADMIN:
        # Supervisors read their subtree only; institution-wide entries (no unit) are the administrators'.
        scope = current_user.scope_unit
        stmt = stmt.where(AuditEntry.unit_path.startswith(scope.path, autoescape=True) if scope else false())
    filters = {k: (args.get(k) or "").strip() for k in ("actor", "action", "object_type", "object_id", "q",
                                                          "since", "until")}
    if filters["actor"]:
        stmt = stmt.where(AuditEntry.actor.icontains(filters["actor"], autoescape=True))
    if filters["action"]:
        stmt = stmt.where(AuditEntry.action.startswith(filters["action"], autoescape=True))
    if filters["object_type"]:
        stmt = stmt.where(AuditEntry.object_type == filters["object_type"])
    if filters["object_id"]:
        stmt = stmt.where(AuditEntry.object_id == filters["object_id"])
    if filters["q"]:
        q = filters["q"]
        stmt = stmt.where(or_(AuditEntry.object_label.icontains(q, autoescape=True),
                              AuditEntry.summary.icontains(q, autoescape=True)))
    since = _day_bound(filters["since"], end=False)
    until = _day_bound(filters["until"], end=True)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    page = db.paginate(stmt.order_by(AuditEntry.id.desc()), page=page_number(), per_page=current_app.config["PAGE_SIZE"])
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    return render_template("core/audit_log.html", page=page, rows=describe(page.items), filters=filters,
                           actions=[(a, str(ACTIONS.get(a, a))) for a in actions])
