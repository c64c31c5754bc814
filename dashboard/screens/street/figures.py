"""The street screen's map: the street's grids coloured by today's patrol minutes, unvisited grids in red.

Pure functions of their data (tested without a browser).  Dots, tracks, stays and the replay are drawn by the
browser on a canvas over this map (``static/street.js``); the coverage colours are restyled by the browser when
the patrol figures refresh (once a minute, never per position push).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard.screens.mapframe import BACKGROUND, STREET_LINE, drawing, grids_geojson, map_view, ring_lines

COVERAGE_UID = "coverage"
UNVISITED_UID = "unvisited"
UNVISITED = "rgba(214, 40, 57, 0.55)"
# patrol minutes 0 → dim blue, the street's busiest grid → green
COVERAGE_SCALE = [[0.0, "rgba(31, 111, 235, 0.20)"], [0.5, "rgba(57, 197, 207, 0.45)"], [1.0, "rgba(61, 220, 132, 0.65)"]]


def coverage_values(codes: list[str], minutes: dict[str, float]) -> tuple[list[float], list[float]]:
    """(z of the coverage trace, z of the unvisited trace): a grid with no minutes and no fix is unvisited.

    ``minutes`` maps a visited grid to its patrol minutes (a grid present with 0 was visited without credited
    time).  The unvisited trace paints 1 where unvisited and NaN elsewhere (NaN = transparent).
    """
    z, red = [], []
    for c in codes:
        if c in minutes:
            z.append(float(minutes[c]))
            red.append(float("nan"))
        else:
            z.append(float("nan"))
            red.append(1.0)
    return z, red


def street_map_figure(grids, street_geoms, settings, minutes: dict[str, float] | None = None, *,
                      lang: str = "zh-CN") -> go.Figure:
    """``grids``: the street's rows of ``district.grids``; ``minutes``: today's visited grids → patrol minutes."""
    codes = list(grids["code"])
    en = lang == "en"
    patrol_tip = "patrol %{z:.0f} min" if en else "巡查 %{z:.0f} 分钟"
    unvisited_tip = "not visited today" if en else "今日未到访"
    gcj, tol = drawing(settings)
    geo = grids_geojson(grids, tol, gcj)
    z, red = coverage_values(codes, minutes or {})
    zmax = max([v for v in z if v == v] or [1.0]) or 1.0
    fig = go.Figure()
    fig.add_trace(go.Choroplethmap(
        uid=COVERAGE_UID, geojson=geo, locations=codes, z=z, zmin=0, zmax=zmax, colorscale=COVERAGE_SCALE,
        showscale=False, marker={"line": {"width": 1.0, "color": "rgba(120, 180, 240, 0.8)"}},
        customdata=list(grids["name"]), hovertemplate="%{customdata}<br>%{location}<br>" + patrol_tip + "<extra></extra>",
        name="coverage"))
    fig.add_trace(go.Choroplethmap(
        uid=UNVISITED_UID, geojson=geo, locations=codes, z=red, zmin=0, zmax=1,
        colorscale=[[0, UNVISITED], [1, UNVISITED]], showscale=False,
        marker={"line": {"width": 2.0, "color": "#ff5a6a"}}, customdata=list(grids["name"]),
        hovertemplate="%{customdata}<br>%{location}<br>" + unvisited_tip + "<extra></extra>", name="unvisited"))
    s_lon, s_lat = ring_lines(np.asarray(street_geoms, dtype=object), tolerance_deg=tol, gcj02=gcj)
    fig.add_trace(go.Scattermap(uid="street", lon=s_lon, lat=s_lat, mode="lines", hoverinfo="skip",
                                line={"width": 2.4, "color": STREET_LINE}, showlegend=False, name="street"))
    fig.update_layout(map=map_view(grids.total_bounds, settings),
                      margin={"l": 0, "r": 0, "t": 0, "b": 0}, paper_bgcolor=BACKGROUND, plot_bgcolor=BACKGROUND,
                      uirevision="street-map", showlegend=False, dragmode="pan")
    return fig
