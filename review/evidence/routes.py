"""Downloading an evidence file: only for those allowed, always as an attachment."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user

from ..core.access import authenticated
from ..extensions import db
from . import storage
from .access import can_read
from .models import EvidenceFile

bp = Blueprint("evidence", __name__, url_prefix="/evidence")


@bp.get("/<int:evidence_id>")
@authenticated
def download(evidence_id: int):
    """404 to anybody who may not read the file, so that ids cannot be probed."""
    evidence = db.session.get(EvidenceFile, evidence_id)
    if evidence is None or not can_read(current_user, evidence):
        abort(404)
    path = storage.path_of(evidence)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        current_app.logger.error("Evidence file %s (%s) is missing from the disk.", evidence.id, path)
        abort(404)
    response = send_file(handle, mimetype=evidence.content_type, as_attachment=True,
                         download_name=evidence.filename, conditional=False, etag=False, max_age=None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
