"""Demo data for claims, deductions and registers, seeded after the campaign is open (review/demo/seed.py).

Everything goes through the operations, so the demo obeys the same rules as the site: keepers of
the five registers, a handful of entries with small PDF evidence, claims in every state (waiting
for the head, waiting for the office, approved, rejected with its reason, withdrawn) and one
deduction recorded by the office. Running it again on the same campaign changes nothing."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..auth.models import User
from ..campaigns.models import Campaign, CampaignSubject
from ..core.access import Role
from ..evidence.storage import Upload
from ..extensions import db
from ..org.models import Department, LeaderRole, Person
from ..registers import operations as register_ops
from ..claims import operations as ops
from ..claims.models import Claim
from ..registers.models import RegisterEntry, RegisterKind

STAFF = "3209210007"     # a prosecutor of 第一检察部
OFFICE = "3209210045"    # 政治部, performance office
# Which department keeps which register (by name; the first department when the unit has no such one).
KEEPERS = {RegisterKind.BULLETIN: "综合业务部", RegisterKind.COMMENDATION: "政治部",
           RegisterKind.PUBLICITY: "政治部", RegisterKind.RESEARCH: "综合业务部",
           RegisterKind.DISCIPLINE: "政治部"}


def tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF showing one line of ASCII text (no fonts to embed, no renderer)."""
    safe = "".join(c for c in text if 32 <= ord(c) < 127).replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 14 Tf 40 100 Td ({safe}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 420 200]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _evidence(name: str, label: str) -> list[Upload]:
    return [Upload(name, tiny_pdf(f"Demo evidence - {label}"))]


def _user(person: Person) -> User | None:
    return db.session.scalar(select(User).where(User.person_id == person.id, User.active.is_(True)))


def seed(campaign: Campaign, users_by_login: dict[str, User]) -> dict[str, int]:
    """Seed claims, a deduction, keepers and register entries for an open campaign; returns counts."""
    if db.session.scalar(select(Claim.id).where(Claim.campaign_id == campaign.id).limit(1)) is not None:
        return {}
    unit = campaign.unit
    office = users_by_login.get(OFFICE) or db.session.scalar(
        select(User).where(User.role == Role.OFFICE, User.active.is_(True)).order_by(User.id))
    subjects = db.session.scalars(select(Person).join(CampaignSubject, CampaignSubject.person_id == Person.id)
                                  .where(CampaignSubject.campaign_id == campaign.id)
                                  .order_by(Person.staff_no)).all()
    if office is None or not subjects:
        return {}
    staff_user = users_by_login.get(STAFF)
    staff = staff_user.person if staff_user is not None and staff_user.person in subjects else next(
        (p for p in subjects if p.leader_role is None and p.id != office.person_id and _user(p) is not None
         and ops.head_stage_people(p)), subjects[0])
    counts = {"keepers": _keepers(office, unit), "entries": _entries(office, unit, campaign, staff, subjects)}
    counts["claims"] = _claims(campaign, office, staff, subjects)
    counts["deductions"] = _deduction(campaign, office, staff, subjects)
    db.session.flush()
    return counts


def _keepers(office: User, unit) -> int:
    departments = {d.name: d for d in db.session.scalars(select(Department).where(Department.unit_id == unit.id)
                                                          .order_by(Department.sort_order, Department.id))}
    if not departments:
        return 0
    first = next(iter(departments.values()))
    return register_ops.set_keepers(office, unit, {k: departments.get(name, first) for k, name in KEEPERS.items()})


def _recorder(kind: RegisterKind, unit, office: User) -> User:
    """A user of the keeping department (whoever that is), else the office."""
    keeper = register_ops.keepers_of(unit).get(kind)
    if keeper is not None:
        for person in db.session.scalars(select(Person).where(Person.department_id == keeper.department_id,
                                                              Person.active.is_(True)).order_by(Person.staff_no)):
            user = _user(person)
            if user is not None and register_ops.may_record(user, kind, person):
                return user
    return office


def _entries(office: User, unit, campaign: Campaign, staff: Person, subjects: list[Person]) -> int:
    if db.session.scalar(select(RegisterEntry.id).limit(1)) is not None:
        return 0
    year = campaign.year
    others = [p for p in subjects if p.id != staff.id]
    second = others[len(others) // 3] if others else staff
    third = others[(2 * len(others)) // 3] if others else staff
    plan = [
        (RegisterKind.COMMENDATION, staff, f"{year}年度全省检察机关优秀办案检察官", date(year, 4, 15), "省级",
         "省院政治部通报表彰", "commendation"),
        (RegisterKind.COMMENDATION, second, f"{year}年度全市检察机关先进个人", date(year, 11, 2), "市级", None,
         "commendation-city"),
        (RegisterKind.COMMENDATION, second, f"{year - 1}年度全市检察机关先进个人", date(year - 1, 12, 20), "市级",
         "上一年度，不计入本年度考核", "commendation-last-year"),
        (RegisterKind.RESEARCH, staff, "论认罪认罚案件中的精准量刑建议", date(year, 6, 20), "省级",
         "刊发于省级检察理论刊物", "research"),
        (RegisterKind.BULLETIN, third, "第一季度案件质量评查通报表扬", date(year, 4, 8), None, None, "bulletin"),
        (RegisterKind.PUBLICITY, third, "检察日报刊发办案事迹", date(year, 9, 12), "国家级", None, "publicity"),
        (RegisterKind.DISCIPLINE, second, "违反考勤纪律受到通报批评", date(year, 5, 20), None, "经核实", "discipline"),
    ]
    made = 0
    for kind, person, title, day, level, note, label in plan:
        register_ops.add_entry(_recorder(kind, unit, office), kind, person, title=title, occurred_on=day,
                               level=level, note=note, files=_evidence(f"{title}.pdf", label))
        made += 1
    return made


def _claims(campaign: Campaign, office: User, staff: Person, subjects: list[Person]) -> int:
    items = ops.claimable_items(campaign)
    if not items:
        return 0

    def item(hint: str) -> str:
        """The claimable item whose name mentions the hint (文书, 案件), else the first one."""
        return next((code for code, path in items if hint in path), items[0][0])
    cases, documents = item("案件"), item("文书")

    def claimant(person: Person) -> User | None:
        user = _user(person)
        return user if user is not None and ops.head_stage_people(person) else None

    def head_of(claim: Claim) -> User:
        return ops.head_stage_people(claim.person)[0].user

    staff_user = claimant(staff)
    pool = [p for p in subjects if p.id != staff.id and p.leader_role is None and claimant(p) is not None
            and (office.person_id is None or p.id != office.person_id)]
    # A department head's claim waits for the leader who supervises the department (the demo's
    # leader login, the chief, supervises 政治部).
    heads = [p for p in subjects if p.leader_role is LeaderRole.HEAD and claimant(p) is not None]
    made = 0
    if staff_user is not None:
        approved = ops.submit(staff_user, campaign, cases, title="重大疑难复杂案件：王某等人非法吸收公众存款案",
                              description="主办检察官；涉案人数众多，案情复杂，已判决生效。", occurrences=1,
                              files=_evidence("判决书.pdf", "approved claim"))
        ops.endorse(head_of(approved), approved, "情况属实。")
        ops.approve(office, approved, "符合加分条件。")
        ops.submit(staff_user, campaign, documents, title="优秀法律文书：李某职务侵占案起诉书",
                   description="获评全市检察机关优秀法律文书。", occurrences=1,
                   files=_evidence("优秀法律文书通报.pdf", "submitted claim"))
        made += 2
    if len(pool) >= 3:
        waiting, rejected, withdrawn = pool[0], pool[len(pool) // 2], pool[-1]
        endorsed = ops.submit(claimant(waiting), campaign, cases, title="重大疑难案件：张某故意伤害案",
                              occurrences=1, files=_evidence("案件审查报告.pdf", "endorsed claim"))
        ops.endorse(head_of(endorsed), endorsed, "案情复杂，同意申报。")
        refused = ops.submit(claimant(rejected), campaign, documents, title="优秀法律文书：赵某盗窃案不起诉决定书",
                             occurrences=1, files=_evidence("不起诉决定书.pdf", "rejected claim"))
        ops.endorse(head_of(refused), refused)
        ops.reject(office, refused, "该文书未获评优秀法律文书，不符合加分条件。")
        taken_back = ops.submit(claimant(withdrawn), campaign, cases, title="重大疑难复杂案件：周某诈骗案",
                                occurrences=1, files=_evidence("案件材料.pdf", "withdrawn claim"))
        ops.withdraw(claimant(withdrawn), taken_back)
        made += 3
    political_head = next((p for p in heads if p.department and p.department.name == "政治部"), None)
    if political_head is not None:
        ops.submit(claimant(political_head), campaign, documents, title="优秀文书：队伍建设调研报告获省院转发",
                   occurrences=1, files=_evidence("省院转发通知.pdf", "head's claim"))
        made += 1
    return made


def _deduction(campaign: Campaign, office: User, staff: Person, subjects: list[Person]) -> int:
    items = ops.deduction_items(campaign)
    people = [p for p in subjects if p.id != staff.id and p.id != office.person_id]
    if not items or not people:
        return 0
    ops.record_deduction(office, campaign, people[len(people) // 4], items[0][0],
                         title="第三季度案件评查发现文书瑕疵", description="评查通报第3期。", occurrences=1,
                         files=_evidence("案件评查通报.pdf", "deduction"))
    return 1
