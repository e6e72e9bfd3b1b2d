"""A demo staff member fills the democratic-evaluation sheet on a phone."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from review.ballots.models import AnonymousAnswer, Assignment, PoolEntry, RaterGroup
from review.extensions import db

from .test_browser import log_in


def test_staff_fill_the_democratic_sheet_on_a_phone(new_context, live_server):
    page = new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True).new_page()
    staff = live_server.logins["staff"]
    log_in(page, staff.login, staff.password)
    page.goto("/ballots/")
    page.get_by_role("button", name="开始评价").first.click()
    sheet = page.locator("form.ballot-form")
    expect(sheet).to_be_visible()
    expect(page.locator("main")).to_contain_text("匿名评价")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    selects = sheet.locator("select")
    assert selects.count() > 0
    for i in range(selects.count()):
        selects.nth(i).select_option(index=1)
    sheet.get_by_role("button", name="全部提交").click()
    expect(page.locator("main")).to_contain_text("已记录")

    done = db.session.scalars(select(Assignment).where(Assignment.group == RaterGroup.DEMOCRATIC,
                                                       Assignment.completed.is_(True))).all()
    assert done and {a.rater.staff_no for a in done} == {staff.login}
    # A whole sheet is more than a mixing batch: mixed at once, nothing waits in the pool.
    assert db.session.scalar(select(db.func.count()).select_from(PoolEntry)) == 0
    assert db.session.scalar(select(db.func.count()).select_from(AnonymousAnswer)) >= len(done)
    db.session.remove()
