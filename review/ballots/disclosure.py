"""What may be shown of anonymous ballots: the k-threshold with complementary suppression.

One rule for every place that shows ballot results — pages, exports, the scoring engine and
later the appraisal file — so that no two of them can be combined to reveal what one of
them hides. Per ratee and indicator:

* a rater group with at least k ballots is shown on its own;
* groups with fewer are pooled as "others", shown only when the pool reaches k;
* if the pool stays below k while other groups are shown, the smallest shown groups join it
  until it reaches k (complementary suppression): otherwise the total over all groups minus
  the shown groups would give the hidden one away;
* when even all groups together stay below k, nothing is shown.

Counts say how many people voted, which participation already tells; the rule protects what
they answered."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

OTHERS = "others"


@dataclass(frozen=True)
class Tally:
    """Ballot values of one group (or pool) for one ratee and indicator."""
    levels: Counter = field(default_factory=Counter)  # value → number of ballots

    @property
    def count(self) -> int:
        return sum(self.levels.values())

    @property
    def total(self) -> float:
        return sum(value * n for value, n in self.levels.items())

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.levels + other.levels)

    @classmethod
    def of(cls, values: dict[float, int]) -> Tally:
        return cls(Counter({float(v): int(n) for v, n in values.items() if n}))


@dataclass(frozen=True)
class Disclosure:
    shown: dict[str, Tally]          # group → tally, each of at least k ballots
    others: Tally | None             # pooled small groups, at least k ballots, or None
    pooled: tuple[str, ...]          # the groups inside ``others``
    withheld: tuple[str, ...]        # groups of which nothing at all is shown
    withheld_ballots: int = 0        # how many ballots those groups had

    @property
    def total(self) -> Tally | None:
        parts = list(self.shown.values()) + ([self.others] if self.others else [])
        if not parts:
            return None
        out = Tally()
        for part in parts:
            out = out + part
        return out

    @property
    def hidden(self) -> set[str]:
        """Groups not shown on their own (pooled or withheld)."""
        return set(self.pooled) | set(self.withheld)


def disclose(tallies: dict[str, Tally], k: int) -> Disclosure:
    present = {g: t for g, t in tallies.items() if t.count > 0}
    # Smallest first, names breaking ties, so the same data always gives the same answer.
    order = sorted(present, key=lambda g: (present[g].count, g))
    pooled = [g for g in order if present[g].count < k]
    shown = [g for g in order if present[g].count >= k]
    pool = sum((present[g] for g in pooled), Tally())
    while pooled and pool.count < k and shown:
        g = shown.pop(0)
        pooled.append(g)
        pool = pool + present[g]
    if pooled and pool.count < k:
        return Disclosure({}, None, (), tuple(sorted(present)), pool.count)
    return Disclosure({g: present[g] for g in shown}, pool if pooled else None, tuple(sorted(pooled)), ())
