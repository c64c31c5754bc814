"""Patrol coverage of a street over a period, as JSON and as files.

``GET /api/v1/coverage?street=CODE&period=today|7d|month`` (or ``from=&to=`` dates)
      days visited per grid, grids not visited, workers below the visit target
``GET /api/v1/export/<workers|coverage>.<csv|xlsx>?street=CODE&period=...``   the same tables as files
"""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, request

from dashboard.api.access import caller, street_scope, web
from dashboard.api.days import period_arg
from dashboard.api.errors import ApiError, api_blueprint
from dashboard.api.spreadsheets import columns, file_response

WORKER_COLUMNS = columns(
    ("id", ("网格员编号", "Worker id")), ("name", ("姓名", "Name")), ("home", ("本网格", "Own grid")),
    ("days_active", ("在岗天数", "Days active"), "count"),
    ("visit_minutes_home", ("本网格走访分钟", "Visit minutes in own grid"), "number"),
    ("avg_visit_minutes_home", ("日均本网格走访分钟", "Avg visit minutes in own grid per day"), "number"),
    ("below_target_days", ("未达标天数", "Days below target"), "count"),
    ("patrol_minutes", ("巡查分钟", "Patrol minutes"), "number"),
    ("distance_m", ("步行距离(米)", "Distance walked (m)"), "number"),
)
COVERAGE_COLUMNS = columns(
    ("grid", ("网格", "Grid")), ("street", ("街道", "Street")), ("days_visited", ("到访天数", "Days visited"), "count"),
    ("days", ("期间天数", "Days in period"), "count"), ("patrol_minutes", ("巡查分钟", "Patrol minutes"), "number"),
)
TABLES = {"workers": WORKER_COLUMNS, "coverage": COVERAGE_COLUMNS}


def table_rows(table: str, coverage: dict) -> list[dict]:
    """The rows of ``table`` from a :meth:`streams.visits.VisitReader.coverage` answer."""
    return coverage["workers"] if table == "workers" else coverage["grids"]


def coverage():
    street = street_scope(caller(), required=True, known=True)
    first, last = period_arg()
    return Response(orjson.dumps(web().visits.coverage(street, first, last)), mimetype="application/json")


def export(table: str, fmt: str):
    street = street_scope(caller(), required=True, known=True)
    if table not in TABLES or fmt not in ("csv", "xlsx"):
        raise ApiError(404, "not_found", "可导出 workers 或 coverage，格式 csv 或 xlsx (workers|coverage . csv|xlsx)")
    first, last = period_arg()
    cov = web().visits.coverage(street, first, last)
    lang = "en" if (request.args.get("lang") or "").startswith("en") else "zh-CN"
    name = f"{table}-{street}-{first.isoformat()}_{last.isoformat()}.{fmt}"
    return file_response(TABLES[table], table_rows(table, cov), fmt, lang=lang, title=table, filename=name)


ROUTES = [
    ("GET", "/api/v1/coverage", coverage),
    ("GET", "/api/v1/export/<table>.<fmt>", export),
]


def blueprint(retry_after_s: int = 5) -> Blueprint:
    return api_blueprint("coverage_api", __name__, ROUTES, retry_after_s=retry_after_s)
