"""Plans in the browser: list, import a YAML file, view a version's tree, export."""
from __future__ import annotations

import io

import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SubmitField

from ..core import safe_json, upload
from ..core.access import Role, roles
from ..extensions import db
from .models import PlanVersion, StoredPlan
from .operations import save_plan
from .scales import SHIPPED
from .yaml_io import PlanInvalid, dump_plan, load_plan, parse_plan, plan_to_dict

bp = Blueprint("plans", __name__, url_prefix="/plans")

READERS = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
GROUP_LABELS = {"self": _l("Self"), "peer": _l("Peers"), "leader": _l("Leaders"), "democratic": _l("Democratic evaluation"),
                "middle": _l("Middle managers"), "outside": _l("Outside bodies")}
KPI_LABELS = {"linear": _l("linear between bounds"), "ratio": _l("ratio to a target"),
              "lower_better": _l("lower is better"), "relative": _l("relative to the group average"),
              "rank": _l("by rank")}
EDITORS = (Role.ADMIN, Role.OFFICE)


class PlanUploadForm(FlaskForm):
    file = FileField(_l("Plan file (.yaml)"), validators=[FileRequired(_l("Choose a file."))])
    submit = SubmitField(_l("Check and import"))


def _index(form: PlanUploadForm, problems: list[str] | None = None):
    plans = db.session.scalars(select(StoredPlan).order_by(StoredPlan.name)).all()
    return render_template("plans/index.html", plans=plans, form=form, problems=problems)


@bp.get("/")
@roles(*READERS)
def index():
    return _index(PlanUploadForm())


@bp.post("/import")
@roles(*EDITORS)
def import_plan():
    form = PlanUploadForm()
    if not form.validate_on_submit():
        return _index(form), 422
    try:
        # Refused from its size before it is read: a plan is a few KB, the request may be 16 MB.
        plan = load_plan(upload.read_upload(form.file.data, upload.DOCUMENT_MAX_BYTES).decode("utf-8-sig"))
    except upload.UploadTooLarge as exc:
        return _index(form, [exc.message]), 413
    except UnicodeDecodeError:
        return _index(form, [_("The file is not UTF-8 text.")]), 422
    except PlanInvalid as exc:
        # Nothing is saved; every problem is named by the node's path.
        return _index(form, exc.problems), 422
    version = save_plan(plan)
    db.session.commit()
    flash(_("%(name)s saved as version %(n)d.", name=plan.name, n=version.version), "success")
    return redirect(url_for("plans.view", version_id=version.id))


@bp.get("/versions/<int:version_id>")
@roles(*READERS)
def view(version_id: int):
    version = db.session.get(PlanVersion, version_id) or abort(404)
    plan = version.spec()
    return render_template("plans/view.html", version=version, plan=plan, scales={**SHIPPED, **plan.scales},
                           group_labels=GROUP_LABELS, kpi_labels=KPI_LABELS)


@bp.get("/versions/<int:version_id>/export.yaml")
@roles(*READERS)
def export(version_id: int):
    version = db.session.get(PlanVersion, version_id) or abort(404)
    data = dump_plan(version.spec()).encode("utf-8")
    return send_file(io.BytesIO(data), mimetype="application/yaml", as_attachment=True,
                     download_name=f"plan-{version.plan_id}-v{version.version}.yaml")


EDITOR_TEXT = {
    "name": _l("Name"), "code": _l("Code"), "weight": _l("Weight %"), "points": _l("Points"),
    "source": _l("Source"), "scale": _l("Scale code"), "groups": _l("Groups, e.g. leader:40, peer:30, democratic:30"),
    "questionnaire": _l("Questionnaire"), "measure": _l("Measure"), "method": _l("Method"),
    "per_occurrence": _l("Per occurrence"), "cap": _l("Cap"), "up": _l("Move up"), "down": _l("Move down"),
    "indent": _l("Move under the indicator above"), "outdent": _l("Move out to the parent's level"),
    "add_child": _l("Add a sub-indicator"), "add_sibling": _l("Add an indicator below"), "remove": _l("Remove"),
    "confirm_remove": _l("Remove this dimension and everything under it?"), "new_indicator": _l("New indicator"),
    "plan_name": _l("Plan name"), "mode": _l("Mode"), "add_dimension": _l("Add a dimension"),
    "valid": _l("The plan is valid."), "invalid": _l("To correct before saving:"),
    "modes": {"weights": _l("weights (percent of the parent)"), "points": _l("points (children add up to the parent)")},
    "sources": {"manual": _l("Entered by hand"), "ballot": _l("Ballots"), "survey": _l("Public survey"),
                "kpi": _l("Quantitative"), "bonus": _l("Bonus"), "deduction": _l("Deduction")},
    "methods": KPI_LABELS,
}


def _editor_text() -> dict:
    return json.loads(json.dumps(EDITOR_TEXT, default=str, ensure_ascii=False))


def _summary(plan) -> str:
    return _("%(n)d indicators, total %(total)s.", n=len(plan.leaves()), total=f"{plan.total:g}")


@bp.get("/versions/<int:version_id>/edit")
@roles(*EDITORS)
def edit(version_id: int):
    version = db.session.get(PlanVersion, version_id) or abort(404)
    plan = version.spec()
    return render_template("plans/edit.html", version=version, document=plan_to_dict(plan), yaml_text=dump_plan(plan),
                           problems=None, text=_editor_text())


@bp.post("/validate")
@roles(*EDITORS)
def validate():
    """Live validation for the tree editor: the same reader as for files."""
    try:
        data = safe_json.request_json(request)
    except safe_json.JsonProblem as exc:
        return jsonify(problems=[exc.message], summary=""), 400
    try:
        plan = parse_plan(data)
    except PlanInvalid as exc:
        return jsonify(problems=exc.problems, summary="")
    return jsonify(problems=[], summary=_summary(plan))


@bp.post("/versions/<int:version_id>/save")
@roles(*EDITORS)
def save(version_id: int):
    version = db.session.get(PlanVersion, version_id) or abort(404)
    raw_document = request.form.get("document") or ""
    yaml_text = request.form.get("yaml") or ""
    use_yaml = request.form.get("use_yaml") == "1" or not raw_document
    document = None
    try:
        if use_yaml:
            plan = load_plan(yaml_text)
        else:
            document = safe_json.loads(raw_document)
            plan = parse_plan(document)
    except (PlanInvalid, safe_json.JsonProblem) as exc:
        problems = exc.problems if isinstance(exc, PlanInvalid) else [exc.message]
        return render_template("plans/edit.html", version=version,
                               document=document if document is not None else plan_to_dict(version.spec()),
                               yaml_text=yaml_text or dump_plan(version.spec()), problems=problems,
                               text=_editor_text()), 422
    saved = save_plan(plan)
    db.session.commit()
    flash(_("%(name)s saved as version %(n)d.", name=plan.name, n=saved.version), "success")
    return redirect(url_for("plans.view", version_id=saved.id))
