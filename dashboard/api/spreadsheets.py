"""The one tabular export writer: a table as CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese names)
or XLSX (openpyxl), for every screen's exports.

A table is ``(columns, rows)``: :class:`Column` s and dict rows. Pure functions, then one response helper.

Stored text is written safely whatever it holds: characters XML forbids (NUL and the other C0 controls but tab,
newline and carriage return) are dropped, so no export fails on a stored string; a text cell starting with
``= + - @``, tab or carriage return gets a leading ``'`` so a spreadsheet program shows it instead of running it as
a formula (OWASP "CSV injection"). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from flask import Response

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# what XML 1.0 cannot hold (openpyxl raises IllegalCharacterError on it): C0 controls but \t \n \r, and U+FFFE/F
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_FORMATS = {"rate": "0.0%", "hours": "0.00", "time": "yyyy-mm-dd hh:mm:ss", "count": "#,##0"}


@dataclass(frozen=True)
class Column:
    key: str
    label: tuple[str, str]  # (zh, en)
    kind: str = "text"  # text, number, count, rate (a fraction), hours, time

    def header(self, lang: str) -> str:
        return self.label[1] if lang == "en" else self.label[0]


def columns(*spec) -> list[Column]:
    """``columns(("id", ("编号", "Id")), ("n", ("数量", "Count"), "count"))``."""
    return [Column(*s) for s in spec]


def safe_text(text: str) -> str:
    """``text`` fit for a cell: illegal XML characters dropped, a would-be formula quoted with a leading ``'``."""
    text = _ILLEGAL.sub("", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cell(v, kind: str):
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if v is None:
        return ""
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return round(float(v), 6) if kind == "rate" else v
    return safe_text(str(v))


def _xcell(v, kind: str):
    if v is None or isinstance(v, datetime):  # a datetime stays one (naive local time), formatted by the column
        return v
    return _cell(v, kind)


def to_csv(cols: list[Column], rows: list[dict], lang: str = "zh-CN") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.header(lang) for c in cols])
    for r in rows:
        w.writerow([_cell(r.get(c.key), c.kind) for c in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(cols: list[Column], rows: list[dict], lang: str = "zh-CN", *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([c.header(lang) for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for r in rows:
        ws.append([_xcell(r.get(c.key), c.kind) for c in cols])
    for i, c in enumerate(cols, 1):
        letter = ws.cell(row=1, column=i).column_letter
        ws.column_dimensions[letter].width = max(10, min(40, 2 + 2 * len(c.header(lang))))
        if fmt := _NUMBER_FORMATS.get(c.kind):
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def file_response(cols: list[Column], rows: list[dict], fmt: str, *, lang: str, title: str, filename: str) -> Response:
    """The table as a download in ``fmt`` (``csv`` or ``xlsx``)."""
    body = to_csv(cols, rows, lang) if fmt == "csv" else to_xlsx(cols, rows, lang, title=title)
    return Response(body, content_type=FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
