"""Audit entries as a reader sees them: named actions and fields, and ids
resolved to the names of units, departments and accounts (in a few queries
per page, not one per row)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from .audit import AuditEntry

ACTIONS = {
    "auth.login": _l("Logged in"),
    "auth.login_failed": _l("Failed login"),
    "auth.logout": _l("Logged out"),
    "auth.password_changed": _l("Password changed"),
    "auth.password_reset": _l("Password reset by an administrator"),
    "roster.import": _l("Roster imported"),
    "outside.save": _l("Outside body's ratings entered"),
    "surveys.hide_text": _l("Survey answer hidden"),
    "surveys.show_text": _l("Survey answer shown again"),
    "questionnaires.new_version": _l("New questionnaire version"),
    "outside.remove": _l("Outside body's ratings removed"),
    "ballots.assignments_generated": _l("Rater assignments generated"),
    "ballot_assignments.create": _l("Rater assignment added"),
    "ballot_assignments.delete": _l("Rater assignment removed"),
    "campaigns.create": _l("Campaign created"),
    "campaigns.update": _l("Campaign changed"),
    "campaigns.open": _l("Campaign opened"),
    "campaigns.close": _l("Campaign closed"),
    "campaigns.reopen": _l("Campaign reopened"),
    "campaigns.publish": _l("Campaign published for comment"),
    "campaigns.finalize": _l("Campaign made final"),
    "campaigns.rescore": _l("Results recomputed at once"),
    "archive.issue": _l("Appraisal file issued"),
    "archive.download": _l("Appraisal file downloaded"),
    "archive.download_zip": _l("Appraisal files downloaded as a zip"),
    "archive.build": _l("Build of appraisal files started"),
    "archive.build_abandoned": _l("Build of appraisal files marked as failed"),
    "manual_entries.create": _l("Score entered"),
    "manual_entries.update": _l("Score changed"),
    "veto_entries.create": _l("Veto applied"),
    "veto_entries.delete": _l("Veto withdrawn"),
    "plans.create": _l("Plan added"),
    "plan_versions.create": _l("Plan version added"),
    "plan_versions.update": _l("Plan version changed"),
    "plans.new_version": _l("New plan version"),
    "people.create": _l("Person added"),
    "people.update": _l("Person changed"),
    "people.delete": _l("Person deleted"),
    "units.create": _l("Unit added"),
    "units.update": _l("Unit changed"),
    "departments.create": _l("Department added"),
    "departments.update": _l("Department changed"),
    "users.create": _l("Account created"),
    "users.update": _l("Account changed"),
    "categories.create": _l("Category added"),
    "categories.update": _l("Category renamed"),
    "leader_role_labels.create": _l("Role name added"),
    "leader_role_labels.update": _l("Role renamed"),
    "kpi.import": _l("KPI values imported"),
    "kpi_entries.create": _l("KPI value entered for review"),
    "kpi_entries.update": _l("KPI entry reviewed"),
    "claims.submit": _l("Claim submitted"),
    "claims.endorse": _l("Claim endorsed by the department"),
    "claims.approve": _l("Claim approved"),
    "claims.reject": _l("Claim rejected"),
    "claims.withdraw": _l("Claim withdrawn"),
    "claims.deduction": _l("Deduction recorded"),
    "claims.deduction_withdrawn": _l("Deduction withdrawn"),
    "claims.create": _l("Claim created"),
    "claims.update": _l("Claim changed"),
    "evidence_files.create": _l("Evidence file added"),
    "evidence_files.delete": _l("Evidence file removed"),
    "registers.add": _l("Register entry added"),
    "registers.remove": _l("Register entry removed"),
    "registers.keepers": _l("Register keepers set"),
    "register_entries.create": _l("Register entry added"),
    "register_entries.delete": _l("Register entry removed"),
    "register_keepers.create": _l("Register keeper chosen"),
    "register_keepers.update": _l("Register keeper changed"),
    "register_keepers.delete": _l("Register keeper removed"),
    "appeals.submit": _l("Appeal submitted"),
    "appeals.withdraw": _l("Appeal withdrawn"),
    "appeals.accept": _l("Appeal accepted"),
    "appeals.reject": _l("Appeal rejected"),
    "appeals.create": _l("Appeal created"),
    "appeals.update": _l("Appeal changed"),
    "adjustments.create": _l("Score adjusted on review"),
    "adjustments.update": _l("Adjustment changed"),
    "adjustments.withdraw": _l("Adjustment withdrawn"),
    "result_versions.create": _l("Results version saved"),
    "results.correction": _l("Final results corrected (new version)"),
    "api_keys.create": _l("API key created"),
    "api_keys.update": _l("API key changed (revoked)"),
}

FIELDS = {
    "staff_no": _l("Staff number"), "name": _l("Name"), "gender": _l("Gender"), "position": _l("Position / title"),
    "category_code": _l("Category"), "unit_id": _l("Unit"), "department_id": _l("Department"),
    "leader_role": _l("Leader role"), "supervised": _l("Supervised departments"), "hired_on": _l("Start date"),
    "left_on": _l("Leaving date"), "active": _l("Active"), "login": _l("Login"), "role": _l("Role"),
    "scope_unit_id": _l("Unit scope"), "person_id": _l("Person"), "password_hash": _l("Password"),
    "must_change_password": _l("Must change password"), "locale": _l("Language"), "code": _l("Code"),
    "level": _l("Level"), "parent_id": _l("Parent unit"), "label_zh": _l("Chinese label"),
    "label_en": _l("English label"), "created": _l("Created"), "updated": _l("Updated"),
    "unchanged": _l("Unchanged"), "rows": _l("Rows"), "sha256": _l("File fingerprint (SHA-256)"),
    "new_departments": _l("New departments"), "department": _l("Department"),
    "measure": _l("Measure"), "value": _l("Value"), "reason": _l("Reason"), "state": _l("Status"),
    "review_note": _l("Review note"), "reviewed_by_id": _l("Reviewed by"), "entered_by_id": _l("Entered by"),
    "new": _l("New"), "changed": _l("Changed"), "filename": _l("File"), "origin": _l("How"),
    "client_batch_id": _l("Batch id"), "measures": _l("Measures"),
}
# Bookkeeping columns that say nothing to a reader.
HIDDEN = {"id", "path", "sort_order", "session_token", "created_at"}


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class Row:
    entry: AuditEntry
    action: str
    changes: list[Change] = field(default_factory=list)


def _names(model_table: str, ids: set) -> dict[str, str]:
    from ..auth.models import User
    from ..org.models import Department, Person, Unit
    model = {"units": Unit, "departments": Department, "people": Person, "users": User}[model_table]
    numeric = [int(i) for i in ids if str(i).isdigit()]
    if not numeric:
        return {}
    label = {"units": Unit.name, "departments": Department.name, "people": Person.name, "users": User.login}
    rows = db.session.execute(select(model.id, label[model_table]).where(model.id.in_(numeric)))
    return {str(i): n for i, n in rows}


REFERENCES = {"unit_id": "units", "parent_id": "units", "scope_unit_id": "units", "department_id": "departments",
              "supervised": "departments", "person_id": "people", "entered_by_id": "users",
              "reviewed_by_id": "users"}


def _format(key: str, value: Any, names: dict[str, dict[str, str]]) -> str:
    from ..core.access import Role
    from ..org.models import Gender, LeaderRole, UnitLevel
    from ..org.terminology import all_categories
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in REFERENCES:
        table = names[REFERENCES[key]]
        # Ids resolve to names; the roster import records names already.
        if isinstance(value, list):
            return "、".join(table.get(str(v), f"#{v}" if str(v).isdigit() else str(v)) for v in value) or "—"
        return table.get(str(value), f"#{value}" if str(value).isdigit() else str(value))
    try:
        if key == "leader_role":
            return LeaderRole(value).label
        if key == "gender":
            return Gender(value).label
        if key == "role":
            return Role(value).label
        if key == "level":
            return UnitLevel(value).label
    except ValueError:
        pass
    if key == "category_code":
        if "categories" not in names:
            names["categories"] = {c.code: c.label for c in all_categories()}
        return names["categories"].get(value, value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def describe(entries: Iterable[AuditEntry]) -> list[Row]:
    entries = list(entries)
    wanted: dict[str, set] = {t: set() for t in ("units", "departments", "people")}
    for e in entries:
        for values in (e.before or {}, e.after or {}):
            for key, table in REFERENCES.items():
                v = values.get(key)
                if isinstance(v, list):
                    wanted[table].update(v)
                elif v is not None:
                    wanted[table].add(v)
    names = {t: _names(t, ids) for t, ids in wanted.items()}
    rows = []
    for e in entries:
        before, after = e.before or {}, e.after or {}
        keys = [k for k in dict.fromkeys([*before, *after]) if k not in HIDDEN]
        changes = [Change(str(FIELDS.get(k, k)),
                          _format(k, before.get(k), names) if k in before else "",
                          _format(k, after.get(k), names) if k in after else "") for k in keys]
        rows.append(Row(e, str(ACTIONS.get(e.action, e.action)), changes))
    return rows
