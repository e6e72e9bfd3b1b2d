"""Uploads are limited while they are read: a body above the limit (with or without Content-Length)
is refused with a page naming the limit in MB, a file above its kind's limit is refused before it is
read into memory, memory stays bounded, and nothing is written."""
from __future__ import annotations

import io
import os
import tracemalloc

import pytest
from sqlalchemy import func, select

from review.core import upload
from review.extensions import db

MB = 1024 * 1024
BOUNDARY = "----reviewtestboundary"
PDF_HEAD = b"%PDF-1.4\n"


class MultipartBody(io.RawIOBase):
    """A multipart/form-data body made while it is read: ``size`` bytes of file content after
    ``head``, so that the test itself never holds the upload in memory."""

    def __init__(self, fields: dict[str, str], file_field: str, filename: str, head: bytes, size: int):
        prefix = b"".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items())
        prefix += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                   f"Content-Type: application/octet-stream\r\n\r\n").encode() + head
        self.parts = [prefix, None, f"\r\n--{BOUNDARY}--\r\n".encode()]
        self.filler = size - len(head)
        self.length = len(prefix) + self.filler + len(self.parts[2])
        self.served = self.position = 0

    def readable(self):
        return True

    # The test client measures the body (seek to the end and back) before sending it.
    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=0):
        target = self.length + offset if whence == 2 else offset
        if target not in (self.served, self.length):
            raise io.UnsupportedOperation("only measured, never rewound")
        self.position = target
        return target

    def readinto(self, buffer) -> int:
        n = len(buffer)
        while self.parts:
            part = self.parts[0]
            if part is None:
                if self.filler <= 0:
                    self.parts.pop(0)
                    continue
                k = min(n, self.filler)
                buffer[:k] = b"x" * k
                self.filler -= k
                self.served += k
                self.position = self.served
                return k
            if not part:
                self.parts.pop(0)
                continue
            k = min(n, len(part))
            buffer[:k] = part[:k]
            self.parts[0] = part[k:]
            self.served += k
            self.position = self.served
            return k
        return 0


def post_streamed(client, url: str, body: MultipartBody, *, content_length: bool):
    """POST the body; without Content-Length as a chunked request is seen behind gunicorn or the
    development server (Transfer-Encoding: chunked, and the server says that the stream ends by
    itself: wsgi.input_terminated)."""
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    kwargs = {}
    if not content_length:
        headers["Transfer-Encoding"] = "chunked"
        kwargs["environ_overrides"] = {"wsgi.input_terminated": True}
    # Templates and catalogs are loaded once per process: not what is measured.
    client.get(url)
    client.get("/no-such-page")
    tracemalloc.start()
    try:
        resp = client.post(url, input_stream=body, headers=headers, **kwargs)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return resp, peak


def files_under(folder: str) -> list[str]:
    return [os.path.join(d, f) for d, _dirs, names in os.walk(folder) for f in names] if os.path.isdir(folder) else []


# --- the body limit --------------------------------------------------------------------------------

@pytest.fixture
def office(app, make, auth):
    from review.core.access import Role
    from review.org.models import UnitLevel
    county = make.unit("县院", level=UnitLevel.COUNTY)
    user = make.user(Role.OFFICE, scope=county)
    make.commit()
    auth.as_user(user)
    return user


@pytest.mark.parametrize("url,field", [("/org/roster/import", "file"), ("/archive/verify", "pdf")],
                         ids=["roster", "archive-check"])
@pytest.mark.parametrize("content_length", [True, False], ids=["with-length", "chunked"])
def test_a_body_above_the_limit_gets_a_page_naming_the_limit_and_nothing_is_kept(app, client, office, content_length,
                                                                                 url, field):
    app.config["MAX_CONTENT_LENGTH"] = 2 * MB
    body = MultipartBody({}, field, "名册.xlsx", b"PK\x03\x04", 12 * MB)
    resp, peak = post_streamed(client, url, body, content_length=content_length)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413 and resp.mimetype == "text/html"
    assert "文件过大" in page and "上传内容超过 2 MB" in page, page[:2000]
    # Refused as soon as the limit was passed: the rest of the body was never read or kept.
    assert body.served <= 3 * MB
    assert peak < 2 * MB, peak
    assert files_under(os.path.join(app.instance_path, "uploads")) == []


def test_the_page_is_in_the_users_language(app, client, office):
    app.config["MAX_CONTENT_LENGTH"] = 1 * MB
    with client.session_transaction() as s:
        s["lang"] = "en"
    body = MultipartBody({}, "file", "roster.csv", b"a,b\n", 3 * MB)
    resp, _peak = post_streamed(client, "/org/roster/import", body, content_length=False)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert "File too large" in page and "larger than 1 MB" in page, page[:2000]


# --- evidence: a file above its own limit inside an allowed body -------------------------------------

@pytest.fixture
def claimant(app, make, auth):
    from ..claims.world import build
    world = build(make)
    auth.as_user(world["staff"])
    return world


@pytest.mark.parametrize("content_length", [True, False], ids=["with-length", "chunked"])
def test_an_evidence_file_above_its_limit_is_refused_before_it_is_read_whole(app, client, claimant, content_length):
    from review.claims.models import Claim
    from review.evidence.models import EvidenceFile
    app.config["EVIDENCE_MAX_MB"] = 1      # the request may carry 10 such files: 11 MB
    body = MultipartBody({"item": f"{claimant.campaign.id}:merit", "title": "办案", "description": "",
                          "occurrences": "1"}, "files", "判决书.pdf", PDF_HEAD, 8 * MB)
    resp, peak = post_streamed(client, "/claims/new", body, content_length=content_length)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "判决书.pdf" in page and "1 MB" in page
    assert peak < 3 * MB, peak        # reading the file whole took more than 8 MB
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 0
    assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 0
    assert files_under(os.path.join(app.instance_path, "evidence")) == []


def test_an_evidence_body_above_the_request_limit_gets_the_page(app, client, claimant):
    app.config["EVIDENCE_MAX_MB"] = 1
    body = MultipartBody({"item": f"{claimant.campaign.id}:merit", "title": "办案", "description": "",
                          "occurrences": "1"}, "files", "判决书.pdf", PDF_HEAD, 40 * MB)
    resp, peak = post_streamed(client, "/claims/new", body, content_length=False)
    assert resp.status_code == 413 and "11 MB" in resp.get_data(as_text=True)
    assert body.served <= 12 * MB and peak < 3 * MB


def test_evidence_within_its_limit_is_still_stored_whole(app, client, claimant):
    from review.evidence.models import EvidenceFile
    app.config["EVIDENCE_MAX_MB"] = 4
    body = MultipartBody({"item": f"{claimant.campaign.id}:merit", "title": "办案", "description": "",
                          "occurrences": "1"}, "files", "判决书.pdf", PDF_HEAD, 3 * MB)
    resp, peak = post_streamed(client, "/claims/new", body, content_length=True)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:1000]
    [row] = db.session.scalars(select(EvidenceFile)).all()
    assert row.size == 3 * MB
    with open(os.path.join(app.instance_path, "evidence", row.stored_name), "rb") as f:
        stored = f.read()
    assert stored.startswith(PDF_HEAD) and len(stored) == row.size
    assert peak < 2 * MB, peak


# --- the per-kind reader ------------------------------------------------------------------------------

class CountingStream(io.RawIOBase):
    def __init__(self, size: int, seekable: bool):
        self.size, self._seekable, self.pos, self.read_bytes = size, seekable, 0, 0

    def readable(self):
        return True

    def seekable(self):
        return self._seekable

    def seek(self, offset, whence=0):
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def tell(self):
        return self.pos

    def readinto(self, buffer):
        k = max(0, min(len(buffer), self.size - self.pos))
        buffer[:k] = b"x" * k
        self.pos += k
        self.read_bytes += k
        return k


def test_a_file_above_its_kinds_limit_is_refused_before_its_bytes_are_read(app):
    spooled = CountingStream(5 * MB, seekable=True)
    with pytest.raises(upload.UploadTooLarge) as err:
        upload.read_upload(spooled, 1 * MB)
    assert spooled.read_bytes == 0 and "1 MB" in err.value.message
    streamed = CountingStream(5 * MB, seekable=False)
    with pytest.raises(upload.UploadTooLarge):
        upload.read_upload(streamed, 1 * MB)
    assert streamed.read_bytes <= 1 * MB + upload.CHUNK
    assert upload.read_upload(CountingStream(MB, seekable=False), MB) == b"x" * MB
    assert upload.read_upload(CountingStream(MB, seekable=True), MB) == b"x" * MB


def test_a_plan_above_the_document_limit_is_refused_with_its_size(app, client, office):
    from review.plans.models import StoredPlan
    body = MultipartBody({}, "file", "plan.yaml", b"name: x\n#", 10 * MB)   # within the body limit
    resp, peak = post_streamed(client, "/plans/import", body, content_length=True)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413 and f"文件超过 {upload.DOCUMENT_MAX_BYTES // 1024} KB" in page, page[:3000]
    assert peak < 2 * MB, peak       # not read whole, nor decoded, before the size was checked
    assert db.session.scalar(select(func.count()).select_from(StoredPlan)) == 0


def test_a_questionnaire_above_the_document_limit_is_refused_unread(app, client, make, auth):
    from review.core.access import Role
    from review.surveys.models import StoredQuestionnaire
    auth.as_user(make.user(Role.ADMIN, login="root"))
    make.commit()
    body = MultipartBody({}, "file", "问卷.yaml", b"name: x\n#", 10 * MB)
    resp, peak = post_streamed(client, "/surveys/questionnaires/import", body, content_length=False)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 413 and f"文件超过 {upload.DOCUMENT_MAX_BYTES // 1024} KB" in page, page[:3000]
    assert peak < 2 * MB, peak
    assert db.session.scalar(select(func.count()).select_from(StoredQuestionnaire)) == 0
