"""Benchmark: scoring a synthetic province.

10,000 people in 120 units (a province, 12 cities, 107 counties), a plan of 60 indicators (10 rated by
ballots, 18 KPIs of every method, 6 entered by hand, 12 bonus and 12 deduction items, 2 survey items),
500,000 anonymous ballot answers and 200,000 KPI values (18 measures scored, 2 more for rule checks).
For 1,000 people (the first cities' units) and for all 10,000 it prints:

- in memory: the engine alone on inputs already gathered (best of three runs);
- from the database: a whole recompute — gather every input with aggregate queries, score, replace
  the stored results — split into its three parts.

Targets: 10,000 people ≤ 1 s in memory, ≤ 5 s from the database on PostgreSQL, 10,000 vs 1,000 ≤ 12×.
Runs on a fresh SQLite file database, and on PostgreSQL when BENCH_DATABASE_URL is set.

    .venv/bin/python bench/scoring.py [--people 1000 10000] [--memory-only]
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import insert, select  # noqa: E402

from review import create_app  # noqa: E402
from review.ballots.models import AnonymousAnswer, random_id  # noqa: E402
from review.campaigns import loader  # noqa: E402
from review.campaigns.models import Campaign, CampaignState, CampaignSubject, ManualEntry, PeriodKind  # noqa: E402
from review.database import bulk_insert  # noqa: E402
from review.extensions import db  # noqa: E402
from review.kpi.models import BatchOrigin, KpiBatch, KpiRecord  # noqa: E402
from review.org.models import Department, Person, Unit, UnitLevel  # noqa: E402
from review.org.terminology import ensure_terminology  # noqa: E402
from review.plans.operations import save_plan  # noqa: E402
from review.plans.spec import BallotSource, BonusSource, DeductionSource, KpiSource, ManualSource  # noqa: E402
from review.plans.yaml_io import load_plan  # noqa: E402
from review.scoring import score_campaign  # noqa: E402

UNITS = 120
RATERS = 5          # anonymous answers per ratee and ballot indicator: 10 × 5 × 10,000 = 500,000
CATEGORIES = ("quota", "assistant", "admin")


def province_plan() -> str:
    """Six dimensions of ten leaves: 60 indicators of every kind."""
    kpi = [
        "{type: kpi, measure: m%02d, method: linear, low: 0, high: 200}",
        "{type: kpi, measure: m%02d, method: lower_better, best: 1, worst: 3}",
        "{type: kpi, measure: m%02d, method: relative, base: 0.5, step: 10, per_step: 0.1, max_add: 0.5, max_sub: 0.5}",
        "{type: kpi, measure: m%02d, method: rank, within: unit}",
        "{type: kpi, measure: m%02d, method: ratio, target: 150}",
    ]
    lines = ["name: 全省基准方案", "year: 2025", "mode: weights",
             "appraises: {categories: [quota, assistant, admin]}", "indicators:"]
    counters = {"kpi": 0, "ballot": 0}
    kinds = (["ballot"] * 10 + ["kpi"] * 18 + ["manual"] * 6 + ["bonus"] * 12 + ["deduction"] * 12
             + ["survey"] * 2)
    random.Random(3).shuffle(kinds)
    for d in range(6):
        lines += [f"  - code: dim{d}", f"    name: 维度{d}", "    weight: %s" % (20 if d < 4 else 10),
                  "    children:"]
        for i in range(10):
            kind = kinds[d * 10 + i]
            code = f"i{d}{i}"
            if kind == "ballot":
                src = "{type: ballot, scale: grade_four, mapping: range, groups: {peer: 60, democratic: 40}}"
            elif kind == "kpi":
                src = kpi[counters["kpi"] % len(kpi)] % counters["kpi"]
                counters["kpi"] += 1
            elif kind == "manual":
                src = "{type: manual}"
            elif kind == "bonus":
                src = "{type: bonus, per_occurrence: 1, cap: 3}"
            elif kind == "deduction":
                src = "{type: deduction, per_occurrence: 2}"
            else:
                src = "{type: survey, questionnaire: 群众满意度}"
            lines += [f"      - code: {code}", f"        name: 指标{d}{i}", "        weight: 10",
                      f"        source: {src}"]
    lines += ["checks:",
              "  - {code: c1, name: 领导办案占比, measure: m18, within: department, leader_roles: [head], "
              "min_ratio: 0.5, max_ratio: 0.7}",
              "  - {code: c2, name: 检察长办案占比, measure: m19, within: unit, leader_roles: [chief], "
              "min_ratio: 0.05, max_ratio: 0.1}",
              "grades:", "  rules:", "    - {grade: 优秀, min_score: 85, top: 0.15}", "    - {grade: 称职, min_score: 60}",
              "    - {grade: 不称职}", "  tie_break: [dim0, staff_no]"]
    return "\n".join(lines)


def seed(n_people: int, plan_text: str, rng: random.Random) -> Campaign:
    """Units, departments, people, one open campaign over the province with every input, written
    with bulk statements (the bench measures scoring, not data entry)."""
    ensure_terminology()
    province = Unit(code="B00", name="基准省院", level=UnitLevel.PROVINCE)
    db.session.add(province)
    db.session.flush()
    province.path = f"/{province.id}/"
    cities = []
    for c in range(12):
        city = Unit(code=f"B{c:02d}C", name=f"基准市院{c}", level=UnitLevel.CITY, parent=province)
        db.session.add(city)
        cities.append(city)
    db.session.flush()
    for city in cities:
        city.path = f"{province.path}{city.id}/"
    units = [province] + cities
    while len(units) < UNITS:
        city = cities[len(units) % len(cities)]
        county = Unit(code=f"B{len(units):03d}X", name=f"基准县院{len(units)}", level=UnitLevel.COUNTY, parent=city)
        db.session.add(county)
        units.append(county)
    db.session.flush()
    for u in units[13:]:
        u.path = f"{u.parent.path}{u.id}/"
    depts = {}
    for u in units:
        depts[u.id] = []
        for k in range(5):
            d = Department(unit_id=u.id, name=f"第{k + 1}部", sort_order=k)
            db.session.add(d)
            depts[u.id].append(d)
    db.session.flush()
    version = save_plan(load_plan(plan_text))
    campaign = Campaign(name="全省基准考核", plan_version=version, unit=province, year=2025,
                        period_kind=PeriodKind.YEAR, state=CampaignState.OPEN, ballots_counted=True, k_threshold=3)
    db.session.add(campaign)
    db.session.flush()

    # People: the first units fill up first, so that 1,000 people are a city's worth of units.
    people = []
    per_unit = max(1, n_people // UNITS + 1)
    for i in range(n_people):
        u = units[min(i // per_unit, len(units) - 1)]
        dept = depts[u.id][i % 5]
        role = "chief" if i % per_unit == 0 else ("head" if i % 17 == 1 else None)
        people.append({"staff_no": f"B{i:06d}", "name": f"人员{i}", "gender": "M", "position": "检察官",
                       "category_code": CATEGORIES[i % 3], "unit_id": u.id,
                       "department_id": None if role == "chief" else dept.id, "leader_role": role,
                       "active": True})
    bulk_insert(db.session, Person.__table__, people)
    ids = list(db.session.scalars(select(Person.id).where(Person.staff_no.like("B%")).order_by(Person.staff_no)))
    bulk_insert(db.session, CampaignSubject.__table__, [{"campaign_id": campaign.id, "person_id": pid} for pid in ids])

    plan = version.spec()
    leaves = [node for _path, node in plan.leaves()]
    answers, manual = [], []
    values = {0.0: 40.0, 1: 60.0, 2: 80.0, 3: 100.0}
    for pid in ids:
        for node in leaves:
            src = node.source
            if isinstance(src, BallotSource):
                ballot_group = "peer" if rng.random() < 0.6 else "democratic"
                for _r in range(RATERS):
                    answers.append({"id": random_id(), "campaign_id": campaign.id,
                                    "ratee_id": pid, "group": ballot_group, "indicator": node.code,
                                    "value": values[rng.randint(0, 3)]})
            elif isinstance(src, ManualSource):
                manual.append({"campaign_id": campaign.id, "person_id": pid, "indicator": node.code,
                               "value": round(rng.uniform(0, 1) * 3, 1), "reason": "年度评定"})
            elif isinstance(src, (BonusSource, DeductionSource)) and rng.random() < 0.1:
                manual.append({"campaign_id": campaign.id, "person_id": pid, "indicator": node.code,
                               "value": rng.randint(1, 3), "reason": "查实"})
    for i in range(0, len(answers), 100_000):
        bulk_insert(db.session, AnonymousAnswer.__table__, answers[i:i + 100_000])
    bulk_insert(db.session, ManualEntry.__table__, manual)
    batch = KpiBatch(campaign_id=campaign.id, origin=BatchOrigin.API, sha256="0" * 64, client_batch_id="bench",
                     actor="bench", rows=len(ids), value_count=len(ids) * 20)
    db.session.add(batch)
    db.session.flush()
    now = datetime(2026, 1, 10)
    bulk_insert(db.session, KpiRecord.__table__, [
        {"campaign_id": campaign.id, "person_id": pid, "batch_id": batch.id, "entry_id": None, "recorded_at": now,
         "values": {f"m{m:02d}": round(rng.uniform(0.8, 3) if m % 5 == 1 else rng.uniform(0, 200), 2)
                    for m in range(20)}}
        for pid in ids])
    db.session.commit()
    print(f"  seeded {len(ids):,} people in {UNITS} units, {len(leaves)} indicators, {len(answers):,} ballot "
          f"answers, {len(ids) * 20:,} KPI values, {len(manual):,} manual entries")
    return campaign


def fresh_schema(create: bool = True) -> None:
    """An empty database: SQLite gets a new file per run; PostgreSQL a new public schema."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    if create:
        db.create_all()


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run(url: str, sizes: list[int], memory_only: bool) -> None:
    plan_text = province_plan()
    baseline = {}
    for n in sizes:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url.format(n=n))
        with app.app_context():
            fresh_schema()
            campaign = seed(n, plan_text, random.Random(7))
            (plan, subjects, inputs), gather_s = timed(lambda: loader.gather(campaign))
            # The engine alone: the best of three runs (the machine's other work only ever adds time).
            memory_s = math.inf
            for _run in range(3):
                results, took = timed(lambda: score_campaign(plan, subjects, inputs))
                memory_s = min(memory_s, took)
            assert len(results) == n
            line = (f"{db.engine.dialect.name:<10} {n:>6} people  in memory {memory_s:6.2f} s "
                    f"({n / memory_s:,.0f} people/s)")
            if not memory_only:
                db.session.expire_all()
                stored, total_s = timed(lambda: (loader.recompute(campaign), db.session.commit()))
                line += f"   from the database {total_s:6.2f} s (gather {gather_s:.2f} s)"
            print(line)
            baseline.setdefault("memory", {})[n] = memory_s
            if not memory_only:
                baseline.setdefault("db", {})[n] = total_s
            db.session.remove()
            fresh_schema(create=False)
            db.engine.dispose()
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        for kind, times in baseline.items():
            print(f"  growth {kind}: {large:,} vs {small:,} people = {times[large] / times[small]:.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--memory-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench-{{n}}.db", args.people, args.memory_only)
    if os.environ.get("BENCH_DATABASE_URL"):
        run(os.environ["BENCH_DATABASE_URL"], args.people, args.memory_only)


if __name__ == "__main__":
    main()
