"""KPI values in, from a sheet (.xlsx/.csv, web or CLI) or from the API's JSON records.

Both paths meet in :class:`KpiImporter`: records are checked in full first — every problem
with its row and column — and only a batch without problems is written, in one transaction,
with bulk statements. A value replaces the current value of the same person and measure,
which stays as history; a value equal to the current one is left alone,
so re-sending a sheet changes nothing. Each applied batch is audited with its file hash,
who sent it and its counts.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from ..campaigns.models import Campaign, CampaignSubject
from ..core import audit, numbers, upload
from ..core.quoting import clip
from ..core.upload import RowError
from ..core.upload import cell_text as _cell_text
from ..core.timeutil import utcnow
from ..database import bulk_insert
from ..extensions import db
from ..org.models import Person, Unit
from ..plans.spec import Measure
from .models import BatchOrigin, KpiBatch, KpiRecord
from .values import Current
from .values import current as current_values

STAFF_NO_TITLES = ("工号", "staff number", "staff no", "staff_no", "人员编号", "编号")
# Columns a sheet may carry for people reading it; their contents are not imported.
READABLE_TITLES = ("姓名", "name", "部门", "department", "单位", "unit", "备注", "note", "notes", "remarks", "说明")
KPI_SHEET = "量化数据"
CHUNK = 900  # bound parameters per IN list: SQLite's limit is 999 on old builds
PREVIEW_LIMIT = 1000  # changes kept for the preview (the counts cover all of them)


def _norm(text: Any) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower()


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def measure_title(m: Measure) -> str:
    return m.name


def measure_titles(measures: Iterable[Measure]) -> dict[str, str]:
    """Normalised column title → measure code: the name, the English name, the code, and the
    name followed by its unit in brackets (as the template's note shows it)."""
    out: dict[str, str] = {}
    for m in measures:
        for title in (m.name, m.name_en, m.code):
            if title:
                out[_norm(title)] = m.code
        if m.unit:
            for a, b in (("(", ")"), ("（", "）")):
                out[_norm(f"{m.name}{a}{m.unit}{b}")] = m.code
    return out


def parse_value(m: Measure, raw: Any) -> tuple[float | None, str | None]:
    """(value, None) when ``raw`` is a valid value of the measure, else (None, the problem).
    Read by review.core.numbers: finite, and within ±VALUE_LIMIT where the plan declares no bound."""
    try:
        value = numbers.to_float(raw, field=m.name)
    except numbers.NumberInvalid as e:
        if isinstance(raw, str) and raw.strip().endswith("%"):
            return None, _("%(value)s is not a number: write the percentage without %% (e.g. 85).",
                           value=clip(raw.strip(), 30))
        return None, e.message
    if m.integer and not value.is_integer():
        return None, _("%(measure)s is a whole number, not %(value)s.", measure=m.name, value=_fmt(value))
    low = m.min if m.min is not None else -numbers.VALUE_LIMIT
    high = m.max if m.max is not None else numbers.VALUE_LIMIT
    if not low <= value <= high:
        if m.min is not None and m.max is not None:
            return None, _("%(value)s is outside %(min)s–%(max)s, the range of %(measure)s.",
                           value=_fmt(value), min=_fmt(m.min), max=_fmt(m.max), measure=m.name)
        if value < low:
            return None, _("%(value)s is below %(min)s, the least %(measure)s may be.",
                           value=_fmt(value), min=_fmt(low), measure=m.name)
        return None, _("%(value)s is above %(max)s, the most %(measure)s may be.",
                       value=_fmt(value), max=_fmt(high), measure=m.name)
    return value, None


@dataclass
class Change:
    staff_no: str
    name: str
    measure: str
    before: float | None
    after: float


@dataclass
class Record:
    """One person's values as sent: row number (or position in the API's list), staff number,
    and raw values by measure code with the column title they came from."""
    row: int
    staff_no: str
    values: dict[str, tuple[str, Any]]


@dataclass
class ImportReport:
    rows: int = 0
    values: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    sha256: str = ""
    batch_id: int | None = None
    applied: bool = False
    # Set when an API batch id was already applied with the same content: nothing is written again.
    replay: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        return _("Rows: %(rows)s. Values: %(values)s — new %(new)s, changed %(changed)s, unchanged %(unchanged)s.",
                 rows=format_decimal(self.rows), values=format_decimal(self.values), new=format_decimal(self.new),
                 changed=format_decimal(self.changed), unchanged=format_decimal(self.unchanged))

    def as_dict(self) -> dict:
        return {"rows": self.rows, "values": self.values, "new": self.new, "changed": self.changed,
                "unchanged": self.unchanged, "batch": self.batch_id, "applied": self.applied, "replay": self.replay,
                "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors]}


class ImportConflict(Exception):
    """An API batch id that was already used for different values."""


class KpiImporter:
    """Checks and applies KPI values for one campaign, limited to people of ``scope`` (a unit
    subtree: the office user's or the API key's; None for administrators)."""

    def __init__(self, campaign: Campaign, *, scope: Unit | None = None, max_rows: int = 50_000):
        self.campaign = campaign
        self.scope = scope
        self.max_rows = max_rows
        self.measures = {m.code: m for m in campaign.plan_version.spec().kpi_measures()}

    # --- reading a sheet -------------------------------------------------------

    def read_sheet(self, data: bytes, report: ImportReport) -> list[Record]:
        """Records of a sheet; header problems go to the report (and then no records)."""
        rows = upload.read_rows(data, sheet=KPI_SHEET)
        header = next(rows, None)
        if header is None:
            report.errors.append(RowError(1, "", _("The file is empty.")))
            return []
        number, cells = header
        titles = measure_titles(self.measures.values())
        staff_col = None
        columns: dict[int, tuple[str, str]] = {}
        seen: dict[str, str] = {}
        for idx, cell in enumerate(cells):
            text = _cell_text(cell)
            key = _norm(text)
            if not key:
                continue
            if key in {_norm(t) for t in STAFF_NO_TITLES}:
                if staff_col is not None:
                    report.errors.append(RowError(number, text, _("This column appears twice.")))
                staff_col = idx
            elif key in titles:
                code = titles[key]
                if code in seen:
                    report.errors.append(RowError(number, text, _(
                        "This column repeats the measure %(measure)s (already in column %(other)s).",
                        measure=self.measures[code].name, other=seen[code])))
                seen[code] = text
                columns[idx] = (code, text)
            elif key not in {_norm(t) for t in READABLE_TITLES}:
                report.errors.append(RowError(number, text, _(
                    "Unknown column: not a measure of this campaign's plan (expected %(known)s).",
                    known="、".join(m.name for m in self.measures.values()))))
        if staff_col is None:
            report.errors.append(RowError(number, "工号", _("Required column %(col)s is missing.", col="工号")))
        if not columns and self.measures:
            report.errors.append(RowError(number, "", _("The file has no measure column (expected %(known)s).",
                                                        known="、".join(m.name for m in self.measures.values()))))
        report.measures = [code for code, _t in columns.values()]
        # Without staff numbers or measures no row can be read; an unknown or repeated column alone
        # does not stop the rows being checked, so that one upload lists every mistake.
        if staff_col is None or not columns:
            return []
        records: list[Record] = []
        for number, cells in rows:
            if not any(_cell_text(c) for c in cells):
                continue
            if len(records) >= self.max_rows:
                raise upload.FileRejected(_("The file has more than %(n)d rows.", n=self.max_rows))
            staff_no = _cell_text(cells[staff_col]) if staff_col < len(cells) else ""
            values = {code: (title, cells[idx]) for idx, (code, title) in columns.items()
                      if idx < len(cells) and _cell_text(cells[idx]) != ""}
            records.append(Record(number, staff_no, values))
        return records

    def records_from_json(self, items: list[dict], report: ImportReport) -> list[Record]:
        """Records of an API push: [{"staff_no": "…", "values": {"measure": number, …}}, …]."""
        records = []
        report.measures = sorted({code for item in items if isinstance(item, dict)
                                  for code in (item.get("values") or {}) if isinstance(item.get("values"), dict)})
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not isinstance(item.get("values"), dict):
                report.errors.append(RowError(i, "", _("Each record needs staff_no and a values object.")))
                continue
            values = {}
            for code, raw in item["values"].items():
                if code not in self.measures:
                    report.errors.append(RowError(i, str(code), _(
                        "Unknown measure: not in this campaign's plan (expected %(known)s).",
                        known=", ".join(self.measures))))
                    continue
                if raw is not None:
                    values[code] = (code, raw)
            records.append(Record(i, _cell_text(item.get("staff_no")), values))
        if len(records) > self.max_rows:
            report.errors.append(RowError(None, "", _("The file has more than %(n)d rows.", n=self.max_rows)))
        return records

    # --- checking --------------------------------------------------------------

    def _people(self, staff_nos: list[str]) -> tuple[dict[str, tuple[int, str, str]], dict[str, str]]:
        """Subjects of the campaign by staff number → (id, name, unit path); and, for numbers that
        are not subjects, those of people who exist (to tell 'unknown' from 'not appraised')."""
        subjects = {no: (pid, name, path) for no, pid, name, path in db.session.execute(
            select(Person.staff_no, Person.id, Person.name, Unit.path)
            .join(CampaignSubject, CampaignSubject.person_id == Person.id)
            .join(Unit, Unit.id == Person.unit_id)
            .where(CampaignSubject.campaign_id == self.campaign.id))}
        others = [no for no in set(staff_nos) if no and no not in subjects]
        known: dict[str, str] = {}
        for i in range(0, len(others), CHUNK):
            known.update(db.session.execute(select(Person.staff_no, Person.name)
                                            .where(Person.staff_no.in_(others[i:i + CHUNK]))).all())
        return subjects, known

    def check(self, records: list[Record], report: ImportReport) -> dict[tuple[int, str], float]:
        """Every problem into the report; the values by (person id, measure) when there is none."""
        if not self.campaign.accepts_inputs:
            report.errors.append(RowError(None, "", _(
                "The campaign is %(state)s: its inputs can no longer change.", state=self.campaign.state.label)))
            return {}
        report.rows = len(records)
        if not records and not report.errors:
            report.errors.append(RowError(None, "", _("There are no rows to import.")))
            return {}
        subjects, known = self._people([r.staff_no for r in records])
        scope_path = self.scope.path if self.scope is not None else None
        first_row: dict[str, int] = {}
        out: dict[tuple[int, str], float] = {}
        self._names: dict[int, tuple[str, str]] = {}
        for rec in records:
            if not rec.staff_no:
                report.errors.append(RowError(rec.row, "工号", _("The staff number is empty.")))
                continue
            if rec.staff_no in first_row:
                report.errors.append(RowError(rec.row, "工号", _(
                    "Staff number %(no)s already appears in row %(row)d.", no=rec.staff_no, row=first_row[rec.staff_no])))
                continue
            first_row[rec.staff_no] = rec.row
            person = subjects.get(rec.staff_no)
            if person is None:
                if rec.staff_no in known:
                    report.errors.append(RowError(rec.row, "工号", _(
                        "%(name)s (%(no)s) is not appraised in this campaign.", name=known[rec.staff_no],
                        no=rec.staff_no)))
                else:
                    report.errors.append(RowError(rec.row, "工号", _("No person has staff number %(no)s.",
                                                                   no=rec.staff_no)))
                continue
            pid, name, path = person
            if scope_path is not None and not path.startswith(scope_path):
                report.errors.append(RowError(rec.row, "工号", _(
                    "%(name)s (%(no)s) belongs to a unit outside yours.", name=name, no=rec.staff_no)))
                continue
            self._names[pid] = (rec.staff_no, name)
            for code, (title, raw) in rec.values.items():
                value, problem = parse_value(self.measures[code], raw)
                if problem:
                    report.errors.append(RowError(rec.row, title, problem))
                else:
                    out[(pid, code)] = value
        report.values = len(out)
        return out

    # --- writing ---------------------------------------------------------------

    def _current(self, values: dict[tuple[int, str], float]) -> dict[tuple[int, str], Current]:
        # A few people: look them up; many: one pass over the campaign's records.
        people = {pid for pid, _code in values}
        return current_values(self.campaign.id, people if len(people) <= CHUNK else None)

    def _diff(self, values, current, report: ImportReport) -> dict[int, dict[str, float]]:
        """The new and changed values, by person; counts and a preview of the changes in the report."""
        fresh: dict[int, dict[str, float]] = {}
        changes = []
        for key, value in values.items():
            before = current.get(key)
            if before is not None and before.value == value:
                report.unchanged += 1
                continue
            if before is None:
                report.new += 1
            else:
                report.changed += 1
            fresh.setdefault(key[0], {})[key[1]] = value
            changes.append((self._names[key[0]][0], key, None if before is None else before.value, value))
        changes.sort(key=lambda c: (c[0], c[1][1]))
        report.changes = [Change(staff_no, self._names[pid][1], self.measures[code].name, before, after)
                          for staff_no, (pid, code), before, after in changes[:PREVIEW_LIMIT]]
        return fresh

    def run(self, records: list[Record], report: ImportReport, *, apply: bool, origin: BatchOrigin,
            filename: str | None = None, client_batch_id: str | None = None, api_key_id: int | None = None,
            user_id: int | None = None, rescore: bool = True) -> ImportReport:
        # A sheet whose header is wrong has no records to check; API records are checked even
        # when some are malformed, so that one answer lists every problem.
        values = self.check(records, report) if records or not report.errors else {}
        if report.errors:
            return report
        if client_batch_id is not None:
            earlier = db.session.scalar(select(KpiBatch).where(KpiBatch.campaign_id == self.campaign.id,
                                                               KpiBatch.client_batch_id == client_batch_id))
            if earlier is not None:
                if earlier.sha256 != report.sha256:
                    raise ImportConflict(_("Batch %(id)s was already sent with other values.", id=client_batch_id))
                report.batch_id, report.replay = earlier.id, True
                report.values, report.rows = earlier.value_count, earlier.rows
                return report
        fresh = self._diff(values, self._current(values), report)
        if not apply:
            return report
        _actor_id, actor, _ip = audit.current_actor()
        batch = KpiBatch(campaign_id=self.campaign.id, origin=origin, filename=filename, sha256=report.sha256,
                         client_batch_id=client_batch_id, api_key_id=api_key_id, user_id=user_id, actor=actor,
                         rows=report.rows, value_count=report.new + report.changed)
        db.session.add(batch)
        db.session.flush()
        now = utcnow()
        bulk_insert(db.session, KpiRecord.__table__, [
            {"campaign_id": self.campaign.id, "person_id": pid, "values": changed, "batch_id": batch.id,
             "entry_id": None, "recorded_at": now} for pid, changed in fresh.items()])
        audit.record("kpi.import", self.campaign, object_type="kpi_batches", object_id=batch.id,
                     object_label=batch.label,
                     summary=f"{filename or client_batch_id or origin.value} sha256={report.sha256[:16]}… "
                             f"rows={report.rows} new={report.new} changed={report.changed} "
                             f"unchanged={report.unchanged}",
                     after={"origin": origin.value, "filename": filename, "sha256": report.sha256,
                            "client_batch_id": client_batch_id, "rows": report.rows, "new": report.new,
                            "changed": report.changed, "unchanged": report.unchanged,
                            "measures": report.measures})
        report.batch_id, report.applied = batch.id, True
        if rescore and fresh:
            from ..campaigns.rescoring import rescore
            rescore(self.campaign)
        return report


def import_file(campaign: Campaign, data: bytes, *, apply: bool, scope: Unit | None = None,
                filename: str | None = None, origin: BatchOrigin = BatchOrigin.FILE, user_id: int | None = None,
                max_rows: int = 50_000, rescore: bool = True) -> ImportReport:
    """Check (and with ``apply`` write) a KPI sheet. Never raises for bad content: the report says."""
    report = ImportReport(sha256=hashlib.sha256(data).hexdigest())
    importer = KpiImporter(campaign, scope=scope, max_rows=max_rows)
    try:
        records = importer.read_sheet(data, report)
    except upload.FileRejected as exc:
        report.errors.append(RowError(None, "", str(exc)))
        return report
    return importer.run(records, report, apply=apply, origin=origin, filename=filename, user_id=user_id,
                        rescore=rescore)


def import_json(campaign: Campaign, items: Any, *, client_batch_id: str, scope: Unit | None, api_key_id: int,
                apply: bool = True, max_rows: int = 50_000) -> ImportReport:
    """An API push. The batch's hash is taken over its canonical JSON, so that the same batch id
    with the same values is recognised as a replay and different values as a conflict."""
    canonical = json.dumps(items, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    report = ImportReport(sha256=hashlib.sha256(canonical.encode()).hexdigest())
    importer = KpiImporter(campaign, scope=scope, max_rows=max_rows)
    if not isinstance(items, list):
        report.errors.append(RowError(None, "records", _("records must be a list.")))
        return report
    records = importer.records_from_json(items, report)
    return importer.run(records, report, apply=apply, origin=BatchOrigin.API, client_batch_id=client_batch_id,
                        api_key_id=api_key_id)
