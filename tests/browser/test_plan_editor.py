"""The plan tree editor in a real browser: live validation names the path, saving an
in-use plan creates a new version, and campaign results read line by line."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .test_browser import log_in


def test_office_edits_a_plan_in_the_tree_editor(page, live_server, tmp_path):
    office = live_server.logins["office"]
    log_in(page, office.login, office.password)
    page.goto("/plans/")
    page.get_by_role("link", name="检察人员考核", exact=True).click()
    page.get_by_role("link", name="编辑", exact=True).click()
    editor = page.locator("#plan-editor")
    expect(editor).to_be_visible()
    live = page.locator("#plan-problems-live")
    expect(live).to_contain_text("方案检查通过")

    # Break a weight: the live check names the dimension whose children no longer add up.
    quality = editor.locator("li.plan-node:has(> div.node-row input.node-code[value=work_quality])")
    size = quality.locator("> div.node-row input.node-size")
    size.fill("30")
    size.dispatch_event("change")
    expect(live).to_contain_text("工作业绩: 下级指标权重之和为 90，而不是 100")
    page.screenshot(path=tmp_path / "editor-invalid.png", full_page=True)

    # Mend it by adding a 10 % sub-indicator below, then save: the plan is in use, so v2 appears.
    quality.locator("> div.node-row").get_by_role("button", name="在下方新增同级指标").click()
    new = editor.locator("li.plan-node:has(> div.node-row input.node-name[value=新指标])")
    new.locator("> div.node-row input.node-size").fill("10")
    new.locator("> div.node-row input.node-size").dispatch_event("change")
    expect(live).to_contain_text("方案检查通过")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(re.compile(r"/plans/versions/\d+$"))
    expect(page.locator("main")).to_contain_text("v2")
    expect(page.locator("#plan-tree")).to_contain_text("新指标")


def test_results_explain_every_line(page, live_server):
    office = live_server.logins["office"]
    log_in(page, office.login, office.password)
    page.goto("/campaigns/")
    page.get_by_role("link", name="东湖县院2025年度检察人员考核").click()
    page.get_by_role("link", name="考核结果", exact=True).first.click()
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_be_visible()
    rows.first.locator("a").click()
    breakdown = page.locator("#breakdown")
    expect(breakdown).to_contain_text("绩效办录入")
    expect(breakdown).to_contain_text("扣完为止")


def test_indicators_move_between_levels(page, live_server):
    office = live_server.logins["office"]
    log_in(page, office.login, office.password)
    page.goto("/plans/")
    page.get_by_role("link", name="检察人员考核", exact=True).click()
    page.get_by_role("link", name="编辑", exact=True).click()
    live = page.locator("#plan-problems-live")
    expect(live).to_contain_text("方案检查通过")
    ability = "li.plan-node:has(> div.node-row input.node-code[value=ability])"
    page.locator(ability).locator("> div.node-row").get_by_role("button", name="移到上一项之下").click()
    # 业务能力 (25) is now under 工作业绩: the top level sums to 75 and 工作业绩's children to 125.
    expect(live).to_contain_text("一级指标: 一级指标权重之和为 75，而不是 100")
    expect(live).to_contain_text("工作业绩: 下级指标权重之和为 125，而不是 100")
    page.locator(ability).locator("> div.node-row").get_by_role("button", name="移到上一级").click()
    expect(live).to_contain_text("方案检查通过")
