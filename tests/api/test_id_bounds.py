"""Ids beyond the id columns' range (32 bits on PostgreSQL; beyond 64 bits SQLite's driver cannot take
them) answer 404, never a 500, in API paths,
site pages and query strings; and the OpenAPI document states every limit the API enforces."""
from __future__ import annotations

import pytest

from review.api import limits
from review.api.openapi import document
from review.auth.models import Role
from review.campaigns import operations as campaign_ops
from review.extensions import db
from review.ids import MAX_ID

from .conftest import PREFIX, records

TOO_LARGE = [str(MAX_ID + 1), str(2**63), str(2**64), "9" * 5000]


@pytest.mark.parametrize("raw", TOO_LARGE)
@pytest.mark.parametrize("method,template", [("GET", "/campaigns/{}"), ("GET", "/campaigns/{}/results"),
                                             ("POST", "/campaigns/{}/kpi-batches")])
def test_api_ids_out_of_range_answer_404_in_json(api, world, method, template, raw):
    resp = api.call(method, template.format(raw), world.city_key, json={"batch_id": "b", "records": []})
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"


def test_the_largest_id_is_looked_up_as_any_other(api, world):
    resp = api.get(f"/campaigns/{MAX_ID}", world.city_key)
    assert resp.status_code == 404 and resp.get_json()["error"] == "campaign_not_found"


@pytest.mark.parametrize("raw", TOO_LARGE[:2])
def test_site_pages_answer_404_for_ids_out_of_range(client, auth, make, raw):
    admin = make.user(Role.ADMIN)
    make.commit()
    auth.as_user(admin)
    assert client.get(f"/campaigns/{raw}").status_code == 404
    assert client.get(f"/org/people/{raw}").status_code == 404


def test_query_string_ids_out_of_range_answer_404_naming_the_parameter(client, auth, make):
    admin = make.user(Role.ADMIN)
    make.commit()
    auth.as_user(admin)
    assert client.get("/org/people?unit=").status_code == 200
    for query in (f"unit={2**64}", f"department={MAX_ID + 1}", "unit=" + "9" * 5000):
        resp = client.get(f"/org/people?{query}")
        assert resp.status_code == 404, query
        text = resp.get_data(as_text=True)
        assert query.split("=")[0] + " 应为记录编号" in text and str(MAX_ID) in text


def test_an_empty_batch_is_refused_with_a_message_on_records(api, world):
    resp = api.post(f"/campaigns/{world.county_campaign.id}/kpi-batches", world.county_key,
                    json={"batch_id": "empty", "records": []}, headers={"Accept-Language": "en"})
    assert resp.status_code == 422 and resp.get_json()["error"] == "invalid_request"
    assert resp.get_json()["errors"] == [{"row": None, "column": "records", "message":
                                          "records must hold from 1 to 50000 records; this one holds 0."}]


def test_the_largest_page_is_accepted_and_one_more_refused(api, world, app):
    c = world.county_campaign
    api.post(f"/campaigns/{c.id}/kpi-batches", world.county_key,
             json={"batch_id": "p", "records": records(world.county_people, case_count=5)})
    campaign_ops.move(c, "close")
    db.session.commit()
    most = app.config["API_PAGE_MAX"]
    assert api.get(f"/campaigns/{c.id}/results?limit={most}", world.county_key).status_code == 200
    assert api.get(f"/campaigns/{c.id}/results?offset={limits.OFFSET_MAX}", world.county_key).status_code == 200
    for query in (f"limit={most + 1}", f"offset={limits.OFFSET_MAX + 1}", "limit=" + "9" * 5000):
        resp = api.get(f"/campaigns/{c.id}/results?{query}", world.county_key)
        assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_parameter", query


def test_the_served_document_states_the_limits_the_api_enforces(app, client):
    app.config["API_PAGE_MAX"] = 250
    doc = client.get(PREFIX + "/openapi.json").get_json()
    campaign_id = doc["paths"]["/campaigns/{campaign_id}"]["get"]["parameters"][0]["schema"]
    assert campaign_id == {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2**31 - 1}
    limit, offset = doc["paths"]["/campaigns/{campaign_id}/results"]["get"]["parameters"][1:]
    assert limit["schema"]["maximum"] == 250 and limit["schema"]["minimum"] == 1
    assert offset["schema"] == {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0}
    batch = doc["components"]["schemas"]["BatchRequest"]["properties"]
    assert (batch["records"]["minItems"], batch["records"]["maxItems"]) == (1, 50_000)
    assert (batch["batch_id"]["minLength"], batch["batch_id"]["maxLength"]) == (1, 100)
    assert document()["paths"]["/campaigns/{campaign_id}/results"]["get"]["parameters"][1]["schema"]["maximum"] == 1000


def test_a_nul_character_in_a_record_is_refused_with_its_row(api, world):
    people = records(world.county_people[:2], case_count=5)
    people[1]["staff_no"] += "\x00"
    resp = api.post(f"/campaigns/{world.county_campaign.id}/kpi-batches", world.county_key,
                    json={"batch_id": "nul", "records": people}, headers={"Accept-Language": "en"})
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == [{"row": 2, "column": "staff_no",
                                          "message": "Text may not contain the NUL character."}]
