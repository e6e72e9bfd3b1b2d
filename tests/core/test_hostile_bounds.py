"""Bodies built to make the readers' own bookkeeping slow or huge: a JSON text the depth scan
would crawl quadratically, aliases to long text, integers too long to print."""
from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import func, select

from review.core import safe_json
from review.core.access import Role
from review.core.quoting import quoted
from review.extensions import db
from review.plans.models import StoredPlan
from review.plans.yaml_io import PlanInvalid, load_plan
from review.surveys.models import StoredQuestionnaire
from review.surveys.yaml_io import QuestionnaireInvalid, load_questionnaire

from .test_hostile_input import Bounded, office


# --- JSON depth scan ---------------------------------------------------------------------------

def test_an_unterminated_string_of_escaped_quotes_is_scanned_in_linear_time(app):
    hostile = '"' + '\\"' * 100_000   # 200 KB; the old scan took minutes
    started = time.perf_counter()
    with pytest.raises(safe_json.JsonProblem) as exc:
        safe_json.loads(hostile)
    assert time.perf_counter() - started < 1
    assert "not valid" in exc.value.message or "无效" in exc.value.message or exc.value.message


def test_the_depth_scan_still_sees_brackets_outside_strings_only(app):
    assert safe_json.loads('{"a": "[[[[\\"[[[[", "b": [1, {"c": []}]}') == {"a": '[[[["[[[[', "b": [1, {"c": []}]}
    assert safe_json.depth('{"a": "[[[[\\"[[[[", "b": [1, {"c": []}]}') == 4
    with pytest.raises(safe_json.JsonProblem) as exc:
        safe_json.loads("[" * 41 + "]" * 41)
    assert "40" in exc.value.message
    started = time.perf_counter()
    assert safe_json.depth('["' + '\\"' * 100_000 + '"]') == 1
    assert safe_json.depth("[" * 50 + '"' + '\\"' * 100_000) == 50
    assert time.perf_counter() - started < 1


def test_a_json_body_above_the_size_bound_is_refused_before_it_is_scanned(app):
    with pytest.raises(safe_json.JsonProblem) as exc:
        safe_json.loads("[" + "1," * 100 + "1]", max_bytes=100)
    assert "KB" in exc.value.message


def test_plan_validation_answers_a_hostile_string_quickly(client, auth, make):
    auth.as_user(office(make))
    started = time.perf_counter()
    resp = client.post("/plans/validate", data='"' + '\\"' * 100_000, content_type="application/json")
    assert time.perf_counter() - started < 1
    assert resp.status_code == 400 and resp.get_json()["problems"]


# --- YAML: aliases to long text -----------------------------------------------------------------

def plan_amplifier(big: int = 10_000, repeats: int = 2_000) -> str:
    items = ", ".join(["*v"] * repeats)
    return (f"name: bomb plan\nyear: 2025\nmode: weights\ndescription: &big {'x' * big}\n"
            "indicators:\n  - {code: a, name: A, weight: 100, source: {type: manual}}\n"
            "grades:\n  rules:\n    - {grade: ok}\nchecks: []\n"
            f"vetoes: [&v {{code: *big, name: *big}}, {items}]\n")


def questionnaire_amplifier(big: int = 10_000, questions: int = 2_000) -> str:
    qs = "\n".join(f"      - {{code: q{i}, kind: text, text: *big}}" for i in range(questions))
    return f"name: qa\ntarget: person\ntitle: &big {'x' * big}\nsections:\n  - title: s\n    questions:\n{qs}\n"


def test_aliases_to_long_text_are_refused_as_a_plan_and_a_questionnaire(app):
    with Bounded() as plan_load, pytest.raises(PlanInvalid) as exc:
        load_plan(plan_amplifier())
    plan_load.assert_cheap()
    assert "别名" in exc.value.problems[0] and "2000000" in exc.value.problems[0]
    with Bounded() as questionnaire_load, pytest.raises(QuestionnaireInvalid) as exc:
        load_questionnaire(questionnaire_amplifier())
    questionnaire_load.assert_cheap()
    assert "别名" in exc.value.problems[0] and "2000000" in exc.value.problems[0]


def test_the_plan_import_page_refuses_aliases_to_long_text_and_save_nothing(client, auth, make):
    auth.as_user(office(make))
    with Bounded() as request:
        resp = client.post("/plans/import", data={"file": (io.BytesIO(plan_amplifier().encode()), "p.yaml")},
                           content_type="multipart/form-data")
    request.assert_cheap()
    assert resp.status_code == 422 and "别名" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StoredPlan.id))) == 0


def test_the_questionnaire_page_refuses_aliases_to_long_text_and_saves_nothing(client, auth, make):
    auth.as_user(make.user(Role.ADMIN, login="root"))
    make.commit()
    with Bounded() as request:
        resp = client.post("/surveys/questionnaires/import",
                           data={"file": (io.BytesIO(questionnaire_amplifier().encode()), "q.yaml")})
    request.assert_cheap()
    assert resp.status_code == 422 and "别名" in resp.get_data(as_text=True)
    assert db.session.scalars(select(StoredQuestionnaire)).all() == []


def test_a_few_aliases_to_short_text_are_still_accepted(app):
    document = "name: 问卷\ntarget: person\ntitle: &t 年度测评\nsections:\n  - title: *t\n    questions:\n      - {code: q1, kind: text, text: *t}\n"
    assert load_questionnaire(document) is not None


# --- YAML: integers too long to print ---------------------------------------------------------

HUGE_INTEGERS = {
    "plan_hex_mode": "name: p\nyear: 2025\nmode: 0x" + "f" * 5000 + "\nindicators: []\n",
    "plan_hex_weight": ("name: p\nyear: 2025\nmode: weights\nindicators:\n  - {code: a, name: A, weight: 0x"
                        + "f" * 5000 + ", source: {type: manual}}\n"),
    "plan_hex_key": "name: p\nyear: 2025\n? 0x" + "f" * 5000 + "\n: 1\nindicators: []\n",
    "plan_sexagesimal_weight": ("name: p\nyear: 2025\nmode: weights\nindicators:\n  - {code: a, name: A, weight: 1"
                                + ":0" * 100_000 + ", source: {type: manual}}\n"),
}


@pytest.mark.parametrize("document", HUGE_INTEGERS.values(), ids=HUGE_INTEGERS.keys())
def test_the_plan_import_page_refuses_a_huge_integer_with_a_message(client, auth, make, document):
    auth.as_user(office(make))
    started = time.perf_counter()
    resp = client.post("/plans/import", data={"file": (io.BytesIO(document.encode()), "p.yaml")},
                       content_type="multipart/form-data")
    assert time.perf_counter() - started < 5
    assert resp.status_code == 422 and "位数" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(StoredPlan.id))) == 0


def test_the_questionnaire_import_page_refuses_a_huge_integer_with_a_message(client, auth, make):
    auth.as_user(make.user(Role.ADMIN, login="root"))
    make.commit()
    document = "name: q\ntarget: 0x" + "f" * 5000 + "\ntitle: t\nsections: []\n"
    resp = client.post("/surveys/questionnaires/import", data={"file": (io.BytesIO(document.encode()), "q.yaml")})
    assert resp.status_code == 422 and "位数" in resp.get_data(as_text=True)
    assert db.session.scalars(select(StoredQuestionnaire)).all() == []


def test_quoting_an_integer_too_long_for_decimal_never_raises():
    text = repr(quoted([1, 16 ** 5000 - 1]))
    assert text.startswith("[1, 0xfff") and "…" in text and len(text) <= 60
