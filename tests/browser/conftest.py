"""Browser fixtures: the real app served over HTTP (on every test database) and a
headless Chromium driven by Playwright's sync API.

Debian's chromium is used as is (never `playwright install`); without it the
browser tests are skipped."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from review.demo.seed import DemoLogin
from review.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
NO_CHROMIUM = f"browser tests need Debian's chromium at {CHROMIUM} (make system-test-deps)"


def pytest_collection_modifyitems(config, items):
    if HAVE_CHROMIUM:
        return
    skip = pytest.mark.skip(reason=NO_CHROMIUM)
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)


@dataclass
class LiveServer:
    url: str
    logins: dict[str, DemoLogin]


@pytest.fixture
def app(demo_app):
    """Browser tests run on a copy of the demo institution (tests/conftest.py ``demo_app``)."""
    return demo_app


@pytest.fixture
def live_server(app):
    """The demo institution, served on 127.0.0.1 with CSRF protection on."""
    # The test thread is done with the database: with SQLite a transaction left
    # open here (BEGIN IMMEDIATE outside requests) would block the server's writes.
    db.session.remove()
    app.config["WTF_CSRF_ENABLED"] = True

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", logins={d.role: d for d in app.demo_logins})
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not HAVE_CHROMIUM:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Factory for browser contexts (fresh cookies) on the live server; all closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", "zh-CN")
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_context):
    return new_context(viewport={"width": 1280, "height": 900}).new_page()
