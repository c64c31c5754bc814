"""The live map: street tints, grid outlines, street outlines, grid hover points and an (initially empty) dots trace.

The browser moves the dots (``assets/live.js`` restyles the trace whose ``uid`` is :data:`WORKERS_TRACE_UID`);
everything else is drawn once. 1,147 grid outlines are ONE trace of None-separated rings, not 1,147 traces.

Examples
--------
>>> from tests.conftest import make_box_district  # doctest: +SKIP
>>> fig = live_map_figure(make_box_district())  # doctest: +SKIP
>>> [t.uid for t in fig.data]  # doctest: +SKIP
['grids', 'streets', 'grid-labels', 'workers']
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import shapely
from shapely.geometry import mapping

from dashboard.settings import WebSettings
from geo.district import District

WORKERS_TRACE_UID = "workers"
BACKGROUND = "#06101f"
GRID_LINE = "rgba(94, 160, 230, 0.45)"
STREET_LINE = "#3fd0ff"
DOT_RED = "#ff3b30"
# One tint per street, cycled (dark-screen friendly, low alpha so the dots stay the brightest thing).
STREET_TINTS = ["#1f6feb", "#2ea043", "#a371f7", "#d29922", "#db61a2", "#39c5cf", "#f0883e", "#8b949e",
                "#56d364", "#79c0ff", "#ff7b72", "#e3b341"]
_DECIMALS = 6  # 1e-6° ≈ 0.1 m: enough for drawing, keeps the JSON small


def ring_lines(geoms, *, tolerance_deg: float = 0.0, gcj02: bool = False) -> tuple[list, list]:
    """Every ring (exterior and holes) of ``geoms`` as one lon list and one lat list, rings separated by None."""
    geoms = np.asarray(geoms, dtype=object)
    if tolerance_deg > 0:
        geoms = shapely.simplify(geoms, tolerance_deg, preserve_topology=True)
    rings = shapely.get_rings(shapely.get_parts(geoms))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return [], []
    lon, lat = _project(coords[:, 0], coords[:, 1], gcj02)
    # Insert a NaN row after each ring's last vertex, then turn NaN into None (JSON null = a gap in the line).
    breaks = np.flatnonzero(np.diff(ring_of)) + 1
    lon = np.insert(np.round(lon, _DECIMALS), breaks, np.nan)
    lat = np.insert(np.round(lat, _DECIMALS), breaks, np.nan)
    return _nan_to_none(lon), _nan_to_none(lat)


def map_style(settings: WebSettings) -> dict:
    """A MapLibre style with no external sources (offline), or with the configured intranet raster tiles."""
    style: dict = {
        "version": 8,
        "sources": {},
        "layers": [{"id": "background", "type": "background", "paint": {"background-color": BACKGROUND}}],
    }
    if settings.tile_url:
        style["sources"]["tiles"] = {"type": "raster", "tiles": [settings.tile_url], "tileSize": 256}
        style["layers"].append({"id": "tiles", "type": "raster", "source": "tiles",
                                "paint": {"raster-opacity": 0.55, "raster-saturation": -0.6}})
    return style


def fit_view(bounds: tuple[float, float, float, float], *, width_px: int = 1150, height_px: int = 840) -> tuple[dict, float]:
    """Centre and zoom (web-mercator) that fit ``bounds`` = (minx, miny, maxx, maxy) into a map of that size."""
    minx, miny, maxx, maxy = bounds
    span_lon = max(maxx - minx, 1e-6)
    y0, y1 = (math.log(math.tan(math.pi / 4 + math.radians(v) / 2)) for v in (miny, maxy))
    span_merc = max(y1 - y0, 1e-9)
    # MapLibre's world is 512 px wide at zoom 0 (not 256 as with raster-tile libraries).
    zoom_x = math.log2(360.0 * width_px / (512.0 * span_lon))
    zoom_y = math.log2(2 * math.pi * height_px / (512.0 * span_merc))
    center_lat = math.degrees(math.atan(math.sinh((y0 + y1) / 2)))
    return {"lon": (minx + maxx) / 2, "lat": center_lat}, round(min(zoom_x, zoom_y) - 0.1, 2)


def live_map_figure(district: District, *, settings: WebSettings | None = None, height_px: int | None = None) -> go.Figure:
    """The live map of ``district``: drawn once on the server; the dots trace is filled in the browser."""
    settings = settings or WebSettings()
    gcj = settings.draw_gcj02
    tol = settings.polygon_tolerance_deg
    grids = district.grids
    streets = district.streets

    grid_lon, grid_lat = ring_lines(grids.geometry.values, tolerance_deg=tol, gcj02=gcj)
    street_lon, street_lat = ring_lines(streets.geometry.values, tolerance_deg=tol, gcj02=gcj)
    points = shapely.point_on_surface(np.asarray(grids.geometry.values, dtype=object))
    label_lon, label_lat = _project(shapely.get_x(points), shapely.get_y(points), gcj)
    hover = [
        f"<b>{name}</b><br>{street} · {community}<br>网格编码 {code}<br>户数 {hh:,} · 常住人口 {res:,}"
        for name, street, community, code, hh, res in zip(
            grids["name"], grids["street_name"], grids["community_name"], grids["code"],
            grids["households"], grids["residents"], strict=True)
    ]

    fig = go.Figure()
    fig.add_trace(go.Scattermap(
        uid="grids", name="网格", lon=grid_lon, lat=grid_lat, mode="lines",
        line={"width": 0.8, "color": GRID_LINE}, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scattermap(
        uid="streets", name="街道边界", lon=street_lon, lat=street_lat, mode="lines",
        line={"width": 2.2, "color": STREET_LINE}, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scattermap(
        uid="grid-labels", name="网格信息", lon=np.round(label_lon, _DECIMALS), lat=np.round(label_lat, _DECIMALS),
        mode="markers", marker={"size": 5, "color": "rgba(120, 170, 230, 0.25)"},
        text=hover, hovertemplate="%{text}<extra></extra>", showlegend=False))
    fig.add_trace(go.Scattermap(
        uid=WORKERS_TRACE_UID, name="网格员", lon=[], lat=[], ids=[], text=[], mode="markers",
        marker={"size": 7, "color": DOT_RED, "opacity": 0.95},
        hovertemplate="%{text}<extra></extra>", showlegend=False))

    minx, miny, maxx, maxy = district.outline.bounds
    if gcj:
        (minx, maxx), (miny, maxy) = _project(np.array([minx, maxx]), np.array([miny, maxy]), True)
    center, zoom = fit_view((float(minx), float(miny), float(maxx), float(maxy)))
    fig.update_layout(
        map={"style": map_style(settings), "center": center, "zoom": settings.map_zoom or zoom,
             "layers": _street_tints(streets, tol, gcj)},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=BACKGROUND, plot_bgcolor=BACKGROUND,
        hoverlabel={"bgcolor": "#0d2038", "bordercolor": STREET_LINE, "font": {"color": "#e6f1ff", "size": 13}},
        uirevision="live-map",  # keep the user's pan/zoom when the dots are restyled
        showlegend=False,
        **({"height": height_px} if height_px else {}),
    )
    return fig


def _street_tints(streets, tol: float, gcj: bool) -> list[dict]:
    layers = []
    for k, geom in enumerate(streets.geometry.values):
        geom = shapely.simplify(geom, tol, preserve_topology=True) if tol > 0 else geom
        if gcj:
            geom = shapely.transform(geom, lambda xy: np.column_stack(_project(xy[:, 0], xy[:, 1], True)))
        layers.append({"sourcetype": "geojson", "source": {"type": "Feature", "geometry": mapping(geom), "properties": {}},
                       "type": "fill", "color": STREET_TINTS[k % len(STREET_TINTS)], "opacity": 0.10, "below": "traces"})
    return layers


def _project(lon, lat, gcj02: bool):
    if not gcj02:
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    from geo.coords import wgs84_to_gcj02

    return wgs84_to_gcj02(lon, lat)


def _nan_to_none(values: np.ndarray) -> list:
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out.tolist()
