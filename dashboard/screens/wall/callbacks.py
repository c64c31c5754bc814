"""The wall screen's callbacks: one slow server callback (the ticket panels, every 15 s, and at once when the browser
sets ``wall-kick`` after a reconnect or at local midnight) and small clientside ones that hand stores to the browser
code. Positions never pass through a callback."""

from __future__ import annotations

import logging

from dash import Input, Output, State, html, no_update

from dashboard.screens import kit
from dashboard.screens.localtime import zone
from dashboard.screens.wall import labels as L
from dashboard.screens.wall.data import read_patrol, read_tickets
from dashboard.screens.wall.figures import trend_figure

log = logging.getLogger(__name__)
PERIOD_IDS = ("today", "month")
FIG_KEYS = [k for k, _ in L.CASE_FIGURES]
RATE_KEYS = [k for k, _ in L.RATES]

# A store's data → the browser code (which may still be loading: GP.when hands it over once it is there).
_BRIDGE = """function (data) {
  if (window.GP) window.GP.when("wall", function (w) { w.onStore("%s", data); });
}"""


def register(app) -> None:
    outputs = [Output(f"wall-{p}-{k}", "children") for p in PERIOD_IDS for k in FIG_KEYS]
    outputs += [Output(f"wall-{p}-{k}", "children") for p in PERIOD_IDS for k in RATE_KEYS]
    outputs += [Output("wall-asof", "children"), Output("wall-trend", "figure"), Output("wall-ranking", "children"),
                Output("wall-categories", "children"), Output("wall-overdue", "children"),
                Output("wall-overdue-n", "children"), Output("wall-yellow-n", "children"),
                Output("wall-open", "data")]

    @app.callback(outputs, Input("wall-refresh", "n_intervals"), Input("wall-view", "data"), Input("wall-kick", "data"),
                  State("wall-scope-store", "data"))
    def refresh_tickets(_n, view, _kick, scope_data):
        principal = kit.caller()
        scope_data = scope_data or {}
        try:
            scope = principal.scope_street(scope_data.get("street")) if principal else None
        except PermissionError:
            principal = None
        service = kit.web_context().server.extensions.get("tickets")
        if principal is None or service is None:
            return [no_update] * len(outputs)
        lang = kit.lang_of(scope_data.get("lang"))
        try:
            d = read_tickets(service, scope, lang)
        except Exception:  # a store hiccup: keep what the screen shows, try again in 15 s
            log.exception("wall ticket panels")
            return [no_update] * len(outputs)
        scale = max(0.5, min(4.0, float((view or {}).get("rem") or 16) / 16))
        return panel_values(d, lang, kit.web_context().district, scale=scale)

    @app.callback(Output("wall-patrol", "data"), Input("wall-refresh", "n_intervals"), Input("wall-kick", "data"),
                  State("wall-scope-store", "data"))
    def refresh_patrol(_n, _kick, scope_data):
        principal = kit.caller()
        if principal is None:
            return no_update
        try:
            scope = principal.scope_street((scope_data or {}).get("street"))
        except PermissionError:
            return no_update
        ctx = kit.web_context()
        try:
            return read_patrol(ctx.reader, ctx.roster, scope, ctx.settings.timezone)
        except Exception:  # Redis down: the counters say so through the socket; keep the last coverage
            log.warning("wall patrol coverage unavailable", exc_info=True)
            return no_update

    for store in ("open", "patrol"):
        app.clientside_callback(_BRIDGE % store, Input(f"wall-{store}", "data"))
    app.clientside_callback(
        """function (n) { if (window.GP) window.GP.when("wall", function (w) { w.toggleHeat(n); }); }""",
        Input("wall-heat-toggle", "n_clicks"), prevent_initial_call=True)


def pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def num(v) -> str:
    return "—" if v is None else f"{int(v):,}"


def panel_values(d, lang: str, district, *, scale: float = 1.0) -> list:
    """The callback's outputs, in :func:`register`'s order (a pure function of the data: tested without Dash)."""
    out = [num(getattr(d, p).get(k)) for p in PERIOD_IDS for k in FIG_KEYS]
    out += [pct(getattr(d, p).get(k)) for p in PERIOD_IDS for k in RATE_KEYS]
    out.append(d.as_of.astimezone(zone()).strftime("%H:%M:%S"))
    out.append(trend_figure(d.trend, lang=lang, scale=scale))
    names = _names(district)
    out.append([html.Tr([html.Td(str(r["rank"]), className="gp-num"), html.Td(names.get(r["key"], r["key"])),
                         html.Td("—" if r["score"] is None else f"{r['score']:.1f}", className="gp-num gp-score"),
                         html.Td(pct(r["closure_rate"]), className="gp-num")]) for r in d.ranking[:12]])
    top = max([c["received"] for c in d.categories] or [1])
    out.append([html.Li(className="gp-bar", children=[
        html.Span(c["name"], className="gp-bar-name"),
        html.Span(className="gp-bar-track", children=html.Span(className="gp-bar-fill",
                                                               style={"width": f"{100 * c['received'] / top:.0f}%"})),
        html.B(num(c["received"]), className="gp-num")]) for c in d.categories]
        or [html.Li(kit.tr(L.NO_DATA, lang), className="gp-muted")])
    out.append([html.Tr([html.Td(names.get(r["street"], r["street"])), html.Td(r["category_name"]),
                         html.Td(f"{r['hours_over']:.1f}", className="gp-num gp-red")],
                        title=f"{r['number']} · {r['grid']} · {r['state']}") for r in d.overdue])
    lights = [row[4] for row in d.open_points["rows"]]
    out.append(num(lights.count("red")))
    out.append(num(lights.count("yellow")))
    out.append({**d.open_points, "t": int(d.as_of.timestamp() * 1000)})
    return out


def _names(district) -> dict:
    g = district.grids
    names = dict(zip(g["street_code"], g["street_name"], strict=True))
    names.update(zip(g["community_code"], g["community_name"], strict=True))
    return names

