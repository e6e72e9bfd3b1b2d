"""The example plans of examples/plans/: each loads, round-trips through YAML, adds up to its
total, and scores hand-computed cases exactly. Plain data: no app, no database.

Every expected number is worked out by hand in the comment next to it."""
from __future__ import annotations

from pathlib import Path

import pytest

from review.plans.yaml_io import dump_plan, load_plan
from review.scoring import PersonInputs, Subject, score_campaign

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "plans"
NAMES = ["prosecutor_casework", "staff_appraisal", "examination", "justice_bureau", "county_chief"]


def load(name: str):
    return load_plan((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def person(i: int, category="quota", unit="U1", department="D1", role=None, staff_no=None) -> Subject:
    return Subject(i, staff_no or f"S{i:03d}", f"人员{i}", category, unit, department, role)


def ballots(*values: float) -> tuple[float, int]:
    """One rater group's ballots as the engine receives them: (sum, count)."""
    return (float(sum(values)), len(values))


def by_id(results):
    return {r.subject.id: r for r in results}


def line(result, code):
    return next(ln for ln in result.lines if ln.code == code)


# --- every example ---------------------------------------------------------------


def test_every_example_is_shipped():
    assert sorted(p.stem for p in EXAMPLES.glob("*.yaml")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_loads_without_problems(name):
    plan = load(name)  # raises PlanInvalid listing the problems otherwise
    assert plan.name and plan.year == 2025 and plan.grades
    assert plan.appraises.categories or plan.appraises.leader_roles


@pytest.mark.parametrize("name", NAMES)
def test_example_round_trips_through_yaml(name):
    plan = load(name)
    text = dump_plan(plan)
    assert load_plan(text) == plan
    assert dump_plan(load_plan(text)) == text  # and the exported text is stable


def _effective_maxima(plan) -> dict[str, float]:
    """Leaf code → its share of the total (100 × the weights on its path, or its points),
    leaving out extra items and anything under them."""
    out: dict[str, float] = {}

    def go(nodes, share, extra):
        for n in nodes:
            size = share * n.weight / 100 if plan.mode == "weights" else n.points
            if n.children:
                go(n.children, size, extra or n.extra)
            elif not (extra or n.extra):
                out[n.code] = size
    go(plan.indicators, 100.0, False)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_leaf_maxima_sum_to_the_plan_total(name):
    plan = load(name)
    maxima = _effective_maxima(plan)
    assert sum(maxima.values()) == pytest.approx(plan.total)
    assert plan.total == 100
    # the engine sees the same maxima
    [r] = score_campaign(plan, [person(1)], {})
    assert {ln.code: ln.max_points for ln in r.lines if ln.code in maxima} == pytest.approx(maxima)


def test_declared_effective_maxima():
    # prosecutor: 司法办案 70 × 办案质量 30 % × 案-件比 50 % = 10.5; 办案数量 70 × 20 % = 14
    m = _effective_maxima(load("prosecutor_casework"))
    assert m["case_ratio"] == pytest.approx(10.5) and m["quantity"] == pytest.approx(14)
    # staff: 工作业绩 40 × 30 % = 12, 业务能力 25 × 30 % = 7.5, 廉政意识 20 × 50 % = 10, 协作能力 15 × 40 % = 6
    m = _effective_maxima(load("staff_appraisal"))
    assert (m["work_count"], m["skills"], m["violations"], m["adaptability"]) == pytest.approx((12, 7.5, 10, 6))
    # justice bureau: 效能 40 = 2 + 4 + 10 + 4 + 10 + (5 + 5)
    m = _effective_maxima(load("justice_bureau"))
    assert [m[c] for c in ("plan_written", "process_management", "inspections", "supervision",
                           "leader_evaluation", "public_satisfaction", "department_satisfaction")] \
        == [2, 4, 10, 4, 10, 5, 5]


# --- county justice bureau (points) -----------------------------------------------


def jb_inputs(manual=(15, 15, 10, 10, 10), plan_written=0, process=0, inspections=0, complaints=0,
              leader=(10,), public=100.0, departments=(5,), vetoes=()) -> PersonInputs:
    codes = ("mediation", "community_correction", "legal_aid", "law_popularisation", "public_legal_service")
    return PersonInputs(
        manual={c: (float(p), "年度工作检查") for c, p in zip(codes, manual)},
        occurrences={"plan_written": plan_written, "process_management": process, "inspections": inspections,
                     "supervision": complaints},
        ballots={"leader_evaluation": {"leader": ballots(*leader)},
                 "department_satisfaction": {"outside": ballots(*departments)}},
        surveys={"public_satisfaction": public},
        vetoes=set(vetoes),
    )


def test_justice_bureau_hand_computed():
    plan = load("justice_bureau")
    inputs = jb_inputs(manual=(14, 13, 9, 8, 9), process=1, inspections=2, complaints=5,
                       leader=(10, 8, 6), public=90, departments=(5, 4, 4, 5))
    [r] = score_campaign(plan, [person(1, "admin")], {1: inputs})
    points = {ln.code: ln.points for ln in r.lines}
    # 业绩: 14 + 13 + 9 + 8 + 9 = 53
    assert r.subtotals["performance"] == pytest.approx(53)
    assert points["plan_written"] == 2          # no occurrence: full 2
    assert points["process_management"] == 3    # one late quarter: 4 − 1 = 3
    assert points["inspections"] == 8           # two problems: 10 − 2 × 1 = 8
    assert points["supervision"] == 0           # five verified complaints: 4 − 5 = −1, floored at 0 (扣完为止)
    assert "扣完为止" in line(r, "supervision").explanation
    # leader evaluation index: ballots 10, 8, 6 on the 10/8/6/4/2 scale → mean 8 → 8 ÷ 10 × 10 = 8 points
    assert points["leader_evaluation"] == pytest.approx(8)
    assert "平均 8／10（3 票）" in line(r, "leader_evaluation").explanation
    # public survey index 90 → 90 ÷ 100 × 5 = 4.5
    assert points["public_satisfaction"] == pytest.approx(4.5)
    # departments: 5, 4, 4, 5 on the 5-level scale → mean 4.5 → 4.5 ÷ 5 × 5 = 4.5
    assert points["department_satisfaction"] == pytest.approx(4.5)
    # 效能: 2 + 3 + 8 + 0 + 8 + 4.5 + 4.5 = 30;  total 53 + 30 = 83
    assert r.subtotals["efficacy"] == pytest.approx(30)
    assert r.total == pytest.approx(83)
    # alone in the category the 先进 quota is floor(0.2 × 1) = 0 places: 83 ≥ 70 → 合格
    assert r.grade == "合格"


def test_justice_bureau_grades_and_a_veto_overriding_95():
    plan = load("justice_bureau")
    subjects = [person(i, "admin") for i in range(1, 6)]
    # 1: full marks but 业绩 60, 效能: 2 + 4 + 10 + 4 + 10 (mean 10) + 3 (index 60 → 0.6 × 5)
    #    + 2 (departments mean 2 → 2 ÷ 5 × 5) = 35 → 95
    # 2: 业绩 5 + 5 + 10 + 10 + 10 = 40 → 40 + 40 = 80
    # 3: 业绩 0 + 5 + 10 + 10 + 10 = 35 → 75
    # 4: 业绩 0 + 0 + 5 + 10 + 10 = 25 → 65
    # 5: full marks less 6 inspection problems (10 − 6 = 4) and 4 complaints (4 − 4 = 0) → 100 − 10 = 90
    inputs = {
        1: jb_inputs(public=60, departments=(2,)),
        2: jb_inputs(manual=(5, 5, 10, 10, 10)),
        3: jb_inputs(manual=(0, 5, 10, 10, 10)),
        4: jb_inputs(manual=(0, 0, 5, 10, 10)),
        5: jb_inputs(complaints=4, inspections=6),
    }
    results = by_id(score_campaign(plan, subjects, inputs))
    assert [results[i].total for i in range(1, 6)] == pytest.approx([95, 80, 75, 65, 90])
    # 先进 = ≥ 70 and within the top floor(0.2 × 5) = 1 place: number 1 (95)
    assert [results[i].grade for i in range(1, 6)] == ["先进", "合格", "合格", "不合格", "合格"]

    # the same office, found to breach the eight-point rules: 不合格 (the floor) whatever the score of 95
    inputs[1] = jb_inputs(public=60, departments=(2,), vetoes={"eight_point_rules"})
    vetoed = by_id(score_campaign(plan, subjects, inputs))[1]
    assert vetoed.total == pytest.approx(95)
    assert vetoed.grade == "不合格"
    assert vetoed.vetoes == ["违反中央八项规定精神"]
    assert "一票否决：违反中央八项规定精神" in vetoed.flags


# --- examination (rank quotas) ---------------------------------------------------------


def test_examination_rank_quotas_on_ten_people_with_a_declared_tie_break():
    plan = load("examination")
    # Everybody but G: work evaluation leader 80 / peer 80 → mean 80 ÷ 100 = 0.8 × 30 = 24;
    # ethics democratic 80 → 0.8 × 20 = 16; written test w → w ÷ 100 × 50. Total = 40 + w ÷ 2.
    def exam(written, work=((80,), (80,)), ethics=(80,)):
        return PersonInputs(kpis={"written_test_score": written},
                            ballots={"work_evaluation": {"leader": ballots(*work[0]), "peer": ballots(*work[1])},
                                     "ethics": {"democratic": ballots(*ethics)}})
    inputs = {
        1: exam(96),   # 48 + 40 = 88
        2: exam(90),   # 45 + 40 = 85
        3: exam(84),   # 42 + 40 = 82
        4: exam(80),   # 40 + 40 = 80
        5: exam(76),   # 38 + 40 = 78
        # G (staff no S006): written 62 → 31; work all 优秀 → 30; ethics 80, 60 → mean 70 → 14; total 75
        6: exam(62, work=((100,), (100,)), ethics=(80, 60)),
        # F (staff no S007): written 70 → 35 + 24 + 16 = 75 — the same total as G, a better written test
        7: exam(70),
        8: exam(60),   # 30 + 40 = 70
        9: exam(50),   # 25 + 40 = 65
        10: exam(50),  # 65 again: the same total and written test as number 9; staff no decides
    }
    subjects = [person(i, "assistant") for i in range(1, 11)]
    results = by_id(score_campaign(plan, subjects, inputs))
    totals = [results[i].total for i in range(1, 11)]
    assert totals == pytest.approx([88, 85, 82, 80, 78, 75, 75, 70, 65, 65])
    # tie_break [written_test, staff_no]: F (35 on the test) before G (31) although G's staff no is lower;
    # 9 and 10 are equal on both totals and tests, so S009 before S010
    ranks = [results[i].rank_category for i in range(1, 11)]
    assert ranks == [1, 2, 3, 4, 5, 7, 6, 8, 9, 10]
    # quotas: 优秀 ranks ≤ floor(0.1 × 10) = 1; 合格 ranks ≤ floor(0.6 × 10) = 6; the rest 不合格
    grades = [results[i].grade for i in range(1, 11)]
    assert grades == ["优秀", "合格", "合格", "合格", "合格", "不合格", "合格", "不合格", "不合格", "不合格"]
    assert grades.count("优秀") == 1 and grades.count("合格") == 5 and grades.count("不合格") == 4


# --- prosecutor casework (weights) -----------------------------------------------------


def test_prosecutor_ballot_redistributes_a_missing_peer_group():
    plan = load("prosecutor_casework")
    # 司法作风 (10 points), groups leader 40 / peer 30 / democratic 30 on grade_civil (top 100), ratio mapping.
    # leader: 100, 100 → mean 100 → 1.0; democratic: 100, 80, 60 → mean 80 → 0.8; peer: no ballots.
    # peer's 30 % is spread over the others: leader 40/70 = 57.14 %, democratic 30/70 = 42.86 %.
    # fraction = (40 × 1.0 + 30 × 0.8) / 70 = 64/70 = 0.9143 → × 10 = 9.142857…
    inputs = {1: PersonInputs(ballots={"conduct": {"leader": ballots(100, 100),
                                                   "democratic": ballots(100, 80, 60)}})}
    [zh] = score_campaign(plan, [person(1)], inputs, "zh")
    conduct = line(zh, "conduct")
    assert conduct.points == pytest.approx(640 / 70)
    assert conduct.notes == ["同事互评 无有效票，其 30% 权重按比例分给其他组"]
    assert "领导评价 57.14%：平均 100／100（2 票）" in conduct.explanation
    assert "民主测评 42.86%：平均 80／100（3 票）" in conduct.explanation
    assert "= 9.14 分" in conduct.explanation
    [en] = score_campaign(plan, [person(1)], inputs, "en")
    assert line(en, "conduct").notes == ["peers has no valid ballots; its 30% is spread over the other groups"]


def test_prosecutor_relative_caseload_adds_and_subtracts_per_step():
    plan = load("prosecutor_casework")
    # 办案数量 (14 points): base 10 at the unit average, ±1 per whole 5 cases, at most +4 / −10.
    # case counts 30, 20, 10, 45, 12, 3 → sum 120 / 6 = average 20
    counts = {1: 30, 2: 20, 3: 10, 4: 45, 5: 12, 6: 3}
    subjects = [person(i) for i in counts]
    results = by_id(score_campaign(plan, subjects, {i: PersonInputs(kpis={"case_count": c})
                                                     for i, c in counts.items()}))
    points = {i: line(results[i], "quantity").points for i in counts}
    assert points[1] == 12   # +10 = 2 steps better → 10 + 2 × 1
    assert points[2] == 10   # at the average → base
    assert points[3] == 8    # −10 = 2 steps worse → 10 − 2
    assert points[4] == 14   # +25 = 5 steps → +5, capped at max_add 4 → 14 (the item's maximum)
    assert points[5] == 9    # −8 = 1.6 steps: whole steps only → 1 → 9
    assert points[6] == 7    # −17 = 3.4 steps → 3 → 7
    assert "组内平均 20，优于平均 2 个步长" in line(results[1], "quantity").explanation


def test_prosecutor_case_to_proceeding_ratio_lower_is_better():
    plan = load("prosecutor_casework")
    # 案-件比 (10.5 points), best 1.0 → full, worst 2.0 → zero: fraction = (2.0 − value) / (2.0 − 1.0)
    values = {1: 1.25, 2: 1.0, 3: 0.9, 4: 2.4, 5: 1.6}
    results = by_id(score_campaign(plan, [person(i) for i in values],
                                   {i: PersonInputs(kpis={"case_proceeding_ratio": v}) for i, v in values.items()}))
    points = {i: line(results[i], "case_ratio").points for i in values}
    assert points[1] == pytest.approx(7.875)  # (2 − 1.25) / 1 = 0.75 × 10.5
    assert points[2] == pytest.approx(10.5)   # the best ratio: full points
    assert points[3] == pytest.approx(10.5)   # better than best: still full, never more
    assert points[4] == 0                     # worse than worst: zero, never negative
    assert points[5] == pytest.approx(4.2)    # (2 − 1.6) / 1 = 0.4 × 10.5


def test_prosecutor_whole_person_and_bonus_above_total():
    plan = load("prosecutor_casework")
    inputs = PersonInputs(
        kpis={"case_count": 25, "case_proceeding_ratio": 1.25, "on_time_rate": 95},
        occurrences={"quality_review": 1, "safety": 0, "norms": 2, "merit": 2},
        manual={"effect": (12.0, "典型案例一件"), "skills": (9.0, "业务竞赛二等奖")},
        ballots={"conduct": {"leader": ballots(100), "peer": ballots(80, 80), "democratic": ballots(100, 80, 80, 60)},
                 "ethics": {"leader": ballots(10), "peer": ballots(8, 8), "democratic": ballots(10, 8, 6)}},
    )
    [r] = score_campaign(plan, [person(1)], {1: inputs})
    points = {ln.code: ln.points for ln in r.lines}
    assert points["quantity"] == 10                         # alone in the unit: at the average → base 10
    assert points["case_ratio"] == pytest.approx(7.875)     # 0.75 × 10.5
    assert points["quality_review"] == pytest.approx(9)     # 10.5 − 1 × 1.5
    assert points["efficiency"] == pytest.approx(5.25)      # (95 − 80) / 20 = 0.75 × 7
    assert points["effect"] == 12                           # entered
    assert points["safety"] == pytest.approx(7)             # no incident
    assert points["norms"] == pytest.approx(5)              # 7 − 2 × 1
    # 司法办案 = 10 + 7.875 + 9 + 5.25 + 12 + 7 + 5 = 56.125
    assert r.subtotals["casework"] == pytest.approx(56.125)
    # 司法作风: 0.4 × 100/100 + 0.3 × 80/100 + 0.3 × 80/100 = 0.88 → 8.8
    assert points["conduct"] == pytest.approx(8.8)
    assert points["skills"] == 9
    # 职业操守 on the 10-point scale: 0.4 × 10/10 + 0.3 × 8/10 + 0.3 × 8/10 = 0.88 → 8.8
    assert points["ethics"] == pytest.approx(8.8)
    assert points["merit"] == 2                             # extra: 2 × 1
    # total = 56.125 + 8.8 + 9 + 8.8 + 2 = 84.725 → 称职 (70 ≤ 84.725 < 90)
    assert r.total == pytest.approx(84.725)
    assert r.grade == "称职"

    # 7 bonus occurrences count 5 at most (cap 5); with bonus_above_total a total above 100 stands.
    inputs.occurrences["merit"] = 7
    inputs.manual["effect"] = (14.0, "")
    inputs.kpis.update(case_proceeding_ratio=1.0, on_time_rate=100)
    inputs.occurrences.update(quality_review=0, norms=0)
    for code in ("conduct", "ethics"):
        top = 100 if code == "conduct" else 10
        inputs.ballots[code] = {g: ballots(top) for g in ("leader", "peer", "democratic")}
    inputs.manual["skills"] = (10.0, "")
    [r] = score_campaign(plan, [person(1)], {1: inputs})
    # 10 (quantity alone: base) + 10.5 + 10.5 + 7 + 14 + 7 + 7 = 66; + 10 + 10 + 10 = 96; + 5 bonus = 101
    assert line(r, "merit").points == 5
    assert r.total == pytest.approx(101)
    assert r.flags == []                                    # not capped
    assert r.grade == "优秀"


def checks(result):
    """The rule-check flags only (other flags say, e.g., that data is still missing)."""
    return [f for f in result.flags if "办案量" in f]


def test_prosecutor_leaders_caseload_checks():
    plan = load("prosecutor_casework")
    subjects = [
        person(1, department="D1", role="head"),   # 8 cases
        person(2, department="D1"), person(3, department="D1"),   # 20, 20
        person(4, department="D2", role="head"),   # 12 cases
        person(5, department="D2"), person(6, department="D2"),   # 20, 20
        person(7, department=None, role="chief"),  # 3 cases
    ]
    counts = {1: 8, 2: 20, 3: 20, 4: 12, 5: 20, 6: 20, 7: 3}
    results = by_id(score_campaign(plan, subjects, {i: PersonInputs(kpis={"case_count": c})
                                                    for i, c in counts.items()}))
    # D1 head: 8 ÷ average of the non-heads of D1 (20 + 20) / 2 = 20 → 40 %, outside 50–70 % → flagged
    assert checks(results[1]) == ["部门负责人办案量：为组内平均的 40%，要求 50%–70%"]
    # D2 head: 12 ÷ 20 = 60 % → inside the range, no flag
    assert checks(results[4]) == []
    # chief: 3 ÷ average of the unit's others (8 + 20 + 20 + 12 + 20 + 20) / 6 = 16.67 → 18 %, expected 5–10 %
    assert checks(results[7]) == ["检察长办案量：为组内平均的 18%，要求 5%–10%"]
    # staff without a leader role are never checked
    assert all(checks(results[i]) == [] for i in (2, 3, 5, 6))


# --- staff appraisal (weights, all three categories) --------------------------------------


def staff_inputs(work_quality=16.0, violations=0, experience=5.0, knowledge=100.0,
                 skills=100.0, expression=100.0, adaptability=100.0) -> PersonInputs:
    """Full marks (100) unless told otherwise; every number is the mean of one ballot per group."""
    return PersonInputs(
        kpis={"work_count": 50, "on_time_rate": 100, "knowledge_test": knowledge},
        manual={"work_quality": (work_quality, ""), "experience": (experience, "")},
        occurrences={"violations": violations},
        ballots={"skills": {"leader": ballots(skills), "peer": ballots(skills)},
                 "expression": {"leader": ballots(expression), "peer": ballots(expression)},
                 "self_discipline": {g: ballots(100) for g in ("leader", "peer", "democratic")},
                 "teamwork": {g: ballots(100) for g in ("leader", "peer")},
                 "coordination": {g: ballots(100) for g in ("leader", "peer")},
                 "adaptability": {"leader": ballots(adaptability)}},
    )


def test_staff_appraisal_hand_computed_with_a_quota_per_category():
    plan = load("staff_appraisal")
    subjects = [person(i) for i in range(1, 6)] + [person(6, "assistant")]
    inputs = {
        # full marks: 工作业绩 12 (everyone has 50 cases: all rank first → full) + 16 + 12 = 40;
        # 业务能力 5 + 5 + 7.5 + 7.5 = 25; 廉政意识 10 + 10 = 20; 协作能力 4.5 + 4.5 + 6 = 15 → 100
        1: staff_inputs(violations=1),                      # 10 − 5 = 5 on violations → 95
        2: staff_inputs(work_quality=8),                    # 100 − 8 = 92
        3: staff_inputs(violations=2, work_quality=6),      # violations 10 − 10 = 0; quality −10 → 80
        # violations 5 × 5 = 25 off a 10-point item → 0 (−10, not −25); quality 0 (−16); experience 0 (−5);
        # knowledge test 20 → 20/100 × 5 = 1 (−4) → 100 − 35 = 65
        4: staff_inputs(violations=5, work_quality=0, experience=0, knowledge=20),
        # quality 0 (−16); violations 2 (−10); skills mean 40 → range (40 − 40)/60 = 0 (−7.5);
        # expression mean 60 → (60 − 40)/60 = 1/3 × 7.5 = 2.5 (−5); adaptability 55 on grade_five → ratio
        # 55/100 × 6 = 3.3 (−2.7) → 100 − 41.2 = 58.8
        5: staff_inputs(work_quality=0, violations=2, skills=40, expression=60, adaptability=55),
        6: staff_inputs(violations=1),                      # an assistant: 95 too, alone in the category
    }
    results = by_id(score_campaign(plan, subjects, inputs))
    assert [results[i].total for i in range(1, 7)] == pytest.approx([95, 92, 80, 65, 58.8, 95])
    assert line(results[4], "violations").points == 0
    assert line(results[5], "skills").points == 0
    assert line(results[5], "expression").points == pytest.approx(2.5)
    # 优秀 needs ≥ 90 AND rank ≤ floor(0.2 × 5) = 1 among the five quota prosecutors:
    # number 2 (92) is second → 称职. Grades: ≥ 90 (+quota) 优秀, ≥ 70 称职, ≥ 60 基本称职, else 不称职.
    assert [results[i].grade for i in range(1, 6)] == ["优秀", "称职", "称职", "基本称职", "不称职"]
    # the assistant is ranked in its own category: rank 1 of 1, but floor(0.2 × 1) = 0 places → 称职
    assert results[6].rank_category == 1 and results[6].grade == "称职"


# --- county chief and leadership team ---------------------------------------------------------


def test_county_chief_hand_computed():
    plan = load("county_chief")
    rated = ("political_quality", "leadership", "work_style", "achievements_rating", "integrity_rating")

    def leader_inputs(democratic, middle, outside, file_review, integrity_file):
        groups = {"democratic": ballots(*democratic), "middle": ballots(*middle)}
        if outside:
            groups["outside"] = ballots(*outside)
        return PersonInputs(ballots={code: dict(groups) for code in rated},
                            manual={"file_review": (file_review, "述职报告、考核表已审核"),
                                    "integrity_file": (integrity_file, "")})
    subjects = [person(1, role="chief"), person(2, role="deputy"), person(3, role="member")]
    inputs = {
        # rated items carry 20 + 20 + 15 + 30 × 50 % + 15 × 60 % = 79 points, manual items 15 + 6 = 21
        # chief: 0.4 × 100/100 + 0.3 × 80/100 + 0.3 × 100/100 = 0.94 → 0.94 × 79 = 74.26; + 14 + 6 → 94.26
        1: leader_inputs((100, 100), (80, 80, 80), (100,), 14, 6),
        # deputy: every group mean 80 → 0.8 × 79 = 63.2; + 10 + 5 → 78.2
        2: leader_inputs((100, 60), (80,), (80,), 10, 5),
        # member: no outside opinions; democratic and middle both mean 60 → 0.6 whatever the split
        # → 0.6 × 79 = 47.4; + 10 + 5 → 62.4
        3: leader_inputs((60,), (60, 60), (), 10, 5),
    }
    results = by_id(score_campaign(plan, subjects, inputs))
    assert [results[i].total for i in (1, 2, 3)] == pytest.approx([94.26, 78.2, 62.4])
    assert [results[i].grade for i in (1, 2, 3)] == ["优秀", "称职", "基本称职"]
    assert line(results[1], "political_quality").points == pytest.approx(18.8)   # 0.94 × 20
    assert line(results[3], "leadership").notes == ["外部评价 无有效票，其 30% 权重按比例分给其他组"]


# --- the annotated example of docs/plans.md ---------------------------------------------------


def _doc_example() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "plans.md").read_text(encoding="utf-8")
    section = text.split("## A complete annotated example", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_documented_example_validates_and_scores_as_described():
    plan = load_plan(_doc_example())
    assert load_plan(dump_plan(plan)) == plan
    assert sum(_effective_maxima(plan).values()) == pytest.approx(100)
    subjects = [person(1), person(2)]
    inputs = {
        # department average (12 + 32) / 2 = 22: 10 below = 2 steps → 20 − 2 × 2 = 16
        1: PersonInputs(kpis={"case_count": 12, "case_proceeding_ratio": 1.4},   # (2 − 1.4) / 1 × 18 = 10.8
                        occurrences={"errors": 1, "merit": 2},                   # 12 − 2 = 10; bonus 2
                        ballots={"conduct": {"leader": ballots(3, 3), "peer": ballots(2)}},
                        surveys={"service": 84},                                 # the 80 band: 0.8 × 10 = 8
                        manual={"skills": (4.0, "")}),
        2: PersonInputs(kpis={"case_count": 32}),
    }
    r = by_id(score_campaign(plan, subjects, inputs))[1]
    points = {ln.code: ln.points for ln in r.lines}
    assert points["cases"] == 16 and points["case_ratio"] == pytest.approx(10.8) and points["errors"] == 10
    # ballots: leader mean 3 → range (3 − 1)/2 = 1.0; peer 2 → 0.5; democratic absent:
    # (40 × 1.0 + 30 × 0.5) / 70 × 25 = 19.642857…
    assert points["conduct"] == pytest.approx(55 / 70 * 25)
    assert points["service"] == pytest.approx(8) and points["skills"] == 4 and points["merit"] == 2
    # 16 + 10.8 + 10 + 19.642857 + 8 + 4 + 2 = 70.442857 → 称职
    assert r.total == pytest.approx(70.442857, abs=1e-6)
    assert r.grade == "称职"
