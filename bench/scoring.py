"""Benchmark: the pure scoring engine on a province-sized population.

Scores N people (default 1,000, 10,000 and 50,000) under the prosecutor casework
example plan, with every kind of input filled (ballots, KPIs incl. relative and
lower-is-better, manual points, bonus occurrences), and prints wall time and
people per second.

    .venv/bin/python bench/scoring.py [--people 1000 10000 50000]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from review.plans.spec import BallotSource, BonusSource, KpiSource, ManualSource, SurveySource  # noqa: E402
from review.plans.yaml_io import load_plan  # noqa: E402
from review.scoring import PersonInputs, Subject, score_campaign  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "plans",
                       "prosecutor_casework.yaml")


def population(plan, n: int, rng: random.Random):
    subjects, inputs = [], {}
    leaves = [node for _path, node in plan.leaves()]
    for i in range(n):
        unit = f"U{i // 500:03d}"
        s = Subject(i, f"P{i:06d}", f"人员{i}", "quota", unit, f"{unit}/D{(i // 25) % 20}",
                    "head" if i % 25 == 0 else None)
        data = PersonInputs()
        for node in leaves:
            src = node.source
            if isinstance(src, BallotSource):
                data.ballots[node.code] = {g: (rng.uniform(60, 100) * 10, 10) for g, _w in src.groups
                                           if rng.random() > 0.1}
            elif isinstance(src, KpiSource):
                data.kpis[src.measure] = rng.uniform(0.5, 2.5) if "ratio" in src.measure or "case" in src.measure \
                    else rng.uniform(0, 150)
            elif isinstance(src, SurveySource):
                data.surveys[node.code] = rng.uniform(70, 100)
            elif isinstance(src, ManualSource):
                data.manual[node.code] = (rng.uniform(0, 1) * 5, "评定")
            elif isinstance(src, BonusSource):
                data.occurrences[node.code] = rng.randint(0, 3)
        subjects.append(s)
        inputs[i] = data
    return subjects, inputs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    args = parser.parse_args()
    with open(EXAMPLE, encoding="utf-8") as f:
        plan = load_plan(f.read())
    rng = random.Random(7)
    print(f"plan: {plan.name}, {len(plan.leaves())} indicators, {len(plan.checks)} rule checks")
    for n in args.people:
        subjects, inputs = population(plan, n, rng)
        t0 = time.perf_counter()
        results = score_campaign(plan, subjects, inputs)
        elapsed = time.perf_counter() - t0
        assert len(results) == n
        print(f"{n:>7} people  {elapsed:7.2f} s  {n / elapsed:9.0f} people/s  "
              f"({n * len(plan.leaves()) / elapsed:,.0f} indicator lines/s)")


if __name__ == "__main__":
    main()
