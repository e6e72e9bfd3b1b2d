"""The performance office's quantitative data in a real browser: a bad sheet is listed mistake by
mistake with nothing changed, a good one previewed and imported, a waiting manual entry approved,
and the values appear with their source in the person's breakdown."""
from __future__ import annotations

import io

from openpyxl import Workbook
from playwright.sync_api import expect

from .test_browser import log_in


def sheet(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_office_imports_a_sheet_and_approves_an_entry(page, live_server, tmp_path):
    office = live_server.logins["office"]
    log_in(page, office.login, office.password)
    page.goto("/campaigns/")
    page.get_by_role("link", name="东湖县院2025年度检察人员考核").click()
    page.locator("main").get_by_role("link", name="量化数据").first.click()
    expect(page.locator("#measures")).to_contain_text("按期完成率")

    # The sheet offered for download has one row per person, to edit and send back.
    with page.expect_download() as download:
        page.get_by_role("link", name="下载数据表（.xlsx）").click()
    path = tmp_path / "kpi.xlsx"
    download.value.save_as(path)
    from openpyxl import load_workbook
    rows = list(load_workbook(path)["量化数据"].iter_rows(values_only=True))
    staff_no, name = rows[1][0], rows[1][1]

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(sheet([["工号", "办案（工作）数量", "按期完成率"], [staff_no, "很多", 120], ["X0000", 5, 90]]))
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="校验文件").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("很多")
    expect(errors).to_contain_text("X0000")
    expect(errors.locator("tbody tr")).to_have_count(3)
    expect(errors).to_contain_text("未导入")

    good = tmp_path / "good.xlsx"
    good.write_bytes(sheet([["工号", "办案（工作）数量"], [staff_no, 1999]]))
    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_role("button", name="校验文件").click()
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text(name)
    expect(preview).to_contain_text("1,999")
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#batches")).to_contain_text("good.xlsx")

    # One of the manual entries waiting for review is approved.
    page.get_by_role("link", name="数据补录").click()
    pending = page.locator("#entries tbody tr", has_text="待审核").first
    pending.get_by_role("button", name="批准").click()
    expect(page.locator(".flash, [role=alert], main").first).to_contain_text("审核通过")

    page.goto("/campaigns/")
    page.get_by_role("link", name="东湖县院2025年度检察人员考核").click()
    page.get_by_role("link", name="考核结果", exact=True).first.click()
    page.locator("#results tbody tr", has_text=name).locator("a").first.click()
    expect(page.locator("#breakdown")).to_contain_text("good.xlsx")
