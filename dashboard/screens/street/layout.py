"""The street screen's layout: static, built per request for the caller's street and language.

A street token sees its own street; the admin token any street (``?street=CODE``, else the first) with a picker.
Everything that moves is filled in by ``static/street.js`` from the street APIs (:mod:`dashboard.api.tracks`,
:mod:`dashboard.api.coverage`, :mod:`dashboard.api.alerts`, ``/api/v1/patrol``) and the street's Socket.IO room.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dash import dcc, html

from dashboard.screens import kit
from dashboard.screens.kit import info, tr
from dashboard.screens.street import labels as L
from dashboard.screens.street.figures import street_map_figure

FILES = ["street.css", "panels.js", "replay.js", "street.js"]
SPEEDS = [1, 10, 30, 60, 120, 300, 600]


def layout(lang: str | None = None, street: str | None = None, **_query):
    lang = kit.lang_of(lang)
    principal, scope, refusal = kit.page_access(street, lang)
    if refusal is not None:
        return refusal
    ctx = kit.web_context()
    district = ctx.district
    streets = list(zip(district.streets["street_code"], district.streets["street_name"], strict=True))
    if scope is None:  # an admin without ?street=: the first street, with the picker
        scope = streets[0][0]
    names = dict(streets)
    if scope not in names:
        return kit.forbidden(tr(("没有该街道：", "No such street: "), lang) + scope, lang)
    ctx.want_tracks(scope)  # parsed ahead by the track-prefetch chore, for the first track or replay request
    grids = district.grids[district.grids["street_code"] == scope]
    street_geoms = district.streets[district.streets["street_code"] == scope].geometry.values
    figure = _cached_figure(ctx, scope, grids, street_geoms, lang)
    workers = [w for w in ctx.roster.workers if w.street_code == scope]
    tz = ZoneInfo(ctx.settings.timezone)
    today = datetime.now(tz).date().isoformat()
    config = {
        "street": scope,
        "street_name": names[scope],
        "today": today,
        "grids": list(grids["code"]),
        "grid_names": dict(zip(grids["code"], grids["name"], strict=True)),
        "workers": [[w.worker_id, w.name, w.home_grid] for w in workers],
        "bounds": [round(float(v), 6) for v in grids.total_bounds],
        "gcj02": ctx.web_settings.draw_gcj02,
        "target_min": ctx.settings.visit_target_min,
        "stay_min_s": ctx.settings.stay_min_s,
        "labels": L.browser_labels(lang),
        "speeds": SPEEDS,
    }
    picker = (dcc.Dropdown(id="street-picker", options=[{"label": n, "value": c} for c, n in streets], value=scope,
                           clearable=False, className="gp-street-picker", searchable=False)
              if principal.is_admin else html.Span(names[scope], className="gp-scope-badge", id="street-badge"))
    return html.Div(className="gp-root gp-street", children=[
        html.Header(className="gp-header", children=[
            html.Div(className="gp-title", children=[
                html.H1(f"{names[scope]} · {tr(L.TITLE, lang)}"),
                html.Span(tr(L.SUBTITLE, lang), className="gp-subtitle"),
            ]),
            html.Div(picker, className="gp-picker-box", title=tr(L.PICK_STREET, lang)),
            kit.clock(lang),
            html.Span(tr(L.CONNECTING, lang), id="street-conn", className="gp-conn gp-conn--wait"),
            kit.lang_switch(lang),
        ]),
        html.Main(className="gp-street-grid", children=[
            html.Section(className="gp-street-kpis", children=_kpis(lang)),
            html.Section(className="gp-street-map", children=[_map(figure, lang), _replay_bar(lang, today)]),
            html.Aside(className="gp-street-side", children=[_workers(lang), _coverage(lang, scope), _alerts(lang)]),
        ]),
        dcc.Location(id="street-url", refresh=True),
        kit.page_config("street", FILES, config, lang),
    ])


def _cached_figure(ctx, scope, grids, street_geoms, lang):
    cache = ctx.server.extensions.setdefault("gridpulse.street.maps", {})
    key = (scope, lang)
    if key not in cache:
        cache[key] = street_map_figure(grids, street_geoms, ctx.web_settings, lang=lang)
    return cache[key]


def _panel(title, children, *, cls: str = "", tip: str | None = None, extra=None):
    head = [title, " ", info(tip)] if tip else [title]
    if extra is not None:
        head.append(extra)
    return html.Section(className=f"gp-panel {cls}".strip(), children=[html.H2(head), *children])


def _kpis(lang):
    return [html.Div(className=f"gp-skpi gp-skpi--{key}", children=[
        html.Div([tr(label, lang), " ", info(tr(definition, lang))], className="gp-skpi-label"),
        html.Div("—", id=f"street-k-{key}", className="gp-skpi-value")]) for key, label, definition in L.KPIS]


def _map(figure, lang):
    legend = [html.Span(className="gp-legend-item", children=[html.I(className=f"gp-sw gp-sw--{k}"), tr(v, lang)])
              for k, v in L.LEGEND]
    return html.Div(id="street-map", className="gp-map", children=[
        dcc.Graph(id="street-map-graph", figure=figure, className="gp-graph",
                  config={"displayModeBar": False, "scrollZoom": True, "responsive": True, "doubleClick": False},
                  style={"height": "100%", "width": "100%"}),
        html.Canvas(id="street-canvas", className="gp-overlay"),
        html.Div(className="gp-map-title", children=[tr(L.MAP, lang), " ", info(tr(L.MAP_DEF, lang))]),
        html.Div(className="gp-map-legend", children=legend),
        html.Div(id="street-track-info", className="gp-track-info", hidden=True),
    ])


def _replay_bar(lang, today):
    return html.Div(id="replay-bar", className="gp-replay", children=[
        html.Span([tr(L.REPLAY, lang), " ", info(tr(L.REPLAY_DEF, lang))], className="gp-replay-title"),
        dcc.Input(id="replay-date", type="date", value=today, className="gp-in", debounce=True),
        dcc.Input(id="replay-from", type="time", value="08:00", className="gp-in", debounce=True),
        html.Span("–"),
        dcc.Input(id="replay-to", type="time", value="12:00", className="gp-in", debounce=True),
        html.Button(tr(L.BROWSER["load"], lang), id="replay-load", className="gp-btn"),
        html.Button("▶", id="replay-play", className="gp-btn gp-btn--play", disabled=True,
                    title=tr(L.BROWSER["play"], lang)),
        # speed, slider and follow are plain form controls made by replay.js (not React-controlled: the replay
        # moves the slider several times a second)
        html.Span(id="replay-speed-box", className="gp-replay-box", title=tr(L.BROWSER["speed"], lang)),
        html.Span(id="replay-slider-box", className="gp-replay-box gp-replay-box--grow"),
        html.Span("--:--:--", id="replay-time", className="gp-replay-time"),
        html.Span(id="replay-follow-box", className="gp-replay-box"),
        html.Span("", id="replay-status", className="gp-muted gp-replay-status"),
        html.Button("✕", id="replay-close", className="gp-btn", title=tr(L.BROWSER["close"], lang)),
    ])


def _workers(lang):
    head = html.Tr([html.Th([tr(label, lang), " ", info(tr(tip, lang))] if tip else tr(label, lang),
                            **{"data-sort": key}, className="gp-sortable") for key, label, tip in L.WORKER_COLS])
    return _panel(tr(L.WORKERS, lang), [html.Div(className="gp-scroll", children=html.Table(
        id="street-workers", className="gp-table gp-workers", children=[html.Thead(head), html.Tbody()]))],
        cls="gp-workers-panel")


def _coverage(lang, scope):
    tabs = [html.Button(tr(label, lang), className="gp-tab" + (" gp-tab--on" if key == "today" else ""),
                        **{"data-period": key}) for key, label in L.PERIODS]
    exports = html.Span(className="gp-exports", children=[
        tr(L.EXPORT, lang), " ",
        *[html.A(f"{t} {f.upper()}", className="gp-export", href="#", **{"data-table": t, "data-fmt": f})
          for t in ("workers", "coverage") for f in ("csv", "xlsx")]])
    return _panel(tr(L.COVERAGE, lang), [
        html.Div(className="gp-tabs", id="street-periods", children=[*tabs, exports]),
        html.Div(className="gp-cov-body", children=[
            html.Div(className="gp-cov-col", children=[html.H3(tr(("网格到访天数", "Days visited per grid"), lang)),
                                                       html.Ol(id="street-cov-grids", className="gp-cov-list")]),
            html.Div(className="gp-cov-col", children=[html.H3(tr(L.NOT_VISITED, lang)),
                                                       html.Ul(id="street-cov-missing", className="gp-cov-list"),
                                                       html.H3(tr(L.BELOW_TARGET, lang)),
                                                       html.Ul(id="street-cov-below", className="gp-cov-list")]),
        ]),
    ], cls="gp-cov-panel", tip=tr(L.COVERAGE_DEF, lang))


def _alerts(lang):
    return _panel(tr(L.ALERTS, lang), [html.Ol(id="street-alerts", className="gp-feed gp-alerts")],
                  cls="gp-alerts-panel", tip=tr(L.ALERTS_DEF, lang),
                  extra=html.B("", id="street-unread", className="gp-unread"))
