"""The wall screen's figures, pure functions of their data: the map (built once per scope and cached) and the trend.

The map draws only what does not move each second: street tints, grid polygons (a choropleth, so hovering anywhere in
a grid names it), street outlines. Worker dots, street names, the ticket heat and new-ticket marks are drawn by the
browser on canvases over the map (``static/overlay.js``), so a positions push never repaints the WebGL map.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard.screens.mapframe import (
    BACKGROUND,
    GRID_LINE,
    STREET_LINE,
    drawing,
    grids_geojson,
    map_view,
    ring_lines,
    street_tints,
)

GRIDS_UID = "grids"
TREND_COLORS = {"received": "#3fd0ff", "closed": "#3ddc84", "rate": "#ffb020"}


def wall_map_figure(ctx, scope: str | None) -> dict:
    """The map of the district (``scope=None``) or one street as a plain dict, built once per scope and process
    (1,147 polygons are neither rebuilt nor re-validated per page view)."""
    cache = ctx.server.extensions.setdefault("gridpulse.wall.maps", {})
    if scope not in cache:
        cache[scope] = map_figure(ctx.district, ctx.web_settings, scope).to_plotly_json()
    return cache[scope]


def map_figure(district, settings, scope: str | None = None) -> go.Figure:
    grids = district.grids
    streets = district.streets
    if scope is not None:
        grids = grids[grids["street_code"] == scope]
        streets = streets[streets["street_code"] == scope]
    gcj, tol = drawing(settings)
    fig = go.Figure()
    fig.add_trace(go.Choroplethmap(
        uid=GRIDS_UID, geojson=grids_geojson(grids, tol, gcj), locations=list(grids["code"]),
        z=np.zeros(len(grids)), zmin=0, zmax=1, colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
        showscale=False, marker={"line": {"width": 0.7, "color": GRID_LINE}, "opacity": 1},
        hoverinfo="none", name="grids"))
    s_lon, s_lat = ring_lines(streets.geometry.values, tolerance_deg=tol, gcj02=gcj)
    fig.add_trace(go.Scattermap(uid="streets", lon=s_lon, lat=s_lat, mode="lines", hoverinfo="skip",
                                line={"width": 2.4, "color": STREET_LINE}, showlegend=False, name="streets"))
    fig.update_layout(
        map=map_view(grids.total_bounds, settings, layers=street_tints(streets, tol, gcj)),
        margin={"l": 0, "r": 0, "t": 0, "b": 0}, paper_bgcolor=BACKGROUND, plot_bgcolor=BACKGROUND,
        uirevision="wall-map", showlegend=False, dragmode="pan",
    )
    return fig


def empty_trend() -> go.Figure:
    return trend_figure([], lang="zh-CN")


def trend_figure(rows: list[dict], *, lang: str, scale: float = 1.0) -> go.Figure:
    """Received and closed per day (bars) and the closure rate (line, right axis) of ``metrics.series`` rows.

    ``scale`` multiplies fonts, margins and markers (2 on a 4K wall, whose root font is 32 px).
    """
    fs = round(11 * scale)
    en = lang == "en"
    days = [r["key"][5:] for r in rows]
    fig = go.Figure()
    fig.add_bar(x=days, y=[r["received"] for r in rows], name="Received" if en else "受理",
                marker_color=TREND_COLORS["received"], opacity=0.55)
    fig.add_bar(x=days, y=[r["closed"] for r in rows], name="Closed" if en else "结案",
                marker_color=TREND_COLORS["closed"], opacity=0.9)
    rate = [None if r.get("closure_rate") is None else round(100 * r["closure_rate"], 1) for r in rows]
    fig.add_scatter(x=days, y=rate, name="Closure %" if en else "结案率%", yaxis="y2", mode="lines+markers",
                    line={"color": TREND_COLORS["rate"], "width": 2 * scale}, marker={"size": 4 * scale})
    axis = {"gridcolor": "rgba(63,208,255,0.12)", "zeroline": False, "tickfont": {"color": "#8aa2c2", "size": fs},
            "fixedrange": True}
    fig.update_layout(
        barmode="overlay", bargap=0.25,
        margin={"l": round(34 * scale), "r": round(38 * scale), "t": round(6 * scale), "b": round(22 * scale)},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", font={"color": "#d8e8ff", "size": fs},
        legend={"orientation": "h", "x": 0, "y": 1.14, "font": {"size": fs}, "bgcolor": "rgba(0,0,0,0)"},
        xaxis={**axis, "type": "category", "nticks": 8}, yaxis=axis,
        yaxis2={**axis, "overlaying": "y", "side": "right", "range": [0, 105], "dtick": 25, "ticksuffix": "%",
                "showgrid": False},
        hovermode="x unified", hoverlabel={"bgcolor": "#0d2038", "font": {"size": fs}},
    )
    return fig
