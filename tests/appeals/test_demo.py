"""The demo's 2024 campaign goes from closed to published to final, with one appeal accepted and one
rejected, and a correction after final; the 2025 campaign stays open."""
from flask_babel import force_locale
from sqlalchemy import func, select

from review.appeals.models import Adjustment, Appeal, AppealState, ResultVersion
from review.auth.models import User
from review.campaigns.models import Campaign, CampaignState, Result
from review.core.audit import AuditEntry
from review.demo import appeals as demo
from review.demo.seed import DEMO_PASSWORD
from review.extensions import db


def test_the_demo_campaign_is_published_appealed_and_final(demo_app):
    with force_locale("en"):  # on the demo copy's own context: the package's `english` holds the shared app's
        check_the_demo_campaign(demo_app)


def check_the_demo_campaign(app):
    annual = db.session.scalar(select(Campaign).where(Campaign.name == "东湖县院2025年度检察人员考核"))
    users = {u.login: u for u in db.session.scalars(select(User))}
    demo.seed(annual, users)   # once the demo seed calls it, this finds the campaign there and does nothing
    db.session.commit()
    past = db.session.scalar(select(Campaign).where(Campaign.name == demo.NAME))
    assert past.state is CampaignState.FINAL and past.year == 2024 and annual.state is CampaignState.OPEN
    appeals = {a.state: a for a in db.session.scalars(select(Appeal).where(Appeal.campaign_id == past.id))}
    assert set(appeals) == {AppealState.ACCEPTED, AppealState.REJECTED}
    accepted, rejected = appeals[AppealState.ACCEPTED], appeals[AppealState.REJECTED]
    assert accepted.person.staff_no == demo.STAFF and accepted.evidence and accepted.reviewed_by.login == demo.OFFICE
    assert rejected.outcome and "维持原评分" in rejected.outcome
    assert str(past.publish_until) == "2025-01-15"
    logged = set(db.session.scalars(select(AuditEntry.action)))
    assert {"campaigns.close", "campaigns.publish", "campaigns.finalize", "appeals.submit", "appeals.accept",
            "appeals.reject", "results.correction"} <= logged
    assert [v.number for v in db.session.scalars(select(ResultVersion).where(ResultVersion.campaign_id == past.id)
                                                 .order_by(ResultVersion.number))] == [1, 2]
    assert db.session.scalar(select(func.count(Adjustment.id)).where(Adjustment.campaign_id == past.id)) == 2
    # The demo staff login sees the outcome and the adjusted line.
    client = app.test_client()
    client.post("/login", data={"login": demo.STAFF, "password": DEMO_PASSWORD})
    html = client.get(f"/my/results/{past.id}").get_data(as_text=True)
    assert "adjusted on review from" in html and "东检一刑诉123号案件瑕疵认定撤销" in html
    assert client.get(f"/my/results/{past.id}/ranking").status_code == 200   # the staff plan publishes it
    # Once is enough.
    assert demo.seed(annual, users) == {}
    assert db.session.scalar(select(func.count(Campaign.id)).where(Campaign.name == demo.NAME)) == 1
    assert db.session.scalar(select(func.count(Result.person_id)).where(Result.campaign_id == past.id)) >= 50
