"""The street screen's tables as files: CSV (UTF-8 with BOM, so Excel opens Chinese names) and XLSX (openpyxl, as
the manager's exports).

A table is ``(columns, rows)``: columns are ``(key, zh header, en header)``, rows are dicts.  Pure functions.
"""

from __future__ import annotations

import csv
import io

WORKER_COLUMNS = [
    ("id", "网格员编号", "Worker id"), ("name", "姓名", "Name"), ("home", "本网格", "Own grid"),
    ("days_active", "在岗天数", "Days active"), ("visit_minutes_home", "本网格走访分钟", "Visit minutes in own grid"),
    ("avg_visit_minutes_home", "日均本网格走访分钟", "Avg visit minutes in own grid per day"),
    ("below_target_days", "未达标天数", "Days below target"), ("patrol_minutes", "巡查分钟", "Patrol minutes"),
    ("distance_m", "步行距离(米)", "Distance walked (m)"),
]
COVERAGE_COLUMNS = [
    ("grid", "网格", "Grid"), ("street", "街道", "Street"), ("days_visited", "到访天数", "Days visited"),
    ("days", "期间天数", "Days in period"), ("patrol_minutes", "巡查分钟", "Patrol minutes"),
]
TABLES = {"workers": WORKER_COLUMNS, "coverage": COVERAGE_COLUMNS}


def table_rows(table: str, coverage: dict) -> list[dict]:
    """The rows of ``table`` from a :meth:`streams.visits.VisitReader.coverage` answer."""
    return coverage["workers"] if table == "workers" else coverage["grids"]


def to_csv(columns, rows, lang: str = "zh-CN") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([c[2] if lang == "en" else c[1] for c in columns])
    for r in rows:
        writer.writerow([r.get(c[0], "") for c in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(columns, rows, *, title: str, lang: str = "zh-CN") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    headers = [c[2] if lang == "en" else c[1] for c in columns]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for j, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=j).column_letter].width = max(10, len(header) * 2)
    for r in rows:
        sheet.append([v if isinstance(v, int | float) else str(v) for v in (r.get(c[0], "") for c in columns)])
    sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
