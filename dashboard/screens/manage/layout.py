"""The drill-down's layout: a static shell for the caller and language; :mod:`callbacks` fills it from the URL.

The page's state is its query string. Dash pages re-runs a page's layout whenever the query changes (a link, the
back button); here a query-only change keeps the page (``no_update``) and the screen's own ``dcc.Location`` drives
one callback instead, so a drill step repaints the charts, not the page.
"""

from __future__ import annotations

import dash
from dash import dcc, html
from flask import request

from dashboard.screens import kit
from dashboard.screens.kit import info, tr
from dashboard.screens.manage import labels as L
from dashboard.screens.manage.figures import graph_config
from dashboard.screens.manage.selection import FILTER_KEYS, SelectionError, parse, scoped
from dashboard.screens.manage.units import units_of
from tickets.domain.states import Tier
from tickets.metrics import DEFINITIONS
from tickets.metrics.drill import DEFINITIONS as DRILL

FILES = ["manage.css", "manage.js"]
PATH = "/manage"


def _query_only_change() -> bool:
    """Whether this layout call is Dash pages' router reacting to a changed query on the same page."""
    try:
        triggered = set(dash.ctx.triggered_prop_ids)
    except Exception:  # not inside a callback: the first render of the page
        return False
    return bool(triggered) and all(p.endswith(".search") for p in triggered)


def layout(lang: str | None = None, street: str | None = None, **query):
    if _query_only_change():
        return dash.no_update
    lang = kit.lang_of(lang)
    principal = kit.caller()
    if principal is None:
        return kit.auth_required(lang)
    ctx = kit.web_context()
    service = ctx.server.extensions.get("tickets")
    if service is None:
        return kit.forbidden(tr(("本服务未接入工单库。", "this server has no ticket store."), lang), lang)
    units = units_of(ctx)
    try:
        sel = scoped(parse({**query, "street": street, "lang": lang}, units, service.catalog), principal)
    except PermissionError as exc:
        return kit.forbidden(str(exc), lang)
    except SelectionError as exc:
        return kit.forbidden(str(exc), lang)
    own = principal.street_code if not principal.is_admin else None
    config = {"labels": {"copied": tr(L.COPIED, lang)}, "street": own}
    return html.Div(className="gp-root mg-root", children=[
        _header(ctx.district, units.name.get(own, own) if own else ctx.district.name, lang),
        html.Div(className="mg-toolbar", children=[
            _period(sel, lang), *_filters(service, lang),
        ]),
        _crumbs_row(lang),
        html.Div(id="manage-notice", className="mg-notice", hidden=True),
        html.Section(id="manage-kpis", className="mg-kpis"),
        _panels(lang),
        html.Aside(id="manage-drawer", className="mg-drawer", hidden=True, children=[
            html.Button(tr(L.CLOSE, lang), id="manage-drawer-close", n_clicks=0, className="mg-btn mg-drawer-close"),
            html.Div(id="manage-detail")]),
        # href preset too: a Location that learns its href from the address bar at mount (still holding ?token=)
        # would push that address back on the first drill step.
        dcc.Location(id="manage-url", refresh=False, pathname=PATH, search=sel.query_string(),
                     href=request.host_url.rstrip("/") + PATH + sel.query_string()),
        dcc.Store(id="manage-kpi-export"),
        kit.page_config("manage", FILES, config, lang),
    ])


def _header(district, scope_name: str, lang: str) -> html.Header:
    return html.Header(className="gp-header mg-header", children=[
        html.Div(className="gp-title", children=[
            html.H1(f"{district.city}{district.name} · {tr(L.TITLE, lang)}" if lang != "en"
                    else f"{tr(L.TITLE, lang)} · {district.name}"),
            html.Span(tr(L.SUBTITLE, lang), className="gp-subtitle"),
            html.Span(scope_name, className="gp-scope-badge", id="manage-scope"),
        ]),
        kit.clock(lang),
        kit.lang_switch(lang),
    ])


def _crumbs_row(lang: str) -> html.Div:
    return html.Div(className="mg-crumbs-row", children=[
        html.Nav(id="manage-crumbs", className="mg-crumbs"),
        html.Span(id="manage-period-text", className="mg-period-text"),
        html.Span(id="manage-x-kpis", className="mg-export"),
        html.Span([tr(L.AS_OF, lang), " ", html.Span("—", id="manage-asof")], className="gp-muted mg-asof"),
        html.Div(className="mg-actions", children=[
            html.Button(tr(L.COPY_LINK, lang), id="manage-copy", className="mg-btn", n_clicks=0),
            html.A(tr(L.REPORT, lang), id="manage-report", className="mg-btn", target="_blank", href="#"),
        ]),
    ])


def _panels(lang: str) -> html.Main:
    return html.Main(className="mg-grid", children=[
        _panel("map", L.MAP, DEFINITIONS["closure_rate"] + " · " + tr(L.MAP_DEF, lang), lang, height="34rem",
               children=[html.Div(id="manage-map-box", className="mg-graph-box")]),
        _panel("bars", L.BARS, tr(L.BARS_DEF, lang), lang, graph=True, height="34rem", scroll=True),
        _panel("ranking", L.RANKING, DEFINITIONS["score"], lang, export="units", children=[
            html.Div(id="manage-ranking", className="mg-scroll"),
            html.P(tr(L.FORMULA, lang), className="mg-formula", id="manage-formula")]),
        _panel("trend", L.TREND, tr(L.TREND_DEF, lang), lang, graph=True, export="trend"),
        _panel("funnel", L.FUNNEL, tr(L.FUNNEL_DEF, lang), lang, graph=True),
        _panel("lights", L.LIGHTS, DRILL["lights"], lang, graph=True, export="lights"),
        _panel("pareto", L.PARETO, tr(L.PARETO_DEF, lang), lang, graph=True, export="categories"),
        _panel("depts", L.DEPTS, f"{DEFINITIONS['on_time_handling_rate']} · {DRILL['avg_handle_h']} · "
               f"{DRILL['returns']}", lang, graph=True, export="departments", scroll=True),
        _panel("tickets", L.TICKETS, tr(L.TICKETS_DEF, lang), lang, export="tickets", children=[
            html.Div(id="manage-tickets"), html.Div(id="manage-pager", className="mg-pager")]),
    ])


def _panel(name: str, title, tip: str, lang: str, *, graph: bool = False, export: str | None = None,
           children=None, height: str | None = None, scroll: bool = False) -> html.Section:
    head = [tr(title, lang), " ", info(tip)]
    tools = []
    if export:
        tools.append(html.Span(id=f"manage-x-{export}", className="mg-export"))
    body = children or []
    if graph:
        graph_el = dcc.Graph(id=f"manage-{name}", config=graph_config(name), className="mg-graph",
                             style={"height": "100%" if not scroll else None})
        body = [html.Div(graph_el, className="mg-scroll" if scroll else "mg-graph-box")]
    style = {"height": height} if height else None
    return html.Section(className=f"gp-panel mg-panel mg-panel--{name}", id=f"manage-panel-{name}", style=style,
                        children=[html.Div(className="mg-panel-head", children=[html.H2(head), *tools]), *body])


def _period(sel, lang: str) -> html.Div:
    return html.Div(className="mg-period", children=[
        html.Span(tr(L.PERIOD, lang), className="mg-label"),
        dcc.RadioItems(id="manage-period", options=[{"label": tr(label, lang), "value": v} for v, label in L.PERIODS],
                       value=sel.period, inline=True, className="mg-seg", inputClassName="mg-seg-input",
                       labelClassName="mg-seg-label"),
        dcc.DatePickerRange(id="manage-dates", display_format="YYYY-MM-DD", minimum_nights=0,
                            start_date=sel.start.isoformat() if sel.start else None,
                            end_date=sel.end.isoformat() if sel.end else None, className="mg-dates",
                            first_day_of_week=1, start_date_placeholder_text=tr(("开始日期", "Start date"), lang),
                            end_date_placeholder_text=tr(("结束日期", "End date"), lang)),
    ])


def _filters(service, lang: str) -> list:
    cat = service.catalog
    options = {
        "category": [{"label": f"{c.code} {c.name_en if lang == 'en' else c.name}", "value": c.code}
                     for c in sorted(cat.categories.values(), key=lambda c: c.code)],
        "department": [{"label": d.name_en if lang == "en" else d.name, "value": d.code}
                       for d in sorted(cat.departments.values(), key=lambda d: d.code)],
        "tier": [{"label": tr(L.TIERS[t.value], lang), "value": t.value} for t in Tier],
        "source": [{"label": tr(v, lang), "value": k} for k, v in L.SOURCES.items()],
    }
    return [html.Div(className=f"mg-filter mg-filter--{k}", children=[
        html.Span(tr(L.FILTERS[k], lang), className="mg-label"),
        dcc.Dropdown(id=f"manage-f-{k}", options=options[k], placeholder=tr(L.ALL, lang), clearable=True,
                     searchable=k in ("category", "department"), className="mg-dropdown")])
        for k in FILTER_KEYS]
