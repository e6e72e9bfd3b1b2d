"""Plans in the browser: import with path-named problems, live validation, saving from the tree or YAML."""
import io
import json

from sqlalchemy import func, select

from review.core.access import Role
from review.extensions import db
from review.plans.models import PlanVersion, StoredPlan
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan, plan_to_dict

from .test_campaigns import PLAN


def office(make):
    unit = make.unit("县院")
    user = make.user(Role.OFFICE, person=make.person(unit), scope=unit)
    make.commit()
    return user


def test_import_page_refuses_a_bad_plan_with_paths_and_saves_nothing(client, auth, make):
    auth.as_user(office(make))
    bad = PLAN.replace("points: 10", "points: 10\n    weight: 5")
    resp = client.post("/plans/import", data={"file": (io.BytesIO(bad.encode()), "plan.yaml")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "检查: points 模式的方案应填写 points，而不是 weight" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StoredPlan.id))) == 0
    resp = client.post("/plans/import", data={"file": (io.BytesIO(PLAN.encode()), "plan.yaml")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count(StoredPlan.id))) == 1


def test_live_validation_names_the_path(client, auth, make):
    auth.as_user(office(make))
    document = plan_to_dict(load_plan(PLAN))
    document["mode"] = "weights"
    for node in document["indicators"]:
        node["weight"] = node.pop("points")
    data = client.post("/plans/validate", json=document).get_json()
    assert data["problems"] == [] and "3" in data["summary"]
    document["indicators"][0]["weight"] = 50
    data = client.post("/plans/validate", json=document).get_json()
    assert data["problems"] == ["一级指标: 一级指标权重之和为 90，而不是 100"]


def test_saving_from_the_tree_creates_a_version_when_in_use(client, auth, make):
    auth.as_user(office(make))
    version = save_plan(load_plan(PLAN))
    version.frozen = True
    db.session.commit()
    document = plan_to_dict(version.spec())
    document["indicators"][0]["name"] = "工作实绩（改）"
    resp = client.post(f"/plans/versions/{version.id}/save", data={"document": json.dumps(document)})
    assert resp.status_code == 302
    versions = db.session.scalars(select(PlanVersion).order_by(PlanVersion.version)).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].spec().indicators[0].name == "工作实绩"
    assert versions[1].spec().indicators[0].name == "工作实绩（改）"


def test_saving_a_broken_tree_changes_nothing_and_keeps_the_edits(client, auth, make):
    auth.as_user(office(make))
    version = save_plan(load_plan(PLAN))
    db.session.commit()
    document = plan_to_dict(version.spec())
    document["indicators"][0]["source"] = {"type": "kpi", "measure": "cases", "method": "linear"}
    resp = client.post(f"/plans/versions/{version.id}/save", data={"document": json.dumps(document)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "工作实绩: 缺少 low" in html
    assert "cases" in html  # the editor reopens with what was typed
    db.session.expire_all()
    assert db.session.get(PlanVersion, version.id).spec().indicators[0].source.type == "manual"


def test_saving_from_yaml_without_javascript(client, auth, make):
    auth.as_user(office(make))
    version = save_plan(load_plan(PLAN))
    db.session.commit()
    resp = client.post(f"/plans/versions/{version.id}/save",
                       data={"yaml": PLAN.replace("name: 作风", "name: 工作作风"), "use_yaml": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(PlanVersion, version.id).spec().indicators[2].name == "工作作风"
