"""What every map screen shares: the offline MapLibre style, grid and street outlines, and framing a map on its area.

Pure functions of their data. Coordinates are stored WGS-84; with GCJ-02 tiles (``WebSettings.draw_gcj02``) every
drawn coordinate, the framed view included, is shifted once here.

>>> layout = {"map": map_view(grids.total_bounds, settings)}  # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import mapping

BACKGROUND = "#06101f"
GRID_LINE = "rgba(94, 160, 230, 0.45)"
STREET_LINE = "#3fd0ff"
# One tint per street, cycled (dark-screen friendly, low alpha so the dots stay the brightest thing).
STREET_TINTS = ["#1f6feb", "#2ea043", "#a371f7", "#d29922", "#db61a2", "#39c5cf", "#f0883e", "#8b949e",
                "#56d364", "#79c0ff", "#ff7b72", "#e3b341"]
_DECIMALS = 6  # 1e-6° ≈ 0.1 m: enough for drawing, keeps the JSON small
MIN_TOLERANCE_DEG = 2e-5  # outlines drawn on a screen need no more than ~2 m


def project(lon, lat, gcj02: bool):
    """WGS-84 → what the map draws: unchanged, or GCJ-02 when drawing over GCJ-02 tiles."""
    if not gcj02:
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    from geo.coords import wgs84_to_gcj02

    return wgs84_to_gcj02(lon, lat)


def drawing(settings) -> tuple[bool, float]:
    """``(gcj02, tolerance_deg)`` with which a screen draws outlines."""
    return settings.draw_gcj02, max(settings.polygon_tolerance_deg, MIN_TOLERANCE_DEG)


def ring_lines(geoms, *, tolerance_deg: float = 0.0, gcj02: bool = False) -> tuple[list, list]:
    """Every ring (exterior and holes) of ``geoms`` as one lon list and one lat list, rings separated by None."""
    geoms = np.asarray(geoms, dtype=object)
    if tolerance_deg > 0:
        geoms = shapely.simplify(geoms, tolerance_deg, preserve_topology=True)
    rings = shapely.get_rings(shapely.get_parts(geoms))
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return [], []
    lon, lat = project(coords[:, 0], coords[:, 1], gcj02)
    # Insert a NaN row after each ring's last vertex, then turn NaN into None (JSON null = a gap in the line).
    breaks = np.flatnonzero(np.diff(ring_of)) + 1
    lon = np.insert(np.round(lon, _DECIMALS), breaks, np.nan)
    lat = np.insert(np.round(lat, _DECIMALS), breaks, np.nan)
    return _nan_to_none(lon), _nan_to_none(lat)


def grids_geojson(grids, tolerance_deg: float, gcj02: bool) -> dict:
    """The grid polygons as a FeatureCollection with ``id`` = grid code (simplified, 1e-5° ≈ 1 m precision)."""
    geoms = np.asarray(grids.geometry.values, dtype=object)
    if tolerance_deg > 0:
        geoms = shapely.simplify(geoms, tolerance_deg, preserve_topology=True)
    if gcj02:
        geoms = [_shifted(g) for g in geoms]
    geoms = shapely.set_precision(np.asarray(geoms, dtype=object), 1e-5)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": code, "properties": {}, "geometry": mapping(g)}
        for code, g in zip(grids["code"], geoms, strict=True)]}


def street_tints(streets, tolerance_deg: float, gcj02: bool) -> list[dict]:
    """One translucent fill layer per street, under the traces."""
    layers = []
    for k, geom in enumerate(streets.geometry.values):
        geom = shapely.simplify(geom, tolerance_deg, preserve_topology=True) if tolerance_deg > 0 else geom
        if gcj02:
            geom = _shifted(geom)
        layers.append({"sourcetype": "geojson", "source": {"type": "Feature", "geometry": mapping(geom), "properties": {}},
                       "type": "fill", "color": STREET_TINTS[k % len(STREET_TINTS)], "opacity": 0.10, "below": "traces"})
    return layers


def map_style(settings) -> dict:
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


def fit_view(bounds, *, width_px: int = 1150, height_px: int = 840) -> tuple[dict, float]:
    """Centre and zoom (web-mercator) that fit ``bounds`` = (minx, miny, maxx, maxy) into a map of that size."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    span_lon = max(maxx - minx, 1e-6)
    y0, y1 = (math.log(math.tan(math.pi / 4 + math.radians(v) / 2)) for v in (miny, maxy))
    span_merc = max(y1 - y0, 1e-9)
    # MapLibre's world is 512 px wide at zoom 0 (not 256 as with raster-tile libraries).
    zoom_x = math.log2(360.0 * width_px / (512.0 * span_lon))
    zoom_y = math.log2(2 * math.pi * height_px / (512.0 * span_merc))
    center_lat = math.degrees(math.atan(math.sinh((y0 + y1) / 2)))
    return {"lon": (minx + maxx) / 2, "lat": center_lat}, round(min(zoom_x, zoom_y) - 0.1, 2)


def map_view(bounds, settings, *, layers: list | None = None, width_px: int = 1150, height_px: int = 840) -> dict:
    """The layout's ``map``: the style, and the centre and zoom that frame ``bounds`` (WGS-84, shifted as drawn);
    ``settings.map_zoom`` overrides the fitted zoom when set."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if settings.draw_gcj02:
        (minx, maxx), (miny, maxy) = project(np.array([minx, maxx]), np.array([miny, maxy]), True)
    center, zoom = fit_view((minx, miny, maxx, maxy), width_px=width_px, height_px=height_px)
    view = {"style": map_style(settings), "center": center, "zoom": settings.map_zoom or zoom}
    if layers:
        view["layers"] = layers
    return view


def _shifted(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1], True)))


def _nan_to_none(values: np.ndarray) -> list:
    out = values.astype(object)
    out[np.isnan(values)] = None
    return out.tolist()
