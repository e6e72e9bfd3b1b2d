"""Roster import and export (.xlsx and .csv).

Import is all-or-nothing: the whole file is parsed and checked against the
directory first, every problem is reported with its row and column, and only a
file without problems is written, in one transaction, with bulk statements so
that ten thousand rows take seconds. People are matched by staff number
(created or updated); columns absent from the file leave existing values alone.
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Iterator

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import delete, insert, select, update

from ..core import audit, upload
from ..core.upload import FileRejected, RowError, decode_text, sniff_kind  # noqa: F401  (re-exported)
from ..core.upload import cell_text as _cell_text
from ..core.spreadsheet import append_row, new_workbook, save
from ..extensions import db
from .terminology import all_categories
from ..auth.models import User
from .models import Department, Gender, LeaderRole, Person, Unit, role_labels, supervisions

# --- columns -----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("staff_no", "工号", "Staff number", True, ("staff_no", "staff no", "人员编号", "编号")),
    Column("name", "姓名", "Name", True, ("name",)),
    Column("gender", "性别", "Gender", False, ("gender", "sex")),
    Column("unit_code", "单位代码", "Unit code", True, ("unit_code", "unit code")),
    Column("unit_name", "单位名称", "Unit name", False, ("unit_name", "unit name", "单位")),
    Column("department", "部门", "Department", False, ("department", "dept", "所在部门", "内设机构")),
    Column("position", "职务", "Position", False, ("position", "title", "职务职级", "职级")),
    Column("category", "人员类别", "Category", True, ("category", "类别")),
    Column("leader_role", "领导职务", "Leader role", False, ("leader_role", "leader role", "领导职责")),
    Column("supervised", "分管部门", "Supervised departments", False, ("supervised", "supervises")),
    Column("hired_on", "入职日期", "Start date", False, ("hired_on", "start date", "入职时间", "参加工作时间")),
    Column("left_on", "离职日期", "Leaving date", False, ("left_on", "leaving date", "离职时间")),
    Column("active", "在职", "In service", False, ("active", "in service", "状态", "在职状态")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


HEADER_LOOKUP = {_norm(alias): c.key for c in COLUMNS for alias in (c.zh, c.en, c.key, *c.aliases)}

LEADER_ROLE_WORDS = {
    LeaderRole.CHIEF: ("检察长", "院长", "局长", "chief", "主任"),
    LeaderRole.DEPUTY: ("副检察长", "副院长", "副局长", "deputy", "deputy chief"),
    LeaderRole.MEMBER: ("专职委员", "检察委员会专职委员", "审判委员会专职委员", "党组成员", "班子成员",
                        "member", "full-time member"),
    LeaderRole.HEAD: ("部门负责人", "部门主任", "部门负责", "head", "department head"),
}
LEADER_ROLE_LOOKUP = {_norm(w): role for role, words in LEADER_ROLE_WORDS.items() for w in (*words, role.value)}
GENDER_LOOKUP = {"男": Gender.MALE, "m": Gender.MALE, "male": Gender.MALE,
                 "女": Gender.FEMALE, "f": Gender.FEMALE, "female": Gender.FEMALE}
YES = {"是", "在职", "y", "yes", "true", "1", "√"}
NO = {"否", "离职", "n", "no", "false", "0", "×", "已离职", "退休"}
LIST_SEPARATORS = re.compile(r"[、,，;；/]+")

ROSTER_SHEET = "名册"


def read_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    return upload.read_rows(data, sheet=ROSTER_SHEET)


# --- checking ------------------------------------------------------------------


@dataclass
class Change:
    staff_no: str
    name: str
    kind: str  # "create" or "update"
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_departments: list[tuple[str, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    file_hash: str = ""
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        return _("Rows: %(rows)s. New people: %(created)s; updated: %(updated)s; unchanged: %(unchanged)s.",
                 rows=format_decimal(self.rows), created=format_decimal(self.created),
                 updated=format_decimal(self.updated), unchanged=format_decimal(self.unchanged))


def _parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if not m:
        m8 = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
        if not m8:
            raise ValueError
        m = m8
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


FIELDS = ("name", "gender", "position", "category_code", "unit_id", "department_id", "leader_role",
          "hired_on", "left_on", "active")


def _label_for(header: list[Any], key: str, positions: dict[str, int]) -> str:
    if key in positions:
        return _cell_text(header[positions[key]]) or COLUMN_BY_KEY[key].zh
    col = COLUMN_BY_KEY.get(key)
    return col.zh if col else key


class RosterImporter:
    """Parse, check and (when asked) apply one roster file.

    ``scope`` limits the units rows may name (the importing user's subtree)."""

    def __init__(self, scope: Unit | None = None, max_rows: int = 50_000):
        self.scope = scope
        self.max_rows = max_rows

    def run(self, data: bytes, *, apply: bool) -> ImportResult:
        result = ImportResult(file_hash=hashlib.sha256(data).hexdigest())
        try:
            rows = read_rows(data)
            header_row = next(rows, None)
        except FileRejected as exc:
            result.errors.append(RowError(0, "", str(exc)))
            return result
        if header_row is None:
            result.errors.append(RowError(1, "", _("The file is empty.")))
            return result
        try:
            records = self._check(header_row, rows, result)
        except FileRejected as exc:
            result.errors.append(RowError(0, "", str(exc)))
            return result
        if result.errors or not apply:
            return result
        self._apply(records, result)
        result.applied = True
        return result

    # -- checking --

    def _check(self, header_row, rows, result: ImportResult) -> list[dict]:
        header = header_row[1]
        positions: dict[str, int] = {}
        for idx, cell in enumerate(header):
            key = HEADER_LOOKUP.get(_norm(cell))
            if key is None:
                continue  # extra columns are allowed (remarks and the like)
            if key in positions:
                result.errors.append(RowError(1, _cell_text(cell), _("This column appears twice.")))
            positions[key] = idx
        for col in COLUMNS:
            if col.required and col.key not in positions:
                result.errors.append(RowError(1, col.zh, _("Required column %(col)s is missing.", col=col.zh)))
        if result.errors:
            return []

        units_by_code = {u.code: u for u in db.session.scalars(select(Unit))}
        departments: dict[tuple[int, str], int | None] = {
            (d.unit_id, d.name): d.id for d in db.session.scalars(select(Department))}
        role_lookup = dict(LEADER_ROLE_LOOKUP)
        for code, labels in role_labels().items():
            for word in labels:
                role_lookup[_norm(word)] = LeaderRole(code)
        categories = {}
        for c in all_categories():
            for word in (c.code, c.label_zh, c.label_en):
                categories[_norm(word)] = c.code

        raw: list[tuple[int, list[Any]]] = []
        for number, cells in rows:
            if not any(_cell_text(c) for c in cells):
                continue
            raw.append((number, cells))
            if len(raw) > self.max_rows:
                raise FileRejected(_("The file has more than %(n)d rows.", n=self.max_rows))
        result.rows = len(raw)
        if not raw:
            result.errors.append(RowError(2, "", _("The file has a header but no rows.")))
            return []

        staff_nos = [_cell_text(c[positions["staff_no"]]) if positions["staff_no"] < len(c) else "" for _, c in raw]
        existing = self._load_existing([s for s in staff_nos if s])
        units_by_id = {u.id: u for u in units_by_code.values()}
        self._unit_paths = {u.id: u.path for u in units_by_code.values()}
        # Logins are compared without case; a staff number becomes a login.
        taken_logins = {login.lower(): person_id for login, person_id in db.session.execute(
            select(User.login, User.person_id))}
        taken_numbers = {no.lower(): no for (no,) in db.session.execute(select(Person.staff_no))}
        seen: dict[str, int] = {}
        records: list[dict] = []
        new_depts: dict[tuple[int, str], None] = {}
        today = date.today()

        def label(key):
            return _label_for(header, key, positions)

        for (number, cells), staff_no in zip(raw, staff_nos):
            errors_before = len(result.errors)

            def err(key: str, message: str) -> None:
                result.errors.append(RowError(number, label(key), message))

            def get(key: str) -> Any:
                idx = positions.get(key)
                return cells[idx] if idx is not None and idx < len(cells) else None

            rec: dict[str, Any] = {"row": number, "staff_no": staff_no}
            if not staff_no:
                err("staff_no", _("The staff number is empty."))
            elif len(staff_no) > 32:
                err("staff_no", _("The staff number is longer than 32 characters."))
            elif staff_no.lower() in seen:
                err("staff_no", _("Staff number %(no)s already appears on row %(row)d.", no=staff_no,
                                  row=seen[staff_no.lower()]))
            else:
                seen[staff_no.lower()] = number
                current = existing.get(staff_no)
                if current is None and taken_numbers.get(staff_no.lower(), staff_no) != staff_no:
                    err("staff_no", _("Staff number %(no)s differs only in letter case from the existing %(other)s.",
                                      no=staff_no, other=taken_numbers[staff_no.lower()]))
                elif staff_no.lower() in taken_logins and (
                        current is None or taken_logins[staff_no.lower()] != current["id"]):
                    err("staff_no", _("Staff number %(no)s is already the login of another account.", no=staff_no))
                elif current is not None and self.scope is not None and \
                        not self.scope.contains(units_by_id[current["unit_id"]]):
                    err("staff_no", _("Staff number %(no)s belongs to a person of %(unit)s, outside your scope.",
                                      no=staff_no, unit=units_by_id[current["unit_id"]].name))
            name = _cell_text(get("name"))
            if not name:
                err("name", _("The name is empty."))
            elif len(name) > 50:
                err("name", _("The name is longer than 50 characters."))
            rec["name"] = name

            unit_code = _cell_text(get("unit_code"))
            unit = units_by_code.get(unit_code)
            if not unit_code:
                err("unit_code", _("The unit code is empty."))
            elif unit is None:
                err("unit_code", _("No unit has the code %(code)s.", code=unit_code))
            elif self.scope is not None and not self.scope.contains(unit):
                err("unit_code", _("The unit %(unit)s is outside your scope.", unit=unit.name))
                unit = None
            rec["unit_id"] = unit.id if unit else None

            cat_text = _cell_text(get("category"))
            cat = categories.get(_norm(cat_text))
            if not cat_text:
                err("category", _("The category is empty."))
            elif cat is None:
                err("category", _("Unknown category %(value)s; use one of: %(choices)s.", value=cat_text,
                                  choices="、".join(c.label_zh for c in all_categories())))
            rec["category_code"] = cat

            if "gender" in positions:
                g = _cell_text(get("gender"))
                rec["gender"] = GENDER_LOOKUP.get(_norm(g)) if g else None
                if g and rec["gender"] is None:
                    err("gender", _("Unknown gender %(value)s; use 男 or 女.", value=g))
            if "position" in positions:
                pos = _cell_text(get("position"))
                if len(pos) > 100:
                    err("position", _("The position is longer than 100 characters."))
                rec["position"] = pos or None
            if "leader_role" in positions:
                r = _cell_text(get("leader_role"))
                rec["leader_role"] = role_lookup.get(_norm(r)) if r else None
                if r and rec["leader_role"] is None:
                    err("leader_role", _("Unknown leader role %(value)s; use one of: %(choices)s.", value=r,
                                         choices="、".join(_role_word(x) for x in LeaderRole)))
            if "department" in positions:
                d = _cell_text(get("department"))
                if len(d) > 100:
                    err("department", _("The department name is longer than 100 characters."))
                rec["department"] = d or None
                if d and unit is not None and (unit.id, d) not in departments:
                    new_depts[(unit.id, d)] = None
            if "supervised" in positions:
                names = list(dict.fromkeys(
                    s.strip() for s in LIST_SEPARATORS.split(_cell_text(get("supervised"))) if s.strip()))
                rec["supervised"] = names
            for key in ("hired_on", "left_on"):
                if key in positions:
                    v = get(key)
                    if _cell_text(v):
                        try:
                            rec[key] = _parse_date(v)
                        except ValueError:
                            err(key, _("%(value)s is not a date; write it as 2024-03-01.", value=_cell_text(v)))
                    else:
                        rec[key] = None
            if rec.get("hired_on") and rec.get("left_on") and rec["left_on"] < rec["hired_on"]:
                err("left_on", _("The leaving date is before the start date."))
            if "active" in positions:
                a = _norm(_cell_text(get("active")))
                if a in YES:
                    rec["active"] = True
                elif a in NO:
                    rec["active"] = False
                elif not a:
                    rec["active"] = not (rec.get("left_on") and rec["left_on"] <= today)
                else:
                    err("active", _("Write 是 or 否, not %(value)s.", value=_cell_text(get("active"))))
            elif rec.get("left_on"):
                rec["active"] = rec["left_on"] > today

            rec["_clean"] = len(result.errors) == errors_before
            records.append(rec)

        # Rules between rows (a department named by one row may be created by another) need every row read.
        for rec in records:
            if rec.pop("_clean"):
                def err(key: str, message: str, number=rec["row"]) -> None:
                    result.errors.append(RowError(number, label(key), message))
                self._check_against_directory(rec, existing.get(rec["staff_no"]), departments, new_depts, err)
        result.errors.sort(key=lambda e: e.row)

        for key in new_depts:
            unit = next(u for u in units_by_code.values() if u.id == key[0])
            result.new_departments.append((unit.name, key[1]))
        self._existing = existing
        self._departments = departments
        self._new_depts = list(new_depts)
        if not result.errors:
            self._diff(records, existing, result)
        return records

    def _check_against_directory(self, rec, current, departments, new_depts, err) -> None:
        """Rules that need the merged record: the file's values over the stored ones."""
        merged = dict(current or {})
        merged.update({k: v for k, v in rec.items() if k in FIELDS or k in ("department", "supervised")})
        unit_id = merged["unit_id"]
        role = merged.get("leader_role")
        if "department" in rec:
            dept = rec["department"]
        elif current is not None and current["unit_id"] == unit_id:
            dept = current["department_name"]
        else:
            dept = None  # a new unit without a department column: the old department cannot follow
        if role is LeaderRole.HEAD and not dept:
            err("leader_role", _("A department head needs a department."))
        supervised = rec.get("supervised")
        if supervised is None and current is not None and current["unit_id"] == unit_id:
            supervised = current["supervised_names"]
        if supervised:
            if role is None or not role.on_leadership_team:
                err("supervised", _("Only members of the leadership team supervise departments."))
            else:
                for name in supervised:
                    if (unit_id, name) not in departments and (unit_id, name) not in new_depts:
                        err("supervised", _("The unit has no department named %(name)s.", name=name))
        rec["_supervised_final"] = supervised or []
        rec["_department_final"] = dept

    def _load_existing(self, staff_nos: list[str]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        dept_names = {d.id: d.name for d in db.session.scalars(select(Department))}
        sup: dict[int, list[str]] = defaultdict(list)
        for chunk_start in range(0, len(staff_nos), 900):
            chunk = staff_nos[chunk_start:chunk_start + 900]
            cols = [Person.id, Person.staff_no, *(getattr(Person, f) for f in FIELDS)]
            for row in db.session.execute(select(*cols).where(Person.staff_no.in_(chunk))):
                data = row._asdict()
                data["department_name"] = dept_names.get(data["department_id"])
                found[data["staff_no"]] = data
        ids = [d["id"] for d in found.values()]
        for chunk_start in range(0, len(ids), 900):
            chunk = ids[chunk_start:chunk_start + 900]
            for pid, did in db.session.execute(select(supervisions.c.person_id, supervisions.c.department_id)
                                               .where(supervisions.c.person_id.in_(chunk))):
                sup[pid].append(dept_names[did])
        for d in found.values():
            d["supervised_names"] = sorted(sup.get(d["id"], []))
        return found

    def _diff(self, records: list[dict], existing: dict[str, dict], result: ImportResult) -> None:
        for rec in records:
            current = existing.get(rec["staff_no"])
            after = self._values(rec, current)
            if current is None:
                result.created += 1
                result.changes.append(Change(rec["staff_no"], rec["name"], "create", {}, _public(after)))
                rec["_kind"] = "create"
                continue
            before_cmp = {k: current.get(k) for k in after}
            before_cmp["department"] = current["department_name"]
            before_cmp["supervised"] = current["supervised_names"]
            changed = {k for k in after if before_cmp.get(k) != after[k]}
            if changed:
                result.updated += 1
                result.changes.append(Change(rec["staff_no"], rec["name"], "update",
                                             _public({k: before_cmp.get(k) for k in changed}),
                                             _public({k: after[k] for k in changed})))
                rec["_kind"] = "update"
            else:
                result.unchanged += 1
                rec["_kind"] = "same"

    @staticmethod
    def _values(rec: dict, current: dict | None) -> dict:
        """The person's values after the import, for the fields this file touches (all for a new person)."""
        defaults = {"gender": None, "position": None, "leader_role": None, "hired_on": None, "left_on": None,
                    "active": True}
        out = {"name": rec["name"], "category_code": rec["category_code"], "unit_id": rec["unit_id"]}
        for key in ("gender", "position", "leader_role", "hired_on", "left_on", "active"):
            if key in rec:
                out[key] = rec[key]
            elif current is None:
                out[key] = defaults[key]
        if "department" in rec or current is None:
            out["department"] = rec.get("department")
        elif current["unit_id"] != rec["unit_id"]:
            out["department"] = None  # a new unit and no department column: the old one cannot stay
        if "supervised" in rec or current is None or current["unit_id"] != rec["unit_id"]:
            out["supervised"] = sorted(rec.get("_supervised_final") or [])
        return out

    # -- writing --

    def _apply(self, records: list[dict], result: ImportResult) -> None:
        session = db.session
        departments = self._departments
        if self._new_depts:
            max_order: dict[int, int] = defaultdict(int)
            for d in session.scalars(select(Department)):
                max_order[d.unit_id] = max(max_order[d.unit_id], d.sort_order)
            created_depts = []
            for unit_id, name in self._new_depts:
                max_order[unit_id] += 1
                dept = Department(unit_id=unit_id, name=name, sort_order=max_order[unit_id])
                session.add(dept)
                created_depts.append(dept)
            session.flush()  # audited like any department created by hand
            for dept in created_depts:
                departments[(dept.unit_id, dept.name)] = dept.id

        inserts, updates, audit_rows = [], [], []
        sup_people: dict[str, list[int]] = {}
        changes = {c.staff_no: c for c in result.changes}
        for rec in records:
            if rec["_kind"] == "same":
                continue
            current = self._existing.get(rec["staff_no"])
            values = self._values(rec, current)
            row = {k: v for k, v in values.items() if k in FIELDS}
            if "department" in values:
                row["department_id"] = departments.get((values["unit_id"], values["department"])) \
                    if values["department"] else None
            if "supervised" in values:
                sup_people[rec["staff_no"]] = [departments[(values["unit_id"], n)] for n in values["supervised"]]
            change = changes[rec["staff_no"]]
            if current is None:
                inserts.append({"staff_no": rec["staff_no"], **row})
                audit_rows.append({"action": "people.create", "object_type": "people", "_staff_no": rec["staff_no"],
                                   "object_label": f"{rec['name']} ({rec['staff_no']})",
                                   "unit_path": self._unit_paths[values["unit_id"]],
                                   "summary": _("Roster import"), "after": change.after})
            else:
                updates.append({"id": current["id"], **row})
                audit_rows.append({"action": "people.update", "object_type": "people", "object_id": current["id"],
                                   "object_label": f"{rec['name']} ({rec['staff_no']})",
                                   "unit_path": self._unit_paths[values["unit_id"]],
                                   "summary": _("Roster import"), "before": change.before, "after": change.after})
        if inserts:
            session.execute(insert(Person), inserts)
        if updates:
            session.execute(update(Person), updates)
        ids = self._ids_for([r["staff_no"] for r in inserts]) if inserts else {}
        for entry in audit_rows:
            staff_no = entry.pop("_staff_no", None)
            if staff_no is not None:
                entry["object_id"] = ids[staff_no]
        if sup_people:
            ids.update({no: self._existing[no]["id"] for no in sup_people if no in self._existing})
            person_ids = [ids[no] for no in sup_people]
            for start in range(0, len(person_ids), 900):
                session.execute(delete(supervisions).where(
                    supervisions.c.person_id.in_(person_ids[start:start + 900])))
            links = [{"person_id": ids[no], "department_id": d} for no, depts in sup_people.items() for d in depts]
            if links:
                session.execute(insert(supervisions), links)
        audit.record_many(audit_rows)
        audit.record("roster.import", object_type="roster", object_label=result.file_hash[:16],
                     summary=result.summary, unit_path=self.scope.path if self.scope is not None else None,
                     after={"sha256": result.file_hash, "rows": result.rows, "created": result.created,
                            "updated": result.updated, "unchanged": result.unchanged,
                            "new_departments": [f"{u} {d}" for u, d in result.new_departments]})
        session.flush()

    @staticmethod
    def _ids_for(staff_nos: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for start in range(0, len(staff_nos), 900):
            chunk = staff_nos[start:start + 900]
            ids.update(dict(db.session.execute(select(Person.staff_no, Person.id)
                                               .where(Person.staff_no.in_(chunk))).all()))
        return ids


def _public(values: dict) -> dict:
    """JSON-safe values for previews and the audit log."""
    out = {}
    for k, v in values.items():
        if isinstance(v, (date, datetime)):
            v = v.isoformat()
        elif hasattr(v, "value"):
            v = v.value
        out[k] = v
    return out


# --- writing files -------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")


def _role_word(role: LeaderRole | None) -> str:
    return role_labels()[role.value][0] if role else ""


def _header(ws) -> None:
    append_row(ws, [c.zh for c in COLUMNS], font=Font(bold=True), fill=HEADER_FILL)
    ws.freeze_panes = "A2"
    for idx, width in enumerate((12, 10, 6, 12, 22, 16, 16, 14, 12, 24, 12, 12, 6), start=1):
        ws.column_dimensions[ws.cell(1, idx).column_letter].width = width


def template_workbook(example_unit: Unit | None = None) -> bytes:
    """An empty roster with headers, allowed values, one example row and instructions."""
    wb = new_workbook()
    ws = wb.active
    ws.title = ROSTER_SHEET
    _header(ws)
    cats = all_categories()
    append_row(ws, ["00001", "张三", "男", example_unit.code if example_unit else "320100",
                    example_unit.name if example_unit else "", "第一检察部", "四级高级检察官",
                    cats[0].label_zh if cats else "员额检察官", "", "", "2015-07-01", "", "是"])
    limits = {
        "C": ["男", "女"],
        "H": [c.label_zh for c in cats],
        "I": [_role_word(r) for r in LeaderRole],
        "M": ["是", "否"],
    }
    for col, values in limits.items():
        # A list literal: a label's own double quotes are doubled so that it cannot end the literal.
        dv = DataValidation(type="list", formula1='"' + ",".join(v.replace('"', '""') for v in values) + '"',
                            allow_blank=True)
        dv.error = str(_l("Choose a value from the list."))
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}10000")
    help_ws = wb.create_sheet("说明")
    append_row(help_ws, ["列", "必填", "说明"])
    notes = {
        "staff_no": "唯一；按工号匹配，已有则更新，没有则新建",
        "unit_code": "单位代码须已存在于系统中",
        "unit_name": "仅供阅读，导入时不使用",
        "department": "所在部门；不存在时将在该单位下新建（预览中列出）",
        "category": "、".join(c.label_zh for c in cats),
        "leader_role": "、".join(_role_word(r) for r in LeaderRole) + "；普通人员留空",
        "supervised": "班子成员分管的部门，用顿号（、）分隔",
        "hired_on": "日期，如 2015-07-01",
        "left_on": "日期；填写后视为离职",
        "active": "是 / 否；留空按离职日期判断",
    }
    for c in COLUMNS:
        append_row(help_ws, [c.zh, "是" if c.required else "否", notes.get(c.key, "")])
    append_row(help_ws, [])
    append_row(help_ws, ["", "", "整个文件要么全部导入，要么一行也不导入：任何一行有错误，都会列出所有错误的行和列，数据库不作任何改动。"])
    help_ws.column_dimensions["A"].width = 14
    help_ws.column_dimensions["C"].width = 80
    return save(wb)


def export_workbook(people: Iterable[Person]) -> bytes:
    """The roster as .xlsx, in the import format (export, edit, re-import)."""
    wb = new_workbook(write_only=True)
    ws = wb.create_sheet(ROSTER_SHEET)
    append_row(ws, [c.zh for c in COLUMNS])
    for p in people:
        append_row(ws, [
            p.staff_no, p.name, {"M": "男", "F": "女"}.get(p.gender.value) if p.gender else "",
            p.unit.code, p.unit.name, p.department.name if p.department else "", p.position or "",
            p.category.label_zh, _role_word(p.leader_role), "、".join(d.name for d in p.supervised),
            p.hired_on.isoformat() if p.hired_on else "", p.left_on.isoformat() if p.left_on else "",
            "是" if p.active else "否",
        ])
    return save(wb)
