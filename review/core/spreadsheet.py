"""Writing spreadsheets people open in Excel: text that Excel would run as a formula stays text."""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is a formula to Excel (or to the CSV importers of other
# spreadsheet programs): a name such as =HYPERLINK(...) would run on the reader's machine.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(ws, value: Any):
    """A write-only cell that keeps a formula-like string as text; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def csv_text(value: Any) -> Any:
    """For CSV, where a cell has no type: a leading apostrophe, as spreadsheet programs expect."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx of (title, header, rows) sheets, written in streaming mode."""
    wb = Workbook(write_only=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title[:31])
        bold = []
        for h in header:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = Font(bold=True)
            bold.append(cell)
        ws.append(bold)
        for row in rows:
            ws.append([text_cell(ws, v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
