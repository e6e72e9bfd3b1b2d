"""Content-addressed storage for archived appraisal files.

A file is stored under its own SHA-256, so its name is its checksum: whoever reads it
years later can tell whether it is still the file that was filed. The store therefore
never overwrites anything. A name that already exists is only ever checked, and a file
found changed on disk is reported (``CorruptFile``) and left in place as evidence,
because silently "repairing" it would hide that the archive was damaged.

Files reach their final name only once complete and on disk: the bytes go to a
temporary file, are fsynced, and are then hard-linked into place. ``os.link`` refuses
an existing name, so two writers of the same content cannot clobber each other (the
loser just checks the winner's file), and a writer killed half-way leaves only a
temporary file, which ``sweep`` removes later. The filesystem must support hard links.

No Flask and no database here on purpose: the archive has to stay readable and
checkable with nothing but Python and the directory.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o440  # nothing in the archive is ever edited in place, not even by us
DIR_MODE = 0o750
CHUNK_SIZE = 1024 * 1024

TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"

_SHA256 = re.compile(r"[0-9a-f]{64}")
# What mkstemp(prefix=".", suffix=".tmp") produces; sweep deletes nothing else.
_TEMP_NAME = re.compile(r"\.[A-Za-z0-9_]+\.tmp")
_SHARD = re.compile(r"[0-9a-f]{2}")


class CorruptFile(Exception):
    """A stored file no longer hashes to its name: the archive was damaged or altered."""

    def __init__(self, sha256: str, path: Path, actual: str) -> None:
        super().__init__(
            f"archived file {path} should have SHA-256 {sha256} but has {actual}; "
            "it has been left untouched for investigation"
        )
        self.sha256 = sha256
        self.path = path
        self.actual = actual


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int


class Store:
    """Files under ``root/<2 hex>/<2 hex>/<sha256>``.

    Two levels of two hex digits keep directories small (65,536 leaves) for the
    millions of files a province accumulates over the years.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    # -- reading ---------------------------------------------------------------

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives; the hash is checked before it touches a path,
        so a crafted name ("../..", absolute, with a slash) can never point outside root."""
        if not isinstance(sha256, str) or _SHA256.fullmatch(sha256) is None:
            raise ValueError(f"not a lowercase SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def size(self, sha256: str) -> int:
        return self.path(sha256).stat().st_size

    def verify(self, sha256: str) -> bool:
        """Re-read the file and compare with its name.

        A missing file raises FileNotFoundError rather than returning False: a lost file
        and a changed file call for different recovery, so callers should see which.
        """
        return _hash_file(self.path(sha256)) == sha256

    # -- writing ---------------------------------------------------------------

    def put(self, data: bytes) -> Stored:
        """Store ``data`` unless an identical file is already there.

        Raises CorruptFile when a file of that name exists with other content.
        """
        digest = hashlib.sha256(data).hexdigest()
        final = self.path(digest)
        if final.exists():
            self._check(final, digest)
            return Stored(digest, len(data))
        self._makedirs(final.parent)
        # The temporary file sits next to its final name so the link stays on one filesystem.
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                _seal(out)
            self._publish(Path(tmp), final, digest)
        finally:
            _discard(Path(tmp))
        return Stored(digest, len(data))

    def put_stream(self, chunks: Iterable[bytes]) -> Stored:
        """Like ``put`` for content too large to hold in memory, hashed while written.

        The name is known only at the end, so the temporary file is written in root
        itself (same filesystem as every final name) and linked into its shard afterwards.
        """
        self._makedirs(self.root)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=self.root)
        try:
            hasher = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                _seal(out)
            digest = hasher.hexdigest()
            final = self.path(digest)
            self._makedirs(final.parent)
            self._publish(Path(tmp), final, digest)
        finally:
            _discard(Path(tmp))
        return Stored(digest, size)

    def sweep(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary files left by writers that died; returns how many.

        Only names of our temporary pattern are touched, and only old ones, so a put
        still in progress (its file is recent) is never pulled from under its writer.
        """
        if older_than_seconds < 0:
            raise ValueError("older_than_seconds must not be negative")
        cutoff = time.time() - older_than_seconds
        removed = 0
        for directory in self._temp_dirs():
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                continue
            for entry in entries:
                if not _TEMP_NAME.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                        continue
                    os.unlink(entry.path)
                except FileNotFoundError:  # another sweep or its writer got there first
                    continue
                removed += 1
        return removed

    # -- internals -------------------------------------------------------------

    def _publish(self, tmp: Path, final: Path, digest: str) -> None:
        try:
            os.link(tmp, final)
        except FileExistsError:
            # Someone stored the same content meanwhile (or an old file is there):
            # theirs stays, and it must be the content we were about to write.
            self._check(final, digest)
            return
        _fsync_dir(final.parent)  # the new name itself must survive a power cut

    def _check(self, final: Path, digest: str) -> None:
        actual = _hash_file(final)
        if actual != digest:
            raise CorruptFile(digest, final, actual)

    def _makedirs(self, directory: Path) -> None:
        """Create root and shard directories as 0o750, syncing each new entry's parent."""
        missing: list[Path] = []
        current = directory
        while not current.is_dir():
            missing.append(current)
            if current.parent == current:
                break
            current = current.parent
        for new in reversed(missing):
            try:
                new.mkdir(mode=DIR_MODE)
            except FileExistsError:  # a concurrent writer made it; leave its mode alone
                continue
            os.chmod(new, DIR_MODE)  # mkdir's mode is filtered by the umask
            _fsync_dir(new.parent)

    def _temp_dirs(self) -> Iterable[Path]:
        """Root (put_stream's temporaries) and the shard directories (put's)."""
        if not self.root.is_dir():
            return
        yield self.root
        for first in sorted(os.scandir(self.root), key=lambda e: e.name):
            if not (_SHARD.fullmatch(first.name) and first.is_dir(follow_symlinks=False)):
                continue
            for second in sorted(os.scandir(first.path), key=lambda e: e.name):
                if _SHARD.fullmatch(second.name) and second.is_dir(follow_symlinks=False):
                    yield Path(second.path)


def _seal(out: BinaryIO) -> None:
    """Make the temporary file read-only and durable before it gets a real name,
    so the final name never refers to a writable or half-written file."""
    out.flush()
    os.fchmod(out.fileno(), FILE_MODE)
    os.fsync(out.fileno())


def _hash_file(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            hasher.update(chunk)
    return hasher.hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard(tmp: Path) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
