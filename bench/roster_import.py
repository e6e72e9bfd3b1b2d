"""Benchmark: import a 10,000-row roster (create), then re-import it with changes (update).

Prints wall time, rows per second and peak memory for each phase, on a fresh
SQLite file database (and on PostgreSQL when BENCH_DATABASE_URL is set).

    .venv/bin/python bench/roster_import.py [--rows 10000]
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import resource

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from openpyxl import Workbook  # noqa: E402

from review import create_app  # noqa: E402
from review.extensions import db  # noqa: E402
from review.org import operations as ops  # noqa: E402
from review.org.terminology import ensure_terminology  # noqa: E402
from review.org.models import UnitLevel  # noqa: E402
from review.org.roster import COLUMNS, RosterImporter  # noqa: E402

DEPARTMENTS = [f"第{i}部" for i in range(1, 31)]
CATEGORIES = ["员额检察官", "检察辅助人员", "司法行政人员"]


def roster(rows: int, units: list[str], variant: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名册")
    ws.append([c.zh for c in COLUMNS])
    for i in range(rows):
        unit = units[i % len(units)]
        ws.append([f"B{i:06d}", f"测试{i}", "男" if i % 2 else "女", unit, "", DEPARTMENTS[(i + variant) % 30],
                   "检察官" if variant == 0 or i % 3 else "检察官助理", CATEGORIES[i % 3], "", "",
                   "2015-07-01", "", "是"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def measure(label: str, fn):
    # Wall time without tracing (tracemalloc slows Python several-fold); memory is the
    # process's peak resident set so far, which includes the parsed workbook.
    t0 = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = result.rows / elapsed if elapsed else 0
    print(f"{label:<28} {elapsed:7.2f} s  {rate:9.0f} rows/s  peak RSS {peak:6.0f} MiB  "
          f"(created {result.created}, updated {result.updated}, unchanged {result.unchanged})")
    return result


def run(url: str, rows: int) -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            db.drop_all()
        db.create_all()
        ensure_terminology()
        city = ops.create_unit(code="B000", name="基准市院", level=UnitLevel.CITY, parent=None)
        codes = []
        for i in range(10):
            ops.create_unit(code=f"B{i:03d}X", name=f"基准县院{i}", level=UnitLevel.COUNTY, parent=city)
            codes.append(f"B{i:03d}X")
        db.session.commit()
        first, second = roster(rows, codes, 0), roster(rows, codes, 1)
        print(f"database: {db.engine.dialect.name}; file sizes {len(first) / 1024:.0f} KiB")

        def check():
            r = RosterImporter(max_rows=rows + 1).run(first, apply=False)
            db.session.rollback()
            return r

        def apply(data):
            def go():
                r = RosterImporter(max_rows=rows + 1).run(data, apply=True)
                assert r.ok, r.errors[:5]
                db.session.commit()
                return r
            return go

        measure(f"dry run, {rows} new", check)
        measure(f"import, {rows} new", apply(first))
        measure(f"re-import, {rows} changed", apply(second))
        measure(f"re-import, {rows} unchanged", apply(second))
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
