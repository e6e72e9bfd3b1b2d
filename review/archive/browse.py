"""Reading the archive: who may see which files, the person-years of a search, zips of a unit's or a
department's latest files, and the public check of a printed verification code.

Files are placed by where the person stood when the file was issued (``unit_path``), so a scoped
office sees the files of its subtree's people as they were, whatever transfers came later."""
from __future__ import annotations

import hashlib
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload

from ..core.access import Role
from ..core.spreadsheet import CsvWriter
from ..core.tokens import normalize_code
from ..extensions import db
from ..org.models import Person
from .models import ArchiveFile
from .store import CHUNK_SIZE, Store

NAME_MASK = "*"


def scope_path(user) -> str | None:
    """The unit path whose subtree the user sees ('' for everything), None for nothing."""
    if user.role is Role.ADMIN:
        return ""
    if user.role.scoped and user.scope_unit is not None:
        return user.scope_unit.path
    return None


def may_see(user, file: ArchiveFile) -> bool:
    path = scope_path(user)
    return path is not None and file.unit_path.startswith(path)


def _within(stmt: Select, path: str) -> Select:
    return stmt.where(ArchiveFile.unit_path.startswith(path, autoescape=True)) if path else stmt


def person_years(user, *, unit_path: str | None = None, year: int | None = None, q: str = "") -> Select:
    """(person id, year, latest version) of every person-year the user sees, newest year first."""
    scope = scope_path(user)
    stmt = (select(ArchiveFile.person_id, ArchiveFile.year, func.max(ArchiveFile.version).label("latest"))
            .join(Person, Person.id == ArchiveFile.person_id)
            .group_by(ArchiveFile.person_id, ArchiveFile.year, Person.staff_no)
            .order_by(ArchiveFile.year.desc(), Person.staff_no))
    if scope is None:
        return stmt.where(False)
    stmt = _within(stmt, scope)
    if unit_path:
        stmt = _within(stmt, unit_path)
    if year:
        stmt = stmt.where(ArchiveFile.year == year)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Person.name.like(like), Person.staff_no.like(like)))
    return stmt


def versions_of(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], list[ArchiveFile]]:
    """Every version of these person-years, newest first, in one query."""
    if not pairs:
        return {}
    rows = db.session.scalars(select(ArchiveFile).options(
        joinedload(ArchiveFile.person), joinedload(ArchiveFile.unit), joinedload(ArchiveFile.department),
        joinedload(ArchiveFile.generated_by))
        .where(or_(*(and_(ArchiveFile.person_id == p, ArchiveFile.year == y) for p, y in pairs)))
        .order_by(ArchiveFile.version.desc()))
    out: dict[tuple[int, int], list[ArchiveFile]] = {pair: [] for pair in pairs}
    for row in rows:
        out[(row.person_id, row.year)].append(row)
    return out


def years(user) -> list[int]:
    scope = scope_path(user)
    if scope is None:
        return []
    return list(db.session.scalars(_within(select(ArchiveFile.year).distinct(), scope)
                                   .order_by(ArchiveFile.year.desc())))


def latest_files(year: int, *, unit_path: str | None = None, department_id: int | None = None) -> list[ArchiveFile]:
    """The latest version of every person's file of the year, in a unit's subtree or a department."""
    newest = (select(ArchiveFile.person_id, func.max(ArchiveFile.version).label("version"))
              .where(ArchiveFile.year == year).group_by(ArchiveFile.person_id).subquery())
    stmt = (select(ArchiveFile).join(newest, and_(newest.c.person_id == ArchiveFile.person_id,
                                                  newest.c.version == ArchiveFile.version))
            .join(Person, Person.id == ArchiveFile.person_id)
            .options(joinedload(ArchiveFile.person), joinedload(ArchiveFile.unit),
                     joinedload(ArchiveFile.department))
            .where(ArchiveFile.year == year).order_by(ArchiveFile.unit_path, Person.staff_no))
    if unit_path is not None:
        stmt = _within(stmt, unit_path)
    if department_id is not None:
        stmt = stmt.where(ArchiveFile.department_id == department_id)
    return list(db.session.scalars(stmt))


# --- sending files ------------------------------------------------------------------------------------

class Damaged(Exception):
    """A stored file is missing or no longer hashes to its name: it must not be sent."""

    def __init__(self, file: ArchiveFile, missing: bool):
        super().__init__(f"archived file {file.id} ({file.sha256}) is {'missing' if missing else 'changed on disk'}")
        self.file = file
        self.missing = missing


def checked(store: Store, file: ArchiveFile) -> BinaryIO:
    """The stored file opened for sending, once its hash has been checked."""
    try:
        if not store.verify(file.sha256):
            raise Damaged(file, missing=False)
        return store.open(file.sha256)
    except FileNotFoundError:
        raise Damaged(file, missing=True) from None


_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def entry_part(text: str) -> str:
    """A name people typed (a department, a unit, a person) made safe as one part of a path inside a
    zip: no separators, no control characters, no ``..``, nothing Windows refuses in a file name."""
    cleaned = _UNSAFE_IN_NAMES.sub("_", text).strip().lstrip(".").strip()
    return cleaned[:120] or "_"


def _folder(file: ArchiveFile, unit_id: int | None) -> str:
    dept = entry_part(file.department.name) if file.department else _("No department")
    if unit_id is not None and file.unit_id != unit_id:
        return f"{entry_part(file.unit.name)}/{dept}"
    return dept


def write_zip(store: Store, files: list[ArchiveFile], *, unit_id: int | None = None) -> BinaryIO:
    """A temporary zip of the files (``部门/<filename>``, a subordinate unit's under its name) with a
    manifest.csv (UTF-8 with BOM, for Excel), every file hashed while it is copied: a file that
    no longer matches its hash raises Damaged and nothing is sent."""
    out = tempfile.TemporaryFile()
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            manifest = io.StringIO()
            writer = CsvWriter(manifest)
            writer.writerow([_("File"), _("Name"), _("Staff number"), _("Unit"), _("Department"), _("Year"),
                             _("Version"), "SHA-256", _("Verification code")])
            from ..core.tokens import format_code
            for f in files:
                name = f"{_folder(f, unit_id)}/{entry_part(f.filename)}"
                hasher = hashlib.sha256()
                try:
                    source = store.open(f.sha256)
                except FileNotFoundError:
                    raise Damaged(f, missing=True) from None
                with source, zf.open(name, "w") as target:
                    while chunk := source.read(CHUNK_SIZE):
                        hasher.update(chunk)
                        target.write(chunk)
                if hasher.hexdigest() != f.sha256:
                    raise Damaged(f, missing=False)
                writer.writerow((name, f.person.name, f.person.staff_no, f.unit.name,
                                 f.department.name if f.department else "", f.year, f.version, f.sha256,
                                 format_code(f.code)))
            zf.writestr("manifest.csv", "\ufeff" + manifest.getvalue())
        out.seek(0)
        return out
    except BaseException:
        out.close()
        raise


# --- the public check ---------------------------------------------------------------------------------

def mask(name: str) -> str:
    """张三丰 → 张**: enough to recognise one's own file, not to learn who a code belongs to."""
    return name[:1] + NAME_MASK * max(len(name) - 1, 1) if name else ""


@dataclass(frozen=True)
class Verified:
    file: ArchiveFile
    masked_name: str
    latest_version: int
    intact: bool | None       # None: the stored file is missing

    @property
    def superseded(self) -> bool:
        return self.latest_version > self.file.version


def lookup(store: Store, typed: str) -> Verified | None:
    """The file a typed verification code names (dashes, case and O/0, I/1 confusions forgiven)."""
    code = normalize_code(typed or "")
    if code is None:
        raise ValueError("malformed code")
    file = db.session.scalar(select(ArchiveFile).options(joinedload(ArchiveFile.person), joinedload(ArchiveFile.unit))
                             .where(ArchiveFile.code == code))
    if file is None:
        return None
    latest = db.session.scalar(select(func.max(ArchiveFile.version)).where(
        ArchiveFile.person_id == file.person_id, ArchiveFile.year == file.year))
    try:
        intact = store.verify(file.sha256)
    except FileNotFoundError:
        intact = None
    return Verified(file, mask(file.person.name), latest, intact)


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_SIZE):
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size
