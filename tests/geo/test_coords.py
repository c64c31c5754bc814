"""geo.coords against the independent ``coordTransform`` package, plus round trips and pass-through."""

from __future__ import annotations

import coordTransform as ct
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from geo import coords
from geo.measure import haversine_m

# coordTransform treats lon 73.66–135.05, lat 3.86–53.55 as China; ours is wider (see geo.coords).  Compare
# inside both, with a margin so that a shifted point (GCJ ≤ ~0.01°, BD ≤ ~0.013°) stays inside too.
LON_IN = st.floats(73.8, 134.9)
LAT_IN = st.floats(4.0, 53.4)
FORWARD = ["wgs84_to_gcj02", "gcj02_to_bd09", "wgs84_to_bd09"]
ALL = [*FORWARD, "gcj02_to_wgs84", "bd09_to_gcj02", "bd09_to_wgs84"]
INVERSE_OF = {
    "gcj02_to_wgs84": "wgs84_to_gcj02",
    "bd09_to_gcj02": "gcj02_to_bd09",
    "bd09_to_wgs84": "wgs84_to_bd09",
}


def points_in_china(max_size: int = 50):
    return st.integers(1, max_size).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=LON_IN),
            arrays(np.float64, n, elements=LAT_IN),
        )
    )


@pytest.mark.parametrize("name", FORWARD)
@given(pts=points_in_china())
@settings(max_examples=50, deadline=None)
def test_forward_matches_coordtransform_arrays(name, pts):
    lon, lat = pts
    ours = getattr(coords, name)(lon, lat)
    theirs = getattr(ct, name)(lon, lat)  # array input goes through coordTransform's C extension
    np.testing.assert_allclose(ours[0], theirs[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", FORWARD)
@given(lon=LON_IN, lat=LAT_IN)
@settings(max_examples=50, deadline=None)
def test_forward_matches_coordtransform_scalar(name, lon, lat):
    ours = getattr(coords, name)(lon, lat)
    theirs = getattr(ct, name)(lon, lat)  # scalar input goes through coordTransform's pure-Python code
    assert ours[0].shape == ()
    assert abs(float(ours[0]) - theirs[0]) < 1e-9
    assert abs(float(ours[1]) - theirs[1]) < 1e-9


@pytest.mark.parametrize("name", list(INVERSE_OF))
@given(pts=points_in_china())
@settings(max_examples=50, deadline=None)
def test_inverse_is_exact_under_coordtransform_forward(name, pts):
    # coordTransform's own inverses are the one-step approximation (off by up to ~5 m), so check ours by
    # pushing its output back through *their* forward: it must land on the input.
    lon, lat = pts
    back = getattr(coords, name)(lon, lat)
    fwd = getattr(ct, INVERSE_OF[name])(back[0], back[1])
    np.testing.assert_allclose(fwd[0], lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fwd[1], lat, rtol=0, atol=1e-9)


@pytest.mark.parametrize(("forward", "inverse"), [(f, i) for i, f in INVERSE_OF.items()])
@given(pts=points_in_china())
@settings(max_examples=50, deadline=None)
def test_round_trip_within_half_a_metre(forward, inverse, pts):
    lon, lat = pts
    back = getattr(coords, inverse)(*getattr(coords, forward)(lon, lat))
    assert haversine_m(lon, lat, back[0], back[1]).max() < 0.5
    # and in fact far better: the iteration converges to ~1e-12°
    np.testing.assert_allclose(back[0], lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(back[1], lat, rtol=0, atol=1e-9)


def test_one_step_inverse_would_not_be_good_enough():
    # Guards the reason for iterating: coordTransform's one-step inverse misses by metres near Dongli.
    lon, lat = np.array([117.30, 117.45]), np.array([39.10, 39.05])
    naive = ct.gcj02_to_wgs84(*ct.wgs84_to_gcj02(lon, lat))
    assert haversine_m(lon, lat, naive[0], naive[1]).max() > 0.5
    ours = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert haversine_m(lon, lat, ours[0], ours[1]).max() < 1e-3


outside_lon = st.one_of(st.floats(-180, 72.004), st.floats(137.8347, 180))
outside_lat = st.one_of(st.floats(-90, 0.8293), st.floats(55.8271, 90))


@pytest.mark.parametrize("name", ALL)
@given(
    pt=st.one_of(
        st.tuples(outside_lon, st.floats(-90, 90)),
        st.tuples(st.floats(-180, 180), outside_lat),
    )
)
@settings(max_examples=30, deadline=None)
def test_outside_china_unchanged(name, pt):
    lon, lat = pt
    out = getattr(coords, name)(lon, lat)
    assert (float(out[0]), float(out[1])) == (lon, lat)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (72.004, 39.0),  # the box bounds are exclusive, as in the reference implementations
        (137.8347, 39.0),
        (117.0, 0.8293),
        (117.0, 55.8271),
        (2.35, 48.85),  # Paris
        (np.nan, 39.1),
        (117.3, np.nan),
        (np.inf, 39.1),
        (-np.inf, -np.inf),
    ],
)
def test_edges_and_non_finite_pass_through(name, lon, lat):
    with np.errstate(all="raise"):  # and no floating-point warnings escape
        out = getattr(coords, name)(lon, lat)
    np.testing.assert_array_equal(out[0], lon)
    np.testing.assert_array_equal(out[1], lat)


def test_in_china_box():
    inside = coords.in_china([72.01, 137.83, 117.3, 72.004, 117.3, np.nan], [0.83, 55.82, 39.1, 39.1, 60, 39])
    assert inside.tolist() == [True, True, True, False, False, False]


@pytest.mark.parametrize("name", ALL)
def test_shapes_and_input_kinds(name):
    fn = getattr(coords, name)
    lon2d = np.full((2, 3), 117.3)
    lat2d = np.linspace(39.0, 39.2, 6).reshape(2, 3)
    out = fn(lon2d, lat2d)
    assert out[0].shape == out[1].shape == (2, 3)
    assert out[0].dtype == np.float64
    from_list = fn([117.3, 117.4], [39.1, 39.2])
    from_array = fn(np.array([117.3, 117.4]), np.array([39.1, 39.2]))
    np.testing.assert_array_equal(from_list, from_array)
    scalar = fn(117.3, 39.1)
    assert scalar[0].shape == () and float(scalar[0]) == from_list[0][0]
    assert fn(np.array([117.3]), 39.1)[1].shape == (1,)  # a scalar broadcasts against an array
    empty = fn(np.array([]), np.array([]))
    assert empty[0].shape == empty[1].shape == (0,)


def test_input_is_not_modified():
    lon, lat = np.array([117.3, 117.4]), np.array([39.1, 39.2])
    coords.wgs84_to_bd09(lon, lat)
    coords.bd09_to_wgs84(lon, lat)
    assert lon.tolist() == [117.3, 117.4] and lat.tolist() == [39.1, 39.2]


def test_offset_is_the_known_size_near_dongli():
    # GCJ-02 near Tianjin moves a point roughly 550 m east and 110 m north; BD-09 adds about another 0.5–1 km.
    g = coords.wgs84_to_gcj02(117.30, 39.10)
    assert 400 < haversine_m(117.30, 39.10, g[0], 39.10) < 700
    assert 50 < haversine_m(117.30, 39.10, 117.30, g[1]) < 200
    b = coords.gcj02_to_bd09(*g)
    assert 500 < haversine_m(g[0], g[1], b[0], b[1]) < 1200
