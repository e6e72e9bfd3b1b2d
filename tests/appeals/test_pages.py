"""The pages: my results (own breakdown only, ranking only when the plan allows it, the appeal form
within the window, outcomes), attachments, the office's review and the versions of final results."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from review.appeals import operations as ops
from review.appeals.models import Appeal, AppealState
from review.campaigns import operations as campaign_ops
from review.evidence.models import EvidenceFile
from review.extensions import db

from .world import PDF, RANKED, after, build


def test_nothing_is_shown_to_staff_until_the_results_are_published(client, auth, world):
    auth.as_user(world["staff"])
    assert "No published results yet" in client.get("/my/results").get_data(as_text=True)
    assert client.get(f"/my/results/{world.campaign.id}").status_code == 404    # closed
    world.publish()
    html = client.get("/my/results").get_data(as_text=True)
    assert f'href="/my/results/{world.campaign.id}"' in html


def test_staff_see_their_own_breakdown_and_nobody_elses(client, auth, world):
    world.publish()
    me, colleague = world.o["s1"][0], world.o["s1"][1]
    auth.as_user(world["staff"])
    html = client.get(f"/my/results/{world.campaign.id}").get_data(as_text=True)
    lines = world.result(me).lines("en")
    assert "督查检查" in html and "两次督查发现问题" in html            # the stored line and its source
    assert all(line["explanation"] in html for line in lines)
    assert colleague.name not in html
    # There is no page of another person's result for staff: the office's pages are refused...
    assert client.get(f"/campaigns/{world.campaign.id}/results/{colleague.id}").status_code == 403
    # ...and the ranking list is not published by this plan.
    assert client.get(f"/my/results/{world.campaign.id}/ranking").status_code == 404
    assert "Ranking list" not in html
    # Somebody the campaign does not appraise gets nothing.
    auth.logout()
    auth.as_user(world["admin_staff"])
    assert client.get(f"/my/results/{world.campaign.id}").status_code == 404


def test_the_ranking_list_when_the_plan_publishes_it(client, auth, make):
    world = build(make, RANKED)
    world.publish()
    auth.as_user(world["staff"])
    html = client.get(f"/my/results/{world.campaign.id}").get_data(as_text=True)
    assert "Ranking list" in html
    page = client.get(f"/my/results/{world.campaign.id}/ranking").get_data(as_text=True)
    assert world.o["s1"][1].name in page and "第一检察部" in page
    # Name, department, total, rank and grade: none of another person's lines or sources.
    assert "两次督查发现问题" not in page and "年度工作实绩" not in page
    rows = re.findall(r"<tr[^>]*><td>(\d+|—)</td>", page)
    assert len(rows) == len(world.campaign.subjects)
    auth.logout()
    auth.as_user(world["admin_staff"])     # not appraised in the campaign
    assert client.get(f"/my/results/{world.campaign.id}/ranking").status_code == 404


def test_the_office_reads_the_ranking_list_whatever_the_plan(client, auth, world):
    world.publish()
    auth.as_user(world["supervisor"])
    assert client.get(f"/my/results/{world.campaign.id}/ranking").status_code == 200
    auth.logout()
    auth.as_user(world["sibling_office"])
    assert client.get(f"/my/results/{world.campaign.id}/ranking").status_code == 404


def _appeal(client, campaign_id, reason="案件质量评查结论有误", files=()):
    data = {"reason": reason, "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/my/results/{campaign_id}/appeal", data=data, content_type="multipart/form-data")


def test_appeal_with_attachments_then_accepted_and_the_new_breakdown_shown(client, auth, world):
    world.publish()
    me = world.o["s1"][0]
    auth.as_user(world["staff"])
    html = client.get(f"/my/results/{world.campaign.id}").get_data(as_text=True)
    assert 'id="appeal"' in html
    resp = _appeal(client, world.campaign.id, files=[("复查意见.pdf", PDF)])
    assert resp.status_code == 302
    appeal = db.session.scalar(select(Appeal))
    [evidence] = appeal.evidence
    assert client.get(f"/evidence/{evidence.id}").status_code == 200          # the appellant reads the file
    html = client.get(f"/my/results/{world.campaign.id}").get_data(as_text=True)
    assert 'id="appeal"' not in html and "waiting for review" in html
    auth.logout()
    for who, status in (("colleague", 404), ("sibling_office", 404), ("supervisor", 200), ("office", 200)):
        auth.as_user(world[who])
        assert client.get(f"/evidence/{evidence.id}").status_code == status, who
        assert client.get(f"/appeals/{appeal.id}").status_code == status, who
        auth.logout()
    # The office reviews: accept with one adjustment row filled, two left empty.
    auth.as_user(world["office"])
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert 'id="review"' in page and "复查意见.pdf" in page
    data = {"decision": "accept", "outcome": "经复核，一次督查问题不成立",
            "rows-0-indicator": "inspection", "rows-0-points": "8", "rows-0-reason": "一次督查问题经复查不成立",
            "rows-1-indicator": "", "rows-1-points": "", "rows-1-reason": ""}
    bad = dict(data, **{"rows-0-points": "80"})
    resp = client.post(f"/appeals/{appeal.id}/decide", data=bad)
    assert resp.status_code == 422 and "worth 0 to 10" in resp.get_data(as_text=True)
    assert client.post(f"/appeals/{appeal.id}/decide", data=data).status_code == 302
    auth.logout()
    # The appellant sees the outcome and the recomputed breakdown.
    auth.as_user(world["staff"])
    view = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert "Accepted by" in view and "经复核，一次督查问题不成立" in view and "一次督查问题经复查不成立" in view
    html = client.get(f"/my/results/{world.campaign.id}").get_data(as_text=True)
    assert "adjusted on review from 6 to 8 points (一次督查问题经复查不成立)" in html
    assert world.line(me, "inspection")["points"] == 8


def test_a_rejection_and_its_reason_reach_the_appellant(client, auth, world):
    world.publish()
    auth.as_user(world["staff"])
    _appeal(client, world.campaign.id, "作风分偏低")
    appeal = db.session.scalar(select(Appeal))
    auth.logout()
    auth.as_user(world["office"])
    resp = client.post(f"/appeals/{appeal.id}/decide", data={"decision": "reject", "outcome": ""})
    assert resp.status_code == 422
    client.post(f"/appeals/{appeal.id}/decide", data={"decision": "reject", "outcome": "作风评定依据充分"})
    auth.logout()
    auth.as_user(world["staff"])
    html = client.get(f"/my/results/{world.campaign.id}").get_data(as_text=True)
    assert "作风评定依据充分" in html and "Rejected" in html
    assert 'id="appeal"' in html       # decided: another appeal may follow while the window lasts


def test_only_the_office_in_scope_reviews_and_not_its_own_appeal(client, auth, world):
    world.publish()
    auth.as_user(world["appraised_office"])
    _appeal(client, world.campaign.id, "我的作风分偏低")
    own = db.session.scalar(select(Appeal))
    assert 'id="review"' not in client.get(f"/appeals/{own.id}").get_data(as_text=True)
    resp = client.post(f"/appeals/{own.id}/decide", data={"decision": "reject", "outcome": "自己驳回自己"})
    assert resp.status_code == 422 and "Nobody reviews their own appeal" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appeal, own.id).state is AppealState.SUBMITTED
    auth.logout()
    auth.as_user(world["staff"])
    assert client.post(f"/appeals/{own.id}/decide", data={"decision": "reject", "outcome": "x"}).status_code == 403
    auth.logout()
    auth.as_user(world["sibling_office"])
    assert client.post(f"/appeals/{own.id}/decide", data={"decision": "reject", "outcome": "x"}).status_code == 404


def test_after_the_window_no_appeal_form_and_a_post_is_refused(client, auth, world):
    until = world.publish(days=1)
    world.campaign.publish_until = until - timedelta(days=2)   # as if the window had ended two days ago
    db.session.commit()
    auth.as_user(world["staff"])
    html = client.get(f"/my/results/{world.campaign.id}").get_data(as_text=True)
    assert 'id="appeal"' not in html and "no longer taken" in html
    resp = _appeal(client, world.campaign.id)
    assert resp.status_code == 422 and "appeals are no longer taken" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Appeal)) is None


def test_office_pages_queue_versions_and_a_correction(client, auth, world):
    until = world.publish(days=1)
    appeal = ops.submit(world["staff"], world.campaign, "申诉")
    ops.reject(world["office"], appeal, "维持原评分")
    campaign_ops.move(world.campaign, "finalize", today=until + timedelta(days=1))
    db.session.commit()
    auth.as_user(world["office"])
    assert world.campaign.name in client.get("/appeals/").get_data(as_text=True)
    page = client.get(f"/appeals/campaigns/{world.campaign.id}?state=rejected").get_data(as_text=True)
    assert world.o["s1"][0].name in page
    versions = client.get(f"/appeals/campaigns/{world.campaign.id}/versions").get_data(as_text=True)
    assert 'id="correction"' in versions and "v1" in versions
    person = world.o["s1"][1]
    resp = client.post(f"/appeals/campaigns/{world.campaign.id}/corrections", data={
        "reason": "市院复查决定", "rows-0-person": str(person.id), "rows-0-indicator": "work",
        "rows-0-points": "60", "rows-0-reason": "依据复查决定"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/versions/2")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "市院复查决定" in page and person.name in page.split('id="changes"')[1].split("</table>")[0]
    assert client.get(f"/appeals/campaigns/{world.campaign.id}/versions/1").status_code == 200
    auth.logout()
    auth.as_user(world["supervisor"])    # reads, does not correct
    assert 'id="correction"' not in client.get(f"/appeals/campaigns/{world.campaign.id}/versions").get_data(as_text=True)
    assert client.post(f"/appeals/campaigns/{world.campaign.id}/corrections", data={}).status_code == 403
