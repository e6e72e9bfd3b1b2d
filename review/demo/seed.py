"""Seed a county procuratorate under its city procuratorate.

Deterministic (a fixed random seed), so that the demo, screenshots and tests
always show the same people. Later features extend the demo with their data, in modules of this
package (ballots, claims, appeals) that go through the features' operations: the features never
import the demo.
"""
from __future__ import annotations

import os
import random
from datetime import date

from sqlalchemy import delete, func, select

from ..auth.models import User
from ..auth.operations import hash_password
from ..core.access import Role
from ..extensions import db
from ..org import operations as ops
from ..org.terminology import ensure_terminology
from ..org.models import LeaderRole, Person, Unit, UnitLevel
from . import appeals as appeals_demo
from . import claims as claims_demo
from .ballots import LEADERSHIP_PLAN, pick_level, seed_ballots, seed_meeting
from .logins import ADMIN_LOGIN, COUNTY_CODE, DEMO_PASSWORD, DemoLogin, demo_logins

CITY_CODE = "320900"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 辉 玲 华 建华 志强 海燕 晓东 文 "
         "雪梅 立新 国庆 红梅 永刚 建国 晓明 思远 雨婷 子涵 一鸣 欣怡 浩然 梓轩 佳琪 宇航 嘉怡 俊杰 婧 琳 "
         "昊 蕾 悦 鑫 睿 航 倩 彬 斌 颖 瑶 宁 帆 凯 璐 晨 慧 博 峰").split()

DEPARTMENTS = ["第一检察部", "第二检察部", "第三检察部", "第四检察部", "综合业务部", "政治部"]


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> tuple[str, str]:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if name not in self.used:
                self.used.add(name)
                return name, self.rng.choice("MF")


def demo_present() -> bool:
    return db.session.scalar(select(Unit.id).where(Unit.code == COUNTY_CODE)) is not None


def database_empty() -> bool:
    return not db.session.scalar(select(func.count(Unit.id))) and not db.session.scalar(select(func.count(User.id)))


def wipe() -> None:
    """Delete every row of every table (children first)."""
    for table in reversed(db.metadata.sorted_tables):
        if table.name == "units":
            # Units point at their parents: remove leaves first.
            while db.session.scalar(select(func.count(Unit.id))):
                parents = select(Unit.parent_id).where(Unit.parent_id.is_not(None))
                db.session.execute(delete(Unit).where(Unit.id.not_in(parents)))
        else:
            db.session.execute(delete(table))
    db.session.flush()


def seed() -> list[DemoLogin]:
    """Create the demo institution and accounts. Returns the logins to print."""
    rng = random.Random(2025)
    names = _Names(rng)
    ensure_terminology("procuratorate")

    province = ops.create_unit(code="320000", name="江东省人民检察院", level=UnitLevel.PROVINCE, parent=None)
    city = ops.create_unit(code=CITY_CODE, name="江川市人民检察院", level=UnitLevel.CITY, parent=province)
    county = ops.create_unit(code=COUNTY_CODE, name="江川市东湖县人民检察院", level=UnitLevel.COUNTY, parent=city)
    ops.create_unit(code="320922", name="江川市西岭县人民检察院", level=UnitLevel.COUNTY, parent=city, sort_order=1)
    depts = {n: ops.create_department(county, n, i) for i, n in enumerate(DEPARTMENTS, start=1)}
    city_office = ops.create_department(city, "政治部", 1)

    counter = {"city": 0, "county": 0}

    def person(unit, prefix, *, category, position, dept=None, role=None, hired=None, active=True,
               left=None, name=None) -> Person:
        key = "city" if unit is city else "county"
        counter[key] += 1
        n, gender = names() if name is None else (name, "M")
        p = Person(staff_no=f"{prefix}{counter[key]:04d}", name=n, gender=gender, position=position,
                   category_code=category, unit=unit, department=dept, leader_role=role,
                   hired_on=hired or date(rng.randint(1995, 2021), rng.randint(1, 12), 1),
                   left_on=left, active=active)
        db.session.add(p)
        return p

    # The city chief appraises the county chief; two city staff keep its tree non-empty.
    person(city, CITY_CODE, category="quota", position="检察长、一级高级检察官", role=LeaderRole.CHIEF,
                        hired=date(1993, 7, 1))
    person(city, CITY_CODE, category="admin", position="一级主任科员", dept=city_office)
    person(city, CITY_CODE, category="admin", position="二级主任科员", dept=city_office)

    chief = person(county, COUNTY_CODE, category="quota", position="党组书记、检察长、三级高级检察官",
                   role=LeaderRole.CHIEF, hired=date(1996, 8, 1))
    chief.supervised = [depts["政治部"]]
    for position, supervised in (("党组副书记、副检察长、四级高级检察官", ["第一检察部", "第二检察部"]),
                                 ("党组成员、副检察长、四级高级检察官", ["第三检察部"]),
                                 ("党组成员、副检察长、四级高级检察官", ["综合业务部"])):
        d = person(county, COUNTY_CODE, category="quota", position=position, role=LeaderRole.DEPUTY)
        d.supervised = [depts[s] for s in supervised]
    member = person(county, COUNTY_CODE, category="quota", position="检察委员会专职委员、一级检察官",
                    role=LeaderRole.MEMBER)
    member.supervised = [depts["第四检察部"]]

    casework = {"第一检察部": (4, 3, 1), "第二检察部": (4, 3, 1), "第三检察部": (3, 2, 1),
                "第四检察部": (3, 2, 1), "综合业务部": (2, 2, 1)}
    quota_titles = ["一级检察官", "二级检察官", "三级检察官", "四级高级检察官", "二级检察官"]
    staff_pick = None
    office_pick = supervisor_pick = None
    for dname, (quota, assistants, clerks) in casework.items():
        dept = depts[dname]
        person(county, COUNTY_CODE, category="quota", position=f"{dname}主任、四级高级检察官", dept=dept,
               role=LeaderRole.HEAD)
        for i in range(quota):
            p = person(county, COUNTY_CODE, category="quota", position=quota_titles[i % len(quota_titles)], dept=dept)
            if staff_pick is None:
                staff_pick = p
        for _ in range(assistants):
            person(county, COUNTY_CODE, category="assistant", position="检察官助理", dept=dept)
        for _ in range(clerks):
            person(county, COUNTY_CODE, category="assistant", position="书记员", dept=dept)
    political = depts["政治部"]
    person(county, COUNTY_CODE, category="admin", position="政治部主任、一级主任科员", dept=political,
           role=LeaderRole.HEAD)
    for position in ("二级主任科员（绩效考核）", "四级主任科员（纪检监察）", "一级科员（人事）", "二级主任科员（办公室）",
                     "一级主任科员（财务装备）", "四级主任科员（宣传）", "一级科员（文秘）", "二级科员（档案）"):
        p = person(county, COUNTY_CODE, category="admin", position=position, dept=political)
        if "绩效" in position:
            office_pick = p
        if "纪检" in position:
            supervisor_pick = p
    # People who left keep their history but take part in nothing.
    person(county, COUNTY_CODE, category="quota", position="二级检察官", dept=depts["第一检察部"],
           active=False, left=date(2025, 3, 31))
    person(county, COUNTY_CODE, category="assistant", position="书记员", dept=depts["第二检察部"],
           active=False, left=date(2024, 12, 31))
    db.session.flush()

    # Every active person gets an account (the demo password, already changed); the
    # performance office, the supervisor and leaders get their roles.
    shared_hash = hash_password(DEMO_PASSWORD)
    roles = {office_pick.id: (Role.OFFICE, county), supervisor_pick.id: (Role.SUPERVISOR, county)}
    people = db.session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.staff_no)).all()
    for p in people:
        role, scope = roles.get(p.id, (Role.LEADER if p.leader_role else Role.STAFF, None))
        db.session.add(User(login=p.staff_no, person=p, role=role, scope_unit=scope, password_hash=shared_hash,
                            must_change_password=False, active=True))
    db.session.add(User(login=ADMIN_LOGIN, role=Role.ADMIN, password_hash=hash_password(DEMO_PASSWORD),
                        must_change_password=False, active=True))
    db.session.flush()
    seed_plans_and_campaign(county, rng)
    return demo_logins()


EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            "examples", "plans")
DEMO_PLAN = "检察人员考核"


def seed_plans_and_campaign(county: Unit, rng: random.Random) -> None:
    """The example plans, and a 2025 annual campaign with part of the indicators entered by hand."""
    from ..campaigns import operations as campaign_ops
    from ..campaigns.loader import recompute
    from ..plans.operations import save_plan
    from ..plans.yaml_io import load_plan

    versions = {}
    for name in sorted(os.listdir(EXAMPLES_DIR)):
        if name.endswith(".yaml"):
            with open(os.path.join(EXAMPLES_DIR, name), encoding="utf-8") as f:
                plan = load_plan(f.read())
            versions[plan.name] = save_plan(plan)
    version = versions.get(DEMO_PLAN) or next(iter(versions.values()))
    campaign = campaign_ops.create_campaign(version, county, name="东湖县院2025年度检察人员考核", year=2025)
    campaign_ops.move(campaign, "open")
    people = sorted((s.person for s in campaign.subjects), key=lambda p: p.staff_no)
    maxima = version.spec().maxima()
    for person in people:
        campaign_ops.set_manual_entry(campaign, person, "work_quality",
                                      round(maxima["work_quality"] * rng.uniform(0.75, 1.0), 1), "案件质量评查结果", rescore=False)
        campaign_ops.set_manual_entry(campaign, person, "experience",
                                      round(maxima["experience"] * rng.uniform(0.6, 1.0), 1), "从事检察工作年限及岗位经历", rescore=False)
    for person in rng.sample(people, 2):
        campaign_ops.set_manual_entry(campaign, person, "violations", 1, "年度内查实违反工作纪律一次", rescore=False)
    seed_ballots(campaign, rng)
    seed_kpis(campaign, people, rng)
    claims_demo.seed(campaign, {u.login: u for u in db.session.scalars(select(User))})
    recompute(campaign)
    leadership = versions.get(LEADERSHIP_PLAN)
    if leadership is not None:
        seed_meeting(leadership, county, rng)
    seed_surveys(county, campaign, rng)
    appeals_demo.seed(campaign, {u.login: u for u in db.session.scalars(select(User))})


KPI_FILE = "2025年度业务数据（统一业务应用系统导出）.xlsx"


def seed_kpis(campaign, people: list[Person], rng: random.Random) -> None:
    """The year's KPI sheet as the case management system exports it, three people's on-time rate
    missing from it; their departments entered it by hand: one approved, one rejected, two waiting."""
    import io

    from openpyxl import Workbook

    from ..kpi import entries
    from ..kpi.importer import import_file

    base = {"quota": (60, 180), "assistant": (80, 220), "admin": (100, 300)}
    heads = {p.department_id: p for p in db.session.scalars(select(Person).where(
        Person.leader_role == LeaderRole.HEAD, Person.active.is_(True)))}
    # Staff whose department head enters the value.
    candidates = [p for p in people if p.department_id in heads and heads[p.department_id] is not p]
    missing = {p.id for p in rng.sample(candidates, 4)}
    wb = Workbook()
    ws = wb.active
    ws.title = "量化数据"
    ws.append(["工号", "姓名", "办案（工作）数量", "按期完成率", "业务知识测试成绩"])
    for p in people:
        low, high = base.get(p.category_code, (60, 180))
        ws.append([p.staff_no, p.name, rng.randint(low, high),
                   None if p.id in missing else round(rng.uniform(86, 100), 1), rng.randint(62, 98)])
    out = io.BytesIO()
    wb.save(out)
    office = db.session.scalar(select(User).where(User.role == Role.OFFICE))
    report = import_file(campaign, out.getvalue(), apply=True, filename=KPI_FILE, user_id=office.id, rescore=False)
    assert report.ok, report.errors[:3]
    reasons = ["该干警借调期间办理的案件未在系统中登记，按借调单位证明补录",
               "系统统计口径未包含协助办理的案件，按部门台账补录",
               "年中系统升级期间数据缺失，按纸质台账补录",
               "按部门估算补录"]
    for n, person in enumerate(p for p in people if p.id in missing):
        entry = entries.submit(campaign, person, "on_time_rate", round(rng.uniform(88, 99), 1), reasons[n],
                               heads[person.department_id].user)
        if n == 0:
            entries.review(entry, office, approve=True)
        elif n == 3:
            entries.review(entry, office, approve=False, note="估算数据不能作为考核依据，请提供台账")


QUESTIONNAIRES_DIR = os.path.join(os.path.dirname(EXAMPLES_DIR), "questionnaires")
SURVEY_REMARKS = ["检察官耐心细致，解释清楚。", "希望办案进度能及时告知。", "接待热情，办事高效。", "等待时间有点长。"]


def seed_surveys(county: Unit, campaign, rng: random.Random) -> None:
    """The example questionnaires; the first half-year's parties' satisfaction survey of the county's
    prosecutors, tokens issued per prosecutor, a realistic share answered (a few prosecutors below k),
    closed and counted; the second half-year's survey open, with a printable slip set in the instance
    folder."""
    from flask import current_app

    from ..surveys import answering, tokens
    from ..surveys.models import TargetKind
    from ..surveys.operations import create_survey, save_questionnaire
    from ..surveys.yaml_io import load_questionnaire
    versions = {}
    for name in sorted(os.listdir(QUESTIONNAIRES_DIR)):
        if name.endswith(".yaml"):
            with open(os.path.join(QUESTIONNAIRES_DIR, name), encoding="utf-8") as f:
                q = load_questionnaire(f.read())
            versions[q.target] = save_questionnaire(q)
    version = versions.get(TargetKind.PERSON.value)
    if version is None:
        return
    survey = create_survey(version, county, "东湖县院2025年上半年当事人满意度调查", campaign)
    q = version.spec()
    prosecutors = db.session.scalars(select(Person).where(Person.unit_id == county.id, Person.active.is_(True),
                                                          Person.category_code == "quota")
                                     .order_by(Person.staff_no)).all()
    for person in prosecutors:
        made = tokens.new_tokens(8)
        tokens.issue(survey, person.id, person.name, made)
        for token in made[:rng.choice([1, 2, 4, 5, 6, 7])]:
            lean = rng.choice([1.0, 1.0, 0.6])
            overall = pick_level(rng, (5.0, 4.0, 3.0, 2.0, 1.0), lean)
            form = {"overall": [f"{overall:g}"], "informed": [rng.choice(["yes", "yes", "unsure"])],
                    "attitude": [f"{pick_level(rng, (5.0, 4.0, 3.0, 2.0, 1.0), lean):g}"],
                    "integrity": ["not_seen"], "score": [str(rng.randint(6, 10) if overall >= 4 else rng.randint(2, 6))]}
            if overall <= 2:
                form["reasons"] = [rng.choice(["delay", "not_informed"])]
            if rng.random() < 0.3:
                form["remarks"] = [rng.choice(SURVEY_REMARKS)]
            answering.submit(token.code, form)
    answering.close(survey)  # counted: its results show
    # The second half-year's survey is open: slips ready to print and try, for the first prosecutor.
    current = create_survey(version, county, "东湖县院2025年下半年当事人满意度调查", campaign)
    if prosecutors:
        first = prosecutors[0]
        made = tokens.new_tokens(8)
        sheet = tokens.sheet_for(current, first.name)
        tokens.issue(current, first.id, first.name, made)
        os.makedirs(current_app.instance_path, exist_ok=True)
        with open(demo_survey_slips_path(), "wb") as f:
            f.write(tokens.slips_pdf(sheet, made))


def demo_survey_slips_path() -> str:
    from flask import current_app
    return os.path.join(current_app.instance_path, "demo-survey-slips.pdf")
