"""A demo staff member fills the democratic-evaluation sheet on a phone."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from review.ballots.models import AnonymousAnswer, Assignment, PoolEntry, RaterGroup, voted_online
from review.campaigns.models import Result
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
    from review.campaigns.models import Campaign, CampaignState
    # Open campaigns only (last year's demo campaign is final); the leadership's evaluation is held
    # in a meeting, on slips.
    mine = {a.id for a in db.session.scalars(select(Assignment).join(Assignment.rater)
                                             .join(Campaign, Campaign.id == Assignment.campaign_id).where(
        Assignment.group == RaterGroup.DEMOCRATIC, Assignment.completed.is_(False), voted_online(),
        Campaign.state == CampaignState.OPEN))
        if a.rater.staff_no == staff.login}
    ratee = db.session.get(Assignment, next(iter(mine))).ratee_id
    before = db.session.get(Result, (db.session.get(Assignment, next(iter(mine))).campaign_id, ratee))
    before_text = str(before.detail) if before else ""
    db.session.remove()
    selects = sheet.locator("select")
    assert selects.count() > 0
    for i in range(selects.count()):
        selects.nth(i).select_option(index=1)
    sheet.get_by_role("button", name="全部提交").click()
    expect(page.locator("main")).to_contain_text("已记录")

    done = [db.session.get(Assignment, i) for i in mine]
    assert done and all(a.completed for a in done)
    # Sealed until voting closes; once the office closes it, the ratee's breakdown counts the ballot.
    assert db.session.scalar(select(db.func.count()).select_from(AnonymousAnswer)
                             .where(AnonymousAnswer.campaign_id == done[0].campaign_id)) == 0
    from review.campaigns.operations import move
    move(db.session.get(Campaign, done[0].campaign_id), "close")
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(PoolEntry)
                             .where(PoolEntry.campaign_id == done[0].campaign_id)) == 0
    after = db.session.get(Result, (done[0].campaign_id, ratee))
    assert after is not None and str(after.detail) != before_text
    db.session.remove()


def test_a_meeting_slip_is_typed_in_and_filled_on_a_phone(new_context, live_server):
    from review.ballots import slips
    from review.ballots.models import Slip
    from review.campaigns.models import Campaign

    meeting = db.session.scalar(select(Campaign).where(Campaign.name.contains("领导班子")))
    [token] = slips.new_tokens(1)
    slips.issue(meeting, RaterGroup.DEMOCRATIC, [token])
    db.session.commit()
    db.session.remove()
    page = new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True).new_page()
    page.goto("/slip/")
    page.get_by_label("短码").fill(token.code.lower().replace("-", " "))  # typed loosely
    page.get_by_role("button", name="打开测评表").click()
    sheet = page.locator("form.ballot-form")
    expect(sheet).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    selects = sheet.locator("select")
    for i in range(selects.count()):
        selects.nth(i).select_option(index=1)
    sheet.get_by_role("button", name="全部提交").click()
    expect(page.locator("main")).to_contain_text("已记录")
    page.goto("about:blank")
    page.goto(f"{live_server.url}/slip/#{token.link}")  # the QR code's address: the page posts the fragment
    expect(page.locator("main")).to_contain_text("已经使用")
    assert "#" not in page.url and token.link not in page.url
    assert db.session.scalar(select(db.func.count()).select_from(Slip).where(Slip.used.is_(True))) >= 1
    db.session.remove()


def test_a_citizen_answers_a_survey_through_its_qr_link_on_a_phone(new_context, live_server):
    from review.surveys import tokens
    from review.surveys.models import Survey, SurveyPoolEntry, SurveyToken

    from review.surveys.models import SurveyState
    survey = db.session.scalar(select(Survey).where(Survey.state == SurveyState.OPEN))
    [token] = tokens.new_tokens(1)
    from review.org.models import Person
    person = db.session.scalars(select(Person).where(Person.unit_id == survey.unit_id, Person.category_code == "quota")
                                .order_by(Person.staff_no)).first()
    tokens.issue(survey, person.id, person.name, [token])
    sheet = tokens.sheet_for(survey, person.name)
    db.session.commit()
    db.session.remove()
    page = new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True).new_page()
    url = sheet.link_url(token.link).replace(sheet.base_url.rstrip("/"), live_server.url)
    page.goto(url)  # what the phone's camera opens: the secret after "#"
    form = page.locator("form.survey-form")
    expect(form).to_be_visible()
    assert token.link not in page.url and "#" not in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.locator("#q-reasons")).to_be_hidden()          # shown only to the dissatisfied
    page.locator("#q-overall input[value='2']").check()
    expect(page.locator("#q-reasons")).to_be_visible()
    page.locator("#q-reasons input[type=checkbox]").first.check()
    page.locator("#q-overall input[value='5']").check()
    expect(page.locator("#q-reasons")).to_be_hidden()
    page.locator("#q-informed input").first.check()
    page.locator("#q-attitude input[value='4']").check()
    page.locator("#q-integrity input").first.check()
    page.locator("#q-score input[value='9']").check()
    form.get_by_role("button", name="提交").click()
    expect(page.locator("main")).to_contain_text("已记录")
    used = db.session.scalar(select(db.func.count()).select_from(SurveyToken).where(SurveyToken.used.is_(True)))
    assert used >= 1 and db.session.scalar(select(db.func.count()).select_from(SurveyPoolEntry)) >= 1
    db.session.remove()
