"""Reading uploaded spreadsheets safely (rosters, KPI sheets).

The kind is decided by content, never by the name; workbooks are checked for zip bombs
before they are opened and read by calamine, whose XML reader expands no entities."""
from __future__ import annotations

import csv
import io
import os
import secrets
import tempfile
import time
import zipfile
from dataclasses import dataclass
from typing import IO, Any, Iterator

from flask_babel import gettext as _
from python_calamine import CalamineWorkbook

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_COMPRESSION_RATIO = 200


@dataclass
class RowError:
    """A problem of an imported file: its row as the user sees it (None: the whole file), the
    column's title, and what is wrong."""
    row: int | None
    column: str
    message: str


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel turns staff numbers into floats
    return str(value).strip()


class FileRejected(Exception):
    """The file as a whole cannot be read (not a row problem)."""


def sniff_kind(data: bytes) -> str:
    """Decide by content, not by name: 'xlsx', 'xls' or 'csv'."""
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if b"\x00" in data[:4096]:
        raise FileRejected(_("The file is neither an Excel workbook nor a CSV text file."))
    return "csv"


def _check_zip(data: bytes | IO[bytes]) -> None:
    """``data``: the bytes, or a seekable file holding them (an upload spooled to disk)."""
    try:
        with zipfile.ZipFile(data if hasattr(data, "read") else io.BytesIO(data)) as zf:
            members = zf.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise FileRejected(_("The workbook has too many parts to be a spreadsheet."))
            total = 0
            for m in members:
                total += m.file_size
                if m.compress_size and m.file_size / m.compress_size > MAX_COMPRESSION_RATIO and m.file_size > 1 << 20:
                    raise FileRejected(_("The workbook is compressed suspiciously strongly and was refused."))
            if total > MAX_UNZIPPED_BYTES:
                raise FileRejected(_("The workbook is too large once unpacked."))
    except zipfile.BadZipFile as exc:
        raise FileRejected(_("The workbook is damaged and cannot be opened.")) from exc


def decode_text(data: bytes) -> str:
    """UTF-8 with or without BOM; otherwise GBK (read as GB18030, its superset)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise FileRejected(_("The CSV file is neither UTF-8 nor GBK text.")) from exc


def read_rows(data: bytes, sheet: str | None = None) -> Iterator[tuple[int, list[Any]]]:
    """(row number as the user sees it, cell values) for every row, header first; from the sheet
    named ``sheet`` when the workbook has one, else from its first sheet.

    Workbooks are read with calamine (Rust): about twenty times faster than
    openpyxl on a 10,000-row roster, and its XML reader expands no entities."""
    kind = sniff_kind(data)
    if kind in ("xlsx", "xls"):
        if kind == "xlsx":
            _check_zip(data)
        try:
            wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
            name = sheet if sheet in wb.sheet_names else wb.sheet_names[0]
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises several types for a broken file
            raise FileRejected(_("The workbook is damaged and cannot be opened.")) from exc
        for number, row in enumerate(rows, start=1):
            yield number, list(row)
    else:
        text = decode_text(data)
        try:
            for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
                yield number, row
        except csv.Error as exc:
            raise FileRejected(_("The CSV file cannot be read: %(reason)s", reason=str(exc))) from exc


# --- reading uploads within a limit -----------------------------------------
# Werkzeug enforces the request's limit (max_content_length) while it reads the body, with or
# without Content-Length, and spools form-data files above 500 KB to a temporary file. These
# helpers then take an upload from that file against the limit of its kind (a roster, a plan, an
# evidence file), refusing it from its size alone when the file can tell it, and otherwise while
# reading chunk by chunk: an oversized upload never sits whole in memory.

CHUNK = 64 * 1024
MB = 1024 * 1024
SPOOL_IN_MEMORY = 512 * 1024   # as Werkzeug: larger uploads copied here go to a temporary file


def size_text(limit: int) -> str:
    """A limit as people read it: "16 MB", "256 KB", "1.5 MB"."""
    if limit < MB:
        return f"{limit / 1024:g} KB"
    return f"{round(limit / MB, 1):g} MB"


class UploadTooLarge(FileRejected):
    def __init__(self, limit: int):
        self.limit = limit
        self.message = _("The file is larger than %(limit)s, the most accepted here. Nothing was saved.",
                         limit=size_text(limit))
        super().__init__(self.message)


def _stream(upload) -> IO[bytes]:
    """A FileStorage's spooled file, or the stream itself."""
    return getattr(upload, "stream", upload)


def _remaining_size(stream: IO[bytes]) -> int | None:
    """Bytes left from the stream's position, when it can tell without reading them."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


def read_upload(upload, limit: int) -> bytes:
    """The whole upload (a FileStorage or a binary stream) as bytes, for the readers that need
    them all (sheets, YAML documents); UploadTooLarge, before reading, when it is larger than
    ``limit``, or as soon as the reading passes it."""
    stream = _stream(upload)
    size = _remaining_size(stream)
    if size is not None:
        if size > limit:
            raise UploadTooLarge(limit)
        return stream.read(size)
    data = bytearray()
    while chunk := stream.read(CHUNK):
        data += chunk
        if len(data) > limit:
            raise UploadTooLarge(limit)
    return bytes(data)


def spool_upload(upload, limit: int) -> tuple[IO[bytes], int]:
    """The upload as a seekable file at its start, and its size, never holding more than
    SPOOL_IN_MEMORY in memory: Werkzeug's own spooled file when it can tell its size, else a
    copy made chunk by chunk. UploadTooLarge as in ``read_upload``."""
    if isinstance(upload, (bytes, bytearray)):
        if len(upload) > limit:
            raise UploadTooLarge(limit)
        return io.BytesIO(upload), len(upload)
    stream = _stream(upload)
    size = _remaining_size(stream)
    if size is not None:
        if size > limit:
            raise UploadTooLarge(limit)
        return stream, size
    copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    size = 0
    try:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise UploadTooLarge(limit)
            copy.write(chunk)
        copy.seek(0)
    except BaseException:
        copy.close()
        raise
    return copy, size


# Plans and questionnaires (YAML): the largest example plan is 7 KB. The same bound as the
# YAML reader's own (safe_yaml.MAX_BYTES), checked here before the upload is read.
DOCUMENT_MAX_BYTES = 256 * 1024


def sheet_limit() -> int:
    """The largest roster or KPI sheet: the request limit (REVIEW_MAX_UPLOAD_MB)."""
    from flask import current_app
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or 16 * MB)


# --- files waiting for confirmation -------------------------------------------
# An import is checked first (preview) and applied on confirmation; between the two the
# checked bytes wait under the instance folder by a random name, for a day at most.

PENDING_MAX_AGE_S = 24 * 3600


def _pending_dir() -> str:
    from flask import current_app
    path = os.path.join(current_app.instance_path, "uploads")
    os.makedirs(path, exist_ok=True)
    return path


def _pending_path(token: str) -> str | None:
    if token and token.replace("-", "").replace("_", "").isalnum():
        return os.path.join(_pending_dir(), token)
    return None


def keep_pending(data: bytes) -> str:
    """Store checked bytes until confirmed; returns the token that names them."""
    purge_stale()
    token = secrets.token_urlsafe(24)
    with open(os.path.join(_pending_dir(), token), "wb") as f:
        f.write(data)
    return token


def load_pending(token: str | None) -> bytes | None:
    path = _pending_path(token or "")
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def discard_pending(token: str | None) -> None:
    path = _pending_path(token or "")
    if path:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def purge_stale() -> None:
    """Checked files that were never confirmed are removed after a day, so they cannot pile up."""
    folder = _pending_dir()
    cutoff = time.time() - PENDING_MAX_AGE_S
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.remove(path)
        except FileNotFoundError:
            pass
