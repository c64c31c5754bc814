"""The wall screen's layout: static, built per request for the caller's scope and language.

Everything that moves is filled in by ``static/wall.js`` (dots, counters, heat, feed: from Socket.IO) or by the
one slow callback of :mod:`callbacks` (ticket figures, every 15 s, into stores and figures).
"""

from __future__ import annotations

import logging

from dash import dcc, html

from dashboard.screens import kit
from dashboard.screens.kit import info, tr
from dashboard.screens.wall import labels as L
from dashboard.screens.wall.data import recent_feed
from dashboard.screens.wall.figures import empty_trend, wall_map_figure
from tickets.metrics.board import OVERDUE_DEFINITION

log = logging.getLogger(__name__)
FILES = ["wall.css", "heat.js", "overlay.js", "workers.js", "draw.js", "feed.js", "hover.js", "wall.js"]


def layout(lang: str | None = None, street: str | None = None, **_query):
    lang = kit.lang_of(lang)
    _principal, scope, refusal = kit.page_access(street, lang)
    if refusal is not None:
        return refusal
    ctx = kit.web_context()
    district = ctx.district
    streets = _streets(district, scope)
    figure = wall_map_figure(ctx, scope)
    bounds = _bounds(district, scope)
    config = {
        "district": district.name,
        "street": scope,
        "streets": {code: name for code, name in streets},
        "bounds": [round(float(v), 6) for v in bounds],
        "fit": not ctx.web_settings.map_zoom,
        "gcj02": ctx.web_settings.draw_gcj02,
        "labels": L.browser_labels(lang),
        "street_labels": _street_labels(district, scope),
        "grid_worker": {w.home_grid: [w.worker_id, w.name] for w in ctx.roster.workers
                        if scope is None or w.street_code == scope},
        "shift_start": ctx.settings.shift_start.strftime("%H:%M"),
        "categories": _category_names(ctx, lang),
        "feed": _feed_items(ctx, scope),
    }
    scope_name = dict(streets).get(scope, "") if scope else tr(("全区", "whole district"), lang)
    return html.Div(className="gp-root gp-wall", children=[
        html.Header(className="gp-header", children=[
            html.Div(className="gp-title", children=[
                html.H1(f"{district.city}{district.name}{tr(L.TITLE, lang)}" if lang != "en"
                        else f"{tr(L.TITLE, lang)} · {district.name}"),
                html.Span(tr(L.SUBTITLE, lang), className="gp-subtitle"),
                html.Span(scope_name, id="wall-scope", className="gp-scope-badge"),
            ]),
            kit.clock(lang),
            html.Span(tr(L.CONNECTING, lang), id="wall-conn", className="gp-conn gp-conn--wait",
                      title=tr(("实时推送连接状态（Socket.IO）", "Live push connection (Socket.IO)"), lang)),
            kit.lang_switch(lang),
        ]),
        html.Main(className="gp-wall-grid", children=[
            html.Aside(className="gp-wall-left", children=[_force(lang), _coverage(lang), _streets_table(streets, lang)]),
            html.Section(className="gp-wall-map", children=[_map(figure, lang)]),
            html.Section(className="gp-wall-bottom", children=[_feed(lang), _overdue(lang), _categories(lang)]),
            html.Aside(className="gp-wall-right", children=[_closure(lang), _trend(lang), _ranking(lang, scope)]),
        ]),
        # the ticket panels: every GRIDPULSE_WALL_REFRESH_S (15 s), from the metrics cache
        dcc.Interval(id="wall-refresh", interval=int(ctx.web_settings.wall_refresh_s * 1000), n_intervals=0),
        dcc.Store(id="wall-scope-store", data={"street": scope, "lang": lang}),
        dcc.Store(id="wall-view", data={"rem": 16}),  # the browser's root font size: chart fonts scale with it
        dcc.Store(id="wall-open"),       # open tickets for the heat layer: {"f", "rows", "t"}
        dcc.Store(id="wall-patrol"),     # coverage per street and grid
        dcc.Store(id="wall-kick"),       # set by the browser after a reconnect or at midnight: re-read the panels now
        kit.page_config("wall", FILES, config, lang),
    ])


def _feed_items(ctx, scope) -> list:
    if ctx.redis_client is None:  # a web process without Redis (tests): the feed fills as events arrive
        return []
    try:
        return recent_feed(ctx.redis_client, ctx.settings.key_prefix, scope)
    except Exception:  # Redis down: the page still opens; the feed fills as events arrive
        log.warning("wall feed history unavailable", exc_info=True)
        return []


def _category_names(ctx, lang) -> dict:
    service = ctx.server.extensions.get("tickets")
    if service is None:
        return {}
    return {c.code: (c.name_en if lang == "en" else c.name) for c in service.catalog.categories.values()}


def _streets(district, scope) -> list[tuple[str, str]]:
    s = district.streets
    pairs = list(zip(s["street_code"], s["street_name"], strict=True))
    return [(c, n) for c, n in pairs if scope is None or c == scope]


def _bounds(district, scope):
    if scope is None:
        return district.outline.bounds
    g = district.grids
    return g[g["street_code"] == scope].total_bounds


def _street_labels(district, scope) -> list:
    """[[lon, lat, name], ...] at a point inside each street (drawn by the overlay: no map glyphs offline)."""
    s = district.streets
    out = []
    for code, name, geom in zip(s["street_code"], s["street_name"], s.geometry, strict=True):
        if scope is not None and code != scope:
            continue
        p = geom.representative_point()
        out.append([round(p.x, 5), round(p.y, 5), name])
    return out


def _panel(title, children, *, cls: str = "", tip: str | None = None, **attrs):
    head = [title, " ", info(tip)] if tip else [title]
    return html.Section(className=f"gp-panel {cls}".strip(), children=[html.H2(head), *children], **attrs)


def _force(lang):
    tiles = []
    for key, label, definition, kind in L.FORCE_COUNTERS:
        tiles.append(html.Div(className=f"gp-kpi gp-kpi--{kind}", children=[
            html.Div(className="gp-kpi-label", children=[tr(label, lang), " ", info(tr(definition, lang))]),
            html.Div("—", id=f"wall-n-{key}", className="gp-kpi-value"),
        ]))
    tiles.append(html.Div(className="gp-kpi-foot", children=[
        tr(("名册", "Roster"), lang), " ", html.B("—", id="wall-n-total"),
        " · ", tr(("网格", "Grids"), lang), " ", html.B("—", id="wall-n-grids")]))
    return _panel(tr(L.FORCE, lang), [html.Div(className="gp-kpis", children=tiles)], cls="gp-force")


def _coverage(lang):
    return _panel(tr(L.COVERAGE, lang), [html.Div(className="gp-coverage", children=[
        html.Div(className="gp-big", children=[
            html.Div([tr(L.COVERAGE_GRIDS, lang), " ", info(tr(L.COVERAGE_GRIDS_DEF, lang))], className="gp-big-label"),
            html.Div("—", id="wall-cov-grids", className="gp-big-value"),
            html.Div("", id="wall-cov-grids-n", className="gp-big-sub")]),
        html.Div(className="gp-big", children=[
            html.Div([tr(L.COVERAGE_HOURS, lang), " ", info(tr(L.COVERAGE_HOURS_DEF, lang))], className="gp-big-label"),
            html.Div("—", id="wall-cov-hours", className="gp-big-value"),
            html.Div("", id="wall-cov-hours-n", className="gp-big-sub")]),
    ])], cls="gp-cov")


def _streets_table(streets, lang):
    head = html.Tr([html.Th(tr(c, lang)) for c in L.STREET_COLS])
    rows = [html.Tr(**{"data-street": code}, children=[
        html.Td(name, className="gp-st-name"), html.Td("—", className="gp-num gp-st-online"),
        html.Td("—", className="gp-num gp-st-roster"), html.Td("—", className="gp-num gp-st-visited")])
        for code, name in streets]
    return _panel(tr(L.STREETS, lang), [html.Table(className="gp-table gp-streets", id="wall-streets",
                                                   children=[html.Thead(head), html.Tbody(rows)])],
                  cls="gp-grow", tip=tr(L.COVERAGE_GRIDS_DEF, lang))


def _map(figure, lang):
    legend = [html.Span(className="gp-legend-item", children=[html.I(className=f"gp-dot gp-dot--{k}"), tr(v, lang)])
              for k, v in L.LEGEND]
    return html.Div(id="wall-map", className="gp-map", children=[
        dcc.Graph(id="wall-map-graph", figure=figure, className="gp-graph",
                  config={"displayModeBar": False, "scrollZoom": True, "responsive": True, "doubleClick": False},
                  style={"height": "100%", "width": "100%"}),
        html.Canvas(id="wall-heat", className="gp-overlay"),
        html.Canvas(id="wall-dots", className="gp-overlay"),
        html.Canvas(id="wall-pulse", className="gp-overlay"),
        html.Div(id="wall-tip", className="gp-tip", hidden=True),
        html.Div(className="gp-map-bar", children=[
            html.Button(tr(L.BROWSER["heat_on"], lang), id="wall-heat-toggle", className="gp-toggle gp-toggle--on",
                        title=tr(L.HEAT_DEF, lang), n_clicks=0),
            html.Span(className="gp-legend", children=[*legend,
                      html.Span(className="gp-legend-item", children=[
                          html.I(className="gp-heat-swatch"), tr(L.HEAT, lang), " ",
                          html.B("—", id="wall-open-count"), " ", info(tr(L.HEAT_DEF, lang))])]),
        ]),
    ])


def _feed(lang):
    unread = html.Span(className="gp-unread", title=tr(L.UNREAD_DEF, lang), children=[
        tr(L.UNREAD, lang), " ", html.B("0", id="wall-unread")])
    return _panel(tr(L.FEED, lang), [unread, html.Ol(id="wall-feed", className="gp-feed")], cls="gp-feed-panel",
                  tip=tr(L.FEED_DEF, lang))


def _overdue(lang):
    head = html.Tr([html.Th(tr(c, lang)) for c in L.OVERDUE_COLS])
    return _panel(tr(L.OVERDUE, lang), [
        html.Div(className="gp-overdue-sum", children=[
            html.Span(tr(("超期", "Overdue"), lang)), html.B("—", id="wall-overdue-n", className="gp-red"),
            html.Span(tr(("督办（黄灯）", "Supervised (yellow)"), lang)), html.B("—", id="wall-yellow-n",
                                                                          className="gp-amber")]),
        html.Div(className="gp-scroll", children=html.Table(className="gp-table gp-overdue", children=[
            html.Thead(head), html.Tbody(id="wall-overdue")]))],
        cls="gp-overdue-panel", tip=OVERDUE_DEFINITION if lang != "en" else OVERDUE_DEFINITION.split(" · ", 1)[1])


def _categories(lang):
    return _panel(tr(L.CATEGORIES, lang), [html.Ol(id="wall-categories", className="gp-bars")], cls="gp-cat-panel",
                  tip=tr(("近30日受理数最多的事件/部件类别（按上报时间计）。",
                          "Categories with the most tickets received in the last 30 days (by report time)."), lang))


def _closure(lang):
    head = html.Tr([html.Th(""), *[html.Th(tr(lbl, lang)) for _, lbl in L.CASE_FIGURES]])
    rows = []
    for pid, plabel in (("today", L.TODAY), ("month", L.MONTH)):
        rows.append(html.Tr([html.Th(tr(plabel, lang)),
                             *[html.Td("—", id=f"wall-{pid}-{k}", className=f"gp-num gp-fig-{k}")
                               for k, _ in L.CASE_FIGURES]]))
    rates = []
    for key, label in L.RATES:
        rates.append(html.Div(className=f"gp-rate gp-rate--{key}", children=[
            html.Div([tr(label, lang), " ", info(f"{L.definition(key, label, lang)}. {tr(L.RATE_PERIOD, lang)}")],
                     className="gp-rate-label"),
            html.Div("—", id=f"wall-month-{key}", className="gp-rate-value"),
            html.Div([tr(L.TODAY, lang), " ", html.Span("—", id=f"wall-today-{key}")], className="gp-rate-sub"),
        ]))
    return _panel(tr(L.CLOSURE, lang), [
        html.Table(className="gp-table gp-figs", children=[html.Thead(head), html.Tbody(rows)]),
        html.Div(className="gp-rates", children=rates),
        html.Div(className="gp-asof", children=[tr(L.AS_OF, lang), " ", html.Span("—", id="wall-asof")]),
    ], cls="gp-closure", tip=tr(("受理、立案、结案按当期上报的工单计；在办、超期为这些工单此刻的状态。",
                                 "Received, registered and closed count the tickets reported in the period; open and "
                                 "overdue are those tickets' state right now."), lang))


def _trend(lang):
    return _panel(tr(L.TREND, lang), [
        dcc.Graph(id="wall-trend", figure=empty_trend(), className="gp-trend",
                  config={"displayModeBar": False, "staticPlot": False, "responsive": True},
                  style={"height": "100%", "width": "100%"})],
        cls="gp-trend-panel", tip=tr(("柱：每日受理数与其中已结案数；线：当日受理工单的结案率（结案/应结案）。",
                                      "Bars: tickets received per day and how many of them are closed; line: their "
                                      "closure rate (closed / due to close)."), lang))


def _ranking(lang, scope):
    head = html.Tr([html.Th(tr(c, lang)) for c in L.RANK_COLS])
    title = L.RANKING if scope is None else ("近30日社区排名 · 综合得分", "Community ranking, last 30 days · composite score")
    return _panel(tr(title, lang), [html.Div(className="gp-scroll", children=html.Table(
        className="gp-table gp-rank", children=[html.Thead(head), html.Tbody(id="wall-ranking")]))],
        cls="gp-grow gp-rank-panel", tip=L.definition("score", None, lang))
