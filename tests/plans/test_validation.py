"""A bad plan is refused with messages that name the node's path, and every problem is listed."""
import pytest

from review.plans.yaml_io import PlanInvalid, dump_plan, load_plan

GOOD = """
name: 测试方案
year: 2025
mode: weights
appraises: {categories: [quota]}
indicators:
  - code: casework
    name: 司法办案
    weight: 70
    children:
      - {code: quantity, name: 办案数量, weight: 50, source: {type: kpi, measure: case_count, method: linear, low: 0, high: 100}}
      - {code: quality, name: 办案质量, weight: 50, source: {type: manual}}
  - code: conduct
    name: 司法作风
    weight: 30
    source: {type: ballot, scale: leader_eval, groups: {leader: 40, peer: 30, democratic: 30}}
grades:
  rules:
    - {grade: 优秀, min_score: 90}
    - {grade: 称职, min_score: 70}
    - {grade: 基本称职}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PlanInvalid) as exc:
        load_plan(text)
    return exc.value.problems


def test_good_plan_loads_and_round_trips():
    plan = load_plan(GOOD)
    assert plan.name == "测试方案" and plan.total == 100
    assert load_plan(dump_plan(plan)) == plan


def test_children_weights_that_do_not_sum_are_named_by_path():
    text = GOOD.replace("name: 办案质量, weight: 50", "name: 办案质量, weight: 40")
    assert problems(text) == ["司法办案: children's weights sum to 90, not 100"]


def test_nested_path_and_top_level_sums():
    text = GOOD.replace("weight: 70\n", "weight: 60\n")
    assert problems(text) == ["top level: dimensions' weights sum to 90, not 100"]


def test_points_mode_children_must_sum_to_parent():
    text = """
name: 司法行政考核
year: 2025
mode: points
indicators:
  - code: work
    name: 业绩
    points: 60
    children:
      - {code: plan_written, name: 计划制定, points: 2, source: {type: deduction, per_occurrence: 1}}
      - {code: inspections, name: 检查, points: 10, source: {type: deduction, per_occurrence: 1}}
grades: {rules: [{grade: 合格, min_score: 70}, {grade: 不合格}]}
"""
    assert problems(text) == ["业绩: children's points sum to 12, not 60"]


def test_every_problem_is_reported_at_once():
    text = GOOD.replace("groups: {leader: 40, peer: 30, democratic: 30}", "groups: {leader: 40, peer: 30, boss: 20}") \
        .replace("scale: leader_eval", "scale: nine_levels").replace("method: linear", "method: magic") \
        .replace("- {grade: 基本称职}", "- {grade: 基本称职, min_score: 10}")
    found = problems(text)
    assert any(p.startswith("司法作风: unknown rater group boss") for p in found)
    assert any(p.startswith("司法作风: rater group weights sum to 90") for p in found)
    assert any(p.startswith("司法作风: unknown scale 'nine_levels'") for p in found)
    assert any(p.startswith("司法办案 › 办案数量: unknown KPI method 'magic'") for p in found)
    assert any(p.startswith("grades: the last rule is the floor") for p in found)


def test_structural_mistakes():
    assert problems("just text") == ["A plan file must be a mapping with name, year, mode and indicators."]
    assert problems("name: x\nyear: 2025\nindicators: [") [0].startswith("line ")
    text = GOOD.replace("code: quality", "code: quantity")
    assert "司法办案 › 办案质量: code quantity is used twice" in problems(text)
    text = GOOD.replace("source: {type: manual}", "points: 5, source: {type: manual}")
    assert "司法办案 › 办案质量: a plan in weights mode gives weight, not points" in problems(text)
    text = GOOD.replace(", source: {type: manual}", "")
    assert "司法办案 › 办案质量: a leaf indicator needs a source" in problems(text)


def test_extra_bonus_items_stay_outside_the_sums():
    text = GOOD.replace("""grades:""", """  - code: merit
    name: 加分项
    weight: 5
    extra: true
    source: {type: bonus, per_occurrence: 1, cap: 5}
bonus_above_total: true
grades:""")
    plan = load_plan(text)
    assert plan.bonus_above_total and plan.indicators[-1].extra
