"""The JSON API under /api/v1: campaigns visible to a key, KPI batches in, results out.

Authentication is by API key only (``Authorization: Bearer <key>``), never by a session, so
the blueprint is exempt from CSRF and its views are ``@public`` for the session-based access
rules: :func:`keyed` checks the key itself. A key sees the campaigns whose unit lies inside
its unit's subtree or above its unit (a city-wide campaign for a county's key), and within
them only the people of its subtree. Described by :mod:`review.api.openapi`
(``/api/v1/openapi.json``) and docs/api.md.
"""
from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ..campaigns.models import Campaign, CampaignState, CampaignSubject, Result
from ..core import safe_json
from ..core.access import public
from ..core.audit import AuditEntry
from ..extensions import csrf, db, limiter
from ..ids import whole_number
from ..i18n import scoring_lang
from ..kpi.importer import ImportConflict, import_json
from ..kpi.models import KpiBatch
from ..org.models import Department, Person, Unit
from ..scoring import stored
from . import keys, limits
from .errors import problem

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookie authenticates here: a forged cross-site request carries no key

RESULT_STATES = (CampaignState.CLOSED, CampaignState.PUBLISHED, CampaignState.FINAL)
BATCH_ID_RE = re.compile(limits.BATCH_ID_PATTERN)
BATCH_FIELDS = {"batch_id", "records", "dry_run"}


# --- authentication, limits, language ---------------------------------------------------

def _rate_key() -> str:
    key = g.get("api_key")
    return f"api-key:{key.id}" if key is not None else f"api-addr:{request.remote_addr}"


def _locale() -> str:
    """Chinese, as the site, unless the client asks for English (a program chooses, not a browser)."""
    if request.accept_languages.best_match(["en", "zh"]) == "en":
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def keyed(view):
    """An API view: the request must carry a valid, unrevoked key (else 401), which is then in
    ``g.api_key`` for the view, the rate limit (per key) and the audit log (``api:<prefix>``)."""
    limited = limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_rate_key)(view)

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.pop("api_key", None)
        with force_locale(_locale()):
            identity = keys.authenticate(request.headers.get("Authorization"))
            if identity is None:
                return problem(401)
            g.api_key = identity
            return limited(*args, **kwargs)

    return public(wrapper)


@bp.after_request
def _no_store(response):
    # Results name people: no cache on the way may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.teardown_request
def _forget_key(_exc):
    g.pop("api_key", None)


# --- what a key may see -----------------------------------------------------------------

def _ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _visible_campaigns():
    key = g.api_key
    return (select(Campaign).join(Unit, Unit.id == Campaign.unit_id)
            .where(or_(Unit.path.startswith(key.unit_path, autoescape=True),
                       Campaign.unit_id.in_(_ancestor_ids(key.unit_path)))))


def _campaign(campaign_id: int) -> Campaign | None:
    return db.session.scalar(_visible_campaigns().where(Campaign.id == campaign_id))


def _not_found():
    return problem(404, "campaign_not_found", _("No campaign with this id is visible to this API key."))


# --- representations --------------------------------------------------------------------

def _unit(unit: Unit) -> dict:
    return {"code": unit.code, "name": unit.name}


def _campaign_summary(c: Campaign) -> dict:
    return {
        "id": c.id, "name": c.name, "unit": _unit(c.unit), "year": c.year,
        "period": {"kind": c.period_kind.value, "number": c.period_no},
        "state": c.state.value, "accepts_values": c.accepts_inputs, "results_available": c.state in RESULT_STATES,
        "publish_until": c.publish_until.isoformat() if c.publish_until else None,
    }


def _measure(m) -> dict:
    return {"code": m.code, "name": m.name, "name_en": m.name_en, "unit": m.unit, "min": m.min, "max": m.max,
            "integer": m.integer}


def _report_body(campaign: Campaign, batch_id: str, *, dry_run: bool, server_id: int | None, applied: bool,
                 replay: bool, counts: dict) -> dict:
    return {"batch_id": batch_id, "batch": server_id, "campaign": campaign.id, "dry_run": dry_run,
            "applied": applied, "replay": replay,
            **{k: int(counts.get(k) or 0) for k in ("rows", "values", "new", "changed", "unchanged")}}


def _replay_body(campaign: Campaign, batch: KpiBatch, *, dry_run: bool) -> dict:
    """The answer first given for an applied batch, from its audit entry (same transaction, same counts)."""
    after = db.session.scalar(select(AuditEntry.after).where(
        AuditEntry.action == "kpi.import", AuditEntry.object_type == "kpi_batches",
        AuditEntry.object_id == str(batch.id)).order_by(AuditEntry.id).limit(1)) or {}
    counts = {"rows": after.get("rows", batch.rows), "new": after.get("new", 0),
              "changed": after.get("changed", 0), "unchanged": after.get("unchanged", 0)}
    counts["values"] = counts["new"] + counts["changed"] + counts["unchanged"]
    return _report_body(campaign, batch.client_batch_id, dry_run=dry_run, server_id=batch.id, applied=True,
                        replay=True, counts=counts)


# --- endpoints --------------------------------------------------------------------------

@bp.get("/campaigns")
@keyed
def campaigns():
    rows = db.session.scalars(_visible_campaigns().order_by(Campaign.year.desc(), Campaign.id.desc())).all()
    return jsonify({"campaigns": [_campaign_summary(c) for c in rows]})


@bp.get("/campaigns/<int:campaign_id>")
@keyed
def campaign(campaign_id: int):
    c = _campaign(campaign_id)
    if c is None:
        return _not_found()
    plan = c.plan_version
    people = db.session.scalar(
        select(func.count()).select_from(CampaignSubject)
        .join(Person, Person.id == CampaignSubject.person_id).join(Unit, Unit.id == Person.unit_id)
        .where(CampaignSubject.campaign_id == c.id, Unit.path.startswith(g.api_key.unit_path, autoescape=True)))
    return jsonify({**_campaign_summary(c),
                    "plan": {"name": plan.plan.name, "version": plan.version},
                    "people_in_scope": people or 0,
                    "measures": [_measure(m) for m in plan.spec().kpi_measures()]})


def _nul_errors(records: list) -> list[dict]:
    """Text with a NUL character cannot be stored or looked up (PostgreSQL refuses it outright)."""
    errors = []
    for row, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            continue
        values = rec.get("values") if isinstance(rec.get("values"), dict) else {}
        texts = [("staff_no", rec.get("staff_no"))] + [(str(k), k) for k in values] + list(values.items())
        for column, text in texts:
            if isinstance(text, str) and "\x00" in text:
                errors.append({"row": row, "column": column.replace("\x00", ""),
                               "message": _("Text may not contain the NUL character.")})
                break
    return errors


def _batch_request() -> tuple[dict | None, object]:
    """The body of a batch push, or (None, the error response)."""
    if not request.is_json:
        return None, problem(415)
    try:
        body = safe_json.request_json(request)
    except safe_json.JsonProblem as e:
        return None, problem(400, "invalid_json", e.message)
    if not isinstance(body, dict):
        return None, problem(400, "invalid_json", _("The body must be a JSON object."))
    errors = []
    for name in sorted(set(body) - BATCH_FIELDS):
        errors.append({"row": None, "column": name, "message": _("Unknown field.")})
    batch_id = body.get("batch_id")
    if not isinstance(batch_id, str) or not BATCH_ID_RE.fullmatch(batch_id):
        errors.append({"row": None, "column": "batch_id", "message": _(
            "batch_id is required: 1 to 100 letters, digits and . _ : - (starting with a letter or digit), "
            "chosen by the client and kept for a retry.")})
    records = body.get("records")
    if not isinstance(records, list):
        errors.append({"row": None, "column": "records", "message": _("records must be a list.")})
    elif not limits.MIN_RECORDS <= len(records) <= limits.MAX_RECORDS:
        errors.append({"row": None, "column": "records", "message": _(
            "records must hold from %(least)d to %(most)d records; this one holds %(n)d.",
            least=limits.MIN_RECORDS, most=limits.MAX_RECORDS, n=len(records))})
    else:
        errors += _nul_errors(records)
    if not isinstance(body.get("dry_run", False), bool):
        errors.append({"row": None, "column": "dry_run", "message": _("dry_run must be true or false.")})
    if errors:
        return None, problem(422, "invalid_request", _("The request has problems: nothing was written."),
                             errors=errors)
    return body, None


@bp.post("/campaigns/<int:campaign_id>/kpi-batches")
@keyed
def push_batch(campaign_id: int):
    """Check a batch of KPI values in full and write all of it, or nothing."""
    body, error = _batch_request()
    if error is not None:
        return error
    batch_id, records, dry_run = body["batch_id"], body["records"], body.get("dry_run", False)
    key = g.api_key
    for attempt in range(2):
        c = _campaign(campaign_id)
        if c is None:
            return _not_found()
        scope = db.session.get(Unit, key.unit_id)
        try:
            report = import_json(c, records, client_batch_id=batch_id, scope=scope, api_key_id=key.id,
                                 apply=not dry_run)
        except ImportConflict as e:
            db.session.rollback()
            return problem(409, "batch_conflict", str(e))
        except IntegrityError:
            # The same batch id sent twice at once (unique per campaign): the other request won,
            # and on a second look this one is its replay or a conflict.
            db.session.rollback()
            if attempt:
                raise
            continue
        break
    if not report.ok:
        db.session.rollback()
        earlier = db.session.scalar(select(KpiBatch).where(KpiBatch.campaign_id == c.id,
                                                           KpiBatch.client_batch_id == batch_id))
        if earlier is not None and earlier.sha256 == report.sha256 and earlier.api_key_id == key.id:
            # Applied before and refused now (say the campaign closed since): a retry must still
            # learn that its batch went in.
            return jsonify(_replay_body(c, earlier, dry_run=dry_run)), 200
        return problem(422, "invalid_records", _("%(n)d problems: nothing was written.", n=len(report.errors)),
                       errors=[{"row": e.row, "column": e.column, "message": e.message} for e in report.errors])
    if report.replay:
        db.session.rollback()
        earlier = db.session.get(KpiBatch, report.batch_id)
        return jsonify(_replay_body(c, earlier, dry_run=dry_run)), 200
    counts = {"rows": report.rows, "values": report.values, "new": report.new, "changed": report.changed,
              "unchanged": report.unchanged}
    if dry_run:
        db.session.rollback()
        codes = {m.name: m.code for m in c.plan_version.spec().kpi_measures()}
        body = _report_body(c, batch_id, dry_run=True, server_id=None, applied=False, replay=False, counts=counts)
        body["changes"] = [{"staff_no": ch.staff_no, "name": ch.name, "measure": codes.get(ch.measure, ch.measure),
                            "before": ch.before, "after": ch.after} for ch in report.changes]
        return jsonify(body), 200
    db.session.commit()
    return jsonify(_report_body(c, batch_id, dry_run=False, server_id=report.batch_id, applied=True, replay=False,
                                counts=counts)), 201


def _int_arg(name: str, default: int, lo: int, hi: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    return whole_number(raw, lo, hi)


@bp.get("/campaigns/<int:campaign_id>/results")
@keyed
def results(campaign_id: int):
    """Results of the people in the key's subtree, by staff number, a page at a time. Readable once
    the campaign is closed (scores settled by the office), then published and final."""
    c = _campaign(campaign_id)
    if c is None:
        return _not_found()
    if c.state not in RESULT_STATES:
        return problem(409, "results_not_available", _(
            "Results can be read once the campaign is closed; it is %(state)s.", state=c.state.label))
    plan = c.plan_version.spec()
    most = current_app.config["API_PAGE_MAX"]
    limit = _int_arg("limit", min(limits.DEFAULT_LIMIT, most), 1, most)
    offset = _int_arg("offset", 0, 0, limits.OFFSET_MAX)
    if limit is None or offset is None:
        return problem(400, "invalid_parameter", _(
            "limit must be a whole number from 1 to %(most)d and offset a whole number from 0 to %(last)d.",
            most=most, last=limits.OFFSET_MAX))
    base = (select(Result, Person, Unit, Department.name)
            .join(Person, Person.id == Result.person_id).join(Unit, Unit.id == Person.unit_id)
            .outerjoin(Department, Department.id == Person.department_id)
            .where(Result.campaign_id == c.id, Unit.path.startswith(g.api_key.unit_path, autoescape=True)))
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.execute(base.order_by(Person.staff_no).limit(limit).offset(offset)).all()
    items = []
    for result, person, unit, department in rows:
        detail = result.detail or {}
        lines = stored.lines(plan, detail, scoring_lang())
        items.append({
            "staff_no": person.staff_no, "name": person.name, "unit": _unit(unit), "department": department,
            "category": person.category_code, "total": result.total, "grade": result.grade,
            "rank_category": result.rank_category, "rank_unit": result.rank_unit,
            "computed_at": result.computed_at.isoformat() + "Z" if result.computed_at else None,
            "lines": [{"code": line.get("code"), "path": line.get("path") or [], "source": line.get("source"),
                       "max": line.get("max"), "points": line.get("points"), "weight": line.get("weight"),
                       "raw": line.get("raw"), "explanation": line.get("explanation"),
                       "notes": line.get("notes") or []} for line in lines],
            "subtotals": detail.get("subtotals") or {}, "vetoes": detail.get("vetoes") or [],
            "flags": detail.get("flags") or [],
        })
    following = offset + len(items)
    return jsonify({"campaign": c.id, "state": c.state.value, "final": c.state is CampaignState.FINAL,
                    "total": total, "limit": limit, "offset": offset,
                    "next_offset": following if following < total else None, "results": items})


@bp.get("/openapi.json")
@public
def openapi():
    from .openapi import document
    return jsonify(document(page_max=current_app.config["API_PAGE_MAX"]))
