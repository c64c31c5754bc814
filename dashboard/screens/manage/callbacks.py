"""The drill-down's callbacks: one that turns the URL (or a control, a bar, a polygon) into the whole view, and one
that opens a ticket. Both re-check the caller and its scope on every call.

The URL is the state: a control or a click makes the next selection, writes its query to the screen's
``dcc.Location`` (a new history entry, no reload) and draws it in the same call; the back button changes the
location, which draws the selection it holds.
"""

from __future__ import annotations

import logging

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard.screens import kit
from dashboard.screens.kit import tr
from dashboard.screens.localtime import zone
from dashboard.screens.manage import figures as F
from dashboard.screens.manage import labels as L
from dashboard.screens.manage import views as V
from dashboard.screens.manage.data import PAGE_SIZE, read_recent
from dashboard.screens.manage.selection import FILTER_KEYS, Selection, SelectionError, parse, scoped
from dashboard.screens.manage.units import units_of
from tickets.metrics.board import light_of

log = logging.getLogger(__name__)
EXPORTS = ("units", "trend", "lights", "categories", "departments", "tickets", "kpis")


def register(app) -> None:
    view_outputs = [
        Output("manage-url", "search"), Output("manage-period", "value"), Output("manage-dates", "start_date"),
        Output("manage-dates", "end_date"), *[Output(f"manage-f-{k}", "value") for k in FILTER_KEYS],
        Output("manage-notice", "children"), Output("manage-notice", "hidden"),
        Output("manage-crumbs", "children"), Output("manage-period-text", "children"), Output("manage-asof", "children"),
        Output("manage-kpis", "children"), Output("manage-map-box", "children"), Output("manage-bars", "figure"),
        Output("manage-ranking", "children"), Output("manage-trend", "figure"), Output("manage-funnel", "figure"),
        Output("manage-lights", "figure"), Output("manage-pareto", "figure"), Output("manage-depts", "figure"),
        Output("manage-tickets", "children"), Output("manage-pager", "children"), Output("manage-report", "href"),
        *[Output(f"manage-x-{name}", "children") for name in EXPORTS],
    ]

    @app.callback(
        view_outputs,
        Input("manage-url", "search"), Input("manage-period", "value"), Input("manage-dates", "start_date"),
        Input("manage-dates", "end_date"), *[Input(f"manage-f-{k}", "value") for k in FILTER_KEYS],
        Input({"type": "manage-map", "key": ALL}, "clickData"), Input("manage-bars", "clickData"),
    )
    def draw(search, period, start, end, *rest):
        filters = dict(zip(FILTER_KEYS, rest[:len(FILTER_KEYS)], strict=True))
        _maps, bar_click = rest[len(FILTER_KEYS):]
        trigger, map_click = ctx.triggered_id, None
        if isinstance(trigger, dict):  # the map of the current units (a new graph per level: see _map_graph)
            trigger, map_click = "manage-map", (ctx.triggered[0].get("value") if ctx.triggered else None)
        return view(search, trigger, period=period, start=start, end=end, filters=filters,
                    map_click=map_click, bar_click=bar_click, n_outputs=len(view_outputs))

    @app.callback(Output("manage-detail", "children"), Output("manage-drawer", "hidden"),
                  Input({"type": "manage-ticket", "id": ALL}, "n_clicks"), Input("manage-drawer-close", "n_clicks"),
                  State("manage-url", "search"), prevent_initial_call=True)
    def open_ticket(clicks, _close, search):
        trigger = ctx.triggered_id
        if trigger == "manage-drawer-close":
            return no_update, True
        if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0].get("value")):
            return no_update, no_update  # a new page of rows (n_clicks 0), not a click
        return ticket_view(int(trigger["id"]), search)

    app.clientside_callback(
        """function (n) { if (window.GP && n) GP.when("manage", function (m) { m.copyLink(); });
                          return window.dash_clientside.no_update; }""",
        Output("manage-copy", "title"), Input("manage-copy", "n_clicks"), prevent_initial_call=True)
    app.clientside_callback(
        """function (children) { if (window.GP) GP.when("manage", function (m) { m.loadPhotos(); });
                                 return window.dash_clientside.no_update; }""",
        Output("manage-detail", "title"), Input("manage-detail", "children"), prevent_initial_call=True)


def _context():
    principal = kit.caller()
    c = kit.web_context()
    return principal, c, c.server.extensions.get("tickets"), units_of(c)


def next_selection(sel: Selection, trigger, *, period, start, end, filters, map_click, bar_click, units) -> Selection:
    """The selection a control or a click asks for, from the current one (pure: tested without Dash)."""
    if trigger == "manage-period" and period and period != sel.period:
        if period == "custom":
            return sel.with_(period="custom", start=sel.start, end=sel.end) if sel.start else sel
        return sel.with_(period=period, start=None, end=None)
    if trigger == "manage-dates" and start and end:
        from datetime import date

        a, b = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
        if a <= b and (sel.period != "custom" or (a, b) != (sel.start, sel.end)):
            return sel.with_(period="custom", start=a, end=b)
        return sel
    if isinstance(trigger, str) and trigger.startswith("manage-f-"):
        key = trigger[len("manage-f-"):]
        value = filters.get(key) or None
        return sel.with_(**{key: value}) if value != getattr(sel, key) else sel
    if trigger in ("manage-map", "manage-bars"):
        click = map_click if trigger == "manage-map" else bar_click
        points = (click or {}).get("points") or []
        if points:
            p = points[0]
            code = p.get("location") if trigger == "manage-map" else p.get("customdata")
            if isinstance(code, list):
                code = code[0]
            if code and units.level_of(code) and code != sel.node:
                return sel.drill(code, units)
    return sel


def view(search, trigger, *, period, start, end, filters, map_click, bar_click, n_outputs: int) -> list:
    """Every output of the view callback for the URL and what triggered it."""
    principal, c, service, units = _context()
    if principal is None or service is None:
        return [no_update] * n_outputs
    try:
        lang = parse(search, units).lang if search else "zh-CN"
    except SelectionError:
        lang = "zh-CN"
    try:
        sel = scoped(parse(search, units, service.catalog), principal)
        new = next_selection(sel, trigger, period=period, start=start, end=end, filters=filters,
                             map_click=map_click, bar_click=bar_click, units=units)
        new = scoped(new, principal)
    except (PermissionError, SelectionError) as exc:
        prefix = L.FORBIDDEN if isinstance(exc, PermissionError) else L.BAD_SELECTION
        return refused(tr(prefix, lang) + str(exc), lang, n_outputs)
    new_search = new.query_string()
    data = read_recent(service, units, new)
    out = _outputs(data, new, principal, c, service, units, lang=new.lang)
    url = new_search if new_search != (search or "") and trigger is not None and trigger != "manage-url" else no_update
    return [url, *out]


NOTICE = 8  # the index of the notice's children among the view outputs; figures and tables follow it
FIGURES = (15, 17, 18, 19, 20, 21)


def refused(message: str, lang: str, n_outputs: int) -> list:
    """The view of a selection the caller may not see or the screen cannot show: the reason, and no figures."""
    out = [no_update] * n_outputs
    out[NOTICE], out[NOTICE + 1] = message, False
    for i in range(NOTICE + 2, NOTICE + 16):
        out[i] = F.empty(lang) if i in FIGURES else []
    return out


def _outputs(d, sel: Selection, principal, c, service, units, *, lang: str) -> list:
    own = principal.street_code if not principal.is_admin else None
    names = V.names_of(service, units, lang)
    geojson, bounds = units.geojson(sel.unit_level, sel.node)
    p = d.period
    period_text = f"{p.start.isoformat()} — {p.end.isoformat()}" + (
        f" · {tr(L.VS_PREV, lang)} {d.prev_period.start.isoformat()} — {d.prev_period.end.isoformat()}")
    query = sel.query_string()[1:]
    exports = [_export_links(name, query, lang) for name in EXPORTS]
    now = d.as_of
    return [
        sel.period, sel.start.isoformat() if sel.start else (p.start.isoformat() if sel.period != "custom" else None),
        sel.end.isoformat() if sel.end else (p.end.isoformat() if sel.period != "custom" else None),
        *[getattr(sel, k) for k in FILTER_KEYS],
        None, True,
        V.breadcrumb(sel, units, own, lang), period_text, d.as_of.astimezone(zone()).strftime("%Y-%m-%d %H:%M:%S"),
        V.kpi_cards(d.kpi, d.prev, lang),
        _map_graph(F.map_figure(geojson, bounds, d.units, lang, c.web_settings), sel),
        F.units_figure(d.units, lang),
        V.ranking_table(d.units, sel, units, lang),
        F.trend_figure(d.trend, d.by, lang), F.funnel_figure(d.kpi, lang), F.lights_figure(d.lights, lang),
        F.pareto_figure(d.categories, lang), F.departments_figure(d.departments, lang),
        V.ticket_table(d.tickets, names, lang, lambda t: light_of(t["state"], t["step_warn_at"], t["step_due_at"], now)),
        V.pager(sel, d.total, PAGE_SIZE, lang),
        f"/manage/report?{query}",
        *exports,
    ]


def _map_graph(figure: dict, sel: Selection):
    """The map as a new graph for each place: MapLibre does not take a changed GeoJSON source in place."""
    return dcc.Graph(id={"type": "manage-map", "key": f"{sel.unit_level}:{sel.node or 'district'}"}, figure=figure,
                     config=F.graph_config("map"), className="mg-graph", style={"height": "100%"})


def _export_links(table: str, query: str, lang: str) -> list:
    return [html.Span(tr(L.EXPORT, lang), className="gp-muted"), " ",
            html.A("CSV", href=f"/manage/export?table={table}&format=csv&{query}", className="mg-x",
                   id=f"manage-x-{table}-csv"),
            " ",
            html.A("XLSX", href=f"/manage/export?table={table}&format=xlsx&{query}", className="mg-x",
                   id=f"manage-x-{table}-xlsx")]


def ticket_view(ticket_id: int, search: str | None) -> tuple:
    """The drawer of one ticket, if the caller may see it (its street within the caller's scope)."""
    principal, c, service, units = _context()
    if principal is None or service is None:
        return no_update, True
    try:
        lang = parse(search, units).lang if search else "zh-CN"
    except SelectionError:
        lang = "zh-CN"
    t = service.store.get(ticket_id)
    if t is None or not principal.can_see_street(t["street_code"]):
        return [html.P(tr(L.FORBIDDEN, lang) + str(ticket_id))], False
    names = V.names_of(service, units, lang)
    return V.ticket_detail(t, service.store.history(ticket_id), names, lang), False
