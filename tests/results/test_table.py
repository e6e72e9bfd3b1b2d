"""The results table: sorting, filters, pages, the figures beside it, and a fixed number of queries
whatever the number of rows."""
import json
import re

import pytest
from sqlalchemy import event

from review.campaigns import operations as ops
from review.campaigns.loader import recompute
from review.core.access import Role
from review.extensions import db
from review.plans.operations import get_version
from review.results import queries as rq

from .conftest import english, numbers_of, staff_numbers

RANK_ORDER = ["乙一", "丙一", "甲二", "甲三", "乙二", "甲一", "丙二", "甲四", "乙三", "丙三",   # quota, by rank
              "戊一", "丁一", "丁二", "戊二", "戊三"]                                       # then assistant


def listed(client, world, query: str = "") -> list[str]:
    resp = client.get(f"/campaigns/{world.campaign.id}/results{query}")
    assert resp.status_code == 200
    return staff_numbers(resp.get_data(as_text=True))


@pytest.mark.parametrize("query,names", [
    ("", RANK_ORDER),
    ("?sort=rank&reverse=1", RANK_ORDER[9::-1] + RANK_ORDER[:9:-1]),
    # equal totals: the lower staff number first
    ("?sort=total", ["乙一", "丙一", "甲二", "甲三", "丁一", "戊一", "乙二", "甲一", "丙二", "丁二", "甲四", "戊二",
                     "乙三", "丙三", "戊三"]),
    ("?sort=grade", ["丙一", "甲二", "戊一", "甲三", "丁一", "乙二", "甲一", "丙二", "丁二", "甲四", "戊二",
                     "乙一", "乙三", "戊三", "丙三"]),
    ("?sort=rank_unit", ["乙一", "丙一", "甲二", "甲三", "戊一", "丁一", "乙二", "甲一", "丙二", "丁二", "甲四",
                         "戊二", "乙三", "丙三", "戊三"]),
    # a dimension's subtotal, highest first; equal subtotals in rank order
    ("?sort=dim:work", ["乙一", "丙一", "甲二", "戊一", "甲三", "丁一", "乙二", "丙二", "丙三", "丁二", "甲一", "甲四",
                        "戊二", "乙三", "戊三"]),
    ("?sort=dim:conduct&reverse=1", ["丙三", "戊三", "乙三", "丙二", "甲四", "丁二", "戊二", "戊一", "乙二", "甲一",
                                     "丁一", "甲三", "丙一", "甲二", "乙一"]),
])
def test_sorting(office_client, world, query, names):
    assert listed(office_client, world, query) == numbers_of(world, *names)


def test_sorting_by_staff_number_name_and_department(office_client, world):
    assert listed(office_client, world, "?sort=staff_no") == [f"T{i:02d}" for i in range(1, 16)]
    assert listed(office_client, world, "?sort=staff_no&reverse=1") == [f"T{i:02d}" for i in range(15, 0, -1)]
    by_name = listed(office_client, world, "?sort=name")
    assert sorted(by_name) == sorted(numbers_of(world, *RANK_ORDER))
    assert listed(office_client, world, "?sort=name&reverse=1") == by_name[::-1]
    # People of a department together, the best first within it.
    by_department = listed(office_client, world, "?sort=department")
    departments = {p.staff_no: p.department_id for p in world.people.values()}
    runs = [departments[n] for n in by_department]
    assert len([i for i in range(1, len(runs)) if runs[i] != runs[i - 1]]) == 2
    assert by_department[by_department.index(world.people["乙一"].staff_no) + 1] == world.people["戊一"].staff_no


def test_an_unknown_sort_falls_back_on_rank(office_client, world):
    assert listed(office_client, world, "?sort=dim:nope") == numbers_of(world, *RANK_ORDER)
    assert listed(office_client, world, "?sort=detail") == numbers_of(world, *RANK_ORDER)


def test_filters(office_client, world):
    b = world.departments["B"].id
    a = world.departments["A"].id
    assert listed(office_client, world, "?category=assistant") == numbers_of(world, "戊一", "丁一", "丁二", "戊二", "戊三")
    assert listed(office_client, world, f"?department={b}") == numbers_of(world, "乙一", "乙二", "乙三", "戊一", "戊二", "戊三")
    assert listed(office_client, world, "?grade=优秀") == numbers_of(world, "丙一", "甲二", "戊一")
    assert listed(office_client, world, f"?grade={rq.NO_GRADE}") == numbers_of(world, "丙三")
    # vetoed (乙一), a rule check (甲一), incomplete data (丙三)
    assert listed(office_client, world, "?flagged=1") == numbers_of(world, "乙一", "甲一", "丙三")
    assert listed(office_client, world, "?q=甲") == numbers_of(world, "甲二", "甲三", "甲一", "甲四")
    # staff numbers T10–T15, whatever the case
    assert listed(office_client, world, "?q=t1") == numbers_of(world, "丙三", "戊一", "丁一", "丁二", "戊二", "戊三")
    assert listed(office_client, world, f"?category=quota&department={a}&flagged=1") == numbers_of(world, "甲一")
    assert listed(office_client, world, f"?department={a}&grade=优秀&sort=total") == numbers_of(world, "甲二")
    html = office_client.get(f"/campaigns/{world.campaign.id}/results?q=nobody").get_data(as_text=True)
    assert staff_numbers(html) == [] and "No results match." in html
    # Nonsense is ignored, not an error.
    assert listed(office_client, world, "?department=x&unit=-1&flagged=yes") == numbers_of(world, *RANK_ORDER)


def test_pages_keep_filters_and_sort(office_client, world, app):
    app.config["PAGE_SIZE"] = 4
    base = f"/campaigns/{world.campaign.id}/results"
    html = office_client.get(base + "?sort=total").get_data(as_text=True)
    assert staff_numbers(html) == numbers_of(world, "乙一", "丙一", "甲二", "甲三")
    assert "Page 1 of 4" in html and "15 people · showing 1–4" in html
    following = re.search(r'href="([^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "sort=total" in following
    assert staff_numbers(office_client.get(following).get_data(as_text=True)) == \
        numbers_of(world, "丁一", "戊一", "乙二", "甲一")
    # Beyond the last page: the last page.
    last = office_client.get(base + "?sort=total&page=99").get_data(as_text=True)
    assert staff_numbers(last) == numbers_of(world, "乙三", "丙三", "戊三") and "Page 4 of 4" in last
    # Filters that need everybody's flags page the same way.
    app.config["PAGE_SIZE"] = 2
    flagged = office_client.get(base + "?flagged=1&page=2").get_data(as_text=True)
    assert staff_numbers(flagged) == numbers_of(world, "丙三") and "Page 2 of 2" in flagged


def test_figures(office_client, world):
    campaign = world.campaign
    plan = campaign.plan_version.spec()
    facts = rq.Facts(campaign, plan)
    ov = facts.overview(rq.Filters())
    assert (ov.count, ov.high, ov.low) == (15, 100, 48) and ov.mean == pytest.approx(1116 / 15)
    stats = {d.department: d for d in facts.departments(rq.Filters())}
    a, b, c = stats["第一检察部"], stats["第二检察部"], stats["第三检察部"]
    assert (a.count, a.high, a.low, a.grades, a.ungraded) == (6, 92, 65, [1, 5, 0], 0)
    assert a.mean == pytest.approx(473 / 6)
    assert (b.count, b.high, b.low, b.grades, b.ungraded) == (6, 100, 48, [1, 2, 3], 0)
    assert (c.count, c.mean, c.grades, c.ungraded) == (3, pytest.approx(214 / 3), [1, 1, 0], 1)
    # Figures follow the category, unit and department chosen, not the rows' own filters.
    assistants = {d.department: d for d in facts.departments(rq.Filters(category="assistant", grade="优秀"))}
    assert set(assistants) == {"第一检察部", "第二检察部"} and assistants["第一检察部"].mean == 78
    assert facts.count(rq.Filters(category="assistant", grade="优秀")) == 1
    assert facts.count(rq.Filters(q="甲")) is None
    # Bins of 5 from 45 to 100; the top score, on an edge, in the last bin.
    bins = rq.histogram(campaign, rq.Filters(), ov)
    assert [b.label for b in bins][:2] == ["45–50", "50–55"] and bins[-1].label == "95–100"
    assert [b.count for b in bins] == [1, 2, 0, 1, 1, 3, 1, 0, 3, 2, 1]
    html = office_client.get(f"/campaigns/{campaign.id}/results").get_data(as_text=True)
    assert "15 people: mean 74.40, highest 100.00, lowest 48.00." in html
    chart = json.loads(re.search(r'data-chart="([^"]+)"', html).group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert chart["values"] == [1, 2, 0, 1, 1, 3, 1, 0, 3, 2, 1]
    departments = re.sub(r"\s+", "", html.split('<table id="departments"', 1)[1].split("</table>", 1)[0])
    assert "<td>6</td><td>78.83</td><td>92.00</td><td>65.00</td><td>1</td><td>5</td><td>0</td><td>0</td>" in departments
    # Within a category: the histogram of that category only.
    html = office_client.get(f"/campaigns/{campaign.id}/results?category=assistant").get_data(as_text=True)
    assert "5 people: mean 70.60, highest 86.00, lowest 48.00." in html


@pytest.mark.parametrize("bounds,width", [((48, 100), 5), ((80, 92), 1), ((0, 100), 10), ((90, 90), 0.1),
                                          ((60, 61.5), 0.1), ((0, 1000), 100)])
def test_bin_width(bounds, width):
    assert rq.bin_width(*bounds) == width


def test_several_units_filter_by_unit_and_show_statistics_per_unit(office_client, world, make):
    other = make.unit("邻县院", parent=world.city)
    dept = make.department(other, "综合业务部")
    newcomers = [make.person(department=dept, name=f"邻县{i}", category="quota") for i in range(2)]
    campaign = ops.create_campaign(get_version(world.campaign.plan_version.plan.name), world.city)
    for p in list(world.people.values()) + newcomers:
        ops.set_manual_entry(campaign, p, "quality", 30, "评查", rescore=False)
    recompute(campaign)
    db.session.commit()
    base = f"/campaigns/{campaign.id}/results"
    html = office_client.get(base).get_data(as_text=True)
    assert '<select name="unit">' in html and "<h2>Units</h2>" in html
    units = html.split('<table id="departments"', 1)[1].split("</table>", 1)[0]
    assert f"unit={other.id}" in units and f"unit={world.county.id}" in units and "第一检察部" not in units
    assert sorted(staff_numbers(office_client.get(base + f"?unit={other.id}").get_data(as_text=True))) == \
        sorted(p.staff_no for p in newcomers)
    html = office_client.get(base + f"?unit={world.county.id}").get_data(as_text=True)
    assert "<h2>Departments</h2>" in html and len(staff_numbers(html)) == 15


def count_queries(app, fn) -> list[str]:
    """Statements run by ``fn`` from an empty session (nothing loaded by an earlier request)."""
    db.session.expunge_all()
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements


@pytest.mark.parametrize("query", ["", "?sort=total", "?flagged=1", "?sort=dim:work", "?q=T"])
def test_the_page_runs_as_many_queries_for_2_rows_as_for_15(office_client, world, app, query):
    url = f"/campaigns/{world.campaign.id}/results{query}"
    office_client.get(url)   # the flags read once per computation of the results
    app.config["PAGE_SIZE"] = 2
    few = count_queries(app, lambda: office_client.get(url))
    app.config["PAGE_SIZE"] = 50
    many = count_queries(app, lambda: office_client.get(url))
    assert len(few) == len(many), "\n".join(many)
    assert len(many) <= 12


def test_breakdowns_and_exports_run_a_fixed_number_of_queries(office_client, world, app):
    cid, first, second = world.campaign.id, world.people["甲一"].id, world.people["戊三"].id
    a = count_queries(app, lambda: office_client.get(f"/campaigns/{cid}/results/{first}"))
    b = count_queries(app, lambda: office_client.get(f"/campaigns/{cid}/results/{second}"))
    assert len(a) == len(b), "\n\n".join(a + ["---"] + b)
    office_client.get(f"/campaigns/{cid}/results.xlsx")   # everybody's flags, read once per computation
    few = count_queries(app, lambda: office_client.get(f"/campaigns/{cid}/results.xlsx?category=assistant"))
    many = count_queries(app, lambda: office_client.get(f"/campaigns/{cid}/results.xlsx"))
    assert len(few) == len(many), "\n\n".join(few + ["---"] + many)


def test_supervisors_read_the_results_in_their_scope_only(client, auth, world, make):
    auth.as_user(world.supervisor)
    english(client)
    assert client.get(f"/campaigns/{world.campaign.id}/results").status_code == 200
    outsider = make.user(Role.OFFICE,
                         person=make.person(world.county, name="县绩效办", category="admin"),
                         scope=make.unit("别的市院"))
    make.commit()
    auth.logout()
    auth.as_user(outsider)
    assert client.get(f"/campaigns/{world.campaign.id}/results").status_code == 403
    assert client.get(f"/campaigns/{world.campaign.id}/results.xlsx").status_code == 403
    assert client.get(f"/campaigns/{world.campaign.id}/results/{world.people['甲一'].id}").status_code == 403
