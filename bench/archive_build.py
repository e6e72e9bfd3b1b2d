"""Benchmark: issuing appraisal files (the PDF archive of a year).

Seeds the demo institution into a fresh SQLite database (its 2024 campaign is final: 52 people with
ballots, KPIs, claims, registers, appeals), then issues every person's 2024 file again and again —
each round a re-issue with a reason, so every file is rendered — until at least ``--files`` files
were made, with 1 worker process and with ``--jobs`` processes, as `flask archive build` does.

Prints the median and 90th percentile seconds per file (the time one worker spends on one file:
reading, rendering, storing, indexing), files per minute for the whole run with the number of CPUs,
and bytes per file. Targets: median ≤ 0.8 s per file, ≤ 400 KB per file, throughput growing with
the number of processes.

    .venv/bin/python bench/archive_build.py [--files 200] [--jobs 2]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from review import create_app  # noqa: E402
from review.archive import cli  # noqa: E402
from review.archive.models import ArchiveFile  # noqa: E402
from review.campaigns.models import Campaign, CampaignState, PeriodKind  # noqa: E402
from review.extensions import db  # noqa: E402


def run(app, tasks: list[tuple[int, int, str]], jobs: int) -> tuple[list[float], float]:
    started = time.perf_counter()
    with app.app_context():
        out = list(cli.issue_all(tasks, jobs))
    wall = time.perf_counter() - started
    return [seconds for _pid, _version, seconds, _size in out], wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.db",
                         ARCHIVE_DIR=f"{tmp}/archive")
        with app.app_context():
            upgrade()
            from review.demo.seed import seed
            seed()
            db.session.commit()
            campaign = db.session.scalar(select(Campaign).where(
                Campaign.year == 2024, Campaign.period_kind == PeriodKind.YEAR, Campaign.state == CampaignState.FINAL))
            from review.archive.issue import people_of
            people = people_of(campaign)
            cid = campaign.id
            db.session.remove()
        print(f"demo seeded: {len(people)} people in the final 2024 campaign; {os.cpu_count()} CPUs")
        rounds = -(-args.files // len(people))
        for jobs in sorted({1, args.jobs}):
            tasks = [(cid, pid, f"基准测试第 {jobs}-{r} 轮重新生成") for r in range(rounds) for pid in people]
            per_file, wall = run(app, tasks, jobs)
            with app.app_context():
                sizes = [s for (s,) in db.session.execute(select(ArchiveFile.size))]
                db.session.remove()
            per_file.sort()
            p90 = per_file[int(len(per_file) * 0.9) - 1]
            print(f"  {jobs} process{'es' if jobs > 1 else ''}: {len(tasks)} files in {wall:.1f} s = "
                  f"{len(tasks) / wall * 60:.0f} files/minute; per file median {statistics.median(per_file):.2f} s, "
                  f"90% {p90:.2f} s; {statistics.mean(sizes) / 1024:.0f} KB a file (largest "
                  f"{max(sizes) / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
