"""What a user sees in a real browser: logging in, the directory, the language
switch, the phone layout, and that pages stay on the site and within the CSP."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

COUNTY = "江川市东湖县人民检察院"
CITY = "江川市人民检察院"
SIBLING = "江川市西岭县人民检察院"


def log_in(page: Page, login: str, password: str) -> None:
    page.goto("/login")
    form = page.locator("main form")
    expect(form).to_be_visible()
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=password]").fill(password)
    form.locator("[type=submit]").click()


def header_link(page: Page, href: str):
    return page.locator(f"header.site-header a[href='{href}']")


def office_walkthrough(page: Page, live_server) -> None:
    """The performance officer logs in, opens the directory, then the county unit."""
    office = live_server.logins["office"]
    log_in(page, office.login, office.password)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main")).to_contain_text(office.who.split(" · ")[0])

    header_link(page, "/org/").click()
    expect(page).to_have_url(live_server.url + "/org/")
    tree = page.locator("#unit-tree")
    expect(tree).to_be_visible()
    expect(tree.get_by_role("link", name=COUNTY, exact=True)).to_be_visible()

    tree.get_by_role("link", name=COUNTY, exact=True).click()
    expect(page).to_have_url(re.compile(r"/org/units/\d+$"))
    expect(page.locator("main h1")).to_have_text(COUNTY)
    leadership = page.locator("#leadership")
    expect(leadership).to_be_visible()
    expect(leadership.locator("tbody tr").filter(has_text="检察长").first).to_be_visible()
    departments = page.locator("#departments")
    expect(departments).to_be_visible()
    expect(departments.get_by_role("link", name="第一检察部", exact=True)).to_be_visible()


def test_office_logs_in_and_browses_the_directory(page, live_server, tmp_path):
    office_walkthrough(page, live_server)
    page.screenshot(path=tmp_path / "county-unit.png", full_page=True)

    # The officer is scoped to the county: the breadcrumb leads back to the directory
    # only, and the tree holds the county but neither its city nor the sibling county.
    crumbs = page.get_by_role("navigation", name="breadcrumb")
    expect(crumbs.get_by_role("link")).to_have_count(1)
    expect(crumbs).not_to_contain_text(CITY)
    header_link(page, "/org/").click()
    tree = page.locator("#unit-tree")
    expect(tree).to_contain_text(COUNTY)
    expect(tree).not_to_contain_text(CITY)
    expect(tree).not_to_contain_text(SIBLING)


def test_admin_sees_the_whole_unit_tree(page, live_server, tmp_path):
    admin = live_server.logins["admin"]
    log_in(page, admin.login, admin.password)
    expect(page).to_have_url(live_server.url + "/")
    header_link(page, "/org/").click()
    tree = page.locator("#unit-tree")
    for name in (CITY, COUNTY, SIBLING):
        expect(tree.get_by_role("link", name=name, exact=True)).to_be_visible()
    # The county sits inside its city's branch.
    city_item = tree.locator("li").filter(has=page.get_by_role("link", name=CITY, exact=True)).last
    expect(city_item.locator("ul").get_by_role("link", name=COUNTY, exact=True)).to_be_visible()
    page.screenshot(path=tmp_path / "directory.png", full_page=True)


def test_language_switch(page, live_server, tmp_path):
    office = live_server.logins["office"]
    log_in(page, office.login, office.password)
    expect(page).to_have_url(live_server.url + "/")
    page.goto("/org/")
    html = page.locator("html")
    switch = page.locator("footer form.lang-switch")
    chinese = switch.get_by_role("button", name="中文", exact=True)
    english = switch.get_by_role("button", name="English", exact=True)
    # Chinese by default, and the switcher says so.
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(header_link(page, "/org/")).to_have_text("组织机构")
    expect(chinese).to_have_attribute("aria-current", "true")

    english.click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(live_server.url + "/org/")
    expect(header_link(page, "/org/")).to_have_text("Directory")
    expect(page.locator("main h1")).to_have_text("Directory")
    expect(english).to_have_attribute("aria-current", "true")
    expect(chinese).not_to_have_attribute("aria-current", "true")
    # Unit names are data: they stay Chinese.
    expect(page.locator("#unit-tree").get_by_role("link", name=COUNTY, exact=True)).to_be_visible()
    page.screenshot(path=tmp_path / "directory-en.png", full_page=True)

    chinese.click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_url(live_server.url + "/org/")
    expect(header_link(page, "/org/")).to_have_text("组织机构")
    expect(page.locator("main h1")).to_have_text("组织机构")
    expect(chinese).to_have_attribute("aria-current", "true")
    expect(english).not_to_have_attribute("aria-current", "true")
    expect(page.locator("#unit-tree").get_by_role("link", name=COUNTY, exact=True)).to_be_visible()


PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def test_login_on_a_phone(new_context, live_server, tmp_path):
    page = new_context(**PHONE).new_page()
    staff = live_server.logins["staff"]

    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("main h1")).to_have_text("登录")
    form = page.locator("main form")
    expect(form).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the login page scrolls sideways"
    for name in ("login", "password"):
        box = form.locator(f"input[name={name}]").bounding_box()
        assert box is not None
        assert box["width"] >= 280, f"{name} input is only {box['width']}px wide"
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, f"{name} input sticks out of the viewport"
    submit = form.locator("[type=submit]").bounding_box()
    assert submit is not None and submit["x"] + submit["width"] <= 375

    # A wrong password: an error on the page, still on /login.
    form.locator("input[name=login]").fill(staff.login)
    form.locator("input[name=password]").fill("not-the-password")
    form.locator("[type=submit]").tap()
    error = page.locator("main form small.error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("工号或密码错误")
    expect(page.locator("input[name=password]")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(live_server.url + "/login")

    # The right one: the staff member's home page.
    form.locator("input[name=login]").fill(staff.login)
    form.locator("input[name=password]").fill(staff.password)
    form.locator("[type=submit]").tap()
    expect(page).to_have_url(live_server.url + "/")
    name = staff.who.split(" · ")[0]
    expect(page.locator("main h1")).to_contain_text(name)
    expect(page.locator("main")).to_contain_text("我的上下级关系")
    expect(page.locator("main")).to_contain_text(staff.login)  # the details show the staff number
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the home page scrolls sideways"
    page.screenshot(path=tmp_path / "phone-home.png", full_page=True)


def test_pages_stay_on_the_site_and_within_the_csp(page, live_server, tmp_path):
    requests: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page_errors.append(str(e)))

    office_walkthrough(page, live_server)
    page.screenshot(path=tmp_path / "county-unit.png", full_page=True)

    assert requests, "no requests were recorded"
    outside = [u for u in requests if not u.startswith(live_server.url + "/")]
    assert not outside, f"requests left the site: {outside}"
    # Stylesheets and the favicon were fetched from the site itself.
    assert any(u.endswith("/static/css/app.css") for u in requests)
    csp = [m for m in console_errors if "Content Security Policy" in m]
    assert not csp, f"CSP violations: {csp}"
    assert not page_errors, f"script errors: {page_errors}"
