"""Fixtures of the API tests: a city with two counties, a KPI plan, campaigns over the city and
over one county, keys for each unit, and a client that checks every API answer against the
OpenAPI document (the schema declared for its path, method and status)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from review.api import keys
from review.api.openapi import document
from review.campaigns.operations import create_campaign
from review.extensions import db
from review.kpi.models import KpiRecord
from review.kpi.values import current
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution

PLAN = """
name: 量化测试方案
year: 2025
mode: points
appraises: {categories: [quota]}
measures:
  case_count: {name: 办案数量, name_en: Cases closed, unit: 件, min: 0, max: 500, integer: true}
  on_time_rate: {name: 按期办结率, name_en: On-time rate, unit: "%", min: 0, max: 100}
indicators:
  - code: cases
    name: 办案数量
    points: 60
    source: {type: kpi, measure: case_count, method: linear, low: 0, high: 100}
  - code: timeliness
    name: 办案效率
    points: 40
    source: {type: kpi, measure: on_time_rate, method: ratio, target: 100}
grades:
  rules:
    - {grade: 优秀, min_score: 90}
    - {grade: 称职, min_score: 60}
    - {grade: 基本称职}
"""

DOC = document()
PREFIX = "/api/v1"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def current_values(campaign_id: int) -> dict[tuple[int, str], float]:
    """(person id, measure) → the current KPI value, read the way the scoring reads it."""
    return {key: c.value for key, c in current(campaign_id).items()}


def stored_value_rows() -> int:
    """Rows holding KPI values, current or history."""
    return count(KpiRecord)


def _template(app, path: str, method: str) -> str | None:
    """The OpenAPI path of a request path, from the route that serves it."""
    from werkzeug.exceptions import HTTPException
    adapter = app.url_map.bind("localhost")
    try:
        rule, _args = adapter.match(path, method=method, return_rule=True)
    except HTTPException:
        return None
    out = rule.rule[len(PREFIX):]
    for arg in rule.arguments:
        out = out.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<{arg}>", "{" + arg + "}")
    return out


def check_against_document(app, method: str, path: str, resp) -> None:
    """The answer is JSON and matches the schema the document declares for it; requests that no
    route serves (unknown path, wrong method) answer with the Error schema."""
    assert resp.mimetype == "application/json", f"{method} {path} answered {resp.mimetype}"
    body = resp.get_json()
    template = _template(app, path.split("?")[0], method)
    if template is None:
        schema = {"$ref": "#/components/schemas/Error"}
    else:
        operation = DOC["paths"][template][method.lower()]
        declared = operation["responses"]
        assert str(resp.status_code) in declared, f"{method} {template}: status {resp.status_code} not documented"
        schema = declared[str(resp.status_code)]["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": DOC["components"]}).validate(body)


class Api:
    """Calls the API with a key and checks each answer against the document."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def call(self, method: str, path: str, key: str | None = None, *, headers=None, **kwargs):
        headers = dict(headers or {})
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        url = PREFIX + path
        resp = self.client.open(url, method=method, headers=headers, **kwargs)
        check_against_document(self.app, method, url, resp)
        return resp

    def get(self, path, key=None, **kwargs):
        return self.call("GET", path, key, **kwargs)

    def post(self, path, key=None, **kwargs):
        return self.call("POST", path, key, **kwargs)


@pytest.fixture
def api(app, client) -> Api:
    return Api(app, client)


@dataclass
class World:
    o: dict
    county_campaign: object
    city_campaign: object
    sibling_campaign: object
    county_key: str
    city_key: str
    sibling_key: str
    county_key_id: int

    @property
    def county_people(self):
        o = self.o
        return [o["chief"], o["dep1"], o["dep2"], o["member"], o["h1"], o["h2"], *o["s1"], *o["s2"]]


@pytest.fixture
def world(make) -> World:
    o = small_institution(make)
    version = save_plan(load_plan(PLAN))
    county = create_campaign(version, o["county"])
    city = create_campaign(version, o["city"])
    sibling = create_campaign(version, o["sibling"])
    for c in (county, city, sibling):
        c.open()
    county_key = keys.create_key(o["county"], "统一业务应用系统（县院）")
    city_key = keys.create_key(o["city"], "统一业务应用系统（市院）")
    sibling_key = keys.create_key(o["sibling"], "统一业务应用系统（邻县）")
    make.commit()
    return World(o, county, city, sibling, county_key.secret, city_key.secret, sibling_key.secret,
                 county_key.key.id)


def records(people, **values) -> list[dict]:
    return [{"staff_no": p.staff_no, "values": dict(values)} for p in people]
