"""Hostile bodies for the API (issue 15): nesting that would overflow the parser's stack answers
400 in the API's error format, and KPI values that are not finite numbers, or beyond any
plausible measure, are refused with their row and column — nothing written."""
from __future__ import annotations

import json

from review.campaigns.operations import create_campaign
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from .conftest import records
from .test_api import batch, nothing_written

UNBOUNDED = """
name: 无上限量化方案
year: 2025
mode: points
appraises: {categories: [quota]}
measures:
  amount: {name: 涉案金额, unit: 元}
indicators:
  - code: amount
    name: 涉案金额
    points: 100
    source: {type: kpi, measure: amount, method: rank}
grades:
  rules:
    - {grade: 称职}
"""


def test_deeply_nested_json_is_a_400_problem_not_a_500(api, world):
    url = f"/campaigns/{world.county_campaign.id}/kpi-batches"
    for depth in (100, 100_000):
        body = '{"batch_id": "deep", "records": ' + "[" * depth + "]" * depth + "}"
        resp = api.post(url, world.county_key, data=body, content_type="application/json")
        assert resp.status_code == 400
        problem = resp.get_json()
        assert problem["error"] == "invalid_json" and "40" in problem["message"]
    nothing_written()


def test_values_that_are_not_finite_or_beyond_any_measure_are_refused_with_row_and_column(api, world):
    campaign = create_campaign(save_plan(load_plan(UNBOUNDED)), world.o["county"])
    campaign.open()
    db.session.commit()
    people = world.county_people[:5]
    recs = records(people, amount=1000)
    # JSON as a client library writes it for float('nan'), float('inf'), a literal that overflows, 10**15.
    body = json.dumps(batch("hostile", recs))
    for literal in ("NaN", "Infinity", "-Infinity", "1e999", "1e15"):
        body = body.replace('"amount": 1000', f'"amount": {literal}', 1)
    resp = api.post(f"/campaigns/{campaign.id}/kpi-batches", world.county_key, data=body,
                    content_type="application/json")
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(n, "amount") for n in range(1, 6)}
    assert "1e+12" in errors[-1]["message"] and "涉案金额" in errors[-1]["message"]
    nothing_written()
    fine = api.post(f"/campaigns/{campaign.id}/kpi-batches", world.county_key,
                    json=batch("fine", records(people, amount=999_999_999)))
    assert fine.status_code == 201
