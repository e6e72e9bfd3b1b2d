"""A county whose 2025 campaign is closed with every manual score entered, ready to publish; accounts
for the appellant, a colleague, the office (one of whom is appraised too), the office of a sibling
unit, a supervisor and an administrator."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from review.campaigns import operations as campaign_ops
from review.campaigns.models import Campaign, Result
from review.core.access import Role
from review.evidence.storage import Upload
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution

PLAN = """
name: 申诉测试方案
year: 2025
mode: points
appraises: {categories: [quota]}
indicators:
  - code: work
    name: 工作实绩
    points: 60
    source: {type: manual}
  - code: inspection
    name: 督查检查
    points: 10
    source: {type: deduction, per_occurrence: 2}
  - code: conduct
    name: 作风
    points: 30
    source: {type: manual}
grades:
  rules:
    - {grade: 优秀, min_score: 90}
    - {grade: 称职, min_score: 70}
    - {grade: 基本称职}
"""
RANKED = PLAN.replace("name: 申诉测试方案", "name: 申诉测试方案（公示排名）") + "publication: {ranking: true}\n"

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def pdf(name: str = "评查结论.pdf") -> Upload:
    return Upload(name, PDF)


def today() -> date:
    from review.core.timeutil import local_today
    return local_today()


def after(until: date) -> datetime:
    """A UTC moment on the day after ``until`` (local time), for acts after the window."""
    return datetime.combine(until + timedelta(days=1), datetime.min.time()) + timedelta(hours=6)


@dataclass
class World:
    o: dict
    campaign: Campaign
    users: dict

    def __getitem__(self, key):
        return self.users[key]

    def result(self, person) -> Result:
        db.session.expire_all()
        return db.session.get(Result, (self.campaign.id, person.id))

    def line(self, person, code: str) -> dict:
        return next(line for line in self.result(person).lines() if line["code"] == code)

    def publish(self, days: int = 10) -> date:
        until = today() + timedelta(days=days)
        campaign_ops.move(self.campaign, "publish", until=until)
        db.session.commit()
        return until


def build(make, plan: str = PLAN) -> World:
    o = small_institution(make)
    appraised_office = make.person(department=o["d3"], name="绩效办甲")   # quota: appraised too
    users = {
        "staff": make.user(Role.STAFF, person=o["s1"][0]),
        "colleague": make.user(Role.STAFF, person=o["s1"][1]),
        "admin_staff": make.user(Role.STAFF, person=o["s3"][0]),          # 政治部 admin category: not appraised
        "office": make.user(Role.OFFICE, person=make.person(department=o["d3"], category="admin", name="绩效办乙"),
                            scope=o["county"]),
        "appraised_office": make.user(Role.OFFICE, person=appraised_office, scope=o["county"]),
        "sibling_office": make.user(Role.OFFICE, person=make.person(o["sibling"], category="admin", name="邻县绩效办"),
                                    scope=o["sibling"]),
        "supervisor": make.user(Role.SUPERVISOR, person=make.person(department=o["d3"], category="admin", name="纪检"),
                                scope=o["county"]),
        "admin": make.user(Role.ADMIN, login="root"),
    }
    version = save_plan(load_plan(plan))
    campaign = campaign_ops.create_campaign(version, o["county"], year=2025)
    campaign_ops.move(campaign, "open")
    people = sorted((s.person for s in campaign.subjects), key=lambda p: p.staff_no)
    for n, person in enumerate(people):
        campaign_ops.set_manual_entry(campaign, person, "work", 50 - n, "年度工作实绩", rescore=False)
        campaign_ops.set_manual_entry(campaign, person, "conduct", 25, "作风评定", rescore=False)
    campaign_ops.set_manual_entry(campaign, o["s1"][0], "inspection", 2, "两次督查发现问题", rescore=False)
    campaign_ops.move(campaign, "close")
    make.commit()
    return World(o, campaign, users)
