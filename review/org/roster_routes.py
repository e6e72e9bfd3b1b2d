"""Web pages for roster import (upload → preview → confirm) and export."""
from __future__ import annotations

import hashlib
import io
from datetime import date

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, send_file,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SubmitField

from ..core import upload
from ..core.access import DIRECTORY_EDITORS, DIRECTORY_READERS, Role, roles
from ..core.spreadsheet import XLSX
from ..extensions import db
from .queries import roster_export_query
from .roster import RosterImporter, export_workbook, template_workbook

bp = Blueprint("roster", __name__, url_prefix="/org/roster")


class UploadForm(FlaskForm):
    file = FileField(_l("Roster file (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])
    submit = SubmitField(_l("Check the file"))


class ConfirmImportForm(FlaskForm):
    token = HiddenField()
    submit = SubmitField(_l("Import now"))


def _importer() -> RosterImporter:
    scope = None if current_user.role is Role.ADMIN else current_user.scope_unit
    return RosterImporter(scope=scope, max_rows=current_app.config["ROSTER_MAX_ROWS"])


@bp.route("/import", methods=["GET", "POST"])
@roles(*DIRECTORY_EDITORS)
def import_form():
    form = UploadForm()
    if form.validate_on_submit():
        try:
            data = upload.read_upload(form.file.data, upload.sheet_limit())
        except upload.UploadTooLarge as exc:
            form.file.errors.append(exc.message)
            return render_template("org/roster_import.html", form=form, result=None), 413
        result = _importer().run(data, apply=False)
        db.session.rollback()
        if not result.ok:
            return render_template("org/roster_import.html", form=form, result=result), 422
        # Keep the checked file until it is confirmed; the preview shows what it will do.
        upload.discard_pending((session.get("roster_upload") or {}).get("token"))
        token = upload.keep_pending(data)
        session["roster_upload"] = {"token": token, "sha256": result.file_hash}
        return render_template("org/roster_import.html", form=None, result=result,
                               confirm=ConfirmImportForm(token=token))
    return render_template("org/roster_import.html", form=form, result=None)


@bp.post("/import/confirm")
@roles(*DIRECTORY_EDITORS)
def import_confirm():
    form = ConfirmImportForm()
    pending = session.get("roster_upload") or {}
    if not form.validate_on_submit() or not pending.get("token") or form.token.data != pending["token"]:
        flash(_("This import is no longer pending. Please upload the file again."), "error")
        return redirect(url_for("roster.import_form"))
    data = upload.load_pending(pending["token"])
    if data is None:
        flash(_("This import is no longer pending. Please upload the file again."), "error")
        return redirect(url_for("roster.import_form"))
    if hashlib.sha256(data).hexdigest() != pending["sha256"]:
        abort(400)
    result = _importer().run(data, apply=True)
    upload.discard_pending(pending["token"])
    session.pop("roster_upload", None)
    if not result.ok:
        # The directory changed since the preview: nothing is written, the report says why.
        db.session.rollback()
        return render_template("org/roster_import.html", form=UploadForm(), result=result), 422
    db.session.commit()
    flash(_("Roster imported.") + " " + result.summary, "success")
    return redirect(url_for("org.people"))


@bp.get("/template.xlsx")
@roles(*DIRECTORY_EDITORS)
def template():
    unit = current_user.scope_unit if current_user.role is not Role.ADMIN else None
    return send_file(io.BytesIO(template_workbook(unit)), mimetype=XLSX, as_attachment=True,
                     download_name="roster-template.xlsx")


@bp.get("/export.xlsx")
@roles(*DIRECTORY_READERS)
def export():
    data = export_workbook(db.session.scalars(roster_export_query(current_user)).unique())
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"roster-{date.today().isoformat()}.xlsx")
