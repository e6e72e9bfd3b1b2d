"""The claim pages: a claim made, endorsed and approved through the browser; what each user sees."""
import io
import re

from sqlalchemy import select

from review.claims import operations as ops
from review.claims.models import Claim, ClaimState
from review.extensions import db

from .world import PDF, PNG, pdf


def submit_on_the_web(client, world, *, title="王某涉黑案（重大疑难）", files=None):
    return client.post("/claims/new", data={
        "item": f"{world.campaign.id}:merit", "title": title, "description": "主办，历时八个月\n判决已生效",
        "occurrences": "2", "files": files or [(io.BytesIO(PDF), "判决书.pdf"), (io.BytesIO(PNG), "照片.png")]},
        content_type="multipart/form-data")


def test_a_claim_from_submission_to_approval(client, auth, world):
    auth.as_user(world["staff"])
    form = client.get("/claims/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and f'value="{world.campaign.id}:merit"' in form
    assert f'value="{world.campaign.id}:honours"' not in form          # fed by a register: not claimable
    assert "<optgroup" in form and 'multiple' in form
    resp = submit_on_the_web(client, world)
    assert resp.status_code == 302
    claim = db.session.scalars(select(Claim)).one()
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "王某涉黑案（重大疑难）" in page and "判决书.pdf" in page and "照片.png" in page
    assert f"/evidence/{claim.evidence[0].id}" in page and "Withdraw my claim" in page
    mine = client.get("/claims/").get_data(as_text=True)
    assert "王某涉黑案（重大疑难）" in mine and "Awaiting the department head" in mine
    auth.logout()

    auth.as_user(world["head1"])
    queue = client.get("/claims/review").get_data(as_text=True)
    assert "王某涉黑案（重大疑难）" in queue and 'value="endorse"' in queue
    resp = client.post(f"/claims/{claim.id}/decide", data={"decision": "endorse", "note": "情况属实", "back": "queue"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/claims/review")
    db.session.expire_all()
    assert claim.state is ClaimState.ENDORSED and claim.head_note == "情况属实"
    assert "王某涉黑案" not in client.get("/claims/review").get_data(as_text=True)
    auth.logout()

    auth.as_user(world["office"])
    queue = client.get("/claims/review").get_data(as_text=True)
    assert "王某涉黑案（重大疑难）" in queue and 'value="approve"' in queue and "情况属实" in queue
    client.post(f"/claims/{claim.id}/decide", data={"decision": "reject", "note": ""})
    db.session.expire_all()
    assert claim.state is ClaimState.ENDORSED                   # no reason: nothing happens
    client.post(f"/claims/{claim.id}/decide", data={"decision": "approve", "note": ""})
    db.session.expire_all()
    assert claim.state is ClaimState.APPROVED and world.line(claim.person, "merit")["points"] == 4
    page = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Approved by" in page and "Endorsed by" in page and "情况属实" in page


def test_a_rejected_claim_shows_its_reason_to_the_claimant(client, auth, world):
    claim = ops.submit(world["staff"], world.campaign, "merit", title="优秀文书", files=[pdf()])
    ops.reject(world["head1"], claim, "文书未获评优秀")
    db.session.commit()
    auth.as_user(world["staff"])
    page = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "Rejected by" in page and "文书未获评优秀" in page and "Withdraw my claim" not in page


def test_the_claimant_withdraws_on_the_web(client, auth, world):
    claim = ops.submit(world["staff"], world.campaign, "merit", title="优秀文书", files=[pdf()])
    db.session.commit()
    auth.as_user(world["colleague"])
    assert client.post(f"/claims/{claim.id}/withdraw").status_code == 404
    auth.logout()
    auth.as_user(world["staff"])
    assert client.post(f"/claims/{claim.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert claim.state is ClaimState.WITHDRAWN


def test_others_get_404_for_a_claim_they_may_not_see(client, auth, world):
    claim = ops.submit(world["staff"], world.campaign, "merit", title="优秀文书", files=[pdf()])
    db.session.commit()
    for who in ("colleague", "other", "head2", "dep1", "sibling_office", "sibling_supervisor"):
        auth.as_user(world[who])
        assert client.get(f"/claims/{claim.id}").status_code == 404, who
        assert client.post(f"/claims/{claim.id}/decide", data={"decision": "endorse"}).status_code == 404, who
        auth.logout()
    db.session.expire_all()
    assert claim.state is ClaimState.SUBMITTED
    for who in ("staff", "head1", "office", "supervisor", "admin"):
        auth.as_user(world[who])
        assert client.get(f"/claims/{claim.id}").status_code == 200, who
        auth.logout()


def test_the_supervisor_reads_without_forms(client, auth, world):
    claim = ops.submit(world["staff"], world.campaign, "merit", title="优秀文书", files=[pdf()])
    db.session.commit()
    auth.as_user(world["supervisor"])
    page = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "decision" not in page and "withdraw" not in page.lower().split("</h1>")[1]
    page = client.get(f"/claims/campaigns/{world.campaign.id}").get_data(as_text=True)
    assert "优秀文书" in page and "record-deduction" not in page
    assert client.post(f"/claims/campaigns/{world.campaign.id}/deductions").status_code == 403


def test_the_office_records_a_deduction_and_filters_by_state(app, client, auth, world):
    person = world.o["s1"][0]
    ops.submit(world["colleague"], world.campaign, "merit", title="待审核的申报", files=[pdf()])
    db.session.commit()
    auth.as_user(world["office"])
    page = client.get(f"/claims/campaigns/{world.campaign.id}").get_data(as_text=True)
    assert "record-deduction" in page and "待审核的申报" in page
    data = {"person": str(person.id), "item": "inspection", "title": "案件评查发现程序瑕疵", "occurrences": "2",
            "files": [(io.BytesIO(PDF), "评查通报.pdf")]}
    resp = client.post(f"/claims/campaigns/{world.campaign.id}/deductions", data=data,
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    assert world.line(person, "inspection")["points"] == 8
    approved = client.get(f"/claims/campaigns/{world.campaign.id}?state=approved").get_data(as_text=True)
    assert "案件评查发现程序瑕疵" in approved and "待审核的申报" not in approved
    bad = dict(data, files=[(io.BytesIO(b"<html>"), "通报.html")])
    resp = client.post(f"/claims/campaigns/{world.campaign.id}/deductions", data=bad,
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "通报.html" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Claim.id).where(Claim.kind == "deduction", Claim.id > 2)) is None
    # The person sees the deduction and its evidence.
    auth.logout()
    auth.as_user(world["staff"])
    mine = client.get("/claims/").get_data(as_text=True)
    assert "案件评查发现程序瑕疵" in mine
    deduction = db.session.scalars(select(Claim).where(Claim.kind == "deduction")).one()
    assert client.get(f"/evidence/{deduction.evidence[0].id}").status_code == 200


def test_the_form_keeps_what_was_typed_when_a_file_is_refused(client, auth, world):
    auth.as_user(world["staff"])
    resp = submit_on_the_web(client, world, files=[(io.BytesIO(b"MZ"), "工具.exe")])
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "工具.exe" in page and "王某涉黑案（重大疑难）" in page
    assert re.search(r'aria-invalid="true"[^>]*name="files"|name="files"[^>]*aria-invalid="true"', page)


def test_without_an_open_campaign_there_is_nothing_to_claim(client, auth, world):
    from review.campaigns import operations as campaign_ops
    campaign_ops.move(world.campaign, "close")
    db.session.commit()
    auth.as_user(world["staff"])
    assert "/claims/new" not in client.get("/claims/").get_data(as_text=True)
    assert client.get("/claims/new").status_code == 200
    auth.logout()
    auth.as_user(world["admin"])
    assert client.get("/claims/new").status_code == 302              # no person: back to the list
