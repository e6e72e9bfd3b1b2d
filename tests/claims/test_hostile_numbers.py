"""Occurrences of a claim or a recorded deduction (issue 15): a whole number from 1 to 10,000, on the
page and in the operations; nan, inf and 10**15 are refused with the field and the range named,
and nothing is saved."""
import io

import pytest
from sqlalchemy import select

from review.claims import operations as ops
from review.claims.models import Claim
from review.core.errors import DomainError
from review.extensions import db

from .world import PDF, pdf


@pytest.mark.parametrize("raw", ["1000000000000000", "10001", "nan", "inf", "1e999", "0"])
def test_the_claim_page_refuses_occurrences_outside_1_to_10000(client, auth, world, raw):
    auth.as_user(world["staff"])
    resp = client.post("/claims/new", data={
        "item": f"{world.campaign.id}:merit", "title": "案件", "occurrences": raw,
        "files": [(io.BytesIO(PDF), "判决书.pdf")]}, content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Number of occurrences must be a whole number from 1 to 10000" in html
    assert db.session.scalar(select(Claim.id)) is None


def test_the_deduction_page_refuses_a_huge_count(client, auth, world):
    person = world["staff"].person
    auth.as_user(world["office"])
    resp = client.post(f"/claims/campaigns/{world.campaign.id}/deductions", data={
        "person": str(person.id), "item": "inspection", "title": "评查", "occurrences": "1000000000000000",
        "files": [(io.BytesIO(PDF), "评查通报.pdf")]}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "10000" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Claim.id)) is None


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), 10**15, "1e999"])
def test_the_operations_refuse_the_same_counts_with_a_message(world, bad):
    with pytest.raises(DomainError, match="from 1 to 10000"):
        ops.submit(world["staff"], world.campaign, "merit", title="x", occurrences=bad, files=[pdf()])
    db.session.rollback()
    assert db.session.scalar(select(Claim.id)) is None
