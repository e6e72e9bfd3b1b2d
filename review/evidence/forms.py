"""The evidence field shared by the claim, deduction and register forms."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import MultipleFileField
from wtforms.validators import StopValidation

from . import storage


class FilesRequired:
    """At least one file chosen (flask_wtf's FileRequired reads a single file only)."""
    field_flags = {"required": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not any(getattr(f, "filename", "") for f in field.data or []):
            raise StopValidation(str(self.message))


def evidence_field(label=None, *, required: bool = True) -> MultipleFileField:
    description = _l("PDF, JPEG, PNG, Word (.docx) or Excel (.xlsx); several files may be chosen at once.")
    validators = [FilesRequired(_l("Attach at least one evidence file."))] if required else []
    return MultipleFileField(label or (_l("Evidence files") if required else _l("Evidence files (optional)")),
                             validators=validators, description=description,
                             render_kw={"accept": storage.ACCEPT, "multiple": True})


def uploads(field) -> list[storage.Upload]:
    """The files a MultipleFileField received (empty inputs left out), as the files Werkzeug
    spooled them to: storage checks their size before reading them, then reads in chunks."""
    out = []
    for f in field.data or []:
        if f is None or not getattr(f, "filename", ""):
            continue
        out.append(storage.Upload(f.filename, f.stream))
    return out


def allow_evidence_uploads(bp, *endpoints: str) -> None:
    """Let these endpoints take requests with several evidence files (EVIDENCE_MAX_MB each). The
    limit must be set before the CSRF check reads the form, so a URL-value preprocessor (which
    Flask runs before every before-request hook) sets it — for logged-in users only."""
    names = {f"{bp.name}.{e}" for e in endpoints}

    @bp.url_value_preprocessor
    def _raise_limit(endpoint, _values):
        if endpoint in names and request.method == "POST" and current_user.is_authenticated:
            request.max_content_length = storage.request_limit()
