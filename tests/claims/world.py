"""A county with accounts for every part a claim or a register entry involves, and an open 2025
campaign whose plan has a claimable bonus item, a deduction item recorded by the office, and
items fed by the commendation (provincial level only), research and discipline registers."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from review.campaigns import operations as campaign_ops
from review.campaigns.models import Campaign, Result
from review.core.access import Role
from review.evidence.storage import Upload
from review.extensions import db
from review.plans.operations import save_plan
from review.plans.yaml_io import load_plan

from ..factories import small_institution

PLAN = """
name: 申报测试方案
year: 2025
mode: points
appraises: {categories: [quota, admin]}
indicators:
  - code: work
    name: 工作实绩
    points: 60
    source: {type: manual}
  - code: merit
    name: 精品案件
    points: 10
    source: {type: bonus, per_occurrence: 2, cap: 10}
  - code: honours
    name: 省级表彰
    points: 5
    source: {type: bonus, per_occurrence: 1, register: commendation, level: 省级}
  - code: research
    name: 调研成果
    points: 5
    source: {type: bonus, per_occurrence: 1, register: research}
  - code: inspection
    name: 督查检查
    points: 10
    source: {type: deduction, per_occurrence: 1}
  - code: discipline
    name: 违纪违规
    points: 10
    source: {type: deduction, per_occurrence: 5, register: discipline}
grades:
  rules:
    - {grade: 优秀, min_score: 90}
    - {grade: 称职}
"""

# A minimal, valid one-page PDF.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def office_zip(part: str, extra: dict[str, bytes] | None = None, content_types: bytes | None = None) -> bytes:
    """A small Office Open XML package: [Content_Types].xml and a main part under word/ or xl/."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types or b'<?xml version="1.0"?><Types/>')
        zf.writestr(part, b"<document/>")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


def pdf(name: str = "判决书.pdf") -> Upload:
    return Upload(name, PDF)


@dataclass
class World:
    o: dict
    campaign: Campaign
    users: dict

    def __getitem__(self, key):
        return self.users[key]

    def line(self, person, code: str) -> dict:
        db.session.expire_all()
        result = db.session.get(Result, (self.campaign.id, person.id))
        return next(line for line in result.lines() if line["code"] == code)


def build(make) -> World:
    o = small_institution(make)
    users = {
        "staff": make.user(Role.STAFF, person=o["s1"][0]),
        "colleague": make.user(Role.STAFF, person=o["s1"][1]),
        "other": make.user(Role.STAFF, person=o["s2"][0]),
        "head1": make.user(Role.LEADER, person=o["h1"]),
        "head2": make.user(Role.LEADER, person=o["h2"]),
        "dep1": make.user(Role.LEADER, person=o["dep1"]),
        "dep2": make.user(Role.LEADER, person=o["dep2"]),
        "chief": make.user(Role.LEADER, person=o["chief"]),
        "political": make.user(Role.STAFF, person=o["s3"][0]),
        "office": make.user(Role.OFFICE, person=make.person(department=o["d3"], category="admin", name="绩效办甲"),
                            scope=o["county"]),
        "office2": make.user(Role.OFFICE, person=make.person(department=o["d3"], category="admin", name="绩效办乙"),
                             scope=o["county"]),
        "sibling_office": make.user(Role.OFFICE, person=make.person(o["sibling"], name="邻县绩效办"), scope=o["sibling"]),
        "supervisor": make.user(Role.SUPERVISOR, person=make.person(department=o["d3"], category="admin", name="纪检"),
                                scope=o["county"]),
        "sibling_supervisor": make.user(Role.SUPERVISOR, scope=o["sibling"], login="sibsup"),
        "admin": make.user(Role.ADMIN, login="root"),
    }
    version = save_plan(load_plan(PLAN))
    campaign = campaign_ops.create_campaign(version, o["county"], year=2025)
    campaign_ops.move(campaign, "open")
    make.commit()
    return World(o, campaign, users)
