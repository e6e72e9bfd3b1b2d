"""Benchmark: the results pages of a province-sized campaign.

10,000 people in 120 units (5 departments each) and three categories, a plan of 6 dimensions × 10
indicators (KPIs with their import noted as source, entries by hand, deductions), grade quotas, a veto
for 1 % of people and a rule check that flags department heads. The results are scored by the engine
and stored as the loader stores them (points, subtotals and the inputs with their source notes: ~2 KB of JSON
a person; the lines' texts are written when read).

Prints, for each request as the performance office (median of several runs, and the number of SQL
statements): the first page of the table, a filtered page (category + department), a search, the
"flagged only" filter, a sort by dimension, the last page, one person's breakdown, and the export of
all 10,000 rows. Target: every page < 300 ms.

Runs on a fresh SQLite file database, and on PostgreSQL when BENCH_DATABASE_URL is set.

    .venv/bin/python bench/results_page.py [--people 10000] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import cast, event, func, literal, select, update  # noqa: E402

from review import create_app  # noqa: E402
from review.auth.models import User  # noqa: E402
from review.auth.operations import hash_password  # noqa: E402
from review.campaigns.models import Campaign, CampaignState, CampaignSubject, PeriodKind, Result  # noqa: E402
from review.core.access import Role  # noqa: E402
from review.database import bulk_insert  # noqa: E402
from review.extensions import db  # noqa: E402
from review.org.models import Department, Person, Unit, UnitLevel  # noqa: E402
from review.org.terminology import ensure_terminology  # noqa: E402
from review.plans.operations import save_plan  # noqa: E402
from review.plans.spec import DeductionSource, KpiSource, ManualSource  # noqa: E402
from review.plans.yaml_io import load_plan  # noqa: E402
from review.campaigns.loader import result_row  # noqa: E402
from review.scoring import PersonInputs, Subject, score_campaign  # noqa: E402

UNITS = 120
CATEGORIES = ("quota", "assistant", "admin")
PASSWORD = "bench-password"


def plan_text() -> str:
    lines = ["name: 结果页基准方案", "year: 2025", "mode: weights",
             "appraises: {categories: [quota, assistant, admin]}", "indicators:"]
    for d in range(6):
        lines += [f"  - code: dim{d}", f"    name: 维度{d}", "    weight: %s" % (20 if d < 4 else 10), "    children:"]
        for i in range(10):
            if i < 6:
                src = f"{{type: kpi, measure: m{d}{i}, method: linear, low: 0, high: 200}}"
            elif i < 9:
                src = "{type: manual}"
            else:
                src = "{type: deduction, per_occurrence: 2}"
            lines += [f"      - code: i{d}{i}", f"        name: 维度{d}指标{i}", "        weight: 10",
                      f"        source: {src}"]
    lines += ["vetoes:", "  - {code: discipline, name: 违反中央八项规定精神}",
              "checks:", "  - {code: c1, name: 部门负责人办案量, measure: m00, within: department, "
              "leader_roles: [head], min_ratio: 0.5, max_ratio: 0.7}",
              "grades:", "  rules:", "    - {grade: 优秀, min_score: 80, top: 0.15}", "    - {grade: 称职, min_score: 60}",
              "    - {grade: 基本称职, min_score: 50}", "    - {grade: 不称职}", "  tie_break: [dim0, staff_no]"]
    return "\n".join(lines)


def seed(n_people: int, rng: random.Random) -> tuple[Campaign, int]:
    """The directory, the campaign and its results, written with bulk statements."""
    ensure_terminology()
    province = Unit(code="R00", name="基准省院", level=UnitLevel.PROVINCE)
    db.session.add(province)
    db.session.flush()
    province.path = f"/{province.id}/"
    bulk_insert(db.session, Unit.__table__, [
        {"code": f"R{n:03d}", "name": f"基准院{n}", "level": "county" if n > 12 else "city", "parent_id": province.id,
         "path": "/", "sort_order": n} for n in range(1, UNITS)])
    units = [province.id] + list(db.session.scalars(select(Unit.id).where(Unit.parent_id == province.id)
                                                     .order_by(Unit.sort_order)))
    db.session.execute(update(Unit).where(Unit.parent_id == province.id)
                       .values(path=literal(province.path) + cast(Unit.id, db.String) + literal("/")))
    db.session.flush()
    bulk_insert(db.session, Department.__table__, [{"unit_id": u, "name": f"第{k + 1}检察部", "sort_order": k}
                                                   for u in units for k in range(5)])
    depts: dict[int, list[int]] = {}
    for did, uid in db.session.execute(select(Department.id, Department.unit_id).order_by(Department.id)):
        depts.setdefault(uid, []).append(did)
    version = save_plan(load_plan(plan_text()))
    campaign = Campaign(name="全省结果页基准", plan_version=version, unit=province, year=2025,
                        period_kind=PeriodKind.YEAR, state=CampaignState.CLOSED, k_threshold=3)
    db.session.add(campaign)
    db.session.flush()
    per_unit = n_people // UNITS + 1
    people = []
    for i in range(n_people):
        u = units[min(i // per_unit, UNITS - 1)]
        role = "head" if i % per_unit < 5 else None
        people.append({"staff_no": f"R{i:06d}", "name": f"人员{i}", "gender": "M", "position": "检察官",
                       "category_code": CATEGORIES[i % 3], "unit_id": u, "department_id": depts[u][i % 5],
                       "leader_role": role, "active": True})
    bulk_insert(db.session, Person.__table__, people)
    rows = db.session.execute(select(Person.id, Person.staff_no, Person.name, Person.category_code, Unit.name,
                                     Department.name, Person.leader_role)
                              .join(Unit, Unit.id == Person.unit_id)
                              .join(Department, Department.id == Person.department_id)
                              .where(Person.staff_no.like("R%")).order_by(Person.staff_no)).all()
    bulk_insert(db.session, CampaignSubject.__table__, [{"campaign_id": campaign.id, "person_id": r[0]} for r in rows])

    plan = version.spec()
    subjects = [Subject(pid, no, name, cat, unit, dept, role.value if role else None)
                for pid, no, name, cat, unit, dept, role in rows]
    inputs = {}
    source = [("src_batch", {"what": "#1 2025年度业务数据（统一业务应用系统导出）.xlsx", "date": "2026-01-10"})]
    for s in subjects:
        data = PersonInputs()
        for _path, node in plan.leaves():
            src = node.source
            if isinstance(src, KpiSource):
                data.kpis[src.measure] = round(rng.uniform(60, 200), 1)
                data.sources[f"kpi:{src.measure}"] = source
            elif isinstance(src, ManualSource):
                data.manual[node.code] = (round(rng.uniform(0.6, 1) * 3.3, 2), "年度评定：完成全年工作任务")
            elif isinstance(src, DeductionSource) and rng.random() < 0.1:
                data.occurrences[node.code] = 1
                data.sources[node.code] = [("src_office", {"n": "1", "reason": "案件质量评查发现问题"})]
        if rng.random() < 0.01:
            data.vetoes.add("discipline")
        inputs[s.id] = data
    t0 = time.perf_counter()
    results = score_campaign(plan, subjects, inputs)
    now = datetime.utcnow()
    bulk_insert(db.session, Result.__table__, [result_row(campaign.id, r, now) for r in results])
    office = User(login="bench-office", role=Role.OFFICE, scope_unit=province, password_hash=hash_password(PASSWORD),
                  must_change_password=False)
    db.session.add(office)
    db.session.commit()
    size = db.session.scalar(select(func.avg(func.length(func.cast(Result.detail, db.String)))))
    print(f"  seeded {len(subjects):,} people in {UNITS} units × 5 departments, {len(plan.leaves())} indicators; "
          f"scored and stored in {time.perf_counter() - t0:.1f} s; detail {size / 1024:.1f} KB a person on average")
    return campaign, len(subjects)


class Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, *_args, **_kwargs):
        self.n += 1


def measure(client, label: str, url: str, runs: int, counter: Counter, before=None, expect: str | None = None):
    times, statements = [], 0
    for _ in range(runs):
        if before:
            before()
        counter.n = 0
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append(time.perf_counter() - t0)
        statements = counter.n
        assert resp.status_code == 200, (url, resp.status_code)
        if expect:
            assert expect in resp.get_data(as_text=True), (url, expect)
    ms = statistics.median(times) * 1000
    mark = "" if ms < 300 or url.endswith(".xlsx") else "  ← over 300 ms"
    print(f"  {label:<44} {ms:8.0f} ms  {statements:3d} SQL  {len(resp.data) / 1024:7.0f} KB{mark}")


def fresh_schema() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


def run(url: str, n_people: int, runs: int) -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        fresh_schema()
        db.create_all()
        print(f"database: {db.engine.dialect.name}")
        campaign, n = seed(n_people, random.Random(7))
        cid = campaign.id
        dept = db.session.scalar(select(Department.id).order_by(Department.id).offset(7).limit(1))
        person = db.session.scalar(select(Result.person_id).where(Result.campaign_id == cid).limit(1))
        db.session.remove()
        engine = db.engine
    # Requests outside that context, each with a session of its own, as in production.
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    client = app.test_client()
    client.post("/login", data={"login": "bench-office", "password": PASSWORD})
    base = f"/campaigns/{cid}/results"
    measure(client, "first page", base, runs, counter, expect="人员")
    measure(client, "sorted by total", base + "?sort=total", runs, counter)
    measure(client, "filtered: category + department", base + f"?category=quota&department={dept}", runs, counter)
    measure(client, "search by name", base + "?q=人员12", runs, counter)
    measure(client, f"last page ({(n + 49) // 50})", base + f"?page={(n + 49) // 50}", runs, counter)
    measure(client, "flagged only", base + "?flagged=1", runs, counter)
    measure(client, "sorted by a dimension", base + "?sort=dim:dim2", runs, counter)
    measure(client, "one person's breakdown", f"{base}/{person}", runs, counter)
    measure(client, f"export .xlsx, {n:,} rows", f"/campaigns/{cid}/results.xlsx", max(1, runs // 2), counter)
    event.remove(engine, "before_cursor_execute", counter)
    with app.app_context():
        fresh_schema()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", args.people, args.runs)
    if os.environ.get("BENCH_DATABASE_URL"):
        run(os.environ["BENCH_DATABASE_URL"], args.people, args.runs)


if __name__ == "__main__":
    main()
