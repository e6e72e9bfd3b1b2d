"""Results as stored: small, and read back into the same lines the engine explains, in either language.

The engine scores indicator by indicator and writes a person's texts only when they are read; these
tests hold the two paths to the same numbers."""
import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from review.plans.yaml_io import load_plan
from review.scoring import PersonInputs, Subject, score_campaign, stored

PLAN = """
name: 全部来源
year: 2025
mode: points
appraises: {categories: [quota, assistant]}
indicators:
  - code: work
    name: 工作
    points: 70
    children:
      - {code: votes, name: 评议, points: 10, source: {type: ballot, scale: grade_four, mapping: range, groups: {peer: 60, democratic: 40}}}
      - {code: cases, name: 办案数, points: 10, source: {type: kpi, measure: cases, method: linear, low: 0, high: 100}}
      - {code: days, name: 审限, points: 10, source: {type: kpi, measure: days, method: lower_better, best: 10, worst: 60}}
      - {code: rate, name: 结案率, points: 10, source: {type: kpi, measure: rate, method: ratio, target: 90, cap: 1.2}}
      - {code: rel, name: 相对, points: 10, source: {type: kpi, measure: rel, method: relative, within: unit, base: 5, step: 5, per_step: 1, max_add: 5, max_sub: 5}}
      - {code: rank, name: 排名, points: 10, source: {type: kpi, measure: rank, method: rank, within: category}}
      - {code: quality, name: 质量, points: 10, rollup: mean, source: {type: manual}}
  - code: other
    name: 其他
    points: 30
    children:
      - {code: public, name: 满意度, points: 10, source: {type: survey, questionnaire: 群众满意度, bands: [[90, 1], [80, 0.8]]}}
      - {code: merits, name: 加分, points: 10, source: {type: bonus, per_occurrence: 2, cap: 6}}
      - {code: faults, name: 扣分, points: 10, source: {type: deduction, per_occurrence: 3}}
grades:
  rules:
    - {grade: 优秀, min_score: 80, top: 0.2}
    - {grade: 称职, min_score: 60}
    - {grade: 不称职}
  tie_break: [work, staff_no]
"""


def people(n: int) -> list[Subject]:
    return [Subject(i, f"S{i:03d}", f"人员{i}", ("quota", "assistant")[i % 2], f"U{i % 3}", f"D{i % 2}")
            for i in range(1, n + 1)]


def inputs_for(subjects: list[Subject], rng: random.Random) -> dict[int, PersonInputs]:
    # As the loader gives them: one list of notes shared by the values of one import.
    batch = [("src_batch", {"what": "#3 办案.xlsx", "date": "2026-01-10"})]
    out = {}
    for s in subjects:
        d = PersonInputs()
        if rng.random() < 0.9:
            d.ballots["votes"] = {g: (rng.uniform(40, 100) * c, c) for g in ("peer", "democratic")
                                  if (c := rng.randint(0, 6))}
            if rng.random() < 0.2:
                d.withheld["votes"] = {"democratic"}
        for m, lo, hi in (("cases", -10, 120), ("days", 5, 70), ("rate", 50, 120), ("rel", 0, 40), ("rank", 0, 9)):
            if rng.random() < 0.85:
                d.kpis[m] = round(rng.uniform(lo, hi), 2)
                d.sources[f"kpi:{m}"] = batch
        if rng.random() < 0.8:
            d.manual["quality"] = (round(rng.uniform(-2, 12), 1), "评查")
        if rng.random() < 0.3:
            d.periods["quality"] = [("一季度", rng.uniform(0, 10), 10.0), ("二季度", rng.uniform(0, 10), 10.0)]
        if rng.random() < 0.7:
            d.surveys["public"] = rng.uniform(60, 100)
        d.occurrences["merits"] = rng.randint(0, 5)
        d.occurrences["faults"] = rng.randint(0, 4)
        if d.occurrences["merits"]:
            d.sources["merits"] = [("src_claim", {"title": "重大案件", "n": 1, "date": "2026-03-01"})]
        if rng.random() < 0.1:
            d.adjustments["faults"] = (rng.uniform(0, 10), "复核")
        out[s.id] = d
    return out


def as_stored(result) -> dict:
    """What the database gives back: the packed detail through JSON."""
    return json.loads(json.dumps(stored.pack(result), ensure_ascii=False))


def line_dicts(result) -> list[dict]:
    return [{"code": line.code, "path": list(line.path), "source": line.source, "max": line.max_points,
             "points": line.points, "weight": line.weight, "raw": line.raw, "explanation": line.explanation,
             "notes": line.notes} for line in result.lines]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 30))
def test_stored_lines_are_the_engines_lines_in_both_languages(seed, n):
    plan = load_plan(PLAN)
    subjects = people(n)
    inputs = inputs_for(subjects, random.Random(seed))
    for lang in ("zh", "en"):
        for r in score_campaign(plan, subjects, inputs, lang=lang):
            assert stored.lines(plan, as_stored(r), lang) == line_dicts(r)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 30))
def test_points_by_indicator_equal_the_points_each_line_explains(seed, n):
    """Totals come from the column pass; a person's lines are written by the line pass."""
    plan = load_plan(PLAN)
    subjects = people(n)
    for r in score_campaign(plan, subjects, inputs_for(subjects, random.Random(seed))):
        assert r.points == {line.code: line.points for line in r.lines}
        assert r.missing == [line.code for line in r.lines if line.points is None]
        assert abs(r.subtotals["work"] + r.subtotals["other"] - sum(line.points or 0 for line in r.lines)) < 1e-9


def test_the_same_stored_result_reads_in_the_readers_language():
    plan = load_plan(PLAN)
    subjects = people(4)
    inputs = {s.id: PersonInputs(kpis={"cases": 40.0}, occurrences={"merits": 1, "faults": 0},
                                 sources={"kpi:cases": [("src_batch", {"what": "#3 办案.xlsx", "date": "2026-01-10"})]})
              for s in subjects}
    detail = as_stored(score_campaign(plan, subjects, inputs)[0])
    zh = {line["code"]: line for line in stored.lines(plan, detail, "zh")}
    en = {line["code"]: line for line in stored.lines(plan, detail, "en")}
    assert zh["cases"]["explanation"] == "40 在 0～100 之间线性折算：0.4 × 10 分 = 4 分"
    assert en["cases"]["explanation"] == "40 on the line from 0 to 100: 0.4 × 10 = 4"
    assert zh["cases"]["notes"] == ["来源：#3 办案.xlsx，2026-01-10 导入"]
    assert en["cases"]["notes"] == ["source: #3 办案.xlsx, imported 2026-01-10"]
    assert zh["votes"]["points"] is None and zh["votes"]["explanation"] == "无数据"


def test_a_stored_result_is_small_and_shares_its_source_notes():
    """A person's twenty KPI values from one import store their note once."""
    plan = load_plan(PLAN)
    subjects = people(30)
    inputs = inputs_for(subjects, random.Random(1))
    for r in score_campaign(plan, subjects, inputs):
        detail = as_stored(r)
        lists = detail["inputs"].get("notes", [])
        assert sum(1 for notes in lists for note in notes if note[0] == "src_batch") <= 1
        assert len(json.dumps(detail, ensure_ascii=False)) < 3000


def test_results_stored_in_the_earlier_format_read_as_they_were():
    plan = load_plan(PLAN)
    old = {"lines": [{"code": "cases", "path": ["工作", "办案数"], "source": "kpi", "max": 10, "points": 4,
                      "weight": None, "raw": "40", "explanation": "旧的说明", "notes": []}],
           "subtotals": {"work": 4}, "vetoes": [], "flags": []}
    assert stored.lines(plan, old) == old["lines"]
    assert stored.points(old) == {"cases": 4}
