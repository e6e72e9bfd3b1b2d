"""A county of three departments and two categories whose results exercise quotas, vetoes, tie-breaks,
rule checks and incomplete data; the office that reads them."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from openpyxl import Workbook

from review.campaigns import operations as ops
from review.campaigns.loader import recompute
from review.campaigns.models import Campaign
from review.core.access import Role
from review.kpi.importer import import_file
from review.org.models import LeaderRole, Person, UnitLevel
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

PLAN = """
name: 结果测试方案
year: 2025
mode: points
appraises: {categories: [quota, assistant]}
measures:
  cases: {name: 办案数, min: 0, max: 1000}
indicators:
  - code: work
    name: 工作实绩
    points: 60
    children:
      - {code: quantity, name: 办案数量, points: 20, source: {type: kpi, measure: cases, method: linear, low: 0, high: 100}}
      - {code: quality, name: 办案质量, points: 40, source: {type: manual}}
  - code: conduct
    name: 工作作风
    points: 40
    children:
      - {code: style, name: 作风评价, points: 30, source: {type: manual}}
      - {code: inspection, name: 检查扣分, points: 10, source: {type: deduction, per_occurrence: 1}}
grades:
  rules:
    - {grade: 优秀, min_score: 60, top: 0.2}
    - {grade: 称职, min_score: 60}
    - {grade: 不称职}
  tie_break: [work, staff_no]
vetoes:
  - {code: discipline, name: 违反中央八项规定精神}
checks:
  - {code: head_cases, name: 部门负责人办案量, measure: cases, within: department, leader_roles: [head],
     min_ratio: 0.5, max_ratio: 0.7}
"""

# name → (department, category, cases, quality, style, inspections); None: not entered.
PEOPLE = {
    # quota (员额检察官): 10 people, ⌊0.2 × 10⌋ = 2 places of 优秀
    "甲一": ("A", "quota", 10, 35, 25, 0),     # head of A: 72, caseload far below the others' → flag
    "甲二": ("A", "quota", 90, 36, 28, 0),     # 92 → 优秀 (second place after the veto)
    "甲三": ("A", "quota", 80, 35, 27, 0),     # 88 → 称职: third, beyond the quota
    "甲四": ("A", "quota", 50, 25, 20, 0),     # 65 → 称职
    "乙一": ("B", "quota", 100, 40, 30, 0),    # 100, vetoed → 不称职, takes no quota place
    "乙二": ("B", "quota", 70, 30, 25, 0),     # 79 → 称职
    "乙三": ("B", "quota", 40, 20, 15, 0),     # 53 → 不称职 (below 60)
    "丙一": ("C", "quota", 90, 38, 28, 0),     # 94 → 优秀 (first place)
    "丙二": ("C", "quota", 60, 28, 20, 0),     # 70 → 称职
    "丙三": ("C", "quota", 50, 30, None, 0),   # style missing: 50 provisional, no grade, flagged
    # assistant (检察辅助人员): 5 people, 1 place
    "丁一": ("A", "assistant", 80, 34, 26, 0),  # 86, 工作实绩 50
    "丁二": ("A", "assistant", 50, 30, 20, 0),  # 70
    "戊一": ("B", "assistant", 60, 40, 24, 0),  # 86, 工作实绩 52: wins the tie → 优秀
    "戊二": ("B", "assistant", 40, 25, 20, 0),  # 63
    "戊三": ("B", "assistant", 30, 20, 15, 3),  # 6 + 20 + 15 + 7 = 48 → 不称职
}


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass
class World:
    campaign: Campaign
    people: dict[str, Person]
    departments: dict
    county: object
    city: object
    office: object
    supervisor: object


@pytest.fixture
def world(make) -> World:
    city = make.unit("市院", level=UnitLevel.CITY)
    county = make.unit("县院", parent=city)
    departments = {key: make.department(county, name)
                   for key, name in (("A", "第一检察部"), ("B", "第二检察部"), ("C", "第三检察部"))}
    people = {}
    for i, (name, (dept, category, *_)) in enumerate(PEOPLE.items(), start=1):
        people[name] = make.person(department=departments[dept], name=name, category=category,
                                   staff_no=f"T{i:02d}", role=LeaderRole.HEAD if name == "甲一" else None)
    office = make.user(Role.OFFICE, person=make.person(city, name="绩效办", category="admin"), scope=city)
    supervisor = make.user(Role.SUPERVISOR, person=make.person(city, name="纪检", category="admin"), scope=city)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), county)
    rows = [["工号", "姓名", "办案数"]] + [[people[n].staff_no, n, v[2]] for n, v in PEOPLE.items()]
    report = import_file(campaign, xlsx(rows), apply=True, filename="办案数.xlsx", rescore=False)
    assert report.ok, report.errors
    for name, (_d, _c, _cases, quality, style, inspections) in PEOPLE.items():
        person = people[name]
        ops.set_manual_entry(campaign, person, "quality", quality, "评查结果", rescore=False)
        if style is not None:
            ops.set_manual_entry(campaign, person, "style", style, "作风评价", rescore=False)
        if inspections:
            ops.set_manual_entry(campaign, person, "inspection", inspections, "检查发现问题", rescore=False)
    ops.set_veto(campaign, people["乙一"], "discipline", "经查实")
    recompute(campaign)
    make.commit()
    return World(campaign, people, departments, county, city, office, supervisor)


def staff_numbers(html: str) -> list[str]:
    """The staff numbers of the results table's rows, in order."""
    body = html.split('<table id="results"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr><td>[^<]*</td><td>([^<]+)</td>", body)


@pytest.fixture
def office_client(client, auth, world):
    """The office, reading in English (the source language of the pages' words)."""
    auth.as_user(world.office)
    english(client)
    return client


def numbers_of(world: World, *names: str) -> list[str]:
    return [world.people[n].staff_no for n in names]


def english(client) -> None:
    client.post("/language", data={"lang": "en", "next": "/"})

