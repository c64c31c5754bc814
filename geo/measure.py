"""Geodesic measures on WGS-84 geometry (areas in km² and m², distances in m)."""

from __future__ import annotations

import numpy as np
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

_GEOD = Geod(ellps="WGS84")
EARTH_RADIUS_M = 6_371_008.8


def area_m2(geom: BaseGeometry) -> float:
    """Geodesic area of a lon/lat polygon in m²."""
    if geom is None or geom.is_empty:
        return 0.0
    return abs(_GEOD.geometry_area_perimeter(geom)[0])


def area_km2(geom: BaseGeometry) -> float:
    return area_m2(geom) / 1e6


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres; works elementwise on numpy arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def metres_per_degree(lat: float) -> tuple[float, float]:
    """(metres per degree of longitude, metres per degree of latitude) near ``lat``: a local equirectangular scale."""
    m_lat = np.pi * EARTH_RADIUS_M / 180
    return m_lat * np.cos(np.radians(lat)), m_lat
