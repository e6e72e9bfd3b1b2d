"""What may be shown of ballots: the disclosure rule itself, and every page and export that shows
ballot results — the k-threshold, pooling, complementary suppression, comments."""
import io
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from review.ballots import voting
from review.ballots.disclosure import Tally, disclose
from review.ballots.models import Assignment, RaterGroup
from review.campaigns import operations as ops
from review.core.access import Role
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution
from .test_assignments import PLAN


def tallies(**counts):
    return {g: Tally(Counter({80.0: n})) for g, n in counts.items()}


# --- the rule ------------------------------------------------------------------------------

def test_groups_of_k_or_more_are_shown_on_their_own():
    d = disclose(tallies(peer=3, democratic=7), 3)
    assert set(d.shown) == {"peer", "democratic"} and d.others is None and not d.hidden


def test_small_groups_are_pooled_when_the_pool_reaches_k():
    d = disclose(tallies(peer=5, democratic=2, middle=1), 3)
    assert set(d.shown) == {"peer"} and d.pooled == ("democratic", "middle") and d.others.count == 3


def test_a_pool_below_k_takes_the_smallest_shown_group_with_it():
    # Showing peer (5) and the total (7) would give democratic (2) away by subtraction.
    d = disclose(tallies(peer=5, democratic=2), 3)
    assert d.shown == {} and d.pooled == ("democratic", "peer") and d.others.count == 7
    d = disclose(tallies(peer=6, democratic=4, middle=1), 3)
    assert set(d.shown) == {"peer"} and d.pooled == ("democratic", "middle")


def test_nothing_is_shown_when_all_groups_together_stay_below_k():
    d = disclose(tallies(democratic=1, middle=1), 3)
    assert d.shown == {} and d.others is None and d.total is None and d.withheld == ("democratic", "middle")


@settings(max_examples=300, deadline=None)
@given(counts=st.dictionaries(st.sampled_from(["peer", "democratic", "middle", "x", "y"]),
                              st.integers(0, 9), max_size=5),
       k=st.integers(1, 6))
def test_no_hidden_group_can_be_recovered_from_what_is_shown(counts, k):
    data = {g: Tally(Counter({100.0: n // 2, 60.0: n - n // 2})) for g, n in counts.items()}
    d = disclose(data, k)
    present = {g for g, n in counts.items() if n}
    # Every group is accounted for exactly once.
    assert set(d.shown) | set(d.pooled) | set(d.withheld) == present
    assert not (set(d.shown) & set(d.pooled)) and not (set(d.shown) & set(d.withheld))
    # Whatever is published stands on at least k ballots...
    assert all(t.count >= k for t in d.shown.values())
    assert d.others is None or d.others.count >= k
    # ...and what is not shown on its own is either inside a published pool of at least k
    # (so the total minus the shown groups is that pool, never one small group) or not published at all.
    if d.total is not None:
        assert d.total.count - sum(t.count for t in d.shown.values()) in (0,) + tuple(range(k, 100))
        assert d.total.count == sum(counts.values())
    else:
        assert d.shown == {} and d.others is None


# --- pages and exports ------------------------------------------------------------------------

@pytest.fixture
def voted(make, app):
    """Chief of the county: four democratic ballots and one middle-manager ballot, k = 3."""
    o = small_institution(make)
    campaign = ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    ops.move(campaign, "open")
    office = make.user(Role.OFFICE, scope=o["county"], login="office")
    make.commit()
    return o, campaign, office


def vote(campaign, rater, ratee, group, value, comment=""):
    a = db.session.scalar(select(Assignment).where(
        Assignment.campaign_id == campaign.id, Assignment.rater_id == rater.id, Assignment.ratee_id == ratee.id,
        Assignment.group == group))
    voting.submit(a.id, rater, {q.code: value for q in voting.questions(campaign, group)}, comment)


def close(campaign):
    ops.move(campaign, "close")
    db.session.commit()


def test_pages_pool_a_small_group_with_its_complement(client, auth, voted):
    o, c, office = voted
    chief = o["chief"]
    for rater, value in zip([*o["s1"], o["s2"][0]], (100, 100, 80, 60)):
        vote(c, rater, chief, RaterGroup.DEMOCRATIC, value, "敢于担当" if value == 100 else "")
    vote(c, o["h1"], chief, RaterGroup.MIDDLE, 40, "希望多下基层")
    close(c)
    auth.as_user(office)
    html = client.get(f"/campaigns/{c.id}/ballot-results/{chief.id}").get_data(as_text=True)
    # democratic (4) would be shown alone, but then the total minus it would give the single middle ballot away.
    assert "其他组合并（民主测评、中层干部）" in html
    assert "<td>民主测评</td>" not in html and "<td>中层干部</td>" not in html
    assert "希望多下基层" in html and html.count("敢于担当") == 2  # comments, pooled and unattributed
    overview = client.get(f"/campaigns/{c.id}/ballot-results").get_data(as_text=True)
    assert "匿名 76（5）" in overview  # (100 + 100 + 80 + 60 + 40) / 5
    wb = load_workbook(io.BytesIO(client.get(f"/campaigns/{c.id}/ballot-results.xlsx").data))
    lines = [r for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True) if r[1] == "检察长"
             and r[2] == "民主测评"]
    assert [(r[3], r[4]) for r in lines] == [("其他组合并（民主测评、中层干部）", 5)]
    assert lines[0][6:10] == (2, 1, 1, 1)  # 优秀 2, 称职 1, 基本称职 1, 不称职 1


def test_below_k_nothing_is_shown_anywhere_comments_included(client, auth, voted):
    o, c, office = voted
    chief = o["chief"]
    vote(c, o["s1"][0], chief, RaterGroup.DEMOCRATIC, 40, "独断专行")
    vote(c, o["s1"][1], chief, RaterGroup.DEMOCRATIC, 40)
    close(c)
    auth.as_user(office)
    html = client.get(f"/campaigns/{c.id}/ballot-results/{chief.id}").get_data(as_text=True)
    assert "少于 3 张" in html and "独断专行" not in html and "不称职" in html  # the header, not a count
    assert "<td>2</td>" not in html
    report = client.get(f"/campaigns/{c.id}/democratic-report").get_data(as_text=True)
    assert "检察长" not in report.split("<tbody>")[1]
    wb = load_workbook(io.BytesIO(client.get(f"/campaigns/{c.id}/ballot-results.xlsx").data))
    rows = [r for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True) if r[1] == "检察长"
            and r[2] == "民主测评"]
    assert len(rows) == 1 and rows[0][4] is None and rows[0][5] is None and "少于" in rows[0][3]
    assert not [r for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True) if r[1] == "检察长"]


def test_democratic_report_counts_grades_and_the_share_of_the_two_best(client, auth, voted):
    o, c, office = voted
    chief = o["chief"]
    for rater, value in zip([*o["s1"], *o["s2"]], (100, 80, 80, 60, 40)):
        vote(c, rater, chief, RaterGroup.DEMOCRATIC, value)
    close(c)
    auth.as_user(office)
    html = client.get(f"/campaigns/{c.id}/democratic-report").get_data(as_text=True)
    row = html.split("检察长</a>")[1].split("</tr>")[0]
    assert "<td>1</td><td>2</td><td>1</td><td>1</td><td>5</td>" in row and "60.0%" in row
    wb = load_workbook(io.BytesIO(client.get(f"/campaigns/{c.id}/ballot-results.xlsx").data))
    [line] = [r for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True) if r[1] == "检察长"]
    assert line[4:9] == (5, 1, 2, 1, 1) and line[9] == 60.0


def test_signed_ballots_are_shown_as_signed_whatever_their_number(client, auth, voted):
    o, c, office = voted
    vote(c, o["h1"], o["s1"][0], RaterGroup.LEADER, 8)
    db.session.commit()
    auth.as_user(office)
    html = client.get(f"/campaigns/{c.id}/ballot-results/{o['s1'][0].id}").get_data(as_text=True)
    assert "领导评价 · 实名" in html


def test_ballot_results_are_for_the_office_of_the_campaign_unit(client, auth, voted, make):
    o, c, _office = voted
    outsider = make.user(Role.OFFICE, scope=o["sibling"], login="sibling-office")
    staff = make.user(Role.STAFF, person=o["s1"][0])
    make.commit()
    auth.as_user(outsider)
    assert client.get(f"/campaigns/{c.id}/ballot-results").status_code in (403, 404)
    auth.logout()
    auth.as_user(staff)
    assert client.get(f"/campaigns/{c.id}/ballot-results/{o['chief'].id}").status_code == 403
