"""Plans in and out of YAML (docs/plans.md describes the format).

Reading collects every problem, each named by the node's path
(``司法办案 › 办案质量: children's weights sum to 90, not 100``), and returns a
plan only when there are none."""
from __future__ import annotations

import math
import re
from typing import Any

import yaml
from flask_babel import gettext as _

from ..core import safe_yaml
from ..core.quoting import label_of, quoted

from .scales import SHIPPED
from .spec import (COMPARE_WITHIN, RATER_GROUPS, REGISTERS, ROLLUPS, Appraises, BallotSource, BonusSource,
                   DeductionSource, GradeRule, KpiSource, Level, ManualSource, Measure, Node, Plan, RuleCheck, Scale,
                   SurveySource, Veto, path_label)

CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PLAN_KEYS = {"name", "year", "version", "mode", "description", "appraises", "scales", "indicators", "grades",
             "vetoes", "checks", "bonus_above_total", "measures", "publication"}
PUBLICATION_KEYS = {"ranking"}
MEASURE_KEYS = {"name", "name_en", "unit", "min", "max", "integer"}
NODE_KEYS = {"code", "name", "name_en", "weight", "points", "children", "source", "extra", "rollup"}
SOURCE_KEYS = {
    "ballot": {"type", "scale", "groups", "mapping"},
    "survey": {"type", "questionnaire", "bands", "include_unverified"},
    "bonus": {"type", "per_occurrence", "cap", "register", "level"},
    "deduction": {"type", "per_occurrence", "cap", "register", "level"},
    "manual": {"type"},
}
KPI_KEYS = {
    "linear": {"low", "high"}, "ratio": {"target", "cap"}, "lower_better": {"best", "worst"},
    "relative": {"base", "step", "per_step", "max_add", "max_sub", "lower_is_better", "within"},
    "rank": {"lower_is_better", "within"},
}
TOLERANCE = 1e-6
KPI_PARAMS = {
    "linear": ("low", "high"),
    "ratio": ("target",),
    "lower_better": ("best", "worst"),
    "relative": ("base", "step", "per_step"),
    "rank": (),
}


class PlanInvalid(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _fmt(x: float) -> str:
    return f"{x:g}"


def _finite_number(value) -> bool:
    """A number a plan can compute with: not a boolean, nan or infinity, nor an integer beyond floats."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


class _Reader:
    def __init__(self):
        self.problems: list[str] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def unknown(self, data: dict, allowed: set, where: str) -> None:
        """A misspelt key would silently do nothing (an uncapped item): refuse it."""
        for key in data:
            if key not in allowed:
                self.bad(where, _("unknown key %(key)r (allowed: %(allowed)s)", key=quoted(key),
                                  allowed=", ".join(sorted(allowed))))

    def number(self, data: dict, key: str, where: str, *, required: bool = False, minimum: float | None = None):
        value = data.get(key)
        if value is None:
            if required:
                self.bad(where, _("%(key)s is required", key=key))
            return None
        if not _finite_number(value):
            self.bad(where, _("%(key)s must be a number, not %(value)r", key=key, value=quoted(value)))
            return None
        if minimum is not None and value < minimum:
            self.bad(where, _("%(key)s must be at least %(min)s", key=key, min=_fmt(minimum)))
            return None
        return float(value)

    # --- plan ---

    def plan(self, data: Any) -> Plan | None:
        if not isinstance(data, dict):
            self.bad("", _("A plan file must be a mapping with name, year, mode and indicators."))
            return None
        self.unknown(data, PLAN_KEYS, "")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.bad("name", _("the plan needs a name"))
        year = data.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
            self.bad("year", _("year must be a whole number such as 2025"))
        mode = data.get("mode", "weights")
        if mode not in ("weights", "points"):
            self.bad("mode", _("mode must be weights or points, not %(value)r", value=quoted(mode)))
            mode = "weights"
        scales = self.scales(data.get("scales") or {})
        known_scales = {**SHIPPED, **scales}
        raw_nodes = data.get("indicators")
        nodes: list[Node] = []
        if not isinstance(raw_nodes, list) or not raw_nodes:
            self.bad("indicators", _("the plan needs a list of indicators"))
        else:
            codes: set[str] = set()
            nodes = [n for n in (self.node(item, (), mode, known_scales, codes) for item in raw_nodes) if n]
        version = data.get("version", 1)
        if not isinstance(version, int) or version < 1:
            self.bad("version", _("version must be a whole number from 1"))
            version = 1
        plan = Plan(
            name=(name or "").strip() if isinstance(name, str) else "", year=year if isinstance(year, int) else 0,
            mode=mode, indicators=nodes, appraises=self.appraises(data.get("appraises") or {}), version=version,
            description=str(data.get("description") or ""), grades=self.grades(data.get("grades") or {}),
            tie_break=tuple(self.strings(data["grades"].get("tie_break") if isinstance(data.get("grades"), dict)
                                         else None, "grades › tie_break")),
            vetoes=self.vetoes(data.get("vetoes") or []), checks=self.checks(data.get("checks") or []),
            bonus_above_total=bool(data.get("bonus_above_total", False)), scales=scales,
            measures=self.measures(data.get("measures") or {}),
            publish_ranking=self.publication(data.get("publication")),
        )
        if nodes:
            self.sums(plan)
            maxima = plan.maxima()
            for path, node in plan.leaves():
                src = node.source
                if isinstance(src, KpiSource) and src.method == "relative" and src.base is not None \
                        and src.base > maxima[node.code] + TOLERANCE:
                    self.bad(path_label(tuple(map(label_of, path))),
                             _("base %(base)s is more than the item's %(max)s points", base=_fmt(src.base),
                               max=_fmt(maxima[node.code])))
        if any(r.top is not None for r in plan.grades) and not plan.tie_break:
            self.bad("grades › tie_break", _("rank quotas need a declared tie-break (indicator codes, then "
                                             "staff_no for a last resort)"))
            all_codes = {n.code for _, n in plan.walk()}
            for code in plan.tie_break:
                if code not in all_codes and code != "staff_no":
                    self.bad("grades › tie_break", _("unknown indicator %(code)s", code=label_of(code)))
        return plan

    def strings(self, value, where) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.bad(where, _("must be a list of words"))
            return []
        return value

    def appraises(self, data) -> Appraises:
        if not isinstance(data, dict):
            self.bad("appraises", _("must be a mapping"))
            return Appraises()
        cats = self.strings(data.get("categories"), "appraises › categories")
        for c in cats:
            if c not in ("quota", "assistant", "admin"):
                self.bad("appraises › categories",
                         _("unknown category %(code)s (quota, assistant, admin)", code=label_of(c)))
        roles = self.strings(data.get("leader_roles"), "appraises › leader_roles")
        for r in roles:
            if r not in ("chief", "deputy", "member", "head"):
                self.bad("appraises › leader_roles",
                         _("unknown leader role %(code)s (chief, deputy, member, head)", code=label_of(r)))
        unit = data.get("unit")
        return Appraises(tuple(cats), tuple(roles), str(unit) if unit is not None else None)

    def publication(self, data) -> bool:
        """What the people appraised see once results are published: ``ranking: true`` adds the
        ranking list to their own results."""
        if data is None:
            return False
        if not isinstance(data, dict):
            self.bad("publication", _("must be a mapping such as {ranking: true}"))
            return False
        self.unknown(data, PUBLICATION_KEYS, "publication")
        ranking = data.get("ranking", False)
        if not isinstance(ranking, bool):
            self.bad("publication › ranking", _("ranking must be true or false"))
            return False
        return ranking

    def measures(self, data) -> dict[str, Measure]:
        out: dict[str, Measure] = {}
        if not isinstance(data, dict):
            self.bad("measures", _("must be a mapping of measure codes"))
            return out
        for code, spec in data.items():
            where = f"measures › {label_of(code)}"
            if not isinstance(code, str) or not CODE.match(code):
                self.bad(where, _("code %(code)r must be lower-case letters, digits and _ (starting with a letter)",
                                  code=quoted(code)))
                continue
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"].strip():
                self.bad(where, _("a measure needs a name (the column title of KPI sheets)"))
                continue
            self.unknown(spec, MEASURE_KEYS, where)
            lo = self.number(spec, "min", where) if spec.get("min") is not None else None
            hi = self.number(spec, "max", where)
            if lo is not None and hi is not None and lo > hi:
                self.bad(where, _("min must not be above max"))
            integer = spec.get("integer", False)
            if not isinstance(integer, bool):
                self.bad(where, _("integer must be true or false"))
            out[code] = Measure(code, spec["name"].strip(), str(spec["name_en"]) if spec.get("name_en") else None,
                                str(spec["unit"]) if spec.get("unit") else None,
                                lo if "min" in spec else 0.0, hi, integer is True)
        names = [m.name for m in out.values()]
        for name in {n for n in names if names.count(n) > 1}:
            self.bad("measures", _("two measures are named %(name)s: sheet columns must be told apart",
                                   name=label_of(name)))
        return out

    def scales(self, data) -> dict[str, Scale]:
        out = {}
        if not isinstance(data, dict):
            self.bad("scales", _("must be a mapping of scale codes"))
            return out
        for code, spec in data.items():
            where = f"scales › {label_of(code)}"
            if not isinstance(spec, dict) or not isinstance(spec.get("levels"), list) or len(spec["levels"]) < 2:
                self.bad(where, _("a scale needs at least two levels"))
                continue
            levels = []
            for i, lv in enumerate(spec["levels"], start=1):
                if not isinstance(lv, dict) or not isinstance(lv.get("zh"), str):
                    self.bad(f"{where} › {i}", _("a level needs a value and a zh label"))
                    continue
                value = self.number(lv, "value", f"{where} › {i}", required=True)
                if value is not None:
                    levels.append(Level(value, lv["zh"], str(lv.get("en") or lv["zh"])))
            if len({lv.value for lv in levels}) != len(levels):
                self.bad(where, _("two levels have the same value"))
            out[str(code)] = Scale(str(code), str(spec.get("zh") or code), str(spec.get("en") or code),
                                   tuple(levels))
        return out

    def node(self, data, parent: tuple[str, ...], mode: str, scales: dict, codes: set[str]) -> Node | None:
        if not isinstance(data, dict):
            self.bad(path_label(parent) or "indicators", _("each indicator must be a mapping"))
            return None
        name = data.get("name")
        path = parent + (label_of(name) if name else "?",)
        where = path_label(path)
        if not isinstance(name, str) or not name.strip():
            self.bad(where, _("the indicator needs a name"))
        self.unknown(data, NODE_KEYS, where)
        code = data.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            self.bad(where, _("code %(code)r must be lower-case letters, digits and _ (starting with a letter)",
                              code=quoted(code)))
        elif code in codes:
            self.bad(where, _("code %(code)s is used twice", code=code))
        else:
            codes.add(code)
        size_key = "weight" if mode == "weights" else "points"
        other_key = "points" if mode == "weights" else "weight"
        size = self.number(data, size_key, where, required=True, minimum=0)
        if data.get(other_key) is not None:
            self.bad(where, _("a plan in %(mode)s mode gives %(key)s, not %(other)s", mode=mode, key=size_key,
                              other=other_key))
        node = Node(code=code if isinstance(code, str) else "?", name=(name or "?").strip() if isinstance(name, str)
                    else "?", name_en=data.get("name_en"), weight=size if mode == "weights" else None,
                    points=size if mode == "points" else None, extra=bool(data.get("extra", False)))
        rollup = data.get("rollup")
        if rollup is not None and rollup not in ROLLUPS:
            self.bad(where, _("rollup must be one of mean, sum, last"))
        node.rollup = rollup
        children = data.get("children")
        source = data.get("source")
        if children and source:
            self.bad(where, _("an indicator has either children or a source, not both"))
        elif children:
            if not isinstance(children, list):
                self.bad(where, _("children must be a list"))
            else:
                node.children = [c for c in (self.node(c, path, mode, scales, codes) for c in children) if c]
        elif source:
            node.source = self.source(source, where, scales)
        else:
            self.bad(where, _("a leaf indicator needs a source"))
        return node

    def source(self, data, where: str, scales: dict):
        if not isinstance(data, dict):
            self.bad(where, _("source must be a mapping with a type"))
            return None
        kind = data.get("type")
        if kind in SOURCE_KEYS:
            self.unknown(data, SOURCE_KEYS[kind], where)
        elif kind == "kpi" and data.get("method") in KPI_KEYS:
            self.unknown(data, {"type", "measure", "method"} | KPI_KEYS[data["method"]], where)
        if kind == "ballot":
            groups = data.get("groups")
            pairs = []
            if not isinstance(groups, dict) or not groups:
                self.bad(where, _("a ballot source needs rater groups with weights"))
            else:
                for group, weight in groups.items():
                    if group not in RATER_GROUPS:
                        self.bad(where, _("unknown rater group %(group)s (%(known)s)", group=label_of(group),
                                          known=", ".join(RATER_GROUPS)))
                    w = self.number(groups, group, where, required=True, minimum=0)
                    if w is not None:
                        pairs.append((group, w))
                total = sum(w for _g, w in pairs)
                if pairs and abs(total - 100) > TOLERANCE:
                    self.bad(where, _("rater group weights sum to %(sum)s, not 100", sum=_fmt(total)))
            scale = data.get("scale")
            if scale not in scales:
                self.bad(where, _("unknown scale %(scale)r (%(known)s)", scale=quoted(scale),
                                  known=label_of(", ".join(sorted(map(str, scales))), 200)))
            mapping = data.get("mapping", "ratio")
            if mapping not in ("ratio", "range"):
                self.bad(where, _("mapping must be ratio or range"))
            return BallotSource(tuple(pairs), str(scale), mapping)
        if kind == "survey":
            q = data.get("questionnaire")
            if not isinstance(q, str) or not q:
                self.bad(where, _("a survey source names its questionnaire"))
            bands = []
            for i, band in enumerate(data.get("bands") or [], start=1):
                if (not isinstance(band, list) or len(band) != 2
                        or not all(_finite_number(x) for x in band) or not 0 <= band[1] <= 1):
                    self.bad(where, _("band %(n)d must be [minimum index, fraction from 0 to 1]", n=i))
                else:
                    bands.append((float(band[0]), float(band[1])))
            if bands != sorted(bands, reverse=True):
                self.bad(where, _("bands must go from the highest index down"))
            unverified = data.get("include_unverified", False)
            if not isinstance(unverified, bool):
                self.bad(where, _("include_unverified must be true or false"))
            return SurveySource(str(q), tuple(bands), include_unverified=unverified is True)
        if kind == "kpi":
            method = data.get("method")
            measure = data.get("measure")
            if not isinstance(measure, str) or not CODE.match(measure):
                self.bad(where, _("a KPI source names its measure (lower-case code)"))
            if method not in KPI_PARAMS:
                self.bad(where, _("unknown KPI method %(m)r (%(known)s)", m=quoted(method),
                                  known=", ".join(KPI_PARAMS)))
                return None
            values = {}
            for key in KPI_PARAMS[method]:
                values[key] = self.number(data, key, where, required=True)
            for key in ("cap", "max_add", "max_sub", "low", "high", "best", "worst", "target", "base", "step",
                        "per_step"):
                if key not in values and key in data:
                    values[key] = self.number(data, key, where)
            if method == "linear" and values.get("low") is not None and values.get("low") == values.get("high"):
                self.bad(where, _("low and high must differ"))
            if method == "lower_better" and None not in (values.get("best"), values.get("worst")) \
                    and values["best"] >= values["worst"]:
                self.bad(where, _("best must be lower than worst"))
            if method == "ratio" and values.get("target") is not None and values["target"] <= 0:
                self.bad(where, _("target must be above zero"))
            if method == "relative" and values.get("step") is not None and values["step"] <= 0:
                self.bad(where, _("step must be above zero"))
            within = data.get("within", "category")
            if within not in COMPARE_WITHIN:
                self.bad(where, _("within must be one of %(known)s", known=", ".join(COMPARE_WITHIN)))
            values = {k: v for k, v in values.items() if v is not None}
            return KpiSource(measure=str(measure), method=method, lower_is_better=bool(data.get("lower_is_better")),
                             within=within, **values)
        if kind in ("bonus", "deduction"):
            per = self.number(data, "per_occurrence", where, required=True, minimum=0)
            cap = self.number(data, "cap", where, minimum=0)
            cls = BonusSource if kind == "bonus" else DeductionSource
            register = data.get("register")
            if register is not None and register not in REGISTERS:
                self.bad(where, _("unknown register %(r)r (%(known)s)", r=quoted(register),
                                  known=", ".join(REGISTERS)))
                register = None
            level = data.get("level")
            if level is not None and register is None:
                self.bad(where, _("level only applies to a register's entries"))
            return cls(per or 0.0, cap, register=register, level=str(level) if level is not None else None)
        if kind == "manual":
            return ManualSource()
        self.bad(where, _("unknown source type %(t)r (ballot, survey, kpi, bonus, deduction, manual)",
                          t=quoted(kind)))
        return None

    def grades(self, data) -> tuple[GradeRule, ...]:
        if not isinstance(data, dict):
            self.bad("grades", _("grades must be a mapping with rules (and optionally tie_break)"))
            return ()
        rules = data.get("rules")
        if not isinstance(rules, list) or not rules:
            self.bad("grades", _("grades need a list of rules, the last one being the floor"))
            return ()
        out = []
        for i, r in enumerate(rules, start=1):
            where = f"grades › {i}"
            if not isinstance(r, dict) or not isinstance(r.get("grade"), str):
                self.bad(where, _("a rule needs a grade"))
                continue
            top = self.number(r, "top", where, minimum=0)
            if top is not None and top > 1:
                self.bad(where, _("top is a fraction from 0 to 1 (0.1 for the top tenth)"))
            out.append(GradeRule(r["grade"], self.number(r, "min_score", where), top))
        if out and (out[-1].min_score is not None or out[-1].top is not None):
            self.bad("grades", _("the last rule is the floor: it takes everybody left, without conditions"))
        return tuple(out)

    def vetoes(self, data) -> tuple[Veto, ...]:
        out = []
        if not isinstance(data, list):
            self.bad("vetoes", _("must be a list"))
            return ()
        for i, v in enumerate(data, start=1):
            if not isinstance(v, dict) or not isinstance(v.get("code"), str) or not isinstance(v.get("name"), str):
                self.bad(f"vetoes › {i}", _("a veto needs a code and a name"))
            else:
                out.append(Veto(v["code"], v["name"]))
        return tuple(out)

    def checks(self, data) -> tuple[RuleCheck, ...]:
        out = []
        if not isinstance(data, list):
            self.bad("checks", _("must be a list"))
            return ()
        for i, c in enumerate(data, start=1):
            where = f"checks › {i}"
            if not isinstance(c, dict) or not all(isinstance(c.get(k), str) for k in ("code", "name", "measure")):
                self.bad(where, _("a check needs a code, a name and a measure"))
                continue
            within = c.get("within", "department")
            if within not in COMPARE_WITHIN:
                self.bad(where, _("within must be one of %(known)s", known=", ".join(COMPARE_WITHIN)))
            lo, hi = self.number(c, "min_ratio", where, minimum=0), self.number(c, "max_ratio", where, minimum=0)
            if lo is None and hi is None:
                self.bad(where, _("a check needs min_ratio and/or max_ratio"))
            out.append(RuleCheck(c["code"], c["name"], c["measure"], within,
                                 tuple(self.strings(c.get("leader_roles"), where)),
                                 tuple(self.strings(c.get("categories"), where)), lo, hi))
        return tuple(out)

    # --- sums ---

    def sums(self, plan: Plan) -> None:
        if plan.mode == "weights":
            self._weights(plan.indicators, ())
        else:
            self._points(plan.indicators, ())

    def _counted(self, nodes):
        return [n for n in nodes if not n.extra]

    def _weights(self, nodes, path) -> None:
        counted = self._counted(nodes)
        total = sum(n.weight or 0 for n in counted)
        if counted and abs(total - 100) > TOLERANCE:
            where = path_label(path) if path else _("top level")
            label = _("children's weights") if path else _("dimensions' weights")
            self.bad(where, _("%(what)s sum to %(sum)s, not 100", what=label, sum=_fmt(total)))
        for n in nodes:
            if n.children:
                self._weights(n.children, path + (label_of(n.name),))

    def _points(self, nodes, path) -> None:
        for n in nodes:
            if n.children:
                counted = self._counted(n.children)
                total = sum(c.points or 0 for c in counted)
                if abs(total - (n.points or 0)) > TOLERANCE:
                    self.bad(path_label(path + (label_of(n.name),)),
                             _("children's points sum to %(sum)s, not %(points)s", sum=_fmt(total),
                               points=_fmt(n.points or 0)))
                self._points(n.children, path + (label_of(n.name),))


def parse_plan(data: Any) -> Plan:
    """A plan from already-parsed YAML/JSON data; raises PlanInvalid listing every problem."""
    reader = _Reader()
    plan = reader.plan(data)
    if reader.problems or plan is None:
        raise PlanInvalid(reader.problems)
    return plan


def load_plan(text: str) -> Plan:
    """A plan from YAML written by a user: read within the bounds of review.core.safe_yaml."""
    try:
        data = safe_yaml.load(text)
    except safe_yaml.YamlProblem as exc:
        raise PlanInvalid([exc.message]) from None
    return parse_plan(data)


# --- writing -------------------------------------------------------------------


def _source_dict(s) -> dict:
    if isinstance(s, BallotSource):
        out = {"type": "ballot", "scale": s.scale, "groups": dict(s.groups)}
        if s.mapping != "ratio":
            out["mapping"] = s.mapping
        return out
    if isinstance(s, SurveySource):
        out = {"type": "survey", "questionnaire": s.questionnaire}
        if s.bands:
            out["bands"] = [list(b) for b in s.bands]
        if s.include_unverified:
            out["include_unverified"] = True
        return out
    if isinstance(s, KpiSource):
        out = {"type": "kpi", "measure": s.measure, "method": s.method}
        for key in ("low", "high", "target", "best", "worst", "base", "step", "per_step", "max_add", "max_sub"):
            if getattr(s, key) is not None:
                out[key] = getattr(s, key)
        if s.cap != 1.0:
            out["cap"] = s.cap
        if s.lower_is_better:
            out["lower_is_better"] = True
        if s.within != "category":
            out["within"] = s.within
        return out
    if isinstance(s, (BonusSource, DeductionSource)):
        out = {"type": s.type, "per_occurrence": s.per_occurrence}
        if s.cap is not None:
            out["cap"] = s.cap
        if s.register:
            out["register"] = s.register
        if s.level:
            out["level"] = s.level
        return out
    return {"type": "manual"}


def _node_dict(n: Node, mode: str) -> dict:
    out: dict[str, Any] = {"code": n.code, "name": n.name}
    if n.name_en:
        out["name_en"] = n.name_en
    out["weight" if mode == "weights" else "points"] = n.weight if mode == "weights" else n.points
    if n.extra:
        out["extra"] = True
    if n.rollup:
        out["rollup"] = n.rollup
    if n.children:
        out["children"] = [_node_dict(c, mode) for c in n.children]
    elif n.source is not None:
        out["source"] = _source_dict(n.source)
    return out


def plan_to_dict(plan: Plan) -> dict:
    out: dict[str, Any] = {"name": plan.name, "year": plan.year, "version": plan.version, "mode": plan.mode}
    if plan.description:
        out["description"] = plan.description
    appraises = {k: list(v) for k, v in (("categories", plan.appraises.categories),
                                          ("leader_roles", plan.appraises.leader_roles)) if v}
    if plan.appraises.unit:
        appraises["unit"] = plan.appraises.unit
    if appraises:
        out["appraises"] = appraises
    if plan.scales:
        out["scales"] = {code: {"zh": s.zh, "en": s.en,
                                "levels": [{"value": lv.value, "zh": lv.zh, "en": lv.en} for lv in s.levels]}
                         for code, s in plan.scales.items()}
    if plan.measures:
        measures = {}
        for m in plan.measures.values():
            item: dict[str, Any] = {"name": m.name}
            for key in ("name_en", "unit", "max"):
                if getattr(m, key) is not None:
                    item[key] = getattr(m, key)
            if m.min != 0.0:
                item["min"] = m.min
            if m.integer:
                item["integer"] = True
            measures[m.code] = item
        out["measures"] = measures
    out["indicators"] = [_node_dict(n, plan.mode) for n in plan.indicators]
    grades: dict[str, Any] = {"rules": []}
    for r in plan.grades:
        rule: dict[str, Any] = {"grade": r.grade}
        if r.min_score is not None:
            rule["min_score"] = r.min_score
        if r.top is not None:
            rule["top"] = r.top
        grades["rules"].append(rule)
    if plan.tie_break:
        grades["tie_break"] = list(plan.tie_break)
    out["grades"] = grades
    if plan.vetoes:
        out["vetoes"] = [{"code": v.code, "name": v.name} for v in plan.vetoes]
    if plan.checks:
        checks = []
        for c in plan.checks:
            item: dict[str, Any] = {"code": c.code, "name": c.name, "measure": c.measure, "within": c.within}
            if c.leader_roles:
                item["leader_roles"] = list(c.leader_roles)
            if c.categories:
                item["categories"] = list(c.categories)
            if c.min_ratio is not None:
                item["min_ratio"] = c.min_ratio
            if c.max_ratio is not None:
                item["max_ratio"] = c.max_ratio
            checks.append(item)
        out["checks"] = checks
    if plan.bonus_above_total:
        out["bonus_above_total"] = True
    if plan.publish_ranking:
        out["publication"] = {"ranking": True}
    return out


def dump_plan(plan: Plan) -> str:
    return yaml.safe_dump(plan_to_dict(plan), allow_unicode=True, sort_keys=False, width=100)
