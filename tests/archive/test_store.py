"""The archive store keeps every file under its SHA-256 and never overwrites one."""
from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from review.archive.store import CorruptFile, Store, Stored

REPO_ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.7\n" + "年度考核登记表 张三 2024".encode() + b"\n%%EOF\n"


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def temp_files(root: Path) -> list[Path]:
    return [p for p in files_under(root) if p.name.startswith(".") and p.name.endswith(".tmp")]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "archive"


@pytest.fixture
def store(root: Path) -> Store:
    return Store(root)


def test_file_is_named_by_its_sha256_and_reads_back(store: Store, root: Path) -> None:
    stored = store.put(PDF)

    digest = hashlib.sha256(PDF).hexdigest()
    assert stored == Stored(sha256=digest, size=len(PDF))
    expected = root / digest[:2] / digest[2:4] / digest
    assert store.path(digest) == expected
    assert files_under(root) == [expected]
    assert expected.read_bytes() == PDF
    with store.open(digest) as f:
        assert f.read() == PDF
    assert store.exists(digest)
    assert store.size(digest) == len(PDF)
    assert store.verify(digest)


def test_same_bytes_twice_is_one_file(store: Store, root: Path) -> None:
    first = store.put(PDF)
    before = store.path(first.sha256).stat()

    second = store.put(PDF)

    assert second == first
    assert len(files_under(root)) == 1
    after = store.path(first.sha256).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_different_bytes_are_different_files(store: Store, root: Path) -> None:
    a = store.put(PDF)
    b = store.put(PDF + b" ")

    assert a.sha256 != b.sha256
    assert len(files_under(root)) == 2
    assert store.path(a.sha256).read_bytes() == PDF
    assert store.path(b.sha256).read_bytes() == PDF + b" "


def test_empty_content_is_storable(store: Store) -> None:
    stored = store.put(b"")
    assert stored.size == 0
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert store.verify(stored.sha256)


def test_stored_files_are_read_only(store: Store, root: Path) -> None:
    path = store.path(store.put(PDF).sha256)

    assert stat.S_IMODE(path.stat().st_mode) == 0o440
    if os.geteuid() != 0:  # root ignores permission bits, the mode is all we can check then
        with pytest.raises(PermissionError):
            path.open("ab")


def test_root_and_shards_are_created_private(store: Store, root: Path) -> None:
    assert not root.exists()  # nothing is created before the first write
    path = store.put(PDF).sha256

    for directory in (root, root / path[:2], root / path[:2] / path[2:4]):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o750


def tamper(path: Path, data: bytes) -> None:
    os.chmod(path, 0o640)
    path.write_bytes(data)
    os.chmod(path, 0o440)


def test_tampered_file_fails_verify_and_is_never_overwritten(store: Store) -> None:
    digest = store.put(PDF).sha256
    path = store.path(digest)
    tamper(path, PDF.replace(b"2024", b"2023"))

    assert store.verify(digest) is False
    with pytest.raises(CorruptFile) as caught:
        store.put(PDF)

    assert caught.value.sha256 == digest
    assert caught.value.path == path
    assert digest in str(caught.value)
    # The damaged file is evidence: it stays exactly as found.
    assert path.read_bytes() == PDF.replace(b"2024", b"2023")
    assert store.verify(digest) is False
    assert temp_files(store.root) == []


def test_truncated_file_fails_verify(store: Store) -> None:
    digest = store.put(PDF).sha256
    tamper(store.path(digest), PDF[:-1])

    assert store.verify(digest) is False


def test_verify_of_a_missing_file_is_an_error_not_false(store: Store) -> None:
    with pytest.raises(FileNotFoundError):
        store.verify(hashlib.sha256(PDF).hexdigest())
    assert store.exists(hashlib.sha256(PDF).hexdigest()) is False


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd",
        "../../" + "a" * 58,
        "/" + "a" * 63,
        "ab/" + "c" * 61,
        hashlib.sha256(PDF).hexdigest().upper(),
        hashlib.sha256(PDF).hexdigest()[:63],
        hashlib.sha256(PDF).hexdigest() + "0",
        hashlib.sha256(PDF).hexdigest() + "\n",
        "g" * 64,
        "",
        None,
        b"a" * 64,
    ],
)
def test_invalid_hashes_are_refused(store: Store, name: object) -> None:
    for method in (store.path, store.exists, store.open, store.verify, store.size):
        with pytest.raises(ValueError):
            method(name)  # type: ignore[arg-type]


def test_failed_link_leaves_no_final_file_and_no_temp(
    store: Store, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_link(*args: object, **kwargs: object) -> None:
        raise OSError("disk went away")

    monkeypatch.setattr(os, "link", broken_link)
    with pytest.raises(OSError, match="disk went away"):
        store.put(PDF)

    assert not store.exists(hashlib.sha256(PDF).hexdigest())
    assert files_under(root) == []  # the temporary was cleaned up on the way out


CRASHING_WRITER = """
import os, sys
from review.archive.store import Store

def killed(*args, **kwargs):
    os._exit(17)  # like SIGKILL: no finally block, no cleanup

os.link = killed
Store(sys.argv[1]).put(sys.argv[2].encode())
"""


def test_writer_killed_before_link_leaves_only_a_temp_that_sweep_removes(
    store: Store, root: Path
) -> None:
    content = "killed mid-write".encode()
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, str(root), content.decode()],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 17, result.stderr.decode()

    digest = hashlib.sha256(content).hexdigest()
    assert not store.exists(digest)
    leftovers = temp_files(root)
    assert len(leftovers) == 1
    assert leftovers[0].parent == store.path(digest).parent
    assert leftovers[0].read_bytes() == content

    # A recent temp may belong to a writer still at work: sweep leaves it.
    assert store.sweep(older_than_seconds=3600) == 0
    assert leftovers[0].exists()

    an_hour_ago = time.time() - 3601
    os.utime(leftovers[0], (an_hour_ago, an_hour_ago))
    assert store.sweep(older_than_seconds=3600) == 1
    assert files_under(root) == []

    assert store.put(content).sha256 == digest  # and the content can be stored afterwards
    assert store.verify(digest)


def test_sweep_touches_only_old_temporaries(store: Store, root: Path) -> None:
    digest = store.put(PDF).sha256
    shard = store.path(digest).parent
    old = time.time() - 7200
    stale = [shard / ".abc123_x.tmp", root / ".streamtmp.tmp"]
    keep = [shard / "notes.tmp", shard / ".hidden", root / "README", shard / ".fresh99.tmp"]
    for path in stale + keep:
        path.write_bytes(b"x")
    for path in stale + keep[:-1]:
        os.utime(path, (old, old))
    archived = store.path(digest)
    os.utime(archived, (old, old), follow_symlinks=True)

    assert store.sweep(older_than_seconds=3600) == 2

    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in keep)
    assert store.verify(digest)


def test_sweep_of_a_store_never_written_is_zero(store: Store, root: Path) -> None:
    assert store.sweep() == 0
    assert not root.exists()
    with pytest.raises(ValueError):
        store.sweep(older_than_seconds=-1)


def test_two_threads_storing_the_same_content_both_succeed_with_one_file(
    store: Store, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hold both writers at the link so they really race for the same name
    # (each has already seen the name absent and written its own temporary).
    both_ready = threading.Barrier(2, timeout=10)
    real_link = os.link

    def link_after_both_arrive(src: str, dst: str, *args: object, **kwargs: object) -> None:
        both_ready.wait()
        real_link(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", link_after_both_arrive)
    results: list[Stored] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            results.append(store.put(PDF))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    digest = hashlib.sha256(PDF).hexdigest()
    assert results == [Stored(digest, len(PDF))] * 2
    assert files_under(root) == [store.path(digest)]
    assert store.verify(digest)


def test_racing_writer_meeting_a_corrupt_file_reports_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process put a damaged file under the name between our check and our link.
    digest = hashlib.sha256(PDF).hexdigest()
    real_link = os.link

    def someone_else_first(src: str, dst: str, *args: object, **kwargs: object) -> None:
        Path(dst).write_bytes(b"not the same")
        real_link(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", someone_else_first)
    with pytest.raises(CorruptFile):
        store.put(PDF)

    assert store.path(digest).read_bytes() == b"not the same"
    assert temp_files(store.root) == []


def test_put_stream_matches_put_without_holding_the_whole_file(store: Store, root: Path) -> None:
    chunks = [os.urandom(256 * 1024) for _ in range(5)]
    data = b"".join(chunks)

    streamed = store.put_stream(iter(chunks))

    assert streamed == Stored(hashlib.sha256(data).hexdigest(), len(data))
    assert store.path(streamed.sha256).read_bytes() == data
    assert stat.S_IMODE(store.path(streamed.sha256).stat().st_mode) == 0o440
    assert store.put(data) == streamed
    assert store.put_stream([data[:10], data[10:]]) == streamed
    assert files_under(root) == [store.path(streamed.sha256)]
