"""Vectorized conversions between WGS-84, GCJ-02 (国测局 "Mars" coordinates) and BD-09 (Baidu).

GridPulse stores WGS-84; GCJ-02 is only for drawing over Chinese tile servers (AutoNavi/Tencent), BD-09 for
Baidu.  The forward formulas are the published, de-facto standard ones (the same as ``eviltransform``,
``gcoord`` and ``coordTransform``).  The inverses have no closed form; the usual one-step inverse is off by
1–2 m, so :func:`gcj02_to_wgs84` and :func:`bd09_to_gcj02` refine it by fixed-point iteration to ~1e-12°.

"Inside China" is the rough bounding box the reference implementations use (lon 72.004–137.8347,
lat 0.8293–55.8271, bounds exclusive).  Outside it every function returns the input unchanged, including the
GCJ-02 ↔ BD-09 step, so that a foreign point round-trips to itself.  (``coordTransform`` uses a tighter box,
lon 73.66–135.05, lat 3.86–53.55, and applies the BD-09 offset everywhere.)

Every function takes scalars, sequences or numpy arrays of equal (broadcastable) shape and returns a
``(lon, lat)`` tuple of float64 arrays of that shape (0-d arrays for scalar input).  NaN and ±inf are "outside
China" and pass through unchanged.

Examples
--------
>>> lon, lat = wgs84_to_gcj02(117.30, 39.10)
>>> round(float(lon), 6), round(float(lat), 6)
(117.306348, 39.101019)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(float(back[0]), 9), round(float(back[1]), 9)
(117.3, 39.1)
"""

from __future__ import annotations

import numpy as np

# Krasovsky 1940 ellipsoid, as the GCJ-02 algorithm defines it.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
CHINA_BOUNDS = (72.004, 0.8293, 137.8347, 55.8271)  # (min lon, min lat, max lon, max lat)
# Each fixed-point step shrinks the error ~100-fold: GCJ-02 5e-5° → 1e-11° after 4 steps, 1e-13° after 5.
_INVERSE_ITERATIONS = 5
_BD_ITERATIONS = 3  # BD-09: 2e-6° → 1e-12°


def in_china(lon, lat) -> np.ndarray:
    """True where (lon, lat) lies inside the rough China bounding box (:data:`CHINA_BOUNDS`); NaN → False."""
    lon, lat = _as_arrays(lon, lat)
    x0, y0, x1, y1 = CHINA_BOUNDS
    return (lon > x0) & (lon < x1) & (lat > y0) & (lat < y1)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → GCJ-02; points outside China unchanged."""
    lon, lat = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS-84 by fixed-point iteration (round trip within ~1e-12°); points outside China unchanged."""
    lon, lat = _as_arrays(lon, lat)
    # Solve w + offset(w) = g: start at w = g - offset(g) (the usual one-step inverse) and repeat.
    w_lon, w_lat = lon, lat
    for _ in range(_INVERSE_ITERATIONS):
        dlon, dlat = _gcj_offset(w_lon, w_lat)
        w_lon, w_lat = lon - dlon, lat - dlat
    inside = in_china(lon, lat)
    return np.where(inside, w_lon, lon), np.where(inside, w_lat, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09; points outside China unchanged."""
    lon, lat = _as_arrays(lon, lat)
    b_lon, b_lat = _bd_forward(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, b_lon, lon), np.where(inside, b_lat, lat)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02, the standard inverse refined by iteration; points outside China unchanged."""
    lon, lat = _as_arrays(lon, lat)
    g_lon, g_lat = _bd_inverse_approx(lon, lat)
    for _ in range(_BD_ITERATIONS):  # the closed-form inverse is only good to ~2e-6° (~0.2 m)
        f_lon, f_lat = _bd_forward(g_lon, g_lat)
        g_lon, g_lat = g_lon + (lon - f_lon), g_lat + (lat - f_lat)
    inside = in_china(lon, lat)
    return np.where(inside, g_lon, lon), np.where(inside, g_lat, lat)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 → BD-09 (via GCJ-02); points outside China unchanged."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → WGS-84 (via GCJ-02); points outside China unchanged."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _as_arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))


@np.errstate(invalid="ignore")  # sin(inf) is NaN, and the caller masks non-finite input out anyway
def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dlon, dlat) in degrees that GCJ-02 adds to a WGS-84 point, applied everywhere (callers mask)."""
    x, y = lon - 105.0, lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    # The two periodic terms in x are shared by both polynomials.
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    t_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    t_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    t_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    t_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    t_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (t_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (t_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


@np.errstate(invalid="ignore")
def _bd_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


@np.errstate(invalid="ignore")
def _bd_inverse_approx(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 0.0065, lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)
