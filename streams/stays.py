"""Stay detection over one worker's fixes: where they stopped (a home visit, 入户) and how far they walked.

Pure functions over numpy arrays (time in unix s, lon/lat in WGS-84 degrees, time-ordered).

A *stay* is a run of consecutive fixes all within ``radius_m`` of the run's first fix, lasting at least ``min_s``
(the classic anchor rule of Li et al. 2008, also trackintel's ``generate_staypoints``), then re-centred on the
run's median and extended while fixes stay within ``radius_m`` of it, and broken by any silence
longer than ``max_gap_s`` (a phone that went dark is not known to have stayed).  Phones jitter by 5–15 m (more
indoors); compared fix to fix that noise alone would cross a 50 m radius every few dozen fixes and split a
30-minute visit, so positions are first smoothed with a running median over :data:`SMOOTH_FIXES` fixes — the
median keeps corners and ignores single wild fixes.

Examples
--------
>>> t = np.arange(0, 900, 5.0); lon = np.full(t.size, 117.3); lat = np.full(t.size, 39.1)
>>> [round(s.minutes) for s in detect_stays(t, lon, lat, min_s=300, radius_m=50, max_gap_s=300)]
[15]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.measure import metres_per_degree

SMOOTH_FIXES = 5  # running-median window (fixes) applied before the radius test


@dataclass(frozen=True, slots=True)
class Stay:
    start: float  # unix s of the first fix
    end: float  # unix s of the last fix
    lon: float  # median position of the stay's fixes
    lat: float
    first: int  # index of the first fix
    last: int  # index of the last fix (inclusive)

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / 60


def smooth(lon: np.ndarray, lat: np.ndarray, window: int = SMOOTH_FIXES) -> tuple[np.ndarray, np.ndarray]:
    """Running median of ``window`` fixes (centred; the ends use what exists)."""
    n = len(lon)
    if n < 3 or window < 3:
        return np.asarray(lon, float), np.asarray(lat, float)
    h = window // 2
    pad_lon = np.pad(np.asarray(lon, float), h, mode="edge")
    pad_lat = np.pad(np.asarray(lat, float), h, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view
    return np.median(view(pad_lon, window), axis=1), np.median(view(pad_lat, window), axis=1)


def _metres(lon, lat):
    """Local equirectangular metres (good to 0.1 % across a district)."""
    if len(lat) == 0:
        return np.empty(0), np.empty(0)
    kx, ky = metres_per_degree(float(np.nanmean(lat)))
    return np.asarray(lon) * kx, np.asarray(lat) * ky


def detect_stays(t, lon, lat, *, min_s: float, radius_m: float, max_gap_s: float) -> list[Stay]:
    """The stays of a time-ordered track (see the module docstring)."""
    t = np.asarray(t, dtype=float)
    n = len(t)
    if n < 2:
        return []
    slon, slat = smooth(lon, lat)
    x, y = _metres(slon, slat)
    # Segment ends: a stay never spans a silence longer than max_gap_s.
    gaps = np.flatnonzero(np.diff(t) > max_gap_s)  # a gap after fix g
    seg_end = np.full(n, n, dtype=np.int64)  # exclusive end of the segment holding fix i
    if gaps.size:
        seg_end = np.append(gaps + 1, n)[np.searchsorted(gaps, np.arange(n), side="left")]
    # Necessary condition, vectorised: the first fix at least min_s later (same segment) is within the radius.
    later = np.searchsorted(t, t + min_s, side="left")
    half = np.minimum(np.searchsorted(t, t + min_s / 2, side="left"), n - 1)
    ok = later < seg_end
    k = np.minimum(later, n - 1)
    candidate = ok & (np.hypot(x[k] - x, y[k] - y) <= radius_m) & (np.hypot(x[half] - x, y[half] - y) <= radius_m)
    cands = np.flatnonzero(candidate)
    stays: list[Stay] = []
    r2 = radius_m * radius_m
    i = 0
    while True:
        c = np.searchsorted(cands, i)
        if c >= cands.size:
            break
        a = int(cands[c])
        end = int(seg_end[a])
        j = _first_beyond(x, y, x[a], y[a], a + 1, end, r2)
        if t[j - 1] - t[a] >= min_s:
            # Re-centre on the run's median: an anchor picked while still walking in would cut the visit short.
            cx, cy = float(np.median(x[a:j])), float(np.median(y[a:j]))
            j = _first_beyond(x, y, cx, cy, j, end, r2)
            near = np.flatnonzero((x[a:j] - cx) ** 2 + (y[a:j] - cy) ** 2 <= r2)
            a2 = a + int(near[0]) if near.size else a
            last = j - 1
            stays.append(Stay(float(t[a2]), float(t[last]), float(np.median(lon[a2 : last + 1])),
                              float(np.median(lat[a2 : last + 1])), a2, last))
            i = last + 1
        else:
            i = a + 1
    return stays


def _first_beyond(x, y, cx, cy, j: int, end: int, r2: float) -> int:
    """Index of the first fix from ``j`` (before ``end``) farther than √r2 from (cx, cy); ``end`` if none."""
    w = 64
    while j < end:  # scanned in growing chunks: most runs end within a few fixes
        stop = min(end, j + w)
        far = np.flatnonzero((x[j:stop] - cx) ** 2 + (y[j:stop] - cy) ** 2 > r2)
        if far.size:
            return j + int(far[0])
        j, w = stop, w * 2
    return end


def walked_m(t, lon, lat, stays: list[Stay], *, max_gap_s: float) -> float:
    """Metres walked: the smoothed path's length outside stays and silences longer than ``max_gap_s``."""
    t = np.asarray(t, dtype=float)
    if len(t) < 2:
        return 0.0
    x, y = _metres(*smooth(lon, lat))
    step = np.hypot(np.diff(x), np.diff(y))
    keep = np.diff(t) <= max_gap_s
    for s in stays:
        keep[s.first : s.last] = False  # steps between two fixes of one stay are jitter, not walking
    return float(step[keep].sum())
