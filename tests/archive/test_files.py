"""A person's appraisal file: built from the final campaign, rendered to a Chinese PDF with embedded
subset fonts, stored once and indexed by version; a batch build skips unchanged files and a killed
one leaves nothing half-done."""
import io
import os
import re
import shutil
import subprocess
import time
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from review.appeals import operations as appeal_ops
from review.archive import issue as archive
from review.archive.document import build
from review.archive.models import ArchiveFile
from review.campaigns import operations as campaign_ops
from review.core.audit import AuditEntry
from review.core.tokens import format_code
from review.extensions import db

from ..appeals.world import after
from ..appeals.world import build as build_world


@pytest.fixture
def final(make, app, tmp_path):
    """The appeals world made final: one appeal accepted during the publication window."""
    app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    world = build_world(make)
    until = world.publish(days=2)
    appeal = appeal_ops.submit(world["staff"], world.campaign, "作风分偏低，有表彰材料")
    appeal_ops.accept(world["office"], appeal, "经复核，表彰材料属实", [("conduct", 28, "补充材料证明表现突出")],
                      at=after(until))
    campaign_ops.move(world.campaign, "finalize", today=until + timedelta(days=1))
    db.session.commit()
    return world


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def stored(row: ArchiveFile) -> bytes:
    return archive.store().path(row.sha256).read_bytes()


def test_the_file_shows_the_persons_year(final):
    me = final.o["s1"][0]
    f = build(final.campaign, me)
    assert (f.name, f.staff_no, f.year) == (me.name, me.staff_no, 2025)
    assert f.campaign_state == "已定稿" and f.result_version == 1
    work = f.dimensions[0]
    assert work.name == "工作实绩" and work.lines[0].explanation.startswith("绩效办录入")
    conduct = f.dimensions[2].lines[0]
    assert conduct.points == 28 and any("复核调整" in n for n in conduct.notes)
    [appeal] = f.appeals
    assert appeal.reason == "作风分偏低，有表彰材料" and appeal.outcome == "经复核，表彰材料属实"
    assert f.rank_category is not None and f.category_size >= 2


def test_an_issued_file_is_a_chinese_pdf_with_its_figures_and_code(final):
    me = final.o["s1"][0]
    outcome = archive.issue(final.campaign, me, user=final["office"])
    db.session.commit()
    row = outcome.file
    assert row.version == 1 and row.reason == archive.FIRST_ISSUE and row.unit_path == me.unit.path
    pdf = stored(row)
    assert pdf.startswith(b"%PDF") and row.size == len(pdf) < 400_000
    text = text_of(pdf)
    squeezed = re.sub(r"\s+", "", text)
    result = final.result(me)
    for expected in ("一人一档·一年一卷", me.name, me.staff_no, "工作实绩", "作风", f"{result.total:.2f}",
                     "经复核，表彰材料属实", format_code(row.code), "第1页共", "绩效考核办公室意见"):
        assert re.sub(r"\s+", "", expected) in squeezed, expected
    reader = PdfReader(io.BytesIO(pdf))
    assert 2 <= len(reader.pages) <= 12
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.add((str(font["/BaseFont"]), embedded))
    assert fonts and all(embedded for _name, embedded in fonts)
    # Subset fonts carry a six-letter tag; the Chinese font is Noto CJK.
    assert all(re.match(r"/[A-Z]{6}\+", name) for name, _e in fonts)
    assert any("CJK" in name for name, _e in fonts)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "archive.issue")) == 1


def test_the_first_page_renders_as_an_a4_image(final, tmp_path):
    assert shutil.which("pdftoppm"), "pdftoppm is missing: make system-test-deps installs poppler-utils"
    row = archive.issue(final.campaign, final.o["s1"][0]).file
    db.session.commit()
    (tmp_path / "f.pdf").write_bytes(stored(row))
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(tmp_path / "f.pdf"),
                    str(tmp_path / "page")], check=True)
    [png] = list(tmp_path.glob("page*.png"))
    data = png.read_bytes()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert abs(height / width - 297 / 210) < 0.02


def test_unchanged_files_are_skipped_and_reissues_keep_every_version(final):
    me = final.o["s1"][0]
    first = archive.issue(final.campaign, me).file
    db.session.commit()
    assert archive.issue(final.campaign, me).file is None        # nothing changed: skipped
    again = archive.issue(final.campaign, me, reason="原件遗失，重新打印").file
    db.session.commit()
    assert (first.version, again.version) == (1, 2) and again.reason == "原件遗失，重新打印"
    assert first.code != again.code and first.sha256 != again.sha256
    rows = db.session.scalars(select(ArchiveFile).where(ArchiveFile.person_id == me.id)
                              .order_by(ArchiveFile.version)).all()
    assert [r.version for r in rows] == [1, 2]
    assert all(archive.store().verify(r.sha256) for r in rows)


def test_only_final_campaigns_give_files(make, app, tmp_path):
    app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    world = build_world(make)
    from review.core.errors import DomainError
    with pytest.raises(DomainError):
        archive.issue(world.campaign, world.o["s1"][0])


def test_a_build_killed_after_storing_leaves_no_row_and_the_rerun_completes(final, monkeypatch):
    me = final.o["s1"][0]

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt   # the process dies between storing the PDF and writing its row

    monkeypatch.setattr(archive, "record", killed)
    with pytest.raises(KeyboardInterrupt):
        archive.record(archive.prepare(final.campaign, me))
    db.session.rollback()
    assert db.session.scalar(select(func.count(ArchiveFile.id))) == 0
    monkeypatch.undo()
    row = archive.issue(final.campaign, me).file
    db.session.commit()
    assert row.version == 1 and archive.store().verify(row.sha256)
    # No temporary file is left in the archive folder.
    assert not [p for p in archive.store().root.rglob(".*.tmp")]


def test_the_build_command_issues_the_year_and_skips_on_the_second_run(final, runner):
    people = len(final.campaign.subjects)
    # A writer killed by an earlier build left its temporary file; an hour later the build removes it.
    root = archive.store().root
    root.mkdir(parents=True, exist_ok=True)
    left = root / ".abc123.tmp"
    left.write_bytes(b"%PDF-1.7 half")
    os.utime(left, (time.time() - 7200, time.time() - 7200))
    result = runner.invoke(args=["archive", "build", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert not left.exists() and "removed 1 temporary files" in result.output
    n = db.session.scalar(select(func.count(ArchiveFile.id)))
    assert n == people and f"issued {people}, unchanged 0" in result.output
    result = runner.invoke(args=["archive", "build", "--year", "2025"])
    assert f"issued 0, unchanged {people}" in result.output
    assert db.session.scalar(select(func.count(ArchiveFile.id))) == people
    result = runner.invoke(args=["archive", "build", "--year", "2019"])
    assert result.exit_code != 0 and "No final annual campaign for 2019" in result.output


def stale_once(monkeypatch):
    """The first look at the person-year's latest version sees none: as when another build issued
    it between this one's reading and its writing."""
    real, calls = archive.latest, []

    def latest(person_id, year):
        calls.append(person_id)
        return None if len(calls) == 1 else real(person_id, year)

    monkeypatch.setattr(archive, "latest", latest)


def test_a_version_taken_by_another_build_meanwhile_is_prepared_again(final, monkeypatch):
    me = final.o["s1"][0]
    first = archive.issue(final.campaign, me).file
    db.session.commit()
    stale_once(monkeypatch)
    # Same data as the version the other build wrote: skipped, not a crash and not a duplicate.
    assert archive.issue_committed(final.campaign.id, me.id) is None
    stale_once(monkeypatch)
    # A re-issue someone asked for becomes the version after it.
    again = archive.issue_committed(final.campaign.id, me.id, reason="原件遗失")
    rows = db.session.scalars(select(ArchiveFile).where(ArchiveFile.person_id == me.id)
                              .order_by(ArchiveFile.version)).all()
    assert [(r.version, r.reason) for r in rows] == [(1, first.reason), (2, "原件遗失")] and again.version == 2


def test_someone_in_two_final_campaigns_of_the_year_gets_one_file_from_the_later(monkeypatch):
    from types import SimpleNamespace
    county, city = SimpleNamespace(id=7), SimpleNamespace(id=3)
    members = {3: [10, 11], 7: [11, 12]}
    monkeypatch.setattr(archive, "people_of", lambda c, unit_path=None: members[c.id])
    # Whatever order the campaigns come in, person 11 is always the later campaign's: a second build
    # then finds every file unchanged instead of alternating between the two.
    for order in ([county, city], [city, county]):
        assert sorted(archive.year_files(order)) == [(3, 10), (7, 11), (7, 12)]
