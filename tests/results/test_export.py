"""The .xlsx export, cell by cell: one row per person in the offices' layout, the department
statistics, the table's filters and order."""
import io

from openpyxl import load_workbook

from review.campaigns import operations as ops
from review.campaigns.loader import recompute
from review.extensions import db
from review.plans.operations import get_version

Q, A = "Quota prosecutor", "Prosecutorial assistant"
HEADER = ["Name", "Staff number", "Department", "Category", "工作实绩", "工作作风", "Total", "Rank in category",
          "Rank in unit", "Grade", "Veto", "Flags"]
D1, D2, D3 = "第一检察部", "第二检察部", "第三检察部"
VETO = "违反中央八项规定精神"
CHECK = "部门负责人办案量：为组内平均的 14%，要求 50%–70%"
INCOMPLETE = "1 项指标尚无数据，总分为暂计，暂不评定等次"
ROWS = [
    ["乙一", "T05", D2, Q, 60, 40, 100, 1, 1, "不称职", VETO, None],
    ["丙一", "T08", D3, Q, 56, 38, 94, 2, 2, "优秀", None, None],
    ["甲二", "T02", D1, Q, 54, 38, 92, 3, 3, "优秀", None, None],
    ["甲三", "T03", D1, Q, 51, 37, 88, 4, 4, "称职", None, None],
    ["乙二", "T06", D2, Q, 44, 35, 79, 5, 7, "称职", None, None],
    ["甲一", "T01", D1, Q, 37, 35, 72, 6, 8, "称职", None, CHECK],
    ["丙二", "T09", D3, Q, 40, 30, 70, 7, 9, "称职", None, None],
    ["甲四", "T04", D1, Q, 35, 30, 65, 8, 11, "称职", None, None],
    ["乙三", "T07", D2, Q, 28, 25, 53, 9, 13, "不称职", None, None],
    ["丙三", "T10", D3, Q, 40, 10, 50, 10, 14, None, None, INCOMPLETE],
    ["戊一", "T13", D2, A, 52, 34, 86, 1, 5, "优秀", None, None],
    ["丁一", "T11", D1, A, 50, 36, 86, 2, 6, "称职", None, None],
    ["丁二", "T12", D1, A, 40, 30, 70, 3, 10, "称职", None, None],
    ["戊二", "T14", D2, A, 33, 30, 63, 4, 12, "称职", None, None],
    ["戊三", "T15", D2, A, 26, 22, 48, 5, 15, "不称职", None, None],
]


def export(client, world, query: str = ""):
    resp = client.get(f"/campaigns/{world.campaign.id}/results.xlsx{query}")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return resp, load_workbook(io.BytesIO(resp.data))


def cells(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_every_cell_of_both_sheets(office_client, world):
    resp, wb = export(office_client, world)
    assert f"results-{world.campaign.id}.xlsx" in resp.headers["Content-Disposition"]
    assert wb.sheetnames == ["Results", "Departments"]
    assert cells(wb["Results"]) == [HEADER] + ROWS
    assert cells(wb["Departments"]) == [
        ["Department", "People", "Mean", "Highest", "Lowest", "优秀", "称职", "不称职", "No grade yet"],
        [D1, 6, 78.83, 92, 65, 1, 5, 0, 0],
        [D2, 6, 71.5, 100, 48, 1, 2, 3, 0],
        [D3, 3, 71.33, 94, 50, 1, 1, 0, 1],
    ]


def test_the_export_follows_the_tables_filters_and_order(office_client, world):
    _resp, wb = export(office_client, world, "?category=assistant&sort=total")
    by_name = {r[0]: r for r in ROWS}
    assert cells(wb["Results"])[1:] == [by_name[n] for n in ("丁一", "戊一", "丁二", "戊二", "戊三")]
    # The statistics cover the category chosen.
    assert cells(wb["Departments"])[1:] == [[D1, 2, 78, 86, 70, 0, 2, 0, 0], [D2, 3, 65.67, 86, 48, 1, 1, 1, 0]]
    _resp, wb = export(office_client, world, "?flagged=1")
    assert [r[0] for r in cells(wb["Results"])[1:]] == ["乙一", "甲一", "丙三"]
    _resp, wb = export(office_client, world, f"?department={world.departments['C'].id}&sort=dim:work&reverse=1")
    assert [r[0] for r in cells(wb["Results"])[1:]] == ["丙二", "丙三", "丙一"]


def test_text_that_excel_would_run_stays_text(office_client, world):
    world.people["甲一"].name = "=HYPERLINK(\"http://x\",\"甲一\")"
    db.session.commit()
    _resp, wb = export(office_client, world, "?q=T01")
    cell = wb["Results"]["A2"]
    assert cell.value == "=HYPERLINK(\"http://x\",\"甲一\")" and cell.data_type == "s"


def test_a_campaign_over_several_units_names_the_unit(office_client, world, make):
    other = make.unit("邻县院", parent=world.city)
    newcomer = make.person(department=make.department(other, "综合业务部"), name="邻县一", category="quota")
    campaign = ops.create_campaign(get_version(world.campaign.plan_version.plan.name), world.city)
    ops.set_manual_entry(campaign, newcomer, "quality", 30, "评查", rescore=False)
    recompute(campaign)
    db.session.commit()
    resp = office_client.get(f"/campaigns/{campaign.id}/results.xlsx?q=邻县")
    wb = load_workbook(io.BytesIO(resp.data))
    rows = cells(wb["Results"])
    assert rows[0][:5] == ["Name", "Staff number", "Unit", "Department", "Category"]
    assert rows[1][:4] == ["邻县一", newcomer.staff_no, "邻县院", "综合业务部"]
    assert cells(wb["Departments"])[0][:3] == ["Unit", "Department", "People"]


def test_chinese_headers_come_from_the_catalogue(client, auth, world):
    """In Chinese the columns read as the offices name them; the data is the same."""
    auth.as_user(world.office)
    _resp, wb = export(client, world)
    assert wb.sheetnames == ["考核结果", "部门统计"]
    rows = cells(wb["考核结果"])
    assert rows[0] == ["姓名", "工号", "部门", "类别", "工作实绩", "工作作风", "总分", "类别排名", "单位排名", "等次",
                       "一票否决", "提示"]
    assert [r[:3] + r[4:] for r in rows[1:]] == [r[:3] + r[4:] for r in ROWS]
