"""One person's breakdown: every line under its dimension with points, explanation and source notes,
subtotals, rank, vetoes and flags, and links to where the values came from."""
import re

from sqlalchemy import delete, select

from review.campaigns import operations as ops
from review.campaigns.loader import recompute
from review.campaigns.models import Result
from review.claims.models import Claim, ClaimState
from review.core.timeutil import utcnow
from review.extensions import db
from review.kpi.models import KpiBatch
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from .conftest import english


def page(client, world, name: str) -> str:
    resp = client.get(f"/campaigns/{world.campaign.id}/results/{world.people[name].id}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def rows(html: str) -> list[str]:
    """The breakdown table's rows as text, cells separated by '|'."""
    body = html.split('<table id="breakdown"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    out = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", td)).strip()
                 for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        out.append("|".join(cells))
    return out


def test_lines_grouped_by_dimension_with_subtotals_explanations_and_sources(office_client, world):
    html = page(office_client, world, "甲一")
    batch = db.session.scalar(select(KpiBatch.id).where(KpiBatch.campaign_id == world.campaign.id))
    day = utcnow().date().isoformat()
    # The explanations are written in the reader's language (English here), from the stored inputs.
    assert rows(html) == [
        "工作实绩|37.00|60.00|Sum of the lines below|",
        f"办案数量|2.00|20.00|10 on the line from 0 to 100: 0.1 × 20 = 2 source: #{batch} 办案数.xlsx, "
        f"imported {day}|Import #{batch} 办案数.xlsx",
        "办案质量|35.00|40.00|entered by the performance office, 35: 评查结果|Entered by the office",
        "工作作风|35.00|40.00|Sum of the lines below|",
        "作风评价|25.00|30.00|entered by the performance office, 25: 作风评价|Entered by the office",
        "检查扣分|10.00|10.00|10 points less 0 × 1 = 0, floored at zero: 10|",
    ]
    cid = world.campaign.id
    assert f'href="/campaigns/{cid}/kpis/batches/{batch}"' in html
    assert f'href="/campaigns/{cid}/enter/quality"' in html
    facts = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('id="facts"', 1)[1].split("</dl>", 1)[0]))
    assert "Rank in category 6 of 10" in facts and "Rank in unit 8" in facts and "Grade 称职" in facts
    assert "部门负责人办案量：为组内平均的 14%，要求 50%–70%" in facts
    assert "72.00 / 100" in facts


def test_a_vetoed_person(office_client, world):
    html = page(office_client, world, "乙一")
    assert "Veto: 违反中央八项规定精神" in html and "经查实" in html
    assert "Withdraw" in html  # the office may take the veto back while the campaign takes inputs


def test_supervisors_follow_only_the_links_they_may_open(client, auth, world):
    auth.as_user(world.supervisor)
    english(client)
    html = page(client, world, "甲一")
    assert "/kpis/batches/" in html
    assert "/enter/" not in html and "Apply veto" not in html


def test_approved_claims_and_deductions_link_to_their_page(office_client, world):
    person = world.people["戊三"]
    claim = Claim(campaign_id=world.campaign.id, person=person, indicator="inspection", kind="deduction",
                  title="案件评查发现瑕疵", occurrences=1, state=ClaimState.APPROVED, office_at=utcnow())
    refused = Claim(campaign_id=world.campaign.id, person=person, indicator="inspection", kind="deduction",
                    title="未查实", occurrences=1, state=ClaimState.REJECTED)
    db.session.add_all([claim, refused])
    db.session.flush()
    recompute(world.campaign)
    db.session.commit()
    html = page(office_client, world, "戊三")
    line = next(r for r in rows(html) if r.startswith("检查扣分"))
    assert line.startswith("检查扣分|6.00|10.00|") and "deduction: 案件评查发现瑕疵" in line
    assert "Deduction: 案件评查发现瑕疵" in line and "Entered by the office" in line
    assert f'href="/claims/{claim.id}"' in html and f'href="/claims/{refused.id}"' not in html


LINKED_PLAN = """
name: 来源链接测试方案
year: 2025
mode: points
appraises: {categories: [quota]}
indicators:
  - code: peers
    name: 同事评价
    points: 50
    source: {type: ballot, scale: leader_eval, groups: {peer: 100}}
  - code: honours
    name: 表彰奖励
    points: 50
    source: {type: bonus, per_occurrence: 10, register: commendation}
grades:
  rules:
    - {grade: 合格}
"""


def test_ballot_and_register_lines_link_to_their_pages(office_client, world):
    campaign = ops.create_campaign(save_plan(load_plan(LINKED_PLAN)), world.county)
    ops.regenerate_assignments(campaign)
    recompute(campaign)
    db.session.commit()
    person = world.people["甲一"]
    html = office_client.get(f"/campaigns/{campaign.id}/results/{person.id}").get_data(as_text=True)
    lines = rows(html)
    assert lines[0].startswith("同事评价|—|50.00|") and lines[0].endswith("Ballot results")
    assert f'href="/campaigns/{campaign.id}/ballot-results/{person.id}"' in html
    assert lines[1].startswith("表彰奖励|0.00|50.00|") and "Register:" in lines[1]
    assert f'href="/registers/commendation?unit={person.unit_id}"' in html


def test_a_campaign_without_results_yet(office_client, world):
    campaign = ops.create_campaign(save_plan(load_plan(LINKED_PLAN)), world.county)
    db.session.execute(delete(Result).where(Result.campaign_id == campaign.id))
    db.session.commit()
    html = office_client.get(f"/campaigns/{campaign.id}/results").get_data(as_text=True)
    assert "No results yet." in html and "0 people" in html
    assert office_client.get(f"/campaigns/{campaign.id}/results.xlsx").status_code == 200
    assert office_client.get(f"/campaigns/{campaign.id}/results/{world.people['甲一'].id}").status_code == 404
