"""Writing spreadsheets people open in Excel or WPS: text that they would run as a formula stays text.

Every export goes through this module — ``cell``/``append_row`` for each cell of an .xlsx (write-only
or not, styled or not), ``save`` to turn a workbook into bytes, and ``csv_bytes``/``CsvWriter`` for CSV.
A name such as ``=HYPERLINK("http://x","click")`` typed into the directory must never become a live
formula on the reader's machine; numbers, dates and empty cells are written as they are."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
# A cell starting with one of these is a formula to Excel, or to the CSV import of Excel, WPS or
# LibreOffice; WPS and Excel in a Chinese locale also take the full-width signs as the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "|", "\t", "\r", "\n", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "｜")
# What a program may trim before it looks at the first sign: blanks of every width, control characters,
# zero-width characters and the byte-order mark.
_INVISIBLE = "".join(chr(c) for c in range(0x21) if chr(c) not in "\t\r\n") + (
    "\x7f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u200c"
    "\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff")


def formula_like(value: Any) -> bool:
    """Text a spreadsheet program could evaluate (also after leading blanks or invisible characters,
    which some trim)."""
    return isinstance(value, str) and (value.startswith(FORMULA_STARTS)
                                       or value.lstrip(_INVISIBLE).startswith(FORMULA_STARTS))


def cell(ws, value: Any, *, font=None, fill=None, comment=None, number_format: str | None = None) -> Cell:
    """A cell for ``ws`` (write-only or not): formula-like text is stored as a string with Excel's
    quote prefix, so that neither opening nor editing the cell turns it into a formula."""
    c = Cell(ws, row=1, column=1)
    if formula_like(value):
        c._value = value
        c.data_type = "s"
        c.quotePrefix = True
    else:
        c.value = value
        if c.data_type == "f":   # only strings starting with "=", caught above; kept as a guard
            c.data_type = "s"
    if font is not None:
        c.font = font
    if fill is not None:
        c.fill = fill
    if comment is not None:
        c.comment = comment
    if number_format is not None:
        c.number_format = number_format
    return c


def append_row(ws, values: Iterable[Any], **style) -> None:
    """Append one row of values to ``ws``, each through ``cell`` (``style`` applies to every cell)."""
    ws.append([v if isinstance(v, Cell) else cell(ws, v, **style) for v in values])


# Kept for callers that made write-only cells one by one.
text_cell = cell


def _neutralise(wb: Workbook) -> None:
    """A safety net for workbooks built in memory: any string cell that would be a formula (set by
    ``ws.cell(...).value = ...`` somewhere) is turned back into text before the file is written."""
    for ws in wb.worksheets:
        for c in getattr(ws, "_cells", {}).values():
            if c.data_type == "f" or (formula_like(c._value) and not c.quotePrefix):
                c.data_type = "s"
                c.quotePrefix = True


def save(wb: Workbook) -> bytes:
    """The workbook's .xlsx bytes (after the safety net, for workbooks that are not write-only)."""
    if not wb.write_only:
        _neutralise(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def new_workbook(*, write_only: bool = False) -> Workbook:
    return Workbook(write_only=write_only)


def workbook(sheets: Iterable[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx of (title, header, rows) sheets, written in streaming mode."""
    wb = new_workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title[:31])
        append_row(ws, header, font=bold)
        for row in rows:
            append_row(ws, row)
    return save(wb)


# --- CSV ------------------------------------------------------------------------------------------

def csv_text(value: Any) -> Any:
    """For CSV, where a cell has no type: a leading apostrophe, as spreadsheet programs expect."""
    if formula_like(value):
        return "'" + value
    return value


class CsvWriter:
    """``csv.writer`` whose every cell goes through ``csv_text``."""

    def __init__(self, out) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_text(v) for v in row])


def csv_document(rows: Iterable[Iterable[Any]]) -> str:
    """The rows as CSV text starting with a BOM, so that Excel reads the Chinese as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = CsvWriter(out)
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    return csv_document(rows).encode("utf-8")
