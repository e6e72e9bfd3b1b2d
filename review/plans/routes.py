"""Plans in the browser: list, import a YAML file, view a version's tree, export."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SubmitField

from ..core.access import Role, roles
from ..extensions import db
from .models import PlanVersion, StoredPlan
from .operations import save_plan
from .scales import SHIPPED
from .yaml_io import PlanInvalid, dump_plan, load_plan

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
        plan = load_plan(form.file.data.read().decode("utf-8-sig"))
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
