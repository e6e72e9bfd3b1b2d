"""Evidence files: checked by content, stored outside the web root, removed with their rows.

Every file of a submission is checked before any is written, so one bad file refuses the whole
submission and leaves nothing behind. A file is taken from the temporary file Werkzeug spooled it
to and read in chunks: one above EVIDENCE_MAX_MB is refused from its size, before it is read. The bytes go to ``instance/evidence/`` under a
random name; the row keeps the display name, the sniffed type, the size and a SHA-256.

The disk follows the transaction: files written in a transaction that rolls back are removed,
and the file of a deleted row is removed only once the deletion is committed."""
from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..core.errors import DomainError
from ..core.upload import CHUNK, FileRejected, UploadTooLarge, _check_zip, spool_upload
from ..extensions import db
from .models import EvidenceFile

MB = 1024 * 1024
# At most this many files in one submission (a claim, a deduction, a register entry).
MAX_FILES = 10

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", DOCX: ".docx", XLSX: ".xlsx"}
# Other spellings of the same extension that need no correction.
SAME_EXTENSION = {".jpeg": ".jpg", ".jpe": ".jpg"}
ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,application/pdf,image/jpeg,image/png"


class EvidenceRejected(DomainError):
    """A file of the submission was refused (the message names it)."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the form gave it: its bytes, or the (spooled) file holding them."""
    filename: str
    data: bytes | IO[bytes]


@dataclass(frozen=True)
class Checked:
    filename: str      # safe for display and as a download name
    content_type: str
    source: IO[bytes]  # seekable; copied in chunks when stored
    size: int
    sha256: str


def max_bytes() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_MB", 20)) * MB


def request_limit() -> int:
    """Largest request an evidence form may send: its files plus the form's fields."""
    return MAX_FILES * max_bytes() + MB


# --- names -----------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE = re.compile(r'[<>:"/\\|?*]')


def display_name(raw: str | None, content_type: str | None = None) -> str:
    """The file's own name without folders, control or reserved characters, at most 120
    characters, ending with the extension of the type its content was found to be."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("_", _CONTROL.sub("", name))
    name = " ".join(name.split()).strip(" .")
    stem, ext = os.path.splitext(name)
    if content_type in EXTENSIONS:
        wanted = EXTENSIONS[content_type]
        if SAME_EXTENSION.get(ext.lower(), ext.lower()) != wanted:
            stem, ext = name, wanted  # "report.exe" that is a PDF is offered as "report.exe.pdf"
    stem = stem.strip(" .") or _("evidence")
    return stem[:120 - len(ext)] + ext


# --- content -----------------------------------------------------------------------------

def sniff(data: bytes | IO[bytes]) -> str | None:
    """The type decided by content (magic bytes, and the parts of an Office zip), or None.
    ``data``: the bytes, or a seekable file at its start (left there)."""
    if not isinstance(data, (bytes, bytearray)):
        head = data.read(16)
        data.seek(0)
        if head.startswith(b"PK\x03\x04"):
            try:
                return _office_kind(data)
            finally:
                data.seek(0)
        return sniff(head)
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return None


def _office_kind(data: bytes | IO[bytes]) -> str | None:
    """docx or xlsx: a zip with [Content_Types].xml and a word/ or xl/ part; macro-enabled
    documents (a VBA project inside) are not accepted."""
    _check_zip(data)
    try:
        with zipfile.ZipFile(data if hasattr(data, "read") else io.BytesIO(data)) as zf:
            names = zf.namelist()
            types = None
            if "[Content_Types].xml" in names and zf.getinfo("[Content_Types].xml").file_size <= MB:
                types = zf.read("[Content_Types].xml")   # a few kB in any real document
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, OSError) as exc:
        raise FileRejected(str(exc)) from exc
    if types is None or any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
        return None
    if any(n.startswith("word/") for n in names):
        return DOCX
    if any(n.startswith("xl/") for n in names):
        return XLSX
    return None


def check(upload: Upload) -> Checked:
    """Accept one file or raise a DomainError that names it."""
    shown = display_name(upload.filename)
    limit = max_bytes()
    try:
        source, size = spool_upload(upload.data, limit)
    except UploadTooLarge:
        raise EvidenceRejected(_("The file “%(name)s” is larger than %(mb)d MB and was not accepted.",
                                 name=shown, mb=limit // MB)) from None
    if not size:
        raise EvidenceRejected(_("The file “%(name)s” is empty.", name=shown))
    try:
        content_type = sniff(source)
    except FileRejected:
        raise EvidenceRejected(_("The file “%(name)s” is damaged or packed suspiciously and was not accepted.",
                                 name=shown))
    if content_type is None:
        raise EvidenceRejected(_("The file “%(name)s” was not accepted: evidence must be a PDF, a JPEG or PNG "
                                 "image, a Word (.docx) or an Excel (.xlsx) file.", name=shown))
    hasher = hashlib.sha256()
    while chunk := source.read(CHUNK):
        hasher.update(chunk)
    source.seek(0)
    return Checked(display_name(upload.filename, content_type), content_type, source, size, hasher.hexdigest())


def check_all(uploads: Iterable[Upload], *, required: bool = True) -> list[Checked]:
    """Check every file of a submission; the first problem refuses them all."""
    uploads = [u for u in uploads if u.filename or not isinstance(u.data, bytes) or u.data]
    if required and not uploads:
        raise EvidenceRejected(_("Attach at least one evidence file."))
    if len(uploads) > MAX_FILES:
        raise EvidenceRejected(_("Attach at most %(n)d files at a time.", n=MAX_FILES))
    return [check(u) for u in uploads]


# --- disk ------------------------------------------------------------------------------------

def folder() -> str:
    path = os.path.join(current_app.instance_path, "evidence")
    os.makedirs(path, mode=0o750, exist_ok=True)
    return path


def path_of(evidence: EvidenceFile) -> str:
    return os.path.join(folder(), evidence.stored_name)


_NEW = "evidence_written"   # session.info: paths of files written in the current transaction
_GONE = "evidence_deleted"  # session.info: paths of files whose rows were deleted


def store(files: Iterable[Checked], *, user=None, claim=None, register_entry=None, appeal=None) -> list[EvidenceFile]:
    """Write checked files and add their rows (to a claim, a register entry or an appeal)."""
    rows = []
    for f in files:
        stored = secrets.token_hex(20)
        target = os.path.join(folder(), stored)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        db.session.info.setdefault(_NEW, []).append(target)
        f.source.seek(0)
        with os.fdopen(fd, "wb") as out:
            while chunk := f.source.read(CHUNK):
                out.write(chunk)
        row = EvidenceFile(filename=f.filename, content_type=f.content_type, size=f.size, sha256=f.sha256,
                           stored_name=stored, uploaded_by_id=user.id if user is not None else None)
        if claim is not None:
            row.claim = claim
        if register_entry is not None:
            row.register_entry = register_entry
        if appeal is not None:
            row.appeal = appeal
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def _unlink(paths: Iterable[str]) -> None:
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


@event.listens_for(Session, "after_flush")
def _note_deleted(session: Session, _ctx) -> None:
    for obj in session.deleted:
        if isinstance(obj, EvidenceFile):
            session.info.setdefault(_GONE, []).append(os.path.join(folder(), obj.stored_name))


@event.listens_for(Session, "after_commit")
def _settle_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction decides
    session.info.pop(_NEW, None)
    gone = session.info.pop(_GONE, None)
    if gone:
        _unlink(gone)


@event.listens_for(Session, "after_transaction_end")
def _settle_end(session: Session, transaction) -> None:
    """The outermost transaction ended without a commit (rollback, or a closed session): files
    written in it go, and files of rows it deleted stay."""
    if transaction.parent is not None or transaction.nested:
        return
    session.info.pop(_GONE, None)
    written = session.info.pop(_NEW, None)
    if written:
        _unlink(written)


def purge_orphans() -> int:
    """Remove stored files that no row names (e.g. after rows were deleted in bulk: a wiped
    database, a deleted campaign). Returns how many were removed."""
    from sqlalchemy import select
    base = os.path.join(current_app.instance_path, "evidence")
    if not os.path.isdir(base):
        return 0
    known = set(db.session.scalars(select(EvidenceFile.stored_name)))
    orphans = [n for n in os.listdir(base) if n not in known and os.path.isfile(os.path.join(base, n))]
    _unlink(os.path.join(base, n) for n in orphans)
    return len(orphans)
