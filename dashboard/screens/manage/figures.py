"""The drill-down's charts, pure functions of their rows (tested without a browser).

Figures are plain ``{"data", "layout"}`` dicts. Clickable traces carry the unit's code in ``customdata`` (bars) or
``locations`` (map), which the callbacks read from ``clickData`` to drill. Every chart can be saved as PNG from its
mode bar (Plotly renders it in the browser, offline).
"""

from __future__ import annotations

from dashboard.screens.kit import tr
from dashboard.screens.manage import labels as L
from dashboard.screens.mapframe import BACKGROUND, map_view

COLORS = {"received": "#3fd0ff", "closed": "#3ddc84", "rate": "#ffb020", "red": "#ff3b30", "yellow": "#ffb020",
          "green": "#3ddc84", "none": "#5d6b80", "bar": "#1f8fff", "muted": "#8aa2c2"}
RATE_SCALE = [[0.0, "#ff3b30"], [0.5, "#ffb020"], [0.8, "#e3d34a"], [1.0, "#3ddc84"]]
MIN_SPAN_PCT = 5.0  # the map's colour scale spans at least 5 points below 100%
_AXIS = {"gridcolor": "rgba(63,208,255,0.12)", "zeroline": False, "tickfont": {"color": "#8aa2c2", "size": 11}}
_NO_GRID = {**_AXIS, "gridcolor": "rgba(0,0,0,0)"}


def _pct(v) -> float | None:
    return None if v is None else round(100 * v, 1)


def _fig(data: list, layout: dict, *, legend: bool = True, margin: dict | None = None) -> dict:
    """A figure as a plain dict (Plotly's objects validate every property: ten times slower for the same JSON)."""
    base = {
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "font": {"color": "#d8e8ff", "size": 12},
        "margin": margin or {"l": 40, "r": 40, "t": 26, "b": 30}, "showlegend": legend,
        "legend": {"orientation": "h", "x": 0, "y": 1.12, "bgcolor": "rgba(0,0,0,0)"},
        "hoverlabel": {"bgcolor": "#0d2038"},
    }
    return {"data": data, "layout": {**base, **layout}}


def empty(lang: str) -> dict:
    return _fig([], {"xaxis": {"visible": False}, "yaxis": {"visible": False},
                     "annotations": [{"text": tr(L.NO_DATA, lang), "showarrow": False, "x": 0.5, "y": 0.5,
                                      "xref": "paper", "yref": "paper",
                                      "font": {"color": COLORS["muted"], "size": 14}}]}, legend=False)


def units_figure(rows: list[dict], lang: str) -> dict:
    """Closure rate per unit, best on top; the tickets received beside each bar; ``customdata`` = code."""
    rows = [r for r in rows if r.get("received")]
    if not rows:
        return empty(lang)
    rows = sorted(rows, key=lambda r: (r.get("closure_rate") is not None, r.get("closure_rate") or 0))
    text = [f"{_pct(r.get('closure_rate'))}% · {r['received']:,}" if r.get("closure_rate") is not None
            else f"{tr(L.NOTHING_DUE, lang)} · {r['received']:,}" for r in rows]
    bar = {"type": "bar", "orientation": "h", "x": [_pct(r.get("closure_rate")) or 0 for r in rows],
           "y": [r["name"] for r in rows], "customdata": [r["key"] for r in rows], "text": text,
           "textposition": "inside", "insidetextanchor": "end", "cliponaxis": False,
           "marker": {"color": [_rate_color(r.get("closure_rate")) for r in rows]},
           "hovertemplate": "%{y}<br>" + tr(("结案率", "Closure rate"), lang) + " %{x}%<extra></extra>"}
    return _fig([bar], {"xaxis": {**_AXIS, "range": [0, 100], "ticksuffix": "%"},
                        "yaxis": {**_NO_GRID, "automargin": True}, "bargap": 0.25, "clickmode": "event",
                        "height": max(260, 22 * len(rows) + 50)},
                legend=False, margin={"l": 10, "r": 16, "t": 8, "b": 26})


def _rate_color(v) -> str:
    if v is None:
        return COLORS["none"]
    if v >= 0.95:
        return COLORS["green"]
    return COLORS["yellow"] if v >= 0.85 else COLORS["red"]


def rate_range(rates: list[float]) -> tuple[float, float]:
    """The map's colour range in %: from a whole point below the lowest rate (at least 5 points) to 100."""
    low = min(rates) if rates else 100.0
    return float(min(int(low) - 1, 100 - MIN_SPAN_PCT)), 100.0


def map_figure(geojson: dict, bounds, rows: list[dict], lang: str, settings, *, height_px: int = 520,
               width_px: int = 900) -> dict:
    """A choropleth of the closure rate of the units in ``geojson`` (``id`` = code); grey where nothing is due."""
    by_code = {r["key"]: r for r in rows}
    codes = [f["id"] for f in geojson["features"]]
    rated = [c for c in codes if (by_code.get(c) or {}).get("closure_rate") is not None]
    rated_set = set(rated)
    blank = [c for c in codes if c not in rated_set]

    def hover(c):
        r = by_code.get(c) or {}
        rate = _pct(r.get("closure_rate"))
        return (f"{r.get('name', c)}<br>{tr(('结案率', 'Closure rate'), lang)} "
                f"{'—' if rate is None else f'{rate}%'}<br>{tr(('受理', 'Received'), lang)} {r.get('received', 0):,}")

    data = []
    if blank:
        data.append({"type": "choroplethmap", "geojson": geojson, "locations": blank, "z": [0] * len(blank),
                     "zmin": 0, "zmax": 1, "showscale": False, "colorscale": [[0, "#2a3446"], [1, "#2a3446"]],
                     "marker": {"line": {"width": 1, "color": "#5ea0e6"}, "opacity": 0.85},
                     "text": [hover(c) for c in blank], "hovertemplate": "%{text}<extra></extra>", "name": "blank"})
    if rated:
        z = [_pct(by_code[c]["closure_rate"]) for c in rated]
        zmin, zmax = rate_range(z)
        data.append({"type": "choroplethmap", "geojson": geojson, "locations": rated, "z": z, "zmin": zmin,
                     "zmax": zmax, "colorscale": RATE_SCALE,
                     "marker": {"line": {"width": 1, "color": "#9fd4ff"}, "opacity": 0.8},
                     "colorbar": {"title": {"text": tr(("结案率", "Closure"), lang), "side": "top"},
                                  "ticksuffix": "%", "thickness": 12, "len": 0.8, "x": 1.0,
                                  "tickfont": {"color": "#d8e8ff"}},
                     "text": [hover(c) for c in rated], "hovertemplate": "%{text}<extra></extra>", "name": "rate"})
    return {"data": data, "layout": {
        "map": map_view(bounds, settings, width_px=width_px, height_px=height_px),
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "paper_bgcolor": BACKGROUND, "showlegend": False,
        "clickmode": "event", "font": {"color": "#d8e8ff"}, "hoverlabel": {"bgcolor": "#0d2038"}}}


def trend_figure(rows: list[dict], by: str, lang: str) -> dict:
    """Received and closed (bars) and the closure rate (line, right axis) per day or hour of day."""
    if not rows:
        return empty(lang)
    x = [f"{r['key']:02d}:00" if by == "hour" else str(r["key"])[5:] for r in rows]
    data = [
        {"type": "bar", "x": x, "y": [r["received"] for r in rows], "name": tr(("受理", "Received"), lang),
         "marker": {"color": COLORS["received"]}, "opacity": 0.55},
        {"type": "bar", "x": x, "y": [r["closed"] for r in rows], "name": tr(("结案", "Closed"), lang),
         "marker": {"color": COLORS["closed"]}},
        {"type": "scatter", "x": x, "y": [_pct(r.get("closure_rate")) for r in rows], "yaxis": "y2",
         "name": tr(("结案率 %", "Closure rate %"), lang), "mode": "lines+markers",
         "line": {"color": COLORS["rate"], "width": 2}, "marker": {"size": 4}},
    ]
    return _fig(data, {"barmode": "overlay", "bargap": 0.2, "xaxis": {**_AXIS, "type": "category", "nticks": 16},
                       "yaxis": _AXIS,
                       "yaxis2": {**_AXIS, "overlaying": "y", "side": "right", "range": [0, 105], "tickmode": "auto",
                                  "ticksuffix": "%", "showgrid": False}, "hovermode": "x unified"})


def funnel_figure(row: dict, lang: str) -> dict:
    """Received → registered → dispatched → handled → closed of the selection's cohort."""
    if not row.get("received"):
        return empty(lang)
    stages = L.FUNNEL_STAGES
    funnel = {"type": "funnel", "y": [tr(label, lang) for _, label in stages],
              "x": [int(row.get(k) or 0) for k, _ in stages], "textinfo": "value+percent initial",
              "texttemplate": "%{value:,}<br>%{percentInitial:.1%}",
              "marker": {"color": ["#3fd0ff", "#3aa8ff", "#5b8cff", "#8a7bff", "#3ddc84"]},
              "connector": {"line": {"color": "#1d4a7a"}}, "hovertemplate": "%{y}: %{x:,}<extra></extra>"}
    return _fig([funnel], {"yaxis": _NO_GRID}, legend=False, margin={"l": 70, "r": 20, "t": 10, "b": 10})


def pareto_figure(rows: list[dict], lang: str, *, top: int = 15) -> dict:
    """Tickets received per category (most first) and the cumulative share (right axis), with the 80% line."""
    if not rows:
        return empty(lang)
    rows = rows[:top]
    x = [r["name"] for r in rows]
    data = [
        {"type": "bar", "x": x, "y": [r["received"] for r in rows], "name": tr(("受理", "Received"), lang),
         "marker": {"color": COLORS["bar"]}, "customdata": [r["key"] for r in rows]},
        {"type": "scatter", "x": x, "y": [_pct(r["cum_share"]) for r in rows], "yaxis": "y2",
         "name": tr(("累计占比 %", "Cumulative %"), lang), "mode": "lines+markers",
         "line": {"color": COLORS["rate"], "width": 2}},
    ]
    line80 = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y2", "y0": 80, "y1": 80,
              "line": {"color": "#ff7b72", "dash": "dash", "width": 1}}
    return _fig(data, {"xaxis": {**_AXIS, "tickangle": -35, "automargin": True}, "yaxis": _AXIS,
                       "yaxis2": {**_AXIS, "overlaying": "y", "side": "right", "range": [0, 102], "tickmode": "auto",
                                  "ticksuffix": "%", "showgrid": False}, "shapes": [line80]},
                margin={"l": 40, "r": 40, "t": 26, "b": 10})


def departments_figure(rows: list[dict], lang: str, *, top: int = 12) -> dict:
    """Per department (most dispatched first): on-time handling rate, mean handling hours, returns; three panels
    sharing the department axis."""
    rows = [r for r in rows if r.get("dispatched")][:top]
    if not rows:
        return empty(lang)
    rows = rows[::-1]  # the first row on top
    y = [r["name"] for r in rows]
    rate = [r.get("on_time_handling_rate") for r in rows]
    data = [
        {"type": "bar", "orientation": "h", "x": [_pct(v) or 0 for v in rate], "y": y, "xaxis": "x", "yaxis": "y",
         "marker": {"color": [_rate_color(v) for v in rate]}, "textposition": "inside", "insidetextanchor": "end",
         "text": [f"{_pct(v)}%" if v is not None else "—" for v in rate],
         "hovertemplate": "%{y}: %{x}%<extra></extra>"},
        {"type": "bar", "orientation": "h", "x": [r.get("avg_handle_h") or 0 for r in rows], "y": y, "xaxis": "x2",
         "yaxis": "y", "marker": {"color": COLORS["received"]}, "textposition": "auto",
         "text": [f"{r['avg_handle_h']:.1f}" if r.get("avg_handle_h") is not None else "—" for r in rows],
         "hovertemplate": "%{y}: %{x:.1f} h<extra></extra>"},
        {"type": "bar", "orientation": "h", "x": [r.get("returns") or 0 for r in rows], "y": y, "xaxis": "x3",
         "yaxis": "y", "marker": {"color": COLORS["rate"]}, "textposition": "auto",
         "text": [str(r.get("returns") or 0) for r in rows], "hovertemplate": "%{y}: %{x}<extra></extra>"},
    ]
    gap = 0.03
    w = (1 - 2 * gap) / 3
    domains = [[i * (w + gap), i * (w + gap) + w] for i in range(3)]
    titles = [{"text": tr(c, lang), "x": (a + b) / 2, "y": 1.0, "xref": "paper", "yref": "paper", "showarrow": False,
               "xanchor": "center", "yanchor": "bottom", "font": {"color": "#3fd0ff", "size": 12}}
              for c, (a, b) in zip(L.DEPTS_COLS, domains, strict=True)]
    layout = {"xaxis": {**_AXIS, "domain": domains[0], "range": [0, 100], "ticksuffix": "%"},
              "xaxis2": {**_AXIS, "domain": domains[1], "anchor": "y"},
              "xaxis3": {**_AXIS, "domain": domains[2], "anchor": "y"},
              "yaxis": {**_NO_GRID, "automargin": True}, "annotations": titles, "bargap": 0.3,
              "height": max(300, 26 * len(rows) + 70)}
    return _fig(data, layout, legend=False, margin={"l": 10, "r": 10, "t": 28, "b": 24})


def lights_figure(rows: list[dict], lang: str) -> dict:
    """Open tickets per current step, stacked by time-limit light (red, yellow, green, clock stopped)."""
    rows = [r for r in rows if r.get("open")]
    if not rows:
        return empty(lang)
    order = list(L.STEPS)
    rows = sorted(rows, key=lambda r: order.index(r["step"]) if r["step"] in order else len(order))[::-1]
    y = [tr(L.STEPS.get(r["step"], (r["step"], r["step"])), lang) for r in rows]
    data = [{"type": "bar", "orientation": "h", "x": [r[light] for r in rows], "y": y,
             "name": tr(L.LIGHT_NAMES[light], lang), "marker": {"color": COLORS[light]},
             "hovertemplate": "%{y}: %{x}<extra>" + tr(L.LIGHT_NAMES[light], lang) + "</extra>"}
            for light in ("red", "yellow", "green", "none")]
    return _fig(data, {"barmode": "stack", "bargap": 0.3, "xaxis": _AXIS, "yaxis": {**_NO_GRID, "automargin": True}},
                margin={"l": 10, "r": 16, "t": 30, "b": 24})



GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
                "toImageButtonOptions": {"format": "png", "scale": 2}}


def graph_config(name: str) -> dict:
    """A chart's mode bar: PNG export (rendered in the browser, offline) named after the chart."""
    return {**GRAPH_CONFIG, "toImageButtonOptions": {**GRAPH_CONFIG["toImageButtonOptions"], "filename": f"gridpulse-{name}"}}
