"""Edge cases found in review of the engine and the plan reader."""
import pytest

from review.plans.spec import (Appraises, BonusSource, GradeRule, KpiSource, ManualSource, Node, Plan, RuleCheck,
                               Veto)
from review.plans.yaml_io import PlanInvalid, load_plan
from review.scoring import PersonInputs, Subject, score_campaign


def subject(i, category="quota", role=None):
    return Subject(i, f"S{i:03d}", f"人员{i}", category, "U", "D", role)


def manual_plan(**kw):
    return Plan("p", 2025, "weights", [Node("a", "a", weight=100.0, source=ManualSource())], Appraises(), **kw)


def test_grades_compare_the_published_total():
    plan = manual_plan(grades=(GradeRule("优秀", 90), GradeRule("称职")))
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(manual={"a": (89.996, "")})})
    assert r.grade == "优秀"  # published as 90.00


def test_vetoed_people_take_no_quota_place():
    plan = manual_plan(grades=(GradeRule("优秀", top=0.2), GradeRule("合格")), vetoes=(Veto("v", "否决"),),
                       tie_break=("a",))
    people = [subject(i) for i in range(5)]
    inputs = {i: PersonInputs(manual={"a": (90.0 - i, "")}) for i in range(5)}
    inputs[0].vetoes.add("v")
    grades = [r.grade for r in score_campaign(plan, people, inputs)]
    assert grades == ["合格", "优秀", "合格", "合格", "合格"]


def test_items_never_exceed_their_own_maximum():
    plan = Plan("p", 2025, "weights", [
        Node("r", "r", weight=50.0, source=KpiSource("m", "ratio", target=10.0, cap=1.5)),
        Node("b", "b", weight=50.0, source=ManualSource()),
        Node("x", "加分", weight=5.0, extra=True, source=BonusSource(1.0)),
    ], Appraises(), bonus_above_total=True)
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(kpis={"m": 15.0}, occurrences={"x": 30})})
    points = {line.code: line.points for line in r.lines}
    assert points["r"] == 50.0 and points["x"] == 5.0


def test_undeclared_vetoes_are_ignored():
    plan = manual_plan(grades=(GradeRule("优秀", 90), GradeRule("称职")))
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(manual={"a": (95.0, "")}, vetoes={"typo"})})
    assert r.grade == "优秀" and r.vetoes == []


def test_rule_check_average_covers_the_checked_categories_only():
    plan = manual_plan(grades=(GradeRule("g"),), checks=(RuleCheck("c", "办案量", "cases", "department", ("head",),
                                                                    ("quota",), 0.5, 0.7),))
    people = [subject(1, role="head"), subject(2), subject(3, category="assistant")]
    inputs = {1: PersonInputs(kpis={"cases": 12.0}), 2: PersonInputs(kpis={"cases": 20.0}),
              3: PersonInputs(kpis={"cases": 0.0})}
    head = score_campaign(plan, people, inputs)[0]
    assert not any(f.startswith("办案量") for f in head.flags)  # 12 / 20 = 60 %, within 50–70 %


BASE = """
name: p
year: 2025
indicators:
  - {code: a, name: 甲, weight: 100, source: {type: manual}}
grades: {rules: [{grade: 合格}]}
"""


def problems(text):
    with pytest.raises(PlanInvalid) as exc:
        load_plan(text)
    return exc.value.problems


def test_reader_refuses_misspelt_keys_and_wrong_shapes():
    assert any("unknown key 'max_ad'" in p for p in problems(BASE.replace(
        "source: {type: manual}", "source: {type: kpi, measure: m, method: relative, base: 5, step: 1, per_step: 1, max_ad: 5}")))
    assert any(p.startswith("grades:") for p in problems(BASE.replace("grades: {rules: [{grade: 合格}]}",
                                                                       "grades: [{grade: 合格}]")))
    assert problems(BASE + "vetoes: {code: x}\n") == ["vetoes: must be a list"]


def test_quotas_need_a_tie_break_and_base_fits_the_item():
    text = BASE.replace("grades: {rules: [{grade: 合格}]}", "grades: {rules: [{grade: 优秀, top: 0.1}, {grade: 合格}]}")
    assert any(p.startswith("grades › tie_break") for p in problems(text))
    text = BASE.replace("source: {type: manual}",
                        "source: {type: kpi, measure: m, method: relative, base: 120, step: 1, per_step: 1}")
    assert any("base 120 is more than the item's 100 points" in p for p in problems(text))
