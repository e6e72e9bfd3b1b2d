"""Grades as the plan declares them, across departments: a rank quota counts the whole category
whatever the department, a vetoed person gets the lowest grade and takes no quota place, equal
totals are told apart by the tie-break, rule checks and incomplete data become flags — in the
stored results and on the pages."""
from sqlalchemy import select

from review.campaigns import operations as ops
from review.campaigns.models import Result
from review.extensions import db

from .conftest import staff_numbers


def results(world) -> dict[str, Result]:
    rows = db.session.scalars(select(Result).where(Result.campaign_id == world.campaign.id)).all()
    names = {p.id: name for name, p in world.people.items()}
    return {names[r.person_id]: r for r in rows}


def test_quota_counts_the_whole_category_across_departments_and_skips_the_vetoed(world):
    r = results(world)
    assert r["乙一"].total == 100 and r["乙一"].rank_category == 1
    # Vetoed: the lowest grade whatever the score; the two places of 优秀 (⌊0.2 × 10⌋) go to the next two,
    # in departments C and A — department B's best is the vetoed one.
    assert r["乙一"].grade == "不称职" and r["乙一"].detail["vetoes"] == ["违反中央八项规定精神"]
    assert (r["丙一"].grade, r["丙一"].rank_category) == ("优秀", 2)
    assert (r["甲二"].grade, r["甲二"].rank_category) == ("优秀", 3)
    assert (r["甲三"].grade, r["甲三"].rank_category) == ("称职", 4)   # 88, beyond the quota
    assert [n for n, x in r.items() if x.grade == "优秀"] == ["甲二", "丙一", "戊一"]
    assert r["乙三"].grade == "不称职"                                 # 53 < 60
    # Incomplete data: a provisional total, no grade, a flag.
    assert r["丙三"].grade is None and r["丙三"].total == 50
    assert any("暂计" in f for f in r["丙三"].detail["flags"])


def test_quota_of_another_category_and_the_tie_break(world):
    r = results(world)
    # 86 each: 戊一's 工作实绩 (52) beats 丁一's (50): rank 1 and the one place of 优秀 (⌊0.2 × 5⌋).
    assert r["戊一"].total == r["丁一"].total == 86
    assert (r["戊一"].rank_category, r["戊一"].grade) == (1, "优秀")
    assert (r["丁一"].rank_category, r["丁一"].grade) == (2, "称职")
    assert r["戊三"].total == 48 and r["戊三"].grade == "不称职"   # three inspections: 10 − 3
    # Ranks in the unit mix both categories; equal totals and equal 工作实绩 fall back on the staff number.
    assert [r[n].rank_unit for n in ("乙一", "丙一", "甲二", "甲三", "戊一", "丁一")] == [1, 2, 3, 4, 5, 6]
    assert (r["丙二"].total, r["丁二"].total) == (70, 70)
    assert (r["丙二"].rank_unit, r["丁二"].rank_unit) == (9, 10)


def test_rule_check_flags_the_head_without_changing_the_score(world):
    r = results(world)
    head = r["甲一"]
    assert head.total == 72 and head.grade == "称职"
    # Others of department A, heads aside: 90, 80, 50, 80, 50 → mean 70; 10 / 70 = 14 %.
    assert "部门负责人办案量：为组内平均的 14%，要求 50%–70%" in head.detail["flags"]


def test_results_page_shows_quotas_grades_vetoes_and_flags(office_client, world):
    html = office_client.get(f"/campaigns/{world.campaign.id}/results").get_data(as_text=True)
    grades = html.split('<table id="grades"', 1)[1].split("</table>", 1)[0]
    assert "优秀: top 20% of 10 people, at most 2" in grades
    assert "优秀: top 20% of 5 people, at most 1" in grades
    # quota: 2 优秀, 5 称职 (甲一 甲三 甲四 乙二 丙二), 2 不称职, 1 without a grade
    assert "<td>10</td><td>2</td><td>5</td><td>2</td><td>1</td>" in grades
    assert "<td>5</td><td>1</td><td>3</td><td>1</td><td>0</td>" in grades
    table = html.split('<table id="results"', 1)[1].split("</table>", 1)[0]
    assert "Veto: 违反中央八项规定精神" in table
    assert "一票否决：违反中央八项规定精神" not in table      # shown once, as a veto
    assert "部门负责人办案量：为组内平均的 14%，要求 50%–70%" in table
    assert "暂计" in table
    rules = html.split('id="rules"', 1)[1].split("</details>", 1)[0]
    assert "within the top 20% of the category" in rules and "Flag: 部门负责人办案量" in rules


def test_a_new_veto_reaches_the_flagged_filter_at_once(office_client, world):
    """"Flagged only" reads a copy of everybody's flags kept between requests: recomputing the
    results must replace it."""
    url = f"/campaigns/{world.campaign.id}/results?flagged=1"
    before = staff_numbers(office_client.get(url).get_data(as_text=True))
    assert world.people["丙一"].staff_no not in before
    ops.set_veto(world.campaign, world.people["丙一"], "discipline", "经查实")
    db.session.commit()
    after = staff_numbers(office_client.get(url).get_data(as_text=True))
    assert world.people["丙一"].staff_no in after and len(after) == len(before) + 1
    # …and the quota place passes on to the next of the category.
    assert results(world)["甲三"].grade == "优秀"
