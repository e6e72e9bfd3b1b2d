"""A staff member's own breakdown shows the stored lines and nothing finer: a rater group below the
k-threshold is said to be withheld, with no mean, count or answer of it anywhere on the page."""
from datetime import timedelta

from sqlalchemy import select

from review.ballots import voting
from review.ballots.models import Assignment, RaterGroup
from review.campaigns import operations as campaign_ops
from review.core.access import Role
from review.core.timeutil import local_today
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution

PLAN = """
name: 申诉测评方案
year: 2025
mode: points
appraises: {categories: [quota]}
publication: {ranking: true}
indicators:
  - code: work
    name: 工作实绩
    points: 60
    source: {type: manual}
  - code: conduct
    name: 作风
    points: 40
    source: {type: ballot, scale: grade_four, groups: {peer: 50, leader: 50}}
grades:
  rules:
    - {grade: 合格}
"""


def vote(campaign, rater, ratee, group, value, comment=""):
    a = db.session.scalar(select(Assignment).where(
        Assignment.campaign_id == campaign.id, Assignment.rater_id == rater.id, Assignment.ratee_id == ratee.id,
        Assignment.group == group))
    voting.submit(a.id, rater, {q.code: value for q in voting.questions(campaign, group)}, comment)


def test_a_withheld_group_shows_no_mean_to_the_ratee(client, auth, make):
    o = small_institution(make)
    me = o["s1"][0]
    staff = make.user(Role.STAFF, person=me)
    campaign = campaign_ops.create_campaign(save_plan(load_plan(PLAN)), o["county"])
    campaign_ops.move(campaign, "open")
    for p in (s.person for s in campaign.subjects):
        campaign_ops.set_manual_entry(campaign, p, "work", 50, "年度工作实绩", rescore=False)
    # Two of my three peers vote (k = 3): their group is withheld. My head's signed ballot counts.
    vote(campaign, o["s1"][1], me, RaterGroup.PEER, 100, "非常优秀")
    vote(campaign, o["s1"][2], me, RaterGroup.PEER, 40, "有待提高")
    vote(campaign, o["h1"], me, RaterGroup.LEADER, 80)
    campaign_ops.move(campaign, "close")
    campaign_ops.move(campaign, "publish", until=local_today() + timedelta(days=5))
    db.session.commit()
    auth.as_user(staff)
    html = client.get(f"/my/results/{campaign.id}").get_data(as_text=True)
    # Explanations are written in the reader's language (these tests read in English).
    assert "peers has too few ballots to be shown" in html
    conduct = html.split("作风</td>")[1].split("</tr>")[0]
    # Only the signed leader group is computed: (80 / 100) × 40 = 32, nothing of the peers' 100 and 40.
    assert "leaders 100%: mean 80 of 100 (1 ballots)" in conduct
    assert "peers 50%" not in conduct and "70" not in conduct and "2 ballots" not in conduct
    assert "非常优秀" not in html and "有待提高" not in html           # comments of a withheld group are gone
    ranking = client.get(f"/my/results/{campaign.id}/ranking").get_data(as_text=True)
    assert "peers" not in ranking and "mean" not in ranking
