"""Rescoring after a change: in the request for a county's campaign, by a background job (RQ on
Redis) for a province's, with the pages saying that the figures are from before the change."""

import pytest
from rq import Queue, SimpleWorker

from review.campaigns import operations as ops
from review.campaigns import rescoring
from review.campaigns.models import Campaign, Result
from review.core.access import Role
from review.core.audit import AuditEntry
from review.extensions import db
from review.org.models import Person

from .test_campaigns import setup  # noqa: F401  (a county with a campaign of PLAN)

@pytest.fixture
def queued(app, job_queue):
    """Background rescoring on, for campaigns of two people or more."""
    app.config.update(RESCORE_IN_BACKGROUND=True, RESCORE_BACKGROUND_FROM=2)
    yield job_queue
    app.config.update(RESCORE_IN_BACKGROUND=False)


def csrf_of(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def work(queue: Queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def total(campaign, person) -> float:
    db.session.expire_all()
    return db.session.get(Result, (campaign.id, person.id)).total


def test_a_county_campaign_rescores_in_the_request(setup):
    o, campaign = setup
    me = o["s1"][0]
    ops.set_manual_entry(campaign, me, "work", 50, "完成任务")
    db.session.commit()
    assert total(campaign, me) == 60.0   # 50 + the deduction item's untouched 10
    assert campaign.rescore_requested_at is None


def test_changes_wait_for_one_job_which_reads_them_all(setup, queued):
    o, campaign = setup
    me = o["s1"][0]
    before = total(campaign, me)
    ops.set_manual_entry(campaign, me, "work", 50, "完成任务")
    db.session.commit()
    ops.set_manual_entry(campaign, me, "conduct", 25, "作风良好")
    db.session.commit()
    # Nothing recomputed yet; the campaign says so; one job waits for both changes.
    assert total(campaign, me) == before
    assert campaign.rescore_requested_at is not None
    assert queued.count == 1
    work(queued)
    assert total(campaign, me) == 50 + 10 + 25
    db.session.refresh(campaign)
    assert campaign.rescore_requested_at is None and queued.count == 0


def test_a_change_rolled_back_queues_nothing(setup, queued):
    o, campaign = setup
    ops.set_manual_entry(campaign, o["s1"][0], "work", 50, "完成任务")
    db.session.rollback()
    db.session.commit()
    assert queued.count == 0


def test_a_change_made_while_the_job_runs_keeps_the_mark_and_queues_another(setup, queued, monkeypatch):
    o, campaign = setup
    me = o["s1"][0]
    ops.set_manual_entry(campaign, me, "work", 50, "完成任务")
    db.session.commit()
    real = rescoring.recompute

    def recompute_then_a_change_arrives(c, *args, **kwargs):
        n = real(c, *args, **kwargs)
        # Another request commits a change after this run has read the inputs.
        rescoring.db.session.execute(rescoring.update(rescoring.Campaign).where(rescoring.Campaign.id == c.id)
                                     .values(rescore_requested_at=rescoring.utcnow()))
        rescoring.enqueue(c.id)
        return n

    monkeypatch.setattr(rescoring, "recompute", recompute_then_a_change_arrives)
    SimpleWorker([queued], connection=queued.connection).work(burst=True, max_jobs=1)
    db.session.refresh(campaign)
    assert campaign.rescore_requested_at is not None   # the later change is not in these results yet
    assert queued.count == 1
    monkeypatch.setattr(rescoring, "recompute", real)
    work(queued)
    db.session.refresh(campaign)
    assert campaign.rescore_requested_at is None


def test_moving_the_campaign_recomputes_at_once_and_clears_the_mark(setup, queued):
    o, campaign = setup
    me = o["s1"][0]
    ops.move(campaign, "open")
    ops.set_manual_entry(campaign, me, "work", 50, "完成任务")
    db.session.commit()
    ops.move(campaign, "close")
    db.session.commit()
    assert total(campaign, me) == 60.0
    db.session.refresh(campaign)
    assert campaign.rescore_requested_at is None
    work(queued)   # the waiting job finds nothing left to do
    assert total(campaign, me) == 60.0


def test_the_pages_say_the_figures_are_from_before_and_the_office_may_recompute(setup, queued, client, auth, make):
    o, campaign = setup
    me = o["s1"][0]
    office = make.user(Role.OFFICE, scope=o["county"])
    make.commit()
    ops.set_manual_entry(campaign, me, "work", 50, "完成任务")
    db.session.commit()
    auth.as_user(office)
    for url in (f"/campaigns/{campaign.id}", f"/campaigns/{campaign.id}/results",
                f"/campaigns/{campaign.id}/results/{me.id}"):
        html = client.get(url).get_data(as_text=True)
        assert 'id="rescore-pending"' in html, url
    token = csrf_of(client.get(f"/campaigns/{campaign.id}/results").get_data(as_text=True))
    resp = client.post(f"/campaigns/{campaign.id}/rescore", data={"csrf_token": token})
    assert resp.status_code == 302
    assert total(campaign, me) == 60.0
    html = client.get(f"/campaigns/{campaign.id}/results").get_data(as_text=True)
    assert 'id="rescore-pending"' not in html
    assert db.session.query(AuditEntry).filter_by(action="campaigns.rescore").count() == 1


def test_staff_cannot_ask_for_a_recompute(setup, client, auth, make):
    o, campaign = setup
    staff = make.user(Role.STAFF, person=o["s1"][0])
    make.commit()
    auth.as_user(staff)
    token = csrf_of(client.get("/").get_data(as_text=True))
    assert client.post(f"/campaigns/{campaign.id}/rescore", data={"csrf_token": token}).status_code == 403


def test_background_rescoring_needs_a_queue():
    from config import TestingConfig
    from review import create_app
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app(TestingConfig, RESCORE_IN_BACKGROUND=True, REDIS_URL=None)


def test_the_worker_command_runs_the_waiting_jobs_and_the_rescore_command_runs_at_once(setup, queued, runner):
    o, campaign = setup
    me = o["s1"][0]
    ops.set_manual_entry(campaign, me, "work", 50, "完成任务")
    db.session.commit()
    ids = campaign.id, me.id
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    # The worker starts every job with a fresh session (here the test's own): read the rows again.
    campaign, me = db.session.get(Campaign, ids[0]), db.session.get(Person, ids[1])
    assert total(campaign, me) == 60.0 and queued.count == 0
    ops.set_manual_entry(campaign, me, "work", 40, "复查后调整")
    db.session.commit()
    result = runner.invoke(args=["campaigns", "rescore", str(campaign.id)])
    assert result.exit_code == 0 and "results" in result.output
    assert total(campaign, me) == 50.0
    db.session.refresh(campaign)
    assert campaign.rescore_requested_at is None
