"""The archive's pages: browsing within scope, downloads checked against their hash and audited,
zips with a manifest, re-issue with a reason, and the public check of a verification code."""
import csv
import io
import os
import zipfile
from datetime import timedelta
from urllib.parse import quote

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from review.archive import issue as archive
from review.archive.models import ArchiveFile
from review.campaigns import operations as campaign_ops
from review.core.audit import AuditEntry
from review.core.tokens import format_code, new_token
from review.extensions import db

from ..appeals.world import build as build_world


@pytest.fixture
def final(make, app, tmp_path):
    app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    world = build_world(make)
    until = world.publish(days=2)
    campaign_ops.move(world.campaign, "finalize", today=until + timedelta(days=1))
    db.session.commit()
    return world


@pytest.fixture
def issued(final):
    """Files for two people of 第一检察部 and one of 第二检察部."""
    o = final.o
    rows = [archive.issue(final.campaign, p, user=final["office"]).file for p in (o["s1"][0], o["s1"][1], o["s2"][0])]
    db.session.commit()
    return rows


def stored(row: ArchiveFile) -> bytes:
    return archive.store().path(row.sha256).read_bytes()


def audits(action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def tamper(row: ArchiveFile) -> None:
    path = archive.store().path(row.sha256)
    os.chmod(path, 0o640)
    with open(path, "r+b") as f:
        f.seek(200)
        f.write(b"X")


# --- browsing ----------------------------------------------------------------------------------------

def test_hr_browses_the_files_of_its_scope(client, auth, final, issued):
    a, b, c = issued
    for who in ("admin", "office", "supervisor"):
        auth.as_user(final[who])
        html = client.get("/archive/").get_data(as_text=True)
        assert all(r.person.name in html for r in issued), who
        assert "3 person-years found" in html or "共 3 份人员年度档案" in html
        auth.logout()
    auth.as_user(final["office"])
    html = client.get(f"/archive/?q={a.person.staff_no}&year=2025").get_data(as_text=True)
    assert a.person.name in html and b.person.name not in html
    html = client.get(f"/archive/?q={b.person.name}").get_data(as_text=True)
    assert b.person.name in html and a.person.name not in html
    assert a.person.name not in client.get("/archive/?year=2024").get_data(as_text=True)
    html = client.get(f"/archive/people/{a.person_id}/2025").get_data(as_text=True)
    assert format_code(a.code) in html and a.sha256[:12] in html and archive.FIRST_ISSUE in html
    assert "绩效办乙" in html   # who issued it


def test_a_sibling_units_office_sees_nothing_of_ours_and_staff_are_refused(client, auth, final, issued):
    a = issued[0]
    auth.as_user(final["sibling_office"])
    html = client.get("/archive/").get_data(as_text=True)
    assert all(r.person.name not in html for r in issued)
    assert client.get(f"/archive/people/{a.person_id}/2025").status_code == 404
    assert client.get(f"/archive/files/{a.id}").status_code == 404
    assert client.get(f"/archive/units/{final.o['county'].id}/2025.zip").status_code == 403
    assert client.get(f"/archive/departments/{final.o['d1'].id}/2025.zip").status_code == 403
    assert audits("archive.download") == [] and audits("archive.download_zip") == []
    auth.logout()
    auth.as_user(final["staff"])
    assert client.get("/archive/").status_code == 403
    assert client.get(f"/archive/files/{a.id}").status_code == 403
    assert "/archive/" not in client.get("/").get_data(as_text=True)


def test_the_nav_links_to_the_archive_for_hr(client, auth, final):
    auth.as_user(final["supervisor"])
    assert 'href="/archive/"' in client.get("/").get_data(as_text=True)


# --- downloads ---------------------------------------------------------------------------------------

def test_a_download_is_the_stored_file_and_is_audited(client, auth, final, issued):
    a = issued[0]
    auth.as_user(final["supervisor"])
    resp = client.get(f"/archive/files/{a.id}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data == stored(a)
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"filename*=UTF-8''{quote(a.filename)}" in disposition
    [entry] = audits("archive.download")
    assert entry.object_id == str(a.id) and entry.actor == final["supervisor"].login
    assert entry.unit_path == a.unit_path


def test_a_file_changed_on_disk_is_never_sent(client, auth, final, issued):
    a = issued[0]
    original = stored(a)
    tamper(a)
    auth.as_user(final["office"])
    resp = client.get(f"/archive/files/{a.id}")
    assert resp.status_code == 500 and resp.mimetype == "text/html"
    assert a.filename in resp.get_data(as_text=True) and b"%PDF" not in resp.data
    assert audits("archive.download") == []
    # The zip holding it is refused too, and the damaged file is left as found.
    assert client.get(f"/archive/units/{final.o['county'].id}/2025.zip").status_code == 500
    assert stored(a) != original and len(stored(a)) == len(original)


def test_a_zip_holds_the_latest_version_of_each_file_and_a_manifest(client, auth, final, issued):
    a, b, c = issued
    a2 = archive.issue(final.campaign, a.person, reason="原件遗失").file
    db.session.commit()
    auth.as_user(final["office"])
    resp = client.get(f"/archive/units/{final.o['county'].id}/2025.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    zf = zipfile.ZipFile(io.BytesIO(resp.data))
    names = sorted(zf.namelist())
    expected = sorted([f"第一检察部/{a2.filename}", f"第一检察部/{b.filename}", f"第二检察部/{c.filename}", "manifest.csv"])
    assert names == expected and a2.filename.endswith("_v2.pdf")
    assert zf.read(f"第一检察部/{a2.filename}") == stored(a2)
    raw = zf.read("manifest.csv")
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 4
    by_staff = {r[2]: r for r in rows[1:]}
    assert by_staff[a.person.staff_no][1] == a.person.name
    assert by_staff[a.person.staff_no][6] == "2" and by_staff[a.person.staff_no][7] == a2.sha256
    assert by_staff[a.person.staff_no][8] == format_code(a2.code)
    [entry] = audits("archive.download_zip")
    assert entry.summary.endswith(": 3")

    resp = client.get(f"/archive/departments/{final.o['d2'].id}/2025.zip")
    assert sorted(zipfile.ZipFile(io.BytesIO(resp.data)).namelist()) == sorted([f"第二检察部/{c.filename}", "manifest.csv"])
    assert len(audits("archive.download_zip")) == 2
    assert client.get(f"/archive/departments/{final.o['d2'].id}/2024.zip").status_code == 404


# --- re-issue ----------------------------------------------------------------------------------------

def test_a_reissue_needs_a_reason_and_makes_a_new_version(client, auth, final, issued):
    a = issued[0]
    url = f"/archive/people/{a.person_id}/2025/reissue"
    auth.as_user(final["supervisor"])
    assert client.post(url, data={"reason": "看看"}).status_code == 403
    auth.logout()
    auth.as_user(final["office"])
    resp = client.post(url, data={"reason": "  "})
    assert resp.status_code == 422 and ("Say why" in resp.get_data(as_text=True) or "请说明" in resp.get_data(as_text=True))
    assert client.post(url, data={"reason": "长" * 501}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ArchiveFile).where(ArchiveFile.person_id == a.person_id)) == 1
    resp = client.post(url, data={"reason": "原件遗失，重新打印"})
    assert resp.status_code == 302
    row = archive.latest(a.person_id, 2025)
    assert row.version == 2 and row.reason == "原件遗失，重新打印" and row.generated_by_id == final["office"].id
    assert len(audits("archive.issue")) == 4
    html = client.get(f"/archive/people/{a.person_id}/2025").get_data(as_text=True)
    assert "v2" in html and "v1" in html and format_code(row.code) in html


def test_a_reissue_outside_the_scope_is_refused(client, auth, final, issued):
    auth.as_user(final["sibling_office"])
    assert client.post(f"/archive/people/{issued[0].person_id}/2025/reissue", data={"reason": "x"}).status_code == 404
    assert archive.latest(issued[0].person_id, 2025).version == 1


def test_a_person_who_moved_keeps_last_years_file_in_the_unit_that_appraised_them(client, auth, final, issued):
    a = issued[0]
    person = a.person
    person.unit, person.department = final.o["sibling"], None   # transferred after the year ended
    db.session.commit()
    auth.as_user(final["office"])
    assert client.post(f"/archive/people/{person.id}/2025/reissue", data={"reason": "原件遗失"}).status_code == 302
    v2 = archive.latest(person.id, 2025)
    assert (v2.version, v2.unit_id, v2.department_id) == (2, a.unit_id, a.department_id)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(stored(v2))).pages).replace(" ", "")
    assert final.o["county"].name in text and final.o["sibling"].name not in text
    html = client.get(f"/archive/people/{person.id}/2025").get_data(as_text=True)
    assert "v2" in html and "v1" in html
    auth.logout()
    # The new unit's office neither sees it nor can re-issue it into its own scope.
    auth.as_user(final["sibling_office"])
    assert client.get(f"/archive/people/{person.id}/2025").status_code == 404
    assert client.post(f"/archive/people/{person.id}/2025/reissue", data={"reason": "x"}).status_code == 404
    assert person.name not in client.get("/archive/").get_data(as_text=True)


def test_names_people_typed_cannot_escape_the_zip_or_become_formulas(client, auth, final, issued):
    a = issued[0]
    final.o["d1"].name = "../../etc"
    a.person.name = '=HYPERLINK("http://x")'
    db.session.commit()
    auth.as_user(final["office"])
    zf = zipfile.ZipFile(io.BytesIO(client.get(f"/archive/departments/{final.o['d1'].id}/2025.zip").data))
    for name in zf.namelist():
        parts = name.split("/")
        assert ".." not in parts and not name.startswith("/") and "\\" not in name, name
    assert any(name.startswith("_.._etc/") for name in zf.namelist())
    rows = list(csv.reader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
    assert '\'=HYPERLINK("http://x")' in [r[1] for r in rows]


# --- the public check --------------------------------------------------------------------------------

def test_a_typed_code_shows_the_file_with_a_masked_name(client, final, issued):
    a = issued[0]
    typed = format_code(a.code).lower()
    resp = client.post("/archive/verify", data={"code": typed})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="verified"' in html
    name = a.person.name
    assert name[0] + "*" * (len(name) - 1) in html and name not in html and a.person.staff_no not in html
    assert a.unit.name in html and a.sha256 in html and "2025" in html and 'id="latest"' in html
    assert "intact" in html or "完好" in html
    # O for 0, I for 1, no dashes: still found.
    assert client.post("/archive/verify", data={"code": a.code.replace("0", "O").replace("1", "I")}).status_code == 200


def test_an_earlier_version_says_it_was_superseded(client, final, issued):
    a = issued[0]
    archive.issue(final.campaign, a.person, reason="更正")
    db.session.commit()
    html = client.post("/archive/verify", data={"code": format_code(a.code)}).get_data(as_text=True)
    assert 'id="superseded"' in html and ("version 2" in html or "第 2 版" in html)


def test_an_unknown_or_malformed_code_is_told_so(client, final, issued):
    resp = client.post("/archive/verify", data={"code": new_token().code})
    assert resp.status_code == 404 and 'id="verify-error"' in resp.get_data(as_text=True)
    assert 'id="verified"' not in resp.get_data(as_text=True)
    assert client.post("/archive/verify", data={"code": "not-a-code"}).status_code == 422
    assert client.get("/archive/verify").status_code == 200


def test_an_uploaded_pdf_is_compared_with_the_archived_file(client, final, issued):
    a = issued[0]
    pdf = stored(a)
    resp = client.post("/archive/verify", data={"code": format_code(a.code), "pdf": (io.BytesIO(pdf), "f.pdf")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="upload"' in html and 'class="error"' not in html.split('id="upload"')[1]
    changed = pdf[:-10] + b"0000000000"
    resp = client.post("/archive/verify", data={"code": format_code(a.code), "pdf": (io.BytesIO(changed), "f.pdf")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    import hashlib
    assert hashlib.sha256(changed).hexdigest() in html and 'class="error"' in html.split('id="upload"')[1]


def test_the_check_tells_when_the_stored_file_was_damaged(client, final, issued):
    a = issued[0]
    tamper(a)
    html = client.post("/archive/verify", data={"code": a.code}).get_data(as_text=True)
    assert 'id="intact"' in html and 'class="error"' in html.split('id="intact"')[1].split("</dd>")[0]


def test_the_check_is_rate_limited_per_address(_schema):
    from review.extensions import limiter

    from ..conftest import _empty_all_tables, make_app
    app = make_app(_schema, RATELIMIT_ENABLED=True, ARCHIVE_VERIFY_LIMIT="3 per 10 minutes")
    with app.app_context():
        limiter.reset()
        try:
            client = app.test_client()
            codes = [client.post("/archive/verify", data={"code": new_token().code}).status_code for _ in range(4)]
            assert codes == [404, 404, 404, 429]
        finally:
            limiter.reset()
            db.session.remove()
            _empty_all_tables()
            db.engine.dispose()
