"""A person's result as it is stored (``Result.detail``) and its lines as they are read back.

What is stored is small: every leaf's points, the subtotals of the dimensions and groups, vetoes
and flags, and the inputs the points came from (the disclosed ballot sums, the values, the counts,
the source notes) with what the comparison groups said. The lines' texts — raw value, explanation,
notes — are written out when a page, an export or the API reads them, by the engine's own rules
from those inputs, in the reader's language. Storing every text of a province's 600,000 lines
(13 KB a person) was most of the time a recompute took.

Results stored before this format hold their rendered ``lines``; they are read as they are.
"""
from __future__ import annotations

from .engine import PersonInputs, PersonResult, _Scorer
from ..plans.spec import Plan

FORMAT = 2


def pack(result: PersonResult) -> dict:
    scorer = result._scorer
    pid = result.subject.id
    data = scorer.inputs.get(pid) or PersonInputs()
    subtotals = result.subtotals
    return {
        "format": FORMAT,
        "points": result.points,
        "subtotals": {code: subtotals[code] for code, _children in scorer._groups},
        "vetoes": result.vetoes, "flags": result.flags,
        "inputs": pack_inputs(data),
        "context": {code: people[pid] for code, people in scorer.context.items() if pid in people},
    }


def summary(result: PersonResult) -> dict:
    """What the results table needs of everybody: the dimensions' subtotals, vetoes and flags."""
    subtotals = result.subtotals
    return {"subtotals": {code: subtotals[code] for code in result._scorer._top_codes},
            "vetoes": result.vetoes, "flags": result.flags}


def pack_inputs(data: PersonInputs) -> dict:
    """The non-empty parts of a person's inputs, as JSON (sets as sorted lists). Lists of source
    notes are stored once and referred to by position: a person's twenty KPI values usually share
    one import's."""
    out: dict = {}
    for name in ("ballots", "surveys", "kpis", "occurrences", "manual", "periods", "adjustments"):
        value = getattr(data, name)
        if value:
            out[name] = value
    for name in ("withheld", "pooled"):
        value = getattr(data, name)
        if value:
            out[name] = {code: sorted(groups) for code, groups in value.items()}
    if data.sources:
        lists: list[list] = []
        index: dict[int, int] = {}   # by identity: the loader shares one list between the values it covers
        by: dict[str, int] = {}
        for key, notes in data.sources.items():
            at = index.get(id(notes))
            if at is None:
                at = index[id(notes)] = len(lists)
                lists.append(notes)
            by[key] = at
        out["notes"] = lists
        out["sources"] = by
    return out


def unpack_inputs(stored: dict) -> PersonInputs:
    data = PersonInputs()
    for name in ("ballots", "surveys", "kpis", "occurrences", "manual", "periods", "adjustments"):
        if name in stored:
            setattr(data, name, stored[name])
    for name in ("withheld", "pooled"):
        if name in stored:
            setattr(data, name, {code: set(groups) for code, groups in stored[name].items()})
    if "sources" in stored:
        lists = stored.get("notes") or []
        data.sources = {key: lists[at] for key, at in stored["sources"].items()}
    return data


def points(detail: dict) -> dict[str, float | None]:
    """Leaf code → stored points, in either format."""
    if "points" in detail:
        return detail["points"]
    return {line["code"]: line.get("points") for line in detail.get("lines", [])}


def lines(plan: Plan, detail: dict | None, lang: str = "zh") -> list[dict]:
    """The stored result's lines in plan order, each with code, path, source, max, points, weight,
    raw, explanation and notes. The points shown are the stored ones (a campaign's plan version
    never changes, so they are what the rules give for the stored inputs)."""
    detail = detail or {}
    if "format" not in detail:
        return list(detail.get("lines", []))
    scorer = _Scorer(plan, [], {}, lang, context=detail.get("context") or {})
    data = unpack_inputs(detail.get("inputs") or {})
    stored = detail.get("points") or {}
    out = []
    for node, path, key, _above in scorer._leaves:
        line = scorer.leaf(node, path, key, data)
        out.append({"code": line.code, "path": list(line.path), "source": line.source, "max": line.max_points,
                    "points": stored.get(node.code), "weight": line.weight, "raw": line.raw,
                    "explanation": line.explanation, "notes": line.notes})
    return out
