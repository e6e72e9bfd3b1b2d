"""Demo data for publication and appeals: last year's appraisal, taken the whole way.

The demo's 2025 annual campaign stays open (its ballots are still being cast), so this module runs
the same plan over the same unit for 2024 — "东湖县院2024年度检察人员考核" — through the whole year's end,
every step through the operations and their rules:

1. opened, with the scores entered by hand, the year's KPI sheet imported and about four fifths of
   the ballots cast (the demo logins keep theirs unvoted, as in 2025);
2. closed (the anonymous ballots are counted), published for comment from 6 to 15 January 2025;
3. two appeals within that window: the demo staff member's (3209210007, with a PDF attachment),
   accepted by the performance office (3209210045) with an adjustment of its case-quality line, and
   a colleague's, rejected with the office's reason;
4. made final on 16 January 2025 (version 1), then corrected once (version 2): a disciplinary
   record of 2024 was revoked on review, so the office restores that person's violations line.

The publication window lies in the past, so the steps pass the day they happened (``today=`` /
``at=``) to the checks that would otherwise use the real date. The office can try the live path on
the 2025 campaign: close it, publish it until a future date, and log in as 3209210007 to appeal.
Running it again changes nothing."""
from __future__ import annotations

import io
import random
from datetime import date, datetime

from openpyxl import Workbook
from sqlalchemy import select

from ..appeals import operations as ops
from ..appeals import versions
from ..appeals.adjustments import Change
from ..auth.models import User
from ..campaigns import operations as campaign_ops
from ..campaigns.loader import recompute
from ..campaigns.models import Campaign, Result
from ..core.access import Role
from ..evidence.storage import Upload
from ..extensions import db
from ..kpi.importer import import_file
from ..org.models import Person
from .ballots import seed_ballots
from .claims import tiny_pdf

NAME = "东湖县院2024年度检察人员考核"
YEAR = 2024
STAFF = "3209210007"     # a prosecutor of 第一检察部: the accepted appeal
OFFICE = "3209210045"    # 政治部, performance office: reviews
PUBLISHED_ON = date(2025, 1, 6)
UNTIL = date(2025, 1, 15)
FINAL_ON = date(2025, 1, 16)
KPI_FILE = "2024年度业务数据（统一业务应用系统导出）.xlsx"


def _at(day: date, hour: int) -> datetime:
    """A UTC moment on that local day (Beijing time is UTC+8: hour 1–15 UTC stays on the day)."""
    return datetime(day.year, day.month, day.day, hour)


def seed(campaign: Campaign, users_by_login: dict[str, User]) -> dict[str, int]:
    """Create and run the 2024 campaign of ``campaign``'s plan and unit (see the module's docstring).
    Returns counts; an empty dict when it exists already or the demo lacks the people it needs."""
    if db.session.scalar(select(Campaign.id).where(Campaign.name == NAME)) is not None:
        return {}
    office = users_by_login.get(OFFICE) or db.session.scalar(
        select(User).where(User.role == Role.OFFICE, User.active.is_(True)).order_by(User.id))
    if office is None:
        return {}
    rng = random.Random(YEAR)
    past = campaign_ops.create_campaign(campaign.plan_version, campaign.unit, name=NAME, year=YEAR)
    campaign_ops.move(past, "open")
    people = sorted((s.person for s in past.subjects), key=lambda p: p.staff_no)
    staff_user = users_by_login.get(STAFF)
    staff = staff_user if staff_user is not None and staff_user.person in people else None
    others = [p for p in people if p.leader_role is None and getattr(p, "user", None) is not None
              and p.user.role is Role.STAFF and p.user.active and p.user.login != STAFF]
    if staff is None or not others:
        db.session.rollback()
        return {}
    _inputs(past, people, office, staff.person, rng)
    campaign_ops.move(past, "close")
    campaign_ops.move(past, "publish", until=UNTIL, today=PUBLISHED_ON)

    # The demo staff member's appeal, accepted with an adjustment of the case-quality line.
    accepted = ops.submit(staff, past, "2024年度案件质量评查中，（2024）东检一刑诉123号案件被认定为瑕疵案件，"
                          "但该案起诉书的笔误已在开庭前依法补正，不属于瑕疵。请求复核案件质量得分。",
                          [Upload("评查复核申请及补正函.pdf", tiny_pdf("Appeal - case quality review"))],
                          at=_at(date(2025, 1, 8), 2))
    line = _line(past, staff.person, "work_quality")
    maximum = past.plan_version.spec().maxima()["work_quality"]
    points = round(min(maximum, (line["points"] or 0) + 2), 1)
    ops.accept(office, accepted, "经复核，该案起诉书笔误已于开庭前补正，不应认定为瑕疵案件，申诉成立。",
               [("work_quality", points, "（2024）东检一刑诉123号案件瑕疵认定撤销")], at=_at(date(2025, 1, 13), 3))

    # A colleague's appeal, rejected with the office's reason.
    colleague = rng.choice(others)
    rejected = ops.submit(colleague.user, past, "本人认为同事互评和民主测评得分偏低，与全年工作表现不符，请求重新测评。",
                          at=_at(date(2025, 1, 9), 6))
    ops.reject(office, rejected, "经复核，测评按考核方案组织，票数和计分符合规定；对测评结果的不同意见不属于可重新测评的情形，"
               "维持原评分。", at=_at(date(2025, 1, 14), 2))

    campaign_ops.move(past, "finalize", today=FINAL_ON)

    # After final: a disciplinary record of 2024 revoked on review — version 2.
    full = maximum_of(past, "violations")
    flagged = [p for p in people if p.id != office.person_id and (_line(past, p, "violations")["points"] or 0) < full]
    if flagged:
        graded = [p for p in flagged if db.session.get(Result, (past.id, p.id)).grade]
        person = (graded or flagged)[0]
        versions.correct(office, past, "2025年3月纪检监察室复查决定撤销该干警2024年度违纪记录",
                         [Change(person, "violations", full, "违纪记录经复查撤销")])
    return {"campaign": past.id, "appeals": 2, "versions": versions.latest_number(past)}


def maximum_of(campaign: Campaign, code: str) -> float:
    return campaign.plan_version.spec().maxima()[code]


def _line(campaign: Campaign, person: Person, code: str) -> dict:
    result = db.session.get(Result, (campaign.id, person.id))
    db.session.refresh(result)
    return next(line for line in result.lines() if line["code"] == code)


def _inputs(campaign: Campaign, people: list[Person], office: User, appellant: Person, rng: random.Random) -> None:
    """Hand-entered scores (the appellant's case quality as the disputed review had it), the year's
    KPI sheet and most of the ballots."""
    maxima = campaign.plan_version.spec().maxima()
    for person in people:
        share = 0.8 if person.id == appellant.id else rng.uniform(0.75, 1.0)
        campaign_ops.set_manual_entry(campaign, person, "work_quality", round(maxima["work_quality"] * share, 1),
                                      "案件质量评查结果", rescore=False)
        campaign_ops.set_manual_entry(campaign, person, "experience",
                                      round(maxima["experience"] * rng.uniform(0.6, 1.0), 1), "从事检察工作年限及岗位经历",
                                      rescore=False)
    for person in rng.sample([p for p in people if p.id != office.person_id], 2):
        campaign_ops.set_manual_entry(campaign, person, "violations", 1, "年度内查实违反工作纪律一次", rescore=False)
    base = {"quota": (60, 180), "assistant": (80, 220), "admin": (100, 300)}
    wb = Workbook()
    ws = wb.active
    ws.title = "量化数据"
    ws.append(["工号", "姓名", "办案（工作）数量", "按期完成率", "业务知识测试成绩"])
    for p in people:
        low, high = base.get(p.category_code, (60, 180))
        ws.append([p.staff_no, p.name, rng.randint(low, high), round(rng.uniform(86, 100), 1), rng.randint(62, 98)])
    out = io.BytesIO()
    wb.save(out)
    report = import_file(campaign, out.getvalue(), apply=True, filename=KPI_FILE, user_id=office.id, rescore=False)
    if not report.ok:
        raise RuntimeError(f"demo KPI sheet refused: {report.errors[:3]}")
    seed_ballots(campaign, rng, share=0.8)
    recompute(campaign)
