"""The JSON API: authentication by key, what a key may see and write, idempotent and
all-or-nothing KPI batches, results, and JSON errors — on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from review.api import keys, routes
from review.api.models import ApiKey
from review.campaigns import operations as campaign_ops
from review.campaigns.models import Result
from review.core.audit import AuditEntry
from review.extensions import db, limiter
from review.kpi.models import KpiBatch

from ..conftest import rate_limited_app
from ..factories import Factory
from .conftest import PREFIX, Api, count, current_values, records, stored_value_rows


def batch(batch_id="b-1", recs=None, **extra):
    return {"batch_id": batch_id, "records": recs if recs is not None else [], **extra}


def nothing_written():
    assert count(KpiBatch) == 0
    assert stored_value_rows() == 0
    assert count(AuditEntry, AuditEntry.action == "kpi.import") == 0


# --- authentication ---------------------------------------------------------------------

def test_requests_without_a_valid_key_are_refused_with_401(api, world):
    good = world.county_key
    prefix, _secret = good.split(".")
    wrong_secret = f"{prefix}.{'A' * 43}"
    for key, header in [(None, None), (None, "Basic dXNlcjpwYXNz"), ("garbage", None), (wrong_secret, None),
                        ("rvk_0000000000." + "B" * 43, None), (good + "x", None)]:
        resp = api.get("/campaigns", key, headers={"Authorization": header} if header else None)
        assert resp.status_code == 401, key or header
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert resp.get_json()["error"] == "unauthorized"
    assert api.get("/campaigns", good).status_code == 200
    # The scheme is case-insensitive, as HTTP says.
    assert api.get("/campaigns", headers={"Authorization": f"bearer {good}"}).status_code == 200


def test_a_revoked_key_is_refused_at_once(api, world):
    assert api.get("/campaigns", world.county_key).status_code == 200
    keys.revoke_key(db.session.get(ApiKey, world.county_key_id))
    db.session.commit()
    assert api.get("/campaigns", world.county_key).status_code == 401
    resp = api.post(f"/campaigns/{world.county_campaign.id}/kpi-batches", world.county_key,
                    json=batch(recs=records(world.county_people[:1], case_count=5)))
    assert resp.status_code == 401
    nothing_written()


def test_the_database_keeps_only_a_digest_of_the_key(world):
    row = db.session.get(ApiKey, world.county_key_id)
    secret = world.county_key.split(".")[1]
    assert world.county_key.startswith(row.prefix + ".")
    assert secret not in row.digest and len(row.digest) == 64


def test_last_use_is_written_at_most_once_a_minute(api, world):
    key = db.session.get(ApiKey, world.county_key_id)
    assert key.last_used_at is None
    api.get("/campaigns", world.county_key)
    db.session.refresh(key)
    first = key.last_used_at
    assert first is not None
    api.get("/campaigns", world.county_key)
    db.session.refresh(key)
    assert key.last_used_at == first
    key.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    api.get("/campaigns", world.county_key)
    db.session.refresh(key)
    assert key.last_used_at > first - timedelta(minutes=2)
    # Not an audited change: the log is about people's decisions, not traffic.
    assert count(AuditEntry, AuditEntry.action == "api_keys.update") == 0


# --- what a key sees ----------------------------------------------------------------------

def test_a_key_sees_campaigns_of_its_subtree_and_above_it(api, world):
    def seen(key):
        return {c["id"] for c in api.get("/campaigns", key).get_json()["campaigns"]}

    county, city, sibling = world.county_campaign.id, world.city_campaign.id, world.sibling_campaign.id
    assert seen(world.county_key) == {county, city}
    assert seen(world.sibling_key) == {sibling, city}
    assert seen(world.city_key) == {county, city, sibling}
    assert api.get(f"/campaigns/{sibling}", world.county_key).status_code == 404
    assert api.get("/campaigns/999999", world.county_key).status_code == 404


def test_campaign_detail_lists_its_measures_and_the_people_in_scope(api, world):
    body = api.get(f"/campaigns/{world.city_campaign.id}", world.county_key).get_json()
    assert body["state"] == "open" and body["accepts_values"] is True and body["results_available"] is False
    assert body["plan"] == {"name": "量化测试方案", "version": 1}
    assert body["measures"] == [
        {"code": "case_count", "name": "办案数量", "name_en": "Cases closed", "unit": "件", "min": 0, "max": 500,
         "integer": True},
        {"code": "on_time_rate", "name": "按期办结率", "name_en": "On-time rate", "unit": "%", "min": 0,
         "max": 100, "integer": False}]
    # The city campaign appraises the city, both counties; this key reaches its county only.
    assert body["people_in_scope"] == len(world.county_people)
    assert api.get(f"/campaigns/{world.city_campaign.id}", world.city_key).get_json()["people_in_scope"] == \
        len(world.county_people) + 2


def test_a_campaign_outside_the_key_is_not_found_and_nothing_is_written(api, world):
    resp = api.post(f"/campaigns/{world.county_campaign.id}/kpi-batches", world.sibling_key,
                    json=batch(recs=records([world.o["sibling_chief"]], case_count=5)))
    assert resp.status_code == 404 and resp.get_json()["error"] == "campaign_not_found"
    nothing_written()


def test_people_outside_the_key_unit_are_refused_and_nothing_is_written(api, world):
    o = world.o
    recs = records(world.county_people[:3], case_count=40) + records([o["sibling_chief"]], case_count=40)
    resp = api.post(f"/campaigns/{world.city_campaign.id}/kpi-batches", world.county_key, json=batch(recs=recs))
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(4, "工号")]
    assert "邻县检察长" in errors[0]["message"]
    nothing_written()
    # The city's key reaches both counties.
    resp = api.post(f"/campaigns/{world.city_campaign.id}/kpi-batches", world.city_key, json=batch(recs=recs))
    assert resp.status_code == 201


# --- pushing KPI batches ------------------------------------------------------------------

def test_a_batch_is_written_scored_and_audited_as_the_key(api, world):
    people = world.county_people
    recs = [{"staff_no": p.staff_no, "values": {"case_count": 50 + i, "on_time_rate": 90}}
            for i, p in enumerate(people)]
    resp = api.post(f"/campaigns/{world.county_campaign.id}/kpi-batches", world.county_key,
                    json=batch("2025-12-case-system-001", recs))
    assert resp.status_code == 201
    body = resp.get_json()
    n = len(people)
    assert body == {"batch_id": "2025-12-case-system-001", "batch": body["batch"], "campaign": world.county_campaign.id,
                    "dry_run": False, "applied": True, "replay": False, "rows": n, "values": 2 * n, "new": 2 * n,
                    "changed": 0, "unchanged": 0}
    assert current_values(world.county_campaign.id) == {
        **{(p.id, "case_count"): 50 + i for i, p in enumerate(people)}, **{(p.id, "on_time_rate"): 90 for p in people}}
    stored = db.session.get(KpiBatch, body["batch"])
    key = db.session.get(ApiKey, world.county_key_id)
    assert stored.api_key_id == key.id and stored.actor == f"api:{key.prefix}"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "kpi.import"))
    assert entry.actor == f"api:{key.prefix}" and entry.actor_id is None
    assert entry.unit_path == world.county_campaign.unit.path
    # Scored at once: 50 cases of 100 → 30 of 60 points, 90 % on time → 36 of 40.
    result = db.session.get(Result, (world.county_campaign.id, people[0].id))
    assert result.total == pytest.approx(66)


def test_the_same_batch_id_twice_is_applied_once_with_the_same_answer(api, world):
    url = f"/campaigns/{world.county_campaign.id}/kpi-batches"
    body = batch("retry-me", records(world.county_people[:4], case_count=12, on_time_rate=88.5))
    first = api.post(url, world.county_key, json=body)
    again = api.post(url, world.county_key, json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == {**first.get_json(), "replay": True}
    assert count(KpiBatch) == 1 and len(current_values(world.county_campaign.id)) == 8
    assert count(AuditEntry, AuditEntry.action == "kpi.import") == 1
    # Same id, other values: refused, nothing changes.
    other = batch("retry-me", records(world.county_people[:4], case_count=13, on_time_rate=88.5))
    resp = api.post(url, world.county_key, json=other)
    assert resp.status_code == 409 and resp.get_json()["error"] == "batch_conflict"
    assert count(KpiBatch) == 1
    values = current_values(world.county_campaign.id)
    assert {v for (_pid, m), v in values.items() if m == "case_count"} == {12}
    # A new id with changed values replaces them.
    resp = api.post(url, world.county_key, json={**other, "batch_id": "retry-me-2"})
    assert resp.status_code == 201 and resp.get_json()["changed"] == 4 and resp.get_json()["unchanged"] == 4
    values = current_values(world.county_campaign.id)
    assert {v for (_pid, m), v in values.items() if m == "case_count"} == {13} and len(values) == 8
    assert stored_value_rows() == 8  # the first batch's records stay as history


def test_a_retry_after_the_campaign_closed_still_learns_its_batch_went_in(api, world):
    url = f"/campaigns/{world.county_campaign.id}/kpi-batches"
    body = batch("before-close", records(world.county_people[:2], case_count=7))
    first = api.post(url, world.county_key, json=body)
    campaign_ops.move(world.county_campaign, "close")
    db.session.commit()
    again = api.post(url, world.county_key, json=body)
    assert again.status_code == 200 and again.get_json() == {**first.get_json(), "replay": True}
    # Anything else is refused: the campaign no longer takes values.
    resp = api.post(url, world.county_key, json=batch("after-close", records(world.county_people[:2], case_count=8)))
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["row"] is None
    assert count(KpiBatch) == 1


def test_one_bad_value_among_many_refuses_the_whole_batch_with_every_problem(api, world):
    people = world.county_people
    recs = records(people, case_count=10, on_time_rate=95)
    recs[3]["values"]["case_count"] = 501           # above the declared maximum
    recs[5]["values"]["case_count"] = 2.5           # not a whole number
    recs[6]["values"]["on_time_rate"] = "abc"       # not a number
    recs[7]["values"]["unknown_measure"] = 1        # not in the plan
    recs.append({"staff_no": "NO-SUCH-PERSON", "values": {"case_count": 1}})
    recs.append({"staff_no": people[0].staff_no, "values": {"case_count": 1}})  # twice
    resp = api.post(f"/campaigns/{world.county_campaign.id}/kpi-batches", world.county_key,
                    json=batch("mixed", recs))
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"] == "invalid_records"
    found = {(e["row"], e["column"]) for e in body["errors"]}
    n = len(people)
    assert found == {(4, "case_count"), (6, "case_count"), (7, "on_time_rate"), (8, "unknown_measure"),
                     (n + 1, "工号"), (n + 2, "工号")}
    assert all(e["message"] for e in body["errors"])
    nothing_written()
    assert db.session.scalar(select(Result.total).where(Result.campaign_id == world.county_campaign.id,
                                                        Result.person_id == people[0].id)) == 0
    # The batch id was not used up: corrected, the same id goes through.
    fixed = records(people, case_count=10, on_time_rate=95)
    assert api.post(f"/campaigns/{world.county_campaign.id}/kpi-batches", world.county_key,
                    json=batch("mixed", fixed)).status_code == 201


def test_a_dry_run_previews_the_changes_and_writes_nothing(api, world):
    url = f"/campaigns/{world.county_campaign.id}/kpi-batches"
    people = world.county_people[:2]
    resp = api.post(url, world.county_key, json=batch("dry", records(people, case_count=3), dry_run=True))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["dry_run"] is True and body["applied"] is False and body["batch"] is None and body["new"] == 2
    assert sorted((c["staff_no"], c["measure"], c["before"], c["after"]) for c in body["changes"]) == \
        sorted((p.staff_no, "case_count", None, 3.0) for p in people)
    nothing_written()
    resp = api.post(url, world.county_key, json=batch("dry", records(people, case_count=3)))
    assert resp.status_code == 201 and count(KpiBatch) == 1


def test_the_request_must_be_a_json_object_with_the_documented_fields(api, world, app):
    url = f"/campaigns/{world.county_campaign.id}/kpi-batches"
    key = world.county_key
    assert api.post(url, key, data="batch_id=x", content_type="application/x-www-form-urlencoded").status_code == 415
    assert api.post(url, key, data="{not json", content_type="application/json").status_code == 400
    assert api.post(url, key, json=[1, 2]).status_code == 400
    resp = api.post(url, key, json={"records": {}, "dryrun": True, "dry_run": "yes"})
    assert resp.status_code == 422
    assert {e["column"] for e in resp.get_json()["errors"]} == {"batch_id", "records", "dry_run", "dryrun"}
    assert api.post(url, key, json=batch("has space")).status_code == 422
    assert api.post(url, key, json=batch("x" * 101)).status_code == 422
    assert api.post(url, key, json=batch("empty", [])).status_code == 422  # no rows
    app.config["MAX_CONTENT_LENGTH"] = 1024
    big = batch("big", records(world.county_people, case_count=1) * 5)
    resp = api.post(url, key, json=big)
    assert resp.status_code == 413 and resp.get_json()["error"] == "too_large"
    nothing_written()


def test_concurrent_pushes_of_one_batch_write_it_once(app, world):
    url = f"{PREFIX}/campaigns/{world.county_campaign.id}/kpi-batches"
    body = batch("raced", records(world.county_people, case_count=20, on_time_rate=80))
    headers = {"Authorization": f"Bearer {world.county_key}"}
    n = len(world.county_people)
    campaign_id = world.county_campaign.id
    db.session.commit()  # end the reads: outside requests SQLite would hold the write lock
    statuses: list[int] = []
    barrier = threading.Barrier(3)

    def push():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            statuses.append(client.post(url, json=body, headers=headers).status_code)
            db.session.remove()

    threads = [threading.Thread(target=push) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200, 200, 201]
    assert count(KpiBatch) == 1 and len(current_values(campaign_id)) == 2 * n


# --- results ------------------------------------------------------------------------------

def test_results_are_read_once_the_campaign_is_closed_a_page_at_a_time(api, world):
    city = world.city_campaign
    recs = records(world.county_people, case_count=80, on_time_rate=100)
    api.post(f"/campaigns/{city.id}/kpi-batches", world.county_key, json=batch("r", recs))
    resp = api.get(f"/campaigns/{city.id}/results", world.county_key)
    assert resp.status_code == 409 and resp.get_json()["error"] == "results_not_available"
    campaign_ops.move(city, "close")
    db.session.commit()
    seen, offset = [], 0
    while offset is not None:
        page = api.get(f"/campaigns/{city.id}/results?limit=4&offset={offset}", world.county_key).get_json()
        assert page["state"] == "closed" and page["final"] is False and page["limit"] == 4
        assert len(page["results"]) <= 4
        seen += page["results"]
        offset = page["next_offset"]
    # The county's people only, each once, by staff number.
    assert [r["staff_no"] for r in seen] == sorted(p.staff_no for p in world.county_people)
    assert page["total"] == len(world.county_people)
    first = seen[0]
    assert first["total"] == pytest.approx(88) and first["unit"]["name"] == "县院"
    lines = {line["code"]: line for line in first["lines"]}
    assert lines["cases"]["points"] == pytest.approx(48) and lines["cases"]["source"] == "kpi"
    assert lines["timeliness"]["max"] == 40
    # The city's key also sees the city and the other county.
    everyone = api.get(f"/campaigns/{city.id}/results?limit=1000", world.city_key).get_json()
    assert everyone["total"] == len(world.county_people) + 2 and everyone["next_offset"] is None


def test_results_parameters_are_checked(api, world, app):
    c = world.county_campaign
    campaign_ops.move(c, "close")
    db.session.commit()
    for query in ("limit=0", "limit=abc", "offset=-1", f"limit={app.config['API_PAGE_MAX'] + 1}"):
        resp = api.get(f"/campaigns/{c.id}/results?{query}", world.county_key)
        assert resp.status_code == 400 and resp.get_json()["error"] == "invalid_parameter", query
    assert api.get(f"/campaigns/{c.id}/results", world.sibling_key).status_code == 404


# --- errors and limits --------------------------------------------------------------------

def test_errors_on_api_paths_are_json_never_html(api, world, app, monkeypatch):
    assert api.get("/no-such-thing", world.county_key).status_code == 404
    resp = api.get(f"/campaigns/{world.county_campaign.id}/kpi-batches", world.county_key)
    assert resp.status_code == 405 and "POST" in resp.headers["Allow"]
    assert api.call("DELETE", "/campaigns", world.county_key).status_code == 405

    def boom():
        raise RuntimeError("unexpected")

    monkeypatch.setattr(routes, "_visible_campaigns", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = api.get("/campaigns", world.county_key)
    assert resp.status_code == 500 and resp.get_json()["error"] == "internal_error"


def test_messages_follow_accept_language(api, world):
    url = f"/campaigns/{world.county_campaign.id}/kpi-batches"
    bad = batch("lang", records(world.county_people[:1], case_count=900))
    zh = api.post(url, world.county_key, json=bad).get_json()["errors"][0]["message"]
    en = api.post(url, world.county_key, json=bad, headers={"Accept-Language": "en"}).get_json()
    assert "办案数量" in zh and "500" in zh
    assert "outside" in en["errors"][0]["message"] and "nothing was written" in en["message"]


def test_api_answers_are_not_cached(api, world):
    resp = api.get("/campaigns", world.county_key)
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in resp.headers


@pytest.fixture
def limited_app(_schema, tmp_path):
    with rate_limited_app(_schema, API_RATE_LIMIT="3 per minute") as app:
        yield app


def test_requests_are_limited_per_key(limited_app):
    make = Factory()  # not the `make` fixture: its app would switch the shared limiter off
    unit = make.unit("市院")
    first, second = keys.create_key(unit, "甲").secret, keys.create_key(unit, "乙").secret
    make.commit()
    api = Api(limited_app, limited_app.test_client())
    for _ in range(3):
        assert api.get("/campaigns", first).status_code == 200
    resp = api.get("/campaigns", first)
    assert resp.status_code == 429 and resp.get_json()["error"] == "rate_limited"
    assert api.get("/campaigns", second).status_code == 200  # another key counts apart
