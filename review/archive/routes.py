"""The archive's pages: HR browses and downloads the files of its scope, re-issues one with a reason,
builds a unit's year in the background; anyone checks a printed verification code."""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, select
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core import audit
from ..core.access import Role, public, require_unit_access, roles
from ..core.errors import DomainError
from ..extensions import db, limiter
from ..ids import page_number, query_id
from ..org.models import Department, Person, Unit
from ..org.queries import visible_units
from . import browse, builds
from . import issue as issuing
from .models import ArchiveBuild, ArchiveFile

bp = Blueprint("archive", __name__, url_prefix="/archive")

READERS = (Role.ADMIN, Role.OFFICE, Role.SUPERVISOR)
EDITORS = (Role.ADMIN, Role.OFFICE)
BUILD_STATES = {"queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}


@bp.context_processor
def _helpers():
    from ..core.tokens import format_code
    return {"format_code": format_code, "build_states": BUILD_STATES}


class ReissueForm(FlaskForm):
    reason = TextAreaField(_l("Reason for issuing a new version"),
                           validators=[DataRequired(message=_l("Say why the file is issued again.")),
                                       Length(max=500)])
    submit = SubmitField(_l("Issue a new version"))


class BuildForm(FlaskForm):
    unit_id = SelectField(_l("Unit (with its subordinate units)"), choices=[], validators=[DataRequired()])
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)],
                           description=_l("Without a reason only files whose data changed are issued again; "
                                          "with one, everybody's file gets a new version."))
    submit = SubmitField(_l("Build the year's files"))

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_id.choices = [(str(u.id), u.name) for u in units]


class VerifyForm(FlaskForm):
    code = StringField(_l("Verification code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("As printed at the foot of every page, e.g. 7K3M-9QXD-2B4"))
    pdf = FileField(_l("PDF file to compare (optional)"))
    submit = SubmitField(_l("Check"))


@dataclass
class Page:
    """A page of rows that are not entities (db.paginate returns the first column only)."""
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


def _paginate(stmt) -> Page:
    per_page = current_app.config["PAGE_SIZE"]
    # Not a page number (or past any real one: its offset would overflow the database) → the first.
    page = page_number()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page([tuple(r) for r in rows], page, per_page, total)


def _unit_or_404(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    require_unit_access(unit)
    return unit


def _person_year(person_id: int, year: int) -> tuple[Person, list[ArchiveFile]]:
    """The person-year's versions, newest first; 404 when there is none or the user may not see them."""
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    files = [f for f in browse.versions_of([(person_id, year)])[(person_id, year)]
             if browse.may_see(current_user, f)]
    if not files:
        abort(404)
    return person, files


def _damaged(e: browse.Damaged):
    current_app.logger.error("Refused to send %s", e)
    title = _("The archived file is missing") if e.missing else _("The archived file has been altered")
    message = _("The stored copy of %(file)s no longer matches the checksum recorded when it was issued, so it "
                "is not sent. It has been left untouched for investigation; tell the system administrator.",
                file=e.file.filename) if not e.missing else _(
        "The stored copy of %(file)s cannot be found, so it is not sent. Tell the system administrator.",
        file=e.file.filename)
    return render_template("errors/error.html", code=500, title=title, message=message), 500


# --- browsing -----------------------------------------------------------------------------------------

@bp.get("/")
@roles(*READERS)
def index():
    units = visible_units(current_user)
    unit_id = query_id("unit")
    unit = next((u for u in units if u.id == unit_id), None)
    year = query_id("year")
    q = (request.args.get("q") or "").strip()[:50]
    page = _paginate(browse.person_years(current_user, unit_path=unit.path if unit else None, year=year, q=q))
    versions = browse.versions_of([(pid, y) for pid, y, _latest in page.items])
    departments = (db.session.scalars(select(Department).where(Department.unit_id == unit.id)
                                      .order_by(Department.name)).all() if unit else [])
    recent = db.session.scalars(select(ArchiveBuild).where(ArchiveBuild.unit_id.in_([u.id for u in units]))
                                .order_by(ArchiveBuild.id.desc()).limit(10)).all() if units else []
    form = BuildForm(units, formdata=None, unit_id=str(unit.id) if unit else None, year=year)
    return render_template("archive/index.html", page=page, versions=versions, units=units, unit=unit, year=year,
                           q=q, years=browse.years(current_user), departments=departments, builds=recent,
                           form=form, can_edit=current_user.role in EDITORS)


@bp.get("/people/<int:person_id>/<int:year>")
@roles(*READERS)
def person_year(person_id: int, year: int):
    person, files = _person_year(person_id, year)
    return render_template("archive/person.html", person=person, year=year, files=files, form=ReissueForm(),
                           can_edit=current_user.role in EDITORS)


@bp.post("/people/<int:person_id>/<int:year>/reissue")
@roles(*EDITORS)
def reissue(person_id: int, year: int):
    person, files = _person_year(person_id, year)
    form = ReissueForm()
    error = None
    if form.validate_on_submit():
        try:
            # Committed by issue_committed, which also settles a clash with a build issuing the same
            # person at the same moment (this re-issue becomes the version after the build's).
            prepared = issuing.issue_committed(files[0].campaign_id, person.id, user_id=current_user.id,
                                               reason=form.reason.data.strip())
        except DomainError as e:
            db.session.rollback()
            error = e.message
        else:
            flash(_("Version %(version)s issued.", version=prepared.version), "success")
            return redirect(url_for("archive.person_year", person_id=person.id, year=year))
    return render_template("archive/person.html", person=person, year=year, files=files, form=form,
                           can_edit=True, error=error), 422


# --- downloads ----------------------------------------------------------------------------------------

@bp.get("/files/<int:file_id>")
@roles(*READERS)
def download(file_id: int):
    file = db.session.get(ArchiveFile, file_id)
    if file is None or not browse.may_see(current_user, file):
        abort(404)
    try:
        handle = browse.checked(issuing.store(), file)
    except browse.Damaged as e:
        return _damaged(e)
    return _send(handle, "application/pdf", file.filename, action="archive.download", obj=file, summary=file.filename)


def _send(handle, mimetype: str, name: str, *, action: str, obj, summary: str):
    """Send the opened file once the reading is in the audit log; if that cannot be written, the
    file is closed here and nothing is sent."""
    from flask import send_file
    try:
        audit.record_read(action, obj, summary=summary)
    except BaseException:
        handle.close()
        raise
    response = send_file(handle, mimetype=mimetype, as_attachment=True, download_name=name, conditional=False,
                         etag=False, max_age=None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _zip(files: list[ArchiveFile], *, unit_id: int | None, name: str, audit_obj, label: str):
    if not files:
        abort(404)
    try:
        handle = browse.write_zip(issuing.store(), files, unit_id=unit_id)
    except browse.Damaged as e:
        return _damaged(e)
    return _send(handle, "application/zip", name, action="archive.download_zip", obj=audit_obj,
                 summary=f"{label}: {len(files)}")


@bp.get("/units/<int:unit_id>/<int:year>.zip")
@roles(*READERS)
def unit_zip(unit_id: int, year: int):
    unit = _unit_or_404(unit_id)
    files = browse.latest_files(year, unit_path=unit.path)
    return _zip(files, unit_id=unit.id, name=f"{year}年度考核档案_{unit.name}.zip", audit_obj=unit,
                label=f"{unit.name} {year}")


@bp.get("/departments/<int:dept_id>/<int:year>.zip")
@roles(*READERS)
def department_zip(dept_id: int, year: int):
    dept = db.session.get(Department, dept_id)
    if dept is None:
        abort(404)
    require_unit_access(dept.unit)
    files = [f for f in browse.latest_files(year, department_id=dept.id) if browse.may_see(current_user, f)]
    return _zip(files, unit_id=dept.unit_id, name=f"{year}年度考核档案_{dept.unit.name}_{dept.name}.zip",
                audit_obj=dept, label=f"{dept.unit.name} {dept.name} {year}")


# --- builds -------------------------------------------------------------------------------------------

@bp.post("/builds")
@roles(*EDITORS)
def start_build():
    units = visible_units(current_user)
    form = BuildForm(units)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("archive.index"))
    unit = _unit_or_404(int(form.unit_id.data))
    try:
        build = builds.start(unit, form.year.data, user=current_user._get_current_object(), reason=form.reason.data)
    except DomainError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("archive.index", unit=unit.id, year=form.year.data))
    db.session.commit()   # the job is launched once this has committed
    return redirect(url_for("archive.build", build_id=build.id))


def _build_or_404(build_id: int) -> ArchiveBuild:
    build = db.session.get(ArchiveBuild, build_id)
    if build is None:
        abort(404)
    require_unit_access(build.unit)
    return build


@bp.get("/builds/<int:build_id>")
@roles(*READERS)
def build(build_id: int):
    build = _build_or_404(build_id)
    return render_template("archive/build.html", build=build, form=FlaskForm(), stalled=builds.stalled(build),
                           stall_minutes=current_app.config["ARCHIVE_BUILD_STALL_MINUTES"],
                           can_edit=current_user.role in EDITORS)


@bp.post("/builds/<int:build_id>/abandon")
@roles(*EDITORS)
def abandon_build(build_id: int):
    build = _build_or_404(build_id)
    if FlaskForm().validate_on_submit():
        try:
            builds.abandon(build, message=_("Marked as failed by %(user)s: the job had stopped.",
                                            user=current_user.login))
        except DomainError as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("The build is marked as failed; it may be started again."), "success")
    return redirect(url_for("archive.build", build_id=build.id))


# --- the public check ---------------------------------------------------------------------------------

@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ARCHIVE_VERIFY_LIMIT"], methods=["POST"])
@public
def verify():
    form = VerifyForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("archive/verify.html", form=form, found=None, error=None), status
    try:
        found = browse.lookup(issuing.store(), form.code.data)
    except ValueError:
        return render_template("archive/verify.html", form=form, found=None, error=_(
            "This is not a valid verification code: please check it and type it again.")), 422
    if found is None:
        return render_template("archive/verify.html", form=form, found=None, error=_(
            "No archived file has this verification code.")), 404
    upload = None
    uploaded = request.files.get("pdf")
    if uploaded is not None and uploaded.filename:
        digest, size = browse.sha256_of(uploaded.stream)
        upload = {"sha256": digest, "size": size, "matches": digest == found.file.sha256}
    return render_template("archive/verify.html", form=form, found=found, upload=upload, error=None)
