"""Outside bodies' ratings, entered by the performance office one body at a time."""
import pytest
from sqlalchemy import select

from review.ballots.models import OutsideRating
from review.campaigns import operations as ops
from review.campaigns.models import Result
from review.core.access import Role
from review.core.audit import AuditEntry
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution

PLAN = """
name: 班子考核
year: 2025
mode: weights
appraises: {leader_roles: [chief, deputy]}
indicators:
  - code: politics
    name: 政治素质
    weight: 50
    source: {type: ballot, scale: grade_civil, groups: {democratic: 60, outside: 40}}
  - code: style
    name: 工作作风
    weight: 50
    source: {type: ballot, scale: grade_civil, groups: {democratic: 60, outside: 40}}
grades: {rules: [{grade: 合格}]}
"""


@pytest.fixture
def leadership(make, client, auth):
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    ops.move(campaign, "open")
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    make.commit()
    auth.as_user(office)
    return o, campaign


def sheet(o, **per_person):
    data = {"body": "县委组织部"}
    for key, value in per_person.items():
        for code in ("politics", "style"):
            data[f"r{o[key].id}-{code}"] = value
    return data


def test_a_body_rates_the_leaders_and_the_scores_use_it(client, leadership):
    o, c = leadership
    resp = client.post(f"/campaigns/{c.id}/outside", data=sheet(o, chief="100", dep1="80"))
    assert resp.status_code == 302
    rows = db.session.scalars(select(OutsideRating)).all()
    assert len(rows) == 4 and {r.body for r in rows} == {"县委组织部"}
    lines = {line["code"]: line for line in db.session.get(Result, (c.id, o["chief"].id)).lines()}
    assert "外部评价" in lines["politics"]["explanation"] and lines["politics"]["points"] == 50
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "outside.save")).one()
    assert entry.object_label == "县委组织部" and entry.after[f"{o['chief'].name} · politics"] == 100
    html = client.get(f"/campaigns/{c.id}/ballot-results/{o['chief'].id}").get_data(as_text=True)
    assert "外部评价" in html


def test_a_half_rated_person_saves_nothing_and_a_body_can_be_corrected(client, leadership):
    o, c = leadership
    bad = sheet(o, chief="100")
    bad.pop(f"r{o['chief'].id}-style")
    resp = client.post(f"/campaigns/{c.id}/outside", data=bad)
    assert resp.status_code == 422 and "工作作风" in resp.get_data(as_text=True)
    assert db.session.scalars(select(OutsideRating)).all() == []
    assert client.post(f"/campaigns/{c.id}/outside", data={**sheet(o, chief="100"), "body": ""}).status_code == 422
    client.post(f"/campaigns/{c.id}/outside", data=sheet(o, chief="100", dep1="80"))
    client.post(f"/campaigns/{c.id}/outside", data=sheet(o, chief="60"))  # the same body again: replaces
    rows = db.session.scalars(select(OutsideRating)).all()
    assert {(r.ratee_id, r.value) for r in rows} == {(o["chief"].id, 60)}
    page = client.get(f"/campaigns/{c.id}/outside?body=县委组织部").get_data(as_text=True)
    assert 'value="60" selected' in page
    assert client.post(f"/campaigns/{c.id}/outside/remove", data={"body": "县委组织部"}).status_code == 302
    assert db.session.scalars(select(OutsideRating)).all() == []
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outside.remove")) is not None


def test_closed_campaigns_take_no_ratings(client, leadership):
    o, c = leadership
    ops.move(c, "close")
    db.session.commit()
    assert client.post(f"/campaigns/{c.id}/outside", data=sheet(o, chief="100")).status_code == 422
    assert db.session.scalars(select(OutsideRating)).all() == []
