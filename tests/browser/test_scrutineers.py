"""The office runs a campaign counted by scrutineers in the browser: chooses it while a draft, prints
the key cards at opening, closes, and counts with two of the three cards."""
from __future__ import annotations

import io
import os
import re

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from review.ballots.models import PoolEntry
from review.campaigns import operations as ops
from review.campaigns.models import Campaign
from review.extensions import db

from .test_browser import log_in

SHOTS = os.environ.get("REVIEW_SCREENSHOTS")
FINGERPRINT = r"[0-9A-F]{4}(?:-[0-9A-F]{4}){3}"


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_key_cards_are_printed_at_opening(new_context, live_server, app):
    meeting = db.session.scalar(select(Campaign).where(Campaign.name.like("%领导班子民主测评")))
    draft = ops.create_campaign(meeting.plan_version, meeting.unit, name="监票测试", year=2026)
    db.session.commit()
    draft_id = draft.id
    db.session.remove()
    page = new_context(viewport={"width": 1366, "height": 768}).new_page()
    office = live_server.logins["office"]
    log_in(page, office.login, office.password)
    page.goto(f"/campaigns/{draft_id}")
    section = page.locator("#ballot-key")
    section.locator("summary").click()
    section.locator("select[name=mode]").select_option("scrutineers")
    section.locator("input[name=scrutineers]").fill("3")
    section.locator("input[name=threshold]").fill("2")
    section.locator("[type=submit]").click()
    expect(page.locator("#ballot-key")).to_contain_text("3")
    shot(page, "campaign-draft-key-1366")
    page.locator("form:has(input[name=action][value=open]) button").click()
    cards = page.locator("article.key-card")
    expect(cards).to_have_count(3)
    expect(page.locator("main")).to_contain_text("只显示这一次")
    expect(cards.first.locator("svg")).to_be_visible()
    assert cards.first.locator("ol.key-words li").count() == 33
    expect(page.get_by_role("button", name="打印密钥卡")).to_be_visible()
    shot(page, "key-cards-1366")
    # Printed: one card a page, nothing of the site around them.
    pdf = page.pdf(format="A4")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3
    if SHOTS:
        with open(os.path.join(SHOTS, "key-cards.pdf"), "wb") as f:
            f.write(pdf)
    printed = {re.search(FINGERPRINT, cards.nth(i).inner_text()).group(0) for i in range(3)}
    # Back on the campaign page the cards are not shown again; the same fingerprint is.
    page.goto(f"/campaigns/{draft_id}")
    expect(page.locator("ol.key-words")).to_have_count(0)
    assert printed == {re.search(FINGERPRINT, page.locator("#ballot-key").inner_text()).group(0)}


def test_scrutineers_count_the_meeting_ballots_with_two_cards(new_context, live_server, app):
    campaign = db.session.scalar(select(Campaign).where(Campaign.name.like("%领导班子民主测评")))
    cid, waiting = campaign.id, len(db.session.scalars(select(PoolEntry).where(PoolEntry.campaign_id == campaign.id)).all())
    db.session.remove()
    assert waiting > 0
    with open(os.path.join(app.instance_path, "demo-key-cards.txt"), encoding="utf-8") as f:
        cards = re.findall(r"^Card \d: (.+)$", f.read(), re.M)
    page = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    office = live_server.logins["office"]
    log_in(page, office.login, office.password)
    page.goto(f"/campaigns/{cid}")
    expect(page.locator("#ballot-key")).to_contain_text("监票人")
    page.locator("form:has(input[name=action][value=close]) button").click()
    expect(page.locator("#ballot-key")).to_contain_text(f"{waiting} 张匿名选票等待监票人")
    page.get_by_role("button", name="用监票人的密钥卡计票").click()
    expect(page.locator("textarea[name=share3]")).to_be_visible()
    page.wait_for_load_state("load")   # the stylesheet applied before the width is measured
    shot(page, "count-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("textarea[name=share1]").fill(cards[0])
    page.get_by_role("button", name="计票").click()
    expect(page.locator("#count-error")).to_be_visible()          # one card is not enough
    page.locator("textarea[name=share1]").fill(cards[0])
    page.locator("textarea[name=share3]").fill(cards[2].upper())
    page.get_by_role("button", name="计票").click()
    expect(page.locator("main")).to_contain_text("密钥仅为这次计票重建")
    shot(page, "counted-390")
    campaign = db.session.get(Campaign, cid)
    assert campaign.ballots_counted
    assert not db.session.scalars(select(PoolEntry).where(PoolEntry.campaign_id == cid)).all()
