"""The demo institution, CLI setup commands, and language switching."""
from sqlalchemy import func, select

from review.auth.models import User
from review.core.access import Role
from review.demo.seed import DEMO_PASSWORD
from review.extensions import db
from review.org.models import Department, LeaderRole, Person


def test_demo_seeds_a_realistic_county_and_every_printed_login_works(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for role in ("admin", "office", "supervisor", "leader", "staff"):
        assert f"  {role}" in result.output
    from review.demo.ballots import demo_slips_path
    from review.demo.seed import demo_survey_slips_path
    assert demo_slips_path() in result.output and demo_survey_slips_path() in result.output  # printable slips
    people = db.session.scalar(select(func.count(Person.id)).where(Person.active.is_(True)))
    assert 50 <= people <= 70
    assert {c for (c,) in db.session.execute(select(Person.category_code).distinct())} == {"quota", "assistant",
                                                                                            "admin"}
    assert db.session.scalar(select(func.count(Person.id)).where(Person.leader_role == LeaderRole.DEPUTY)) == 3
    assert "第一检察部" in db.session.scalars(select(Department.name)).all()
    logins = [line.split()[1] for line in result.output.splitlines()
              if line.strip().split(" ")[0] in ("admin", "office", "supervisor", "leader", "staff")]
    assert len(logins) == 5
    client = app.test_client()
    for login in logins:
        resp = client.post("/login", data={"login": login, "password": DEMO_PASSWORD})
        assert resp.status_code == 302 and resp.headers["Location"] == "/", login
        assert client.get("/").status_code == 200
        client.post("/logout")
    # Idempotent: a second run changes nothing.
    count = db.session.scalar(select(func.count(Person.id)))
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert db.session.scalar(select(func.count(Person.id))) == count
    assert runner.invoke(args=["demo", "--reset"]).exit_code == 0
    assert db.session.scalar(select(func.count(Person.id))) == count


def test_demo_if_empty_leaves_a_real_database_alone(app, runner, make):
    make.unit("真实单位")
    make.commit()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert "not empty" in result.output
    assert db.session.scalar(select(func.count(Person.id))) == 0


def test_create_admin_command(app, runner):
    result = runner.invoke(args=["users", "create-admin", "--login", "root", "--password", "rootpass2025"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.login == "root"))
    assert user.role is Role.ADMIN and not user.must_change_password
    result = runner.invoke(args=["users", "create-admin", "--login", "root", "--password", "rootpass2025"])
    assert result.exit_code != 0 and "root" in result.output


def test_directory_in_chinese_then_english_after_switching(demo_app):
    app = demo_app
    client = app.test_client()
    client.post("/login", data={"login": "admin", "password": DEMO_PASSWORD})
    html = client.get("/org/").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "组织机构" in html and "江川市东湖县人民检察院" in html
    client.post("/language", data={"lang": "en", "next": "/org/"})
    html = client.get("/org/").get_data(as_text=True)
    assert 'lang="en"' in html and "Directory" in html and "江川市东湖县人民检察院" in html
    assert "组织机构" not in html
    # The choice sticks to the account.
    assert db.session.scalar(select(User.locale).where(User.login == "admin")) == "en"


def test_dates_and_numbers_follow_the_language(demo_app):
    app = demo_app
    client = app.test_client()
    client.post("/login", data={"login": "admin", "password": DEMO_PASSWORD})
    person = db.session.scalar(select(Person).where(Person.hired_on.is_not(None)).order_by(Person.id))
    html = client.get(f"/org/people/{person.id}").get_data(as_text=True)
    assert f"{person.hired_on.year}年{person.hired_on.month}月{person.hired_on.day}日" in html
    client.post("/language", data={"lang": "en", "next": "/"})
    html = client.get(f"/org/people/{person.id}").get_data(as_text=True)
    assert f"{person.hired_on.day}, {person.hired_on.year}" in html


def test_demo_has_the_example_plans_and_a_2025_campaign_with_results(demo_app):
    app = demo_app
    from review.campaigns.models import Campaign, CampaignState, Result
    from review.plans.models import StoredPlan

    assert db.session.scalar(select(func.count(StoredPlan.id))) == 5
    campaign = db.session.scalar(select(Campaign).where(Campaign.name == "东湖县院2025年度检察人员考核"))
    assert campaign.year == 2025 and campaign.state is CampaignState.OPEN
    results = db.session.scalars(select(Result).where(Result.campaign_id == campaign.id)).all()
    assert len(results) == len(campaign.subjects) >= 50
    assert all(r.total > 0 for r in results)
    client = app.test_client()
    client.post("/login", data={"login": "admin", "password": DEMO_PASSWORD})
    html = client.get(f"/campaigns/{campaign.id}/results").get_data(as_text=True)
    # one row per person, a page at a time
    assert html.count(f'href="/campaigns/{campaign.id}/results/') == min(len(results), app.config["PAGE_SIZE"])
    person = results[0].person_id
    html = client.get(f"/campaigns/{campaign.id}/results/{person}").get_data(as_text=True)
    assert "案件质量评查结果" in html and "计算过程" in html


def test_demo_has_ballots_some_below_k_and_a_meeting_with_printable_slips(demo_app):
    app = demo_app
    import os

    from pypdf import PdfReader

    from review.ballots import results, slips
    from review.ballots.models import RaterGroup, Slip
    from review.campaigns.models import Campaign
    from review.ballots.models import PoolEntry
    from review.campaigns.operations import move
    from review.demo.ballots import demo_slips_path
    from review.demo.logins import demo_logins

    annual = db.session.scalar(select(Campaign).where(Campaign.name == "东湖县院2025年度检察人员考核"))
    assert results.disclosed(annual) == {}  # voting is open: the ballots wait sealed
    assert db.session.scalar(select(func.count()).select_from(PoolEntry)) > 500
    # The demo logins keep their own ballots to cast.
    staff = next(d for d in demo_logins() if d.role == "staff")
    client = app.test_client()
    client.post("/login", data={"login": staff.login, "password": DEMO_PASSWORD})
    assert "/ballots/grid/" in client.get("/ballots/").get_data(as_text=True)
    move(annual, "close")  # the office closes voting: counted
    disclosed = results.disclosed(annual).values()
    assert sum(len(d.shown) for d in disclosed) > 100                 # most groups are shown...
    assert any(d.withheld for d in disclosed) and any(d.pooled for d in disclosed)  # ...some are not
    meeting = db.session.scalar(select(Campaign).where(Campaign.name.contains("领导班子")))
    assert slips.held_in_meeting(meeting.id, RaterGroup.DEMOCRATIC)
    used = db.session.scalars(select(Slip.used)).all()
    assert 0 < sum(used) < len(used)                                  # most slips used, a few left
    assert os.path.exists(demo_slips_path())
    assert len(PdfReader(demo_slips_path()).pages) >= 1


def test_demo_has_a_parties_satisfaction_survey_with_answers_and_printable_slips(demo_app):
    app = demo_app
    import os

    from pypdf import PdfReader

    from review.demo.seed import demo_survey_slips_path
    from review.surveys import results
    from review.surveys.models import Survey

    survey = db.session.scalar(select(Survey).where(Survey.name.contains("上半年")))
    rows = results.summary(survey)
    assert sum(not r.withheld for r in rows) >= 10 and any(r.withheld for r in rows)  # some below k
    assert all(0 <= r.index <= 100 for r in rows if r.index is not None)
    assert os.path.exists(demo_survey_slips_path())
    assert "survey/" in "".join(p.extract_text() for p in PdfReader(demo_survey_slips_path()).pages)


def test_every_example_plan_runs_as_a_campaign_on_the_demo(demo_app):
    app = demo_app
    from review.campaigns.operations import create_campaign, move
    from review.campaigns.models import Result
    from review.org.models import Unit
    from review.plans.models import StoredPlan

    county = db.session.scalar(select(Unit).where(Unit.code == "320921"))
    for stored in db.session.scalars(select(StoredPlan)).all():
        campaign = create_campaign(stored.latest, county, name=f"试运行 {stored.name}")
        move(campaign, "open")
        db.session.commit()
        results = db.session.scalars(select(Result).where(Result.campaign_id == campaign.id)).all()
        assert results and len(results) == len(campaign.subjects), stored.name
        assert all(r.lines() for r in results)


def test_demo_has_an_imported_kpi_sheet_and_manual_entries_in_each_state(demo_app):
    app = demo_app
    from review.campaigns.models import Campaign, Result
    from review.demo.seed import KPI_FILE
    from review.kpi.models import EntryState, KpiBatch, KpiEntry

    annual = db.session.scalar(select(Campaign).where(Campaign.name == "东湖县院2025年度检察人员考核"))
    batch = db.session.scalar(select(KpiBatch).where(KpiBatch.campaign_id == annual.id))
    assert batch.filename == KPI_FILE and batch.rows == len(annual.subjects)
    states = [e.state for e in db.session.scalars(select(KpiEntry))]
    assert {s: states.count(s) for s in EntryState} == {EntryState.APPROVED: 1, EntryState.REJECTED: 1,
                                                        EntryState.PENDING: 2}
    result = db.session.scalar(select(Result).where(Result.campaign_id == annual.id))
    notes = {line["code"]: line["notes"] for line in result.lines()}
    assert any(KPI_FILE in n for n in notes["work_count"])
