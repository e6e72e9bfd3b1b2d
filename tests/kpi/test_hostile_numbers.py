"""KPI values that are not finite numbers or beyond any plausible measure (issue 15): a measure the
plan gives no maximum still takes no value beyond ±1e12, and nan/inf are refused — in a sheet
with row and column, in a hand entry with the measure named. Nothing is written."""
import pytest
from sqlalchemy import select

from review.campaigns import operations as ops
from review.core.access import Role
from review.core.errors import DomainError
from review.extensions import db
from review.kpi import entries
from review.kpi.importer import import_file
from review.kpi.models import KpiEntry, KpiRecord
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution
from .test_import import csv_bytes, xlsx

PLAN = """
name: 无上限量化方案
year: 2025
mode: points
appraises: {categories: [quota]}
measures:
  amount: {name: 涉案金额, unit: 元}
  debt: {name: 挽回损失, min: -100}
indicators:
  - code: amount
    name: 涉案金额
    points: 60
    source: {type: kpi, measure: amount, method: rank}
  - code: debt
    name: 挽回损失
    points: 40
    source: {type: kpi, measure: debt, method: rank}
grades:
  rules:
    - {grade: 称职}
"""


@pytest.fixture
def world(make):
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    clerk = make.user(Role.STAFF, person=o["s1"][0])
    make.commit()
    return o, campaign, clerk


def test_a_sheet_refuses_non_finite_and_huge_values_with_row_and_column(world):
    o, campaign, _clerk = world
    people = o["s1"] + o["s2"]
    rows = [["工号", "姓名", "涉案金额", "挽回损失"],
            [people[0].staff_no, people[0].name, "nan", 1],
            [people[1].staff_no, people[1].name, "inf", 1],
            [people[2].staff_no, people[2].name, "1e999", 1],
            [people[3].staff_no, people[3].name, "1e15", "-1e15"]]
    for data in (csv_bytes(rows), xlsx(rows)):
        report = import_file(campaign, data, apply=True)
        assert {(e.row, e.column) for e in report.errors} == {(2, "涉案金额"), (3, "涉案金额"), (4, "涉案金额"),
                                                              (5, "涉案金额"), (5, "挽回损失")}
        messages = {(e.row, e.column): e.message for e in report.errors}
        assert "1e+12" in messages[(5, "涉案金额")] and "-100" in messages[(5, "挽回损失")]
        db.session.rollback()
        assert db.session.scalar(select(KpiRecord.id)) is None
    fine = import_file(campaign, csv_bytes([["工号", "涉案金额"], [people[0].staff_no, "123,456,789"]]), apply=True)
    assert fine.ok


@pytest.mark.parametrize("raw", ["nan", "inf", "1e999", "1e15", 1e15])
def test_a_hand_entry_refuses_non_finite_and_huge_values_naming_the_measure(world, raw):
    o, campaign, clerk = world
    with pytest.raises(DomainError) as exc:
        entries.submit(campaign, o["s1"][1], "amount", raw, "补录", clerk)
    assert "涉案金额" in exc.value.message
    db.session.rollback()
    assert db.session.scalar(select(KpiEntry.id)) is None


def test_the_entry_page_says_what_is_wrong_with_a_huge_value(world, client, auth):
    o, campaign, clerk = world
    auth.as_user(clerk)
    resp = client.post(f"/campaigns/{campaign.id}/kpis/entries",
                       data={"person": o["s1"][1].id, "measure": "amount", "value": "1e15", "reason": "补录"})
    assert resp.status_code == 422 and "1e+12" in resp.get_data(as_text=True)
    assert db.session.scalar(select(KpiEntry.id)) is None
