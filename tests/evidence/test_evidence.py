"""Evidence files: type by content, size, names, storage outside the web root, who may download."""
import hashlib
import io
import os

import pytest
from sqlalchemy import select

from review.claims import operations as claim_ops
from review.claims.models import Claim
from review.core.spreadsheet import workbook
from review.evidence import storage
from review.evidence.models import EvidenceFile
from review.evidence.storage import Upload
from review.extensions import db
from review.registers import operations as register_ops
from review.registers.models import RegisterKind

from ..claims.world import JPEG, PDF, PNG, office_zip, pdf


def folder_files(app) -> list[str]:
    folder = os.path.join(app.instance_path, "evidence")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


# --- what is accepted -------------------------------------------------------------------------------

@pytest.mark.parametrize("name,data,kind", [
    ("判决书.pdf", PDF, storage.PDF),
    ("现场.jpg", JPEG, storage.JPEG),
    ("截图.png", PNG, storage.PNG),
    ("审查报告.docx", office_zip("word/document.xml"), storage.DOCX),
    ("统计表.xlsx", workbook([("表", ["a"], [[1]])]), storage.XLSX),
])
def test_accepted_types_are_decided_by_content(app, name, data, kind):
    checked = storage.check(Upload(name, data))
    assert checked.content_type == kind and checked.filename == name
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name,data", [
    ("程序.exe", b"MZ\x90\x00" + b"\x00" * 100),
    ("伪装.pdf", b"<html><script>alert(1)</script></html>"),
    ("文本.pdf", "这是纯文本".encode()),
    ("旧格式.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
    ("图片.gif", b"GIF89a" + b"\x00" * 20),
    ("带宏.docx", office_zip("word/document.xml", {"word/vbaProject.bin": b"\x00" * 10})),
    ("带宏.xlsm", office_zip("xl/workbook.xml", content_types=b'<Types><Override ContentType='
                           b'"application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>')),
    ("压缩包.zip", office_zip("other/thing.txt")),
    ("坏的.docx", b"PK\x03\x04 truncated"),
    ("svg.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
])
def test_other_content_is_refused_with_a_message_naming_the_file(app, name, data):
    with pytest.raises(storage.EvidenceRejected) as err:
        storage.check(Upload(name, data))
    assert name.rsplit(".", 1)[0] in err.value.message


def test_empty_and_oversized_files_are_refused(app):
    with pytest.raises(storage.EvidenceRejected, match="empty"):
        storage.check(Upload("空.pdf", b""))
    app.config["EVIDENCE_MAX_MB"] = 1
    storage.check(Upload("刚好.pdf", PDF + b"\x00" * (1024 * 1024 - len(PDF))))
    with pytest.raises(storage.EvidenceRejected, match=r"大.pdf.*larger than 1 MB"):
        storage.check(Upload("大.pdf", PDF + b"\x00" * (1024 * 1024)))


def test_a_zip_bomb_is_refused(app):
    bomb = office_zip("word/document.xml", {"word/media/huge.bin": b"\x00" * (30 * 1024 * 1024)})
    with pytest.raises(storage.EvidenceRejected, match="damaged or packed suspiciously"):
        storage.check(Upload("炸弹.docx", bomb))


@pytest.mark.parametrize("raw,kind,shown", [
    ("C:\\fakepath\\起诉书.pdf", storage.PDF, "起诉书.pdf"),
    ("../../etc/passwd", storage.PDF, "passwd.pdf"),
    ("report.exe", storage.PDF, "report.exe.pdf"),
    ("photo.JPEG", storage.JPEG, "photo.JPEG"),
    ("a\x00b\r\nc<>.png", storage.PNG, "abc__.png"),
    ("...", storage.PDF, "evidence.pdf"),
    ("长" * 300 + ".docx", storage.DOCX, "长" * 115 + ".docx"),
])
def test_names_are_made_safe_for_display_and_download(app, raw, kind, shown):
    assert storage.display_name(raw, kind) == shown


# --- on disk ----------------------------------------------------------------------------------------

def test_bytes_are_stored_under_the_instance_folder_by_a_random_name(app, world):
    claim = claim_ops.submit(world["staff"], world.campaign, "merit", title="x", files=[pdf("起诉书.pdf")])
    db.session.commit()
    f = claim.evidence[0]
    path = storage.path_of(f)
    assert os.path.dirname(path) == os.path.join(app.instance_path, "evidence")
    assert "起诉书" not in f.stored_name and len(f.stored_name) >= 32
    with open(path, "rb") as fh:
        assert fh.read() == PDF
    assert f.sha256 == hashlib.sha256(PDF).hexdigest() and f.size == len(PDF)
    assert not os.path.abspath(path).startswith(os.path.abspath(app.static_folder))


def test_files_of_a_rolled_back_transaction_leave_the_disk(app, world):
    claim_ops.submit(world["staff"], world.campaign, "merit", title="x", files=[pdf(), pdf("二.pdf")])
    assert len(folder_files(app)) == 2
    db.session.rollback()
    assert folder_files(app) == []


def test_a_file_goes_with_its_row_once_the_deletion_is_committed(app, world):
    register_ops.set_keepers(world["office"], world.o["county"], {RegisterKind.COMMENDATION: world.o["d3"]})
    entry = register_ops.add_entry(world["office"], RegisterKind.COMMENDATION, world.o["s1"][0], title="表彰",
                                   occurred_on=__import__("datetime").date(2025, 5, 1), files=[pdf()])
    db.session.commit()
    assert len(folder_files(app)) == 1
    register_ops.remove_entry(world["office"], entry)
    db.session.rollback()                       # changed their mind: the file stays
    assert len(folder_files(app)) == 1
    entry = db.session.scalars(select(EvidenceFile)).one().register_entry
    register_ops.remove_entry(world["office"], entry)
    assert len(folder_files(app)) == 1          # not before the commit
    db.session.commit()
    assert folder_files(app) == [] and db.session.scalar(select(EvidenceFile.id)) is None


def test_orphans_can_be_purged(app, world):
    claim_ops.submit(world["staff"], world.campaign, "merit", title="x", files=[pdf()])
    db.session.commit()
    with open(os.path.join(app.instance_path, "evidence", "stray"), "wb") as f:
        f.write(b"x")
    assert storage.purge_orphans() == 1 and len(folder_files(app)) == 1


# --- over the web ----------------------------------------------------------------------------------

def post_claim(client, world, files):
    return client.post("/claims/new", data={"item": f"{world.campaign.id}:merit", "title": "重大疑难案件",
                                            "occurrences": "1", "files": files},
                       content_type="multipart/form-data")


def test_a_bad_file_among_several_saves_nothing_and_leaves_no_file(app, client, auth, world):
    auth.as_user(world["staff"])
    resp = post_claim(client, world, [(io.BytesIO(PDF), "一.pdf"), (io.BytesIO(b"MZ\x90"), "病毒.exe"),
                                      (io.BytesIO(PNG), "三.png")])
    assert resp.status_code == 422 and "病毒.exe" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Claim.id)) is None and db.session.scalar(select(EvidenceFile.id)) is None
    assert folder_files(app) == []
    resp = post_claim(client, world, [(io.BytesIO(PDF), "一.pdf"), (io.BytesIO(PNG), "三.png")])
    assert resp.status_code == 302
    assert sorted(f.filename for f in db.session.scalars(select(EvidenceFile))) == ["一.pdf", "三.png"]
    assert len(folder_files(app)) == 2


def test_evidence_forms_accept_more_than_the_sites_general_upload_limit(app, client, auth, world):
    import re
    auth.as_user(world["staff"])
    app.config.update(MAX_CONTENT_LENGTH=512 * 1024, EVIDENCE_MAX_MB=2, WTF_CSRF_ENABLED=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/claims/new").get_data(as_text=True)).group(1)
    big = PDF + b"\x00" * (1024 * 1024)

    def send(data, name):
        return client.post("/claims/new", data={"csrf_token": token, "item": f"{world.campaign.id}:merit",
                                                "title": "重大疑难案件", "occurrences": "1",
                                                "files": [(io.BytesIO(data), name)]},
                           content_type="multipart/form-data")
    # The CSRF check reads the form before the view: the raised limit is already in force then.
    assert send(big, "卷宗.pdf").status_code == 302
    resp = send(big + b"\x00" * (1024 * 1024), "太大.pdf")
    assert resp.status_code == 422 and "太大.pdf" in resp.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/claims/").status_code == 302
    # Not for anonymous requests: the general limit stays.
    assert send(big, "卷宗.pdf").status_code == 413


@pytest.fixture
def claim_file(world):
    claim = claim_ops.submit(world["staff"], world.campaign, "merit", title="x", files=[pdf("起诉书.pdf")])
    db.session.commit()
    return claim.evidence[0]


@pytest.mark.parametrize("who,allowed", [
    ("staff", True),              # the claimant
    ("head1", True),              # their department head, who endorses
    ("office", True), ("admin", True), ("supervisor", True),
    ("colleague", False),         # same department, not their claim
    ("other", False),             # another department
    ("head2", False),             # another department's head
    ("dep1", False),              # supervises the department, but the head reviews
    ("chief", False),
    ("sibling_office", False), ("sibling_supervisor", False),
])
def test_a_claims_file_is_served_to_those_allowed_and_404_to_others(client, auth, world, claim_file, who, allowed):
    auth.as_user(world[who])
    resp = client.get(f"/evidence/{claim_file.id}")
    if allowed:
        assert resp.status_code == 200 and resp.data == PDF
        assert resp.headers["Content-Type"] == "application/pdf"
        assert resp.headers["Content-Disposition"].startswith("attachment")
        assert "%E8%B5%B7%E8%AF%89%E4%B9%A6.pdf" in resp.headers["Content-Disposition"]   # 起诉书.pdf
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Content-Security-Policy"] == "sandbox"
        assert resp.headers["Cache-Control"] == "private, no-store"
    else:
        assert resp.status_code == 404
    assert client.get("/evidence/999999").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, claim_file):
    resp = client.get(f"/evidence/{claim_file.id}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_supervising_leader_reads_the_claim_of_a_head(client, auth, world):
    claim = claim_ops.submit(world["head1"], world.campaign, "merit", title="x", files=[pdf()])
    db.session.commit()
    auth.as_user(world["dep1"])
    assert client.get(f"/evidence/{claim.evidence[0].id}").status_code == 200
    auth.logout()
    auth.as_user(world["head1"])
    assert client.get(f"/evidence/{claim.evidence[0].id}").status_code == 200


def test_a_register_entrys_file_is_served_to_the_person_the_keepers_and_readers_in_scope(client, auth, world):
    from datetime import date
    register_ops.set_keepers(world["office"], world.o["county"], {RegisterKind.COMMENDATION: world.o["d3"]})
    entry = register_ops.add_entry(world["political"], RegisterKind.COMMENDATION, world.o["s1"][0], title="嘉奖",
                                   occurred_on=date(2025, 5, 1), files=[pdf("嘉奖令.pdf")])
    db.session.commit()
    url = f"/evidence/{entry.evidence[0].id}"
    expected = {"staff": 200, "political": 200, "office": 200, "office2": 200, "supervisor": 200, "admin": 200,
                "colleague": 404, "other": 404, "head1": 404, "sibling_office": 404, "sibling_supervisor": 404}
    for who, status in expected.items():
        auth.as_user(world[who])
        assert client.get(url).status_code == status, who
        auth.logout()
