"""Hostile documents and numbers (issue 15): a YAML alias bomb, oversize or too deep documents,
deeply nested JSON and nan/inf/huge hand entries are refused quickly with a clear message and
change nothing — never a 500, never a worker's memory."""
from __future__ import annotations

import io
import json
import time
import tracemalloc

import pytest
from sqlalchemy import func, select

from review.campaigns import operations as campaign_ops
from review.campaigns.models import ManualEntry
from review.core.access import Role
from review.extensions import db
from review.plans.models import StoredPlan
from review.plans.operations import save_plan
from review.plans.yaml_io import PlanInvalid, load_plan
from review.surveys.models import StoredQuestionnaire
from review.surveys.yaml_io import QuestionnaireInvalid, load_questionnaire

from ..campaigns.test_campaigns import PLAN
from ..factories import small_institution


def bomb(levels: int, width: int, key: str = "mode") -> str:
    """'Billion laughs': each anchor repeats the previous one ``width`` times; ``key`` gets the last."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]")
    return "\n".join(lines) + f"\n{key}: *l{levels - 1}\n"


# 10**7 strings once expanded: a worker printing it needs hundreds of MB; the real one (9**9) needs 10 GB.
MEDIUM_BOMB = bomb(7, 10)
BILLION_LAUGHS = bomb(9, 9)


class Bounded:
    """Measures a block: wall time and the peak of Python allocations."""

    def __enter__(self):
        tracemalloc.start()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

    def assert_cheap(self):
        assert self.peak_mb < 50 and self.seconds < 5, (self.peak_mb, self.seconds)


def office(make):
    unit = make.unit("县院")
    user = make.user(Role.OFFICE, person=make.person(unit), scope=unit)
    make.commit()
    return user


# --- YAML ------------------------------------------------------------------------------------

@pytest.mark.parametrize("document", [MEDIUM_BOMB, BILLION_LAUGHS], ids=["medium", "billion"])
def test_an_alias_bomb_is_refused_as_a_plan_and_as_a_questionnaire_quickly_and_in_little_memory(app, document):
    with Bounded() as plan_load, pytest.raises(PlanInvalid) as exc:
        load_plan(document)
    plan_load.assert_cheap()
    assert "别名" in exc.value.problems[0] and "100000" in exc.value.problems[0]
    with Bounded() as questionnaire_load, pytest.raises(QuestionnaireInvalid) as exc:
        load_questionnaire(bomb(7, 10, key="target"))
    questionnaire_load.assert_cheap()
    assert "别名" in exc.value.problems[0]


def test_the_plan_import_page_refuses_a_bomb_with_a_message_and_saves_nothing(client, auth, make):
    auth.as_user(office(make))
    with Bounded() as request:
        resp = client.post("/plans/import", data={"file": (io.BytesIO(MEDIUM_BOMB.encode()), "plan.yaml")},
                           content_type="multipart/form-data")
    request.assert_cheap()
    assert resp.status_code == 422
    assert "别名" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StoredPlan.id))) == 0


def test_the_plan_editor_refuses_a_bomb_in_its_yaml_pane_and_keeps_the_version(client, auth, make):
    auth.as_user(office(make))
    version = save_plan(load_plan(PLAN))
    db.session.commit()
    with Bounded() as request:
        resp = client.post(f"/plans/versions/{version.id}/save", data={"yaml": MEDIUM_BOMB, "use_yaml": "1"})
    request.assert_cheap()
    assert resp.status_code == 422 and "别名" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StoredPlan.id))) == 1


def test_the_plans_cli_refuses_a_bomb(runner, tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(MEDIUM_BOMB, encoding="utf-8")
    with Bounded() as command:
        result = runner.invoke(args=["plans", "validate", str(path)])
    command.assert_cheap()
    assert result.exit_code == 1 and "100000" in result.output


def test_the_questionnaire_page_refuses_a_bomb_with_a_message_and_saves_nothing(client, auth, make):
    auth.as_user(make.user(Role.ADMIN, login="root"))
    make.commit()
    document = bomb(7, 10, key="title")
    with Bounded() as request:
        resp = client.post("/surveys/questionnaires/import",
                           data={"file": (io.BytesIO(document.encode()), "q.yaml")})
    request.assert_cheap()
    assert resp.status_code == 422 and "别名" in resp.get_data(as_text=True)
    assert db.session.scalars(select(StoredQuestionnaire)).all() == []


def test_an_alias_that_contains_itself_is_refused(app):
    # Otherwise the plan's tree would be its own child, and walking it would never end.
    cycle = "name: 循环\nyear: 2025\nmode: points\nindicators: &top\n  - {code: a, name: A, points: 1, children: *top}\n"
    with pytest.raises(PlanInvalid) as exc:
        load_plan(cycle)
    assert "*top" in exc.value.problems[0]


def test_oversize_and_too_deep_documents_are_refused_before_they_are_read(app):
    big = "name: 大方案\ndescription: " + "很长的说明" * 60_000 + "\n"
    with pytest.raises(PlanInvalid) as exc:
        load_plan(big)
    assert "KB" in exc.value.problems[0] and "256" in exc.value.problems[0]
    deep = "name: " + "[" * 500 + "]" * 500 + "\n"
    with pytest.raises(PlanInvalid) as exc:
        load_plan(deep)
    assert "40" in exc.value.problems[0]
    # Deep through an alias counts with the depth of what it repeats.
    nested = "a: &a " + "[" * 30 + "1" + "]" * 30 + "\nname: " + "[" * 20 + "*a" + "]" * 20 + "\n"
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_questionnaire(nested)
    assert "40" in exc.value.problems[0]


def test_values_yaml_cannot_build_are_refused_with_a_message(app):
    for document in ("name: x\nyear: 2025-02-30\n", "name: x\nyear: " + "9" * 5000 + "\n"):
        with pytest.raises(PlanInvalid) as exc:
            load_plan(document)
        assert exc.value.problems


def test_a_long_offending_value_is_quoted_truncated(app):
    long_mode = "w" * 100_000
    with pytest.raises(PlanInvalid) as exc:
        load_plan(f"name: 测试\nyear: 2025\nmode: {long_mode}\nindicators: []\n")
    line = next(p for p in exc.value.problems if p.startswith("mode"))
    assert "www" in line and len(line) < 200 and "…" in line
    with pytest.raises(QuestionnaireInvalid) as exc:
        load_questionnaire(f"name: 问卷\ntarget: {long_mode}\ntitle: t\nsections: []\n")
    line = next(p for p in exc.value.problems if "www" in p)
    assert len(line) < 200 and "…" in line


def test_non_finite_numbers_in_a_plan_are_refused(app):
    document = PLAN.replace("points: 60", "points: .nan")
    with pytest.raises(PlanInvalid) as exc:
        load_plan(document)
    assert any("nan" in p for p in exc.value.problems)


# --- JSON ------------------------------------------------------------------------------------

def deep_json(levels: int) -> str:
    return "[" * levels + "]" * levels


def deep_plan(levels: int) -> dict:
    """A plan whose indicator tree is ``levels`` deep: JSON that parses, then a tree to walk."""
    node = {"code": "leaf", "name": "叶", "points": 1, "source": {"type": "manual"}}
    for n in range(levels):
        node = {"code": f"n{n}", "name": f"第{n}层", "points": 1, "children": [node]}
    return {"name": "深方案", "year": 2025, "mode": "points", "indicators": [node],
            "grades": {"rules": [{"grade": "称职"}]}}


def test_plan_validation_refuses_deeply_nested_json_with_a_400_and_a_message(client, auth, make):
    auth.as_user(office(make))
    for body in (deep_json(100_000), json.dumps(deep_plan(450))):
        resp = client.post("/plans/validate", data=body, content_type="application/json")
        assert resp.status_code == 400
        assert "40" in resp.get_json()["problems"][0]
    # Not JSON at all: the same kind of answer, not an empty 400.
    resp = client.post("/plans/validate", data="{oops", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["problems"]


def test_saving_a_deeply_nested_tree_changes_nothing(client, auth, make):
    auth.as_user(office(make))
    version = save_plan(load_plan(PLAN))
    db.session.commit()
    resp = client.post(f"/plans/versions/{version.id}/save", data={"document": deep_json(100_000)})
    assert resp.status_code == 422 and "40" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StoredPlan.id))) == 1


# --- hand entries of counts and points ---------------------------------------------------------

@pytest.fixture
def campaign(make):
    o = small_institution(make)
    c = campaign_ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    make.commit()
    return o, c


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e999", "1e15", "10001", "1.5", "-1"])
def test_a_deduction_count_by_hand_is_a_whole_number_up_to_10000(client, auth, make, campaign, raw):
    o, c = campaign
    auth.as_user(make.user(Role.OFFICE, person=make.person(o["county"]), scope=o["county"]))
    make.commit()
    person = o["s1"][0]
    resp = client.post(f"/campaigns/{c.id}/enter/inspection",
                       data={f"value-{person.id}": raw, f"reason-{person.id}": "检查"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "检查" in html and "0" in html and "10000" in html and "整数" in html
    assert db.session.scalar(select(func.count(ManualEntry.id))) == 0


def test_the_entry_cli_refuses_an_infinite_count(runner, campaign):
    o, c = campaign
    result = runner.invoke(args=["campaigns", "enter", str(c.id), o["s1"][0].staff_no, "inspection", "inf",
                                 "--reason", "x"])
    assert result.exit_code == 1 and "10000" in result.output
    assert db.session.scalar(select(func.count(ManualEntry.id))) == 0
    campaign_ops.set_manual_entry(c, o["s1"][0], "inspection", "3", "三次")   # text typed is read the same way
    assert db.session.scalar(select(ManualEntry.value)) == 3
