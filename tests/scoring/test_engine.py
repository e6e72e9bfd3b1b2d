"""The scoring engine: properties over generated plans, and the mechanics of each source."""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from review.plans.spec import (Appraises, BallotSource, DeductionSource, GradeRule, KpiSource, ManualSource, Node,
                               Plan, Veto)
from review.scoring import PersonInputs, Subject, rollup, score_campaign

GRADES = (GradeRule("优秀", 90), GradeRule("称职", 70), GradeRule("基本称职"))


def subject(i: int, category="quota", unit="U1", department="D1", role=None) -> Subject:
    return Subject(i, f"S{i:03d}", f"人员{i}", category, unit, department, role)


# --- generated plans -------------------------------------------------------------

@st.composite
def partitions(draw, parts: int) -> list[int]:
    """Integer weights of ``parts`` siblings that sum to 100."""
    if parts == 1:
        return [100]
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=parts - 1, max_size=parts - 1, unique=True)))
    bounds = [0, *cuts, 100]
    return [b - a for a, b in zip(bounds, bounds[1:])]


@st.composite
def trees(draw, depth: int = 0, prefix: str = "n"):
    count = draw(st.integers(1, 3))
    weights = draw(partitions(count))
    nodes = []
    for i, w in enumerate(weights):
        code = f"{prefix}{i}"
        if depth < 2 and draw(st.booleans()):
            nodes.append(Node(code, code, weight=float(w), children=draw(trees(depth + 1, code + "_"))))
        else:
            nodes.append(Node(code, code, weight=float(w),
                              source=KpiSource(measure=code, method="linear", low=0.0, high=100.0)))
    return nodes


def plan_of(nodes, **kw) -> Plan:
    return Plan("生成方案", 2025, "weights", nodes, Appraises(("quota",)), grades=GRADES, **kw)


def leaves(nodes):
    for n in nodes:
        if n.children:
            yield from leaves(n.children)
        else:
            yield n


@settings(max_examples=60, deadline=None)
@given(trees(), st.data())
def test_totals_stay_within_the_plan(nodes, data):
    plan = plan_of(nodes)
    codes = [n.code for n in leaves(nodes)]
    values = {c: data.draw(st.floats(-50, 200, allow_nan=False)) for c in codes}
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(kpis=values)})
    assert -1e-9 <= r.total <= 100 + 1e-9
    assert math.isclose(r.total, sum(line.points for line in r.lines), abs_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(trees(), st.data())
def test_weights_are_honoured(nodes, data):
    """Full marks on one leaf alone gives exactly that leaf's share: 100 × the weights on its path."""
    plan = plan_of(nodes)
    target = data.draw(st.sampled_from([n.code for n in leaves(nodes)]))

    def share(ns, acc=100.0):
        for n in ns:
            if n.code == target:
                return acc * n.weight / 100
            if n.children:
                found = share(n.children, acc * n.weight / 100)
                if found is not None:
                    return found
        return None

    values = {n.code: (100.0 if n.code == target else 0.0) for n in leaves(nodes)}
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(kpis=values)})
    assert math.isclose(r.total, share(nodes), abs_tol=1e-9)
    full = {n.code: 100.0 for n in leaves(nodes)}
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(kpis=full)})
    assert math.isclose(r.total, 100.0, abs_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(trees(), st.data())
def test_points_are_monotone_in_each_input(nodes, data):
    plan = plan_of(nodes)
    codes = [n.code for n in leaves(nodes)]
    values = {c: data.draw(st.floats(0, 100)) for c in codes}
    code = data.draw(st.sampled_from(codes))
    higher = dict(values, **{code: values[code] + data.draw(st.floats(0, 50))})
    [low] = score_campaign(plan, [subject(1)], {1: PersonInputs(kpis=values)})
    [high] = score_campaign(plan, [subject(1)], {1: PersonInputs(kpis=higher)})
    assert high.total >= low.total - 1e-9


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=2, max_size=12))
def test_results_are_deterministic_and_ranked_by_total(values):
    plan = plan_of([Node("a", "a", weight=100.0, source=KpiSource("a", "linear", low=0.0, high=100.0))])
    people = [subject(i) for i in range(len(values))]
    inputs = {i: PersonInputs(kpis={"a": v}) for i, v in enumerate(values)}
    first = score_campaign(plan, people, inputs)
    second = score_campaign(plan, people, inputs)
    assert [(r.total, r.rank_category, r.grade) for r in first] == [(r.total, r.rank_category, r.grade) for r in second]
    for a in first:
        for b in first:
            if round(a.total, 2) > round(b.total, 2):  # ranks compare published (two-decimal) totals
                assert a.rank_category < b.rank_category
            elif round(a.total, 2) == round(b.total, 2):
                assert a.rank_category == b.rank_category


# --- ballots ----------------------------------------------------------------------

BALLOT = BallotSource((("leader", 40.0), ("peer", 30.0), ("democratic", 30.0)), "leader_eval")


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["leader", "peer", "democratic"]),
                       st.tuples(st.integers(1, 30), st.lists(st.sampled_from([2, 4, 6, 8, 10]), min_size=1)),
                       min_size=1))
def test_missing_groups_are_redistributed_over_those_present(groups):
    plan = plan_of([Node("conduct", "司法作风", weight=100.0, source=BALLOT)])
    ballots = {g: (float(sum(vals)), len(vals)) for g, (_n, vals) in groups.items()}
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(ballots={"conduct": ballots})})
    weights = {g: w for g, w in BALLOT.groups if g in ballots}
    expected = sum(weights[g] / sum(weights.values()) * (s / c) / 10 for g, (s, c) in ballots.items()) * 100
    assert math.isclose(r.total, expected, abs_tol=1e-9)
    assert len(r.lines[0].notes) == 3 - len(ballots)  # one note per absent group


def test_ballot_explanation_names_groups_and_the_redistribution():
    plan = plan_of([Node("conduct", "司法作风", weight=100.0, source=BALLOT)])
    ballots = {"leader": (16.0, 2), "democratic": (60.0, 10)}  # means 8 and 6
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(ballots={"conduct": ballots})})
    # Present weights 40 + 30 = 70 → leader 4/7, democratic 3/7: (4/7 × 0.8 + 3/7 × 0.6) × 100 = 71.43
    assert round(r.total, 2) == 71.43
    assert "同事互评 无有效票" in r.lines[0].notes[0]
    assert "领导评价 57.14%" in r.lines[0].explanation


def test_no_ballots_at_all_is_missing_not_zero_silently():
    plan = plan_of([Node("conduct", "司法作风", weight=100.0, source=BALLOT)])
    [r] = score_campaign(plan, [subject(1)], {})
    assert r.missing == ["conduct"] and r.total == 0 and r.lines[0].explanation == "无数据"


# --- other sources ------------------------------------------------------------------

def test_deductions_stop_at_zero_and_manual_points_are_clamped():
    plan = Plan("司法行政", 2025, "points", [
        Node("supervision", "监督", points=4.0, source=DeductionSource(1.0)),
        Node("inspection", "检查", points=10.0, source=DeductionSource(1.0)),
        Node("file", "档案", points=86.0, source=ManualSource()),
    ], grades=(GradeRule("合格", 70), GradeRule("不合格")))
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(occurrences={"supervision": 5, "inspection": 2},
                                                              manual={"file": (90.0, "档案齐全")})})
    points = {line.code: line.points for line in r.lines}
    assert points == {"supervision": 0.0, "inspection": 8.0, "file": 86.0}
    assert r.total == 94.0
    assert "超出" in r.lines[2].notes[0]


def test_veto_forces_the_lowest_grade_whatever_the_score():
    plan = plan_of([Node("a", "a", weight=100.0, source=ManualSource())],
                   vetoes=(Veto("corruption", "重大腐败案件"),))
    inputs = {1: PersonInputs(manual={"a": (95.0, "")}, vetoes={"corruption"}), 2: PersonInputs(manual={"a": (95.0, "")})}
    r1, r2 = score_campaign(plan, [subject(1), subject(2)], inputs)
    assert (r1.total, r1.grade) == (95.0, "基本称职") and "一票否决：重大腐败案件" in r1.flags
    assert r2.grade == "优秀"


def test_ties_break_as_declared_and_otherwise_share_a_rank():
    nodes = [Node("written", "笔试", weight=50.0, source=ManualSource()),
             Node("work", "工作评价", weight=50.0, source=ManualSource())]
    inputs = {1: PersonInputs(manual={"written": (30.0, ""), "work": (40.0, "")}),
              2: PersonInputs(manual={"written": (40.0, ""), "work": (30.0, "")})}
    people = [subject(1), subject(2)]
    shared = score_campaign(plan_of(nodes), people, inputs)
    assert [r.rank_category for r in shared] == [1, 1]
    declared = score_campaign(plan_of(nodes, tie_break=("written",)), people, inputs)
    assert [r.rank_category for r in declared] == [2, 1]


def test_rank_quotas_and_combined_rules():
    nodes = [Node("a", "a", weight=100.0, source=ManualSource())]
    combined = plan_of(nodes)
    combined.grades = (GradeRule("优秀", 90, 0.2), GradeRule("称职", 70), GradeRule("基本称职"))
    scores = [99, 95, 93, 91, 80, 75, 72, 60, 50, 40]
    people = [subject(i) for i in range(10)]
    inputs = {i: PersonInputs(manual={"a": (float(s), "")}) for i, s in enumerate(scores)}
    grades = [r.grade for r in score_campaign(combined, people, inputs)]
    # ≥ 90 and within the top 20 % (2 of 10): only the first two are 优秀 although four reach 90.
    assert grades == ["优秀", "优秀", "称职", "称职", "称职", "称职", "称职", "基本称职", "基本称职", "基本称职"]


def test_relative_to_average_and_rank_compare_within_the_group():
    relative = KpiSource("ratio_case", "relative", base=6.0, step=0.1, per_step=1.0, max_add=3.0, max_sub=6.0,
                         lower_is_better=True)
    plan = plan_of([Node("r", "案-件比", weight=10.0, source=relative),
                    Node("m", "其他", weight=90.0, source=ManualSource())])
    values = [1.0, 1.2, 1.4, 2.4]  # average 1.5
    people = [subject(i) for i in range(4)]
    inputs = {i: PersonInputs(kpis={"ratio_case": v}) for i, v in enumerate(values)}
    points = [r.lines[0].points for r in score_campaign(plan, people, inputs)]
    # 1.0: 5 steps better → +5, capped at +3 → 9 but the item is worth 10: 9;  1.2: 3 steps → 9
    # 1.4: 1 step → 7;  2.4: 9 steps worse → −9, capped at −6 → 0
    assert points == [9.0, 9.0, 7.0, 0.0]


def test_rollup_of_shorter_campaigns():
    assert rollup([1.0, 2.0, 6.0], "mean") == 3.0
    assert rollup([1.0, 2.0, 6.0], "sum") == 9.0
    assert rollup([1.0, 2.0, 6.0], "last") == 6.0
    assert rollup([], "mean") is None


def test_explanations_in_english():
    plan = plan_of([Node("a", "a", weight=100.0, source=KpiSource("a", "linear", low=0.0, high=200.0))])
    [r] = score_campaign(plan, [subject(1)], {1: PersonInputs(kpis={"a": 50.0})}, lang="en")
    assert r.lines[0].explanation == "50 on the line from 0 to 200: 0.25 × 100 = 25"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=2, max_size=10))
def test_ties_break_as_declared_property(pairs):
    """Ranks follow the total, then the declared tie-break indicator; what is still equal shares a rank."""
    nodes = [Node("written", "笔试", weight=50.0, source=ManualSource()),
             Node("work", "工作评价", weight=50.0, source=ManualSource())]
    plan = plan_of(nodes, tie_break=("written",))
    people = [subject(i) for i in range(len(pairs))]
    inputs = {i: PersonInputs(manual={"written": (float(a), ""), "work": (float(b), "")})
              for i, (a, b) in enumerate(pairs)}
    results = score_campaign(plan, people, inputs)
    for x in results:
        for y in results:
            kx = (round(x.total, 2), round(x.subtotals["written"], 2))
            ky = (round(y.total, 2), round(y.subtotals["written"], 2))
            if kx > ky:
                assert x.rank_category < y.rank_category
            elif kx == ky:
                assert x.rank_category == y.rank_category


def test_an_adjustment_on_review_replaces_a_lines_points_and_says_so():
    from review.plans.yaml_io import load_plan
    from review.scoring import PersonInputs, Subject, score_campaign
    plan = load_plan("""
name: 复核测试
year: 2025
mode: points
indicators:
  - {code: work, name: 工作, points: 60, source: {type: manual}}
  - {code: check, name: 检查, points: 40, source: {type: deduction, per_occurrence: 10}}
grades:
  rules:
    - {grade: 合格}
""")
    person = Subject(1, "001", "甲", "quota", "县院")
    inputs = PersonInputs(manual={"work": (50, "评定")}, occurrences={"check": 2},
                          adjustments={"check": (35, "申诉查实一次检查问题不成立"), "work": (80, "超出上限")})
    r = score_campaign(plan, [person], {1: inputs})[0]
    lines = {line.code: line for line in r.lines}
    assert lines["check"].points == 35 and lines["work"].points == 60   # kept within the item's maximum
    assert r.total == 95
    assert any("20" in n and "35" in n and "不成立" in n for n in lines["check"].notes)
