"""Benchmark: import a KPI sheet of 10,000 rows × 8 measures into a campaign (new values), again
with every value changed (each replaces the current one, kept as history), and again unchanged.

Each import is the whole path of the web and CLI import: read the .xlsx, check every cell, write
the batch and its values, audit. Rescoring the campaign afterwards is timed on its own line.
Target: ≥ 5,000 rows/s. Runs on a fresh SQLite file database, and on PostgreSQL when
BENCH_DATABASE_URL is set.

    .venv/bin/python bench/kpi_import.py [--rows 10000]
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from openpyxl import Workbook  # noqa: E402

from review import create_app  # noqa: E402
from review.campaigns.loader import recompute  # noqa: E402
from review.campaigns.operations import create_campaign  # noqa: E402
from review.extensions import db  # noqa: E402
from review.kpi.importer import import_file  # noqa: E402
from review.org import operations as org_ops  # noqa: E402
from review.org.models import UnitLevel  # noqa: E402
from review.org.roster import COLUMNS, RosterImporter  # noqa: E402
from review.org.terminology import ensure_terminology  # noqa: E402
from review.plans.operations import save_plan  # noqa: E402
from review.plans.yaml_io import load_plan  # noqa: E402

MEASURES = [("cases", "办案数"), ("closed", "结案数"), ("quality", "案件质量评分"), ("ratio", "案件比"),
            ("days", "平均办案天数"), ("errors", "差错数"), ("docs", "优秀文书数"), ("returns", "退查率")]

PLAN = "\n".join([
    "name: 量化基准方案", "year: 2025", "mode: weights", "appraises: {categories: [quota, assistant, admin]}",
    "measures:",
    *[f"  {code}: {{name: {name}, min: 0, max: 100000}}" for code, name in MEASURES],
    "indicators:",
    *[f"  - {{code: k_{code}, name: {name}, weight: {100 / len(MEASURES)}, "
      f"source: {{type: kpi, measure: {code}, method: linear, low: 0, high: 100}}}}" for code, name in MEASURES],
    "grades:", "  rules:", "    - {grade: 合格}",
])


def roster(rows: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名册")
    ws.append([c.zh for c in COLUMNS])
    cats = ["员额检察官", "检察辅助人员", "司法行政人员"]
    for i in range(rows):
        ws.append([f"K{i:06d}", f"测试{i}", "", f"K{i % 10:03d}X", "", f"第{i % 30 + 1}部", "", cats[i % 3],
                   "", "", "", "", "是"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sheet(rows: int, shift: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("量化数据")
    ws.append(["工号", "姓名"] + [name for _code, name in MEASURES])
    for i in range(rows):
        ws.append([f"K{i:06d}", f"测试{i}"] + [(i * (j + 3) + shift) % 200 for j in range(len(MEASURES))])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def timed(label: str, rows: int, fn):
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = f"{rows / elapsed:9.0f} rows/s" if rows else " " * 16
    print(f"{label:<34} {elapsed:7.2f} s {rate}  peak RSS {peak:6.0f} MiB  {result or ''}")
    return result


def run(url: str, rows: int) -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
        db.create_all()
        ensure_terminology()
        city = org_ops.create_unit(code="K000", name="基准市院", level=UnitLevel.CITY, parent=None)
        for i in range(10):
            org_ops.create_unit(code=f"K{i:03d}X", name=f"基准县院{i}", level=UnitLevel.COUNTY, parent=city)
        db.session.commit()
        assert RosterImporter(max_rows=rows + 1).run(roster(rows), apply=True).ok
        db.session.commit()
        campaign = create_campaign(save_plan(load_plan(PLAN)), city)
        db.session.commit()
        files = [sheet(rows, 0), sheet(rows, 1)]
        print(f"database: {db.engine.dialect.name}; {len(campaign.subjects)} people, {len(MEASURES)} measures, "
              f"sheet {len(files[0]) / 1024:.0f} KiB")

        def go(data, apply=True):
            def inner():
                r = import_file(campaign, data, apply=apply, max_rows=rows + 1, rescore=False)
                assert r.ok, r.errors[:5]
                if apply:
                    db.session.commit()
                else:
                    db.session.rollback()
                return f"new {r.new}, changed {r.changed}, unchanged {r.unchanged}"
            return inner

        timed(f"dry run, {rows} rows", rows, go(files[0], apply=False))
        timed(f"import, {rows} rows new", rows, go(files[0]))
        timed(f"re-import, {rows} rows changed", rows, go(files[1]))
        timed(f"re-import, {rows} rows unchanged", rows, go(files[1]))

        def rescore():
            n = recompute(campaign)
            db.session.commit()
            return f"{n} people scored"
        timed("rescore the campaign", 0, rescore)
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.db", args.rows)
    if os.environ.get("BENCH_DATABASE_URL"):
        run(os.environ["BENCH_DATABASE_URL"], args.rows)


if __name__ == "__main__":
    main()
