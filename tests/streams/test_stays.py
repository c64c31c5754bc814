"""Stay detection and distance walked over synthetic tracks with phone-like noise."""

from __future__ import annotations

import numpy as np
import pytest

from geo.measure import metres_per_degree
from streams.stays import detect_stays, smooth, walked_m

LON0, LAT0 = 117.30, 39.10
KX, KY = metres_per_degree(LAT0)
RULES = {"min_s": 300.0, "radius_m": 50.0, "max_gap_s": 300.0}


def path(legs, *, period_s=5.0, noise_m=12.0, seed=3):
    """legs: [("walk", seconds, (dx_m, dy_m)) | ("stay", seconds) | ("gap", seconds)] → (t, lon, lat) arrays."""
    rng = np.random.default_rng(seed)
    t, xs, ys = [], [], []
    now, x, y = 0.0, 0.0, 0.0
    for leg in legs:
        kind, secs = leg[0], leg[1]
        if kind == "gap":
            now += secs
            continue
        n = int(secs // period_s)
        for _k in range(n):
            if kind == "walk":
                x += leg[2][0] / n
                y += leg[2][1] / n
            t.append(now)
            xs.append(x)
            ys.append(y)
            now += period_s
    xs = np.array(xs) + rng.normal(0, noise_m, len(xs))
    ys = np.array(ys) + rng.normal(0, noise_m, len(ys))
    return np.array(t), LON0 + xs / KX, LAT0 + ys / KY


def test_a_noisy_twenty_minute_visit_is_one_stay_and_a_short_pause_is_none():
    t, lon, lat = path([("walk", 600, (600, 0)), ("stay", 1200), ("walk", 300, (0, 400)), ("stay", 180),
                        ("walk", 300, (-300, 0))])
    stays = detect_stays(t, lon, lat, **RULES)
    assert len(stays) == 1
    s = stays[0]
    assert 19 <= s.minutes <= 22.5  # the last and first 50 m of walking fall inside the radius
    assert abs((s.lon - LON0) * KX - 600) < 20 and abs((s.lat - LAT0) * KY) < 20
    assert 540 <= s.start <= 620


def test_walking_steadily_has_no_stay_and_its_distance_is_the_path_length():
    t, lon, lat = path([("walk", 1800, (2000, 0))], noise_m=0.0)
    assert detect_stays(t, lon, lat, **RULES) == []
    assert walked_m(t, lon, lat, [], max_gap_s=300) == pytest.approx(2000, rel=0.01)


def test_a_silence_longer_than_the_gap_splits_a_stay_and_is_not_walked():
    t, lon, lat = path([("stay", 420), ("gap", 900), ("stay", 420)], noise_m=5.0)
    stays = detect_stays(t, lon, lat, **RULES)
    assert len(stays) == 2
    assert all(6 <= s.minutes <= 7.1 for s in stays)
    t2, lon2, lat2 = path([("stay", 200), ("gap", 900), ("stay", 200)], noise_m=5.0)
    assert detect_stays(t2, lon2, lat2, **RULES) == []  # neither half is long enough on its own


def test_jitter_inside_a_stay_is_not_counted_as_walking():
    t, lon, lat = path([("walk", 300, (300, 0)), ("stay", 1800), ("walk", 300, (300, 0))], noise_m=12.0)
    stays = detect_stays(t, lon, lat, **RULES)
    assert len(stays) == 1
    assert walked_m(t, lon, lat, stays, max_gap_s=300) == pytest.approx(600, rel=0.25)
    assert walked_m(t, lon, lat, [], max_gap_s=300) > 1500  # what the jitter alone would add


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_tracks(n):
    t = np.arange(n) * 5.0
    assert detect_stays(t, np.full(n, LON0), np.full(n, LAT0), **RULES) == []


def test_smooth_drops_a_single_wild_fix():
    lon = np.full(9, LON0)
    lon[4] += 0.01
    s_lon, _ = smooth(lon, np.full(9, LAT0))
    assert np.allclose(s_lon, LON0)
