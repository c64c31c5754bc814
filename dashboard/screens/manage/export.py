"""``/manage/export`` (any table as CSV or XLSX) and ``/manage/report`` (the printable report), scoped like the screen.

Both take the screen's query (``period``, ``from``, ``to``, ``level``, ``street``, … see :mod:`selection`) and the
caller from the page cookie, a bearer token or ``?token=``. A street token asking for another street gets 403;
no token 401; a query the screen would refuse 400 — each as JSON ``{"error", "message"}``.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Blueprint, Response, current_app, jsonify, request

from dashboard.screens.kit import tr
from dashboard.screens.manage.selection import SelectionError, parse, scoped
from dashboard.screens.manage.tables import TABLES
from dashboard.screens.manage.units import units_of

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def selection_of_request():
    """(service, units, scoped selection, now) for the request, or :class:`Refused`."""
    ctx = current_app.extensions["gridpulse"]
    principal = ctx.tokens.authenticate(request)
    if principal is None:
        raise Refused(401, "unauthenticated", "open the page with its token, or send 'Authorization: Bearer …'.")
    service = ctx.server.extensions.get("tickets")
    if service is None:
        raise Refused(503, "no_ticket_store", "this server has no ticket store.")
    units = units_of(ctx)
    query = {k: v for k, v in request.args.items() if k not in ("table", "format", "token")}
    try:
        sel = scoped(parse(query, units, service.catalog), principal)
    except SelectionError as exc:
        raise Refused(400, exc.code, str(exc)) from None
    except PermissionError as exc:
        raise Refused(403, "forbidden", f"{exc}.") from None
    return service, units, sel, service.clock()


def make_blueprint() -> Blueprint:
    bp = Blueprint("manage_export", __name__)

    @bp.errorhandler(Refused)
    def _refused(exc: Refused):
        return jsonify({"error": exc.code, "message": exc.message}), exc.status

    @bp.get("/manage/export")
    def export():
        table, fmt = request.args.get("table", ""), request.args.get("format", "csv")
        if table not in TABLES:
            raise Refused(400, "bad_table", f"table must be one of {', '.join(TABLES)}.")
        if fmt not in FORMATS:
            raise Refused(400, "bad_format", "format must be csv or xlsx.")
        service, units, sel, now = selection_of_request()
        cols, rows = TABLES[table](service, units, sel, now)
        period = sel.resolve(now.astimezone(service.calendar.tz).date(), service.settings.timezone)
        place = sel.node or "district"
        name = f"gridpulse-{table}-{place}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
        body = to_csv(cols, rows, sel.lang) if fmt == "csv" else to_xlsx(cols, rows, sel.lang, title=table)
        return Response(body, content_type=FORMATS[fmt], headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

    @bp.get("/manage/report")
    def report():
        from dashboard.screens.manage.report import render

        service, units, sel, now = selection_of_request()
        html = render(service, units, sel, now, current_app.extensions["gridpulse"].district)
        return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})

    return bp


def _cell(v, kind: str):
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if v is None:
        return ""
    if kind == "rate" and isinstance(v, int | float):
        return round(float(v), 6)
    return v


def _xcell(v, kind: str):
    if v is None or isinstance(v, datetime):  # a datetime stays one (naive local time), formatted below
        return v
    return _cell(v, kind)


def to_csv(cols, rows, lang: str) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese names right."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([tr(c.label, lang) for c in cols])
    for r in rows:
        w.writerow([_cell(r.get(c.key), c.kind) for c in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(cols, rows, lang: str, *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = title[:31]
    ws.append([tr(c.label, lang) for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    formats = {"rate": "0.0%", "hours": "0.00", "time": "yyyy-mm-dd hh:mm:ss", "count": "#,##0"}
    for r in rows:
        ws.append([_xcell(r.get(c.key), c.kind) for c in cols])
    for i, c in enumerate(cols, 1):
        fmt = formats.get(c.kind)
        letter = ws.cell(row=1, column=i).column_letter
        ws.column_dimensions[letter].width = max(10, min(40, 2 + 2 * len(tr(c.label, lang))))
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
