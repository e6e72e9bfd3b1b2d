"""HR's archive in a real browser: last year's file of the demo's appellant found and downloaded,
its printed code checked on the public verification page, and a new version issued with a reason
while the first stays."""
from __future__ import annotations

import io

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from review.demo import appeals as appeals_demo
from review.archive import issue as archive
from review.campaigns.models import Campaign
from review.core.tokens import format_code
from review.extensions import db
from review.org.models import Person

from .test_browser import log_in


def test_hr_downloads_verifies_and_reissues_a_file(page, live_server, new_context, app, tmp_path):
    app.config["ARCHIVE_DIR"] = str(tmp_path / "archive")
    with app.app_context():
        past = db.session.scalar(select(Campaign).where(Campaign.year == 2024))
        appellant = db.session.scalar(select(Person).where(Person.staff_no == appeals_demo.STAFF))
        first = archive.issue(past, appellant).file
        code, name = first.code, appellant.name
        db.session.commit()
        db.session.remove()

    office = live_server.logins["office"]
    log_in(page, office.login, office.password)
    page.get_by_role("link", name="考核档案").first.click()
    page.get_by_label("年度").first.select_option("2024")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=name).first.click()
    expect(page.locator(".archive-versions")).to_contain_text(format_code(code))

    with page.expect_download() as download:
        page.get_by_role("link", name="下载").first.click()
    saved = tmp_path / "file.pdf"
    download.value.save_as(saved)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages).replace(" ", "")
    assert name in text and format_code(code) in text

    # Anyone holding the paper checks its code, typed in lower case.
    visitor = new_context().new_page()
    visitor.goto("/archive/verify")
    visitor.get_by_label("校验码").fill(format_code(code).lower())
    visitor.locator("input[type=file]").set_input_files(str(saved))
    visitor.get_by_role("button", name="查验").click()
    expect(visitor.locator("main")).to_contain_text("档案库中存有该档案")
    expect(visitor.locator("main")).to_contain_text("完好：与校验值一致")
    expect(visitor.locator("main")).not_to_contain_text(name)          # the name is masked for strangers
    expect(visitor.locator("main")).to_contain_text(name[0] + "*")

    page.locator("#reissue textarea").fill("原件遗失，重新打印存档")
    page.locator("#reissue").get_by_role("button").click()
    versions = page.locator(".archive-versions tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.first).to_contain_text("原件遗失，重新打印存档")
    expect(versions.nth(1)).to_contain_text(format_code(code))
