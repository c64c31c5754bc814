"""``/manage/export`` (any table as CSV or XLSX) and ``/manage/report`` (the printable report), scoped like the screen.

Both take the screen's query (``period``, ``from``, ``to``, ``level``, ``street``, … see :mod:`selection`) and the
caller from the page cookie, a bearer token or ``?token=``. A street token asking for another street gets 403;
no token 401; a query the screen would refuse 400 — each as JSON ``{"error", "message"}``.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from dashboard.api import errors
from dashboard.api.errors import ApiError
from dashboard.api.spreadsheets import FORMATS, file_response
from dashboard.screens.manage.selection import SelectionError, parse, scoped
from dashboard.screens.manage.tables import TABLES
from dashboard.screens.manage.units import units_of


def selection_of_request():
    """(service, units, scoped selection, now) for the request, or :class:`ApiError`."""
    ctx = current_app.extensions["gridpulse"]
    principal = ctx.tokens.authenticate(request)
    if principal is None:
        raise ApiError(401, "unauthenticated", "open the page with its token, or send 'Authorization: Bearer …'.")
    service = ctx.server.extensions.get("tickets")
    if service is None:
        raise ApiError(503, "no_ticket_store", "this server has no ticket store.")
    units = units_of(ctx)
    query = {k: v for k, v in request.args.items() if k not in ("table", "format", "token")}
    try:
        sel = scoped(parse(query, units, service.catalog), principal)
    except SelectionError as exc:
        raise ApiError(400, exc.code, str(exc)) from None
    except PermissionError as exc:
        raise ApiError(403, "forbidden", f"{exc}.") from None
    return service, units, sel, service.clock()


def export():
    table, fmt = request.args.get("table", ""), request.args.get("format", "csv")
    if table not in TABLES:
        raise ApiError(400, "bad_table", f"table must be one of {', '.join(TABLES)}.")
    if fmt not in FORMATS:
        raise ApiError(400, "bad_format", "format must be csv or xlsx.")
    service, units, sel, now = selection_of_request()
    cols, rows = TABLES[table](service, units, sel, now)
    period = sel.resolve(now.astimezone(service.calendar.tz).date(), service.settings.timezone)
    place = sel.node or "district"
    name = f"gridpulse-{table}-{place}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
    return file_response(cols, rows, fmt, lang=sel.lang, title=table, filename=name)


def report():
    from dashboard.screens.manage.report import render

    service, units, sel, now = selection_of_request()
    html = render(service, units, sel, now, current_app.extensions["gridpulse"].district)
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


def blueprint() -> Blueprint:
    bp = Blueprint("manage_export", __name__)
    errors.install(bp)
    bp.get("/manage/export")(export)
    bp.get("/manage/report")(report)
    return bp
