"""geo.locate.GridLocator: exact, deterministic point → grid lookup through both the raster and exact paths."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

import geo.locate
from geo.locate import GridLocator
from geo.measure import metres_per_degree
from tests.conftest import ORIGIN_LAT, ORIGIN_LON, STEP_DEG, make_box_district

M_LON, M_LAT = metres_per_degree(ORIGIN_LAT - 0.015)
# cell sizes: tiny (most points answered by the raster), one whose cell edges fall on the grid edges
# (0.005° wide: the adversarial case for floor()), the default, and one cell for everything (all exact path)
CELL_SIZES = [5.0, 0.005 * M_LON, geo.locate.DEFAULT_CELL_M, 5000.0]


def brute_force(geoms, x: float, y: float) -> int:
    """The specification: the lowest row whose polygon covers the point, else -1."""
    pt = Point(x, y)
    return next((i for i, g in enumerate(geoms) if g is not None and g.covers(pt)), -1)


def grids_frame(polys, codes=None) -> gpd.GeoDataFrame:
    codes = codes or [f"120110001001{i + 1:03d}" for i in range(len(polys))]
    return gpd.GeoDataFrame({"code": codes}, geometry=list(polys), crs="EPSG:4326")


def exact_box_grids() -> gpd.GeoDataFrame:
    """The conftest box grids with every edge exactly shared.

    ``make_box_district`` computes a box's south edge as ``lat1 - STEP_DEG`` and the next box's north edge as
    ``ORIGIN_LAT - j * STEP_DEG``; in floating point these differ by one ulp on some edges (39.080000000000005
    vs 39.08, 117.32000000000001 vs 117.32), so not every "shared" edge is shared.  Rounding fixes that.
    """
    grids = make_box_district().grids.copy()
    grids["geometry"] = [box(*np.round(g.bounds, 10)) for g in grids.geometry]
    return grids


@pytest.fixture(scope="module", params=["conftest", "exact"])
def box_grids(request) -> gpd.GeoDataFrame:
    return make_box_district().grids if request.param == "conftest" else exact_box_grids()


@pytest.fixture(scope="module", params=CELL_SIZES, ids=lambda c: f"cell{c:g}m")
def box_locator(request, box_grids) -> GridLocator:
    return GridLocator.from_grids(box_grids, cell_m=request.param)


# Rows run west → east, then north → south: row = 3 * j + i.
def grid_point(i: float, j: float) -> tuple[float, float]:
    return round(ORIGIN_LON + i * STEP_DEG, 10), round(ORIGIN_LAT - j * STEP_DEG, 10)


def test_box_centres_and_codes(box_locator, box_grids):
    lon, lat = zip(*(grid_point(i + 0.5, j + 0.5) for j in range(3) for i in range(3)), strict=True)
    assert box_locator.locate(lon, lat).tolist() == list(range(9))
    assert box_locator.locate_codes(lon, lat).tolist() == box_grids["code"].tolist()
    assert box_locator.codes.dtype == object and box_locator.codes.tolist() == box_grids["code"].tolist()


@pytest.mark.parametrize(
    ("i", "j", "expected"),
    [
        (1, 0.5, 0),  # the west/middle shared edge → the lower row
        (2, 0.5, 1),
        (0.5, 1, 0),  # north/south shared edge
        (2.5, 2, 5),
        (1, 1, 0),  # a corner of four grids → the lowest of 0, 1, 3, 4
        (2, 2, 4),  # corner of 4, 5, 7, 8
        (0, 0.5, 0),  # the district's outer edges and corners belong to their one grid
        (3, 2.5, 8),
        (0, 0, 0),
        (3, 3, 8),
        (3, 0, 2),
        (1.5, 3, 7),
    ],
)
def test_shared_edges_and_corners_get_one_deterministic_grid(box_locator, box_grids, i, j, expected):
    lon, lat = grid_point(i, j)
    spec = brute_force(box_grids.geometry, lon, lat)
    if box_grids.geometry.geom_equals_exact(exact_box_grids().geometry, tolerance=0).all():
        assert spec == expected
    else:  # the conftest grids' 1-ulp gap puts a point at exactly 39.08 in the southern row only
        assert spec == (expected if lat != 39.08 else expected + 3)
    assert box_locator.locate(lon, lat) == spec
    assert box_locator._locate_exact([lon], [lat]).tolist() == [spec]
    assert box_locator.locate_one(lon, lat) == box_grids["code"][spec]


def test_tiny_cells_answer_edges_exactly_and_interiors_by_raster(box_grids):
    loc = GridLocator.from_grids(box_grids, cell_m=5.0)
    edge, inside = grid_point(1, 0.5), grid_point(0.5, 0.5)
    assert loc._raster[_cell(loc, *edge)] <= -2  # a boundary cell: the exact path
    assert loc._raster[_cell(loc, *inside)] == 0  # answered straight from the raster


def _cell(loc: GridLocator, lon: float, lat: float) -> int:
    return int((lat - loc._y0) * loc._inv_dy) * loc._nx + int((lon - loc._x0) * loc._inv_dx)


@given(
    i=st.integers(0, 3),
    j=st.integers(0, 3),
    along=st.floats(0, 3),
    vertical=st.booleans(),
)
@settings(max_examples=100, deadline=None)
def test_points_on_grid_lines_agree_with_brute_force(box_locator, box_grids, i, j, along, vertical):
    lon, lat = grid_point(i, along) if vertical else grid_point(along, j)
    assert box_locator.locate(lon, lat) == brute_force(box_grids.geometry, lon, lat)


# -- an irregular district --------------------------------------------------------------------------

OUTLINE = Polygon(
    [(117.30, 39.05), (117.34, 39.04), (117.37, 39.07), (117.355, 39.10), (117.33, 39.085), (117.31, 39.10)]
)


@pytest.fixture(scope="module")
def voronoi_grids() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = OUTLINE.bounds
    seeds = shapely.points(rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200))
    seeds = seeds[shapely.contains(OUTLINE, seeds)][:40]
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=OUTLINE.envelope)
    )
    cells = shapely.intersection(cells, OUTLINE)
    return grids_frame([c for c in cells if c.geom_type == "Polygon"])


@pytest.fixture(scope="module", params=[3.0, 20.0, 5000.0], ids=lambda c: f"cell{c:g}m")
def voronoi_locator(request, voronoi_grids) -> GridLocator:
    return GridLocator.from_grids(voronoi_grids, cell_m=request.param)


def test_voronoi_fixture_is_irregular(voronoi_grids):
    assert len(voronoi_grids) >= 30
    assert shapely.get_num_coordinates(voronoi_grids.geometry.to_numpy()).max() >= 7


@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_every_point_in_the_outline_gets_the_lowest_covering_grid(voronoi_locator, voronoi_grids, data):
    x0, y0, x1, y1 = OUTLINE.bounds
    xs = data.draw(st.lists(st.floats(x0, x1), min_size=1, max_size=30))
    ys = data.draw(st.lists(st.floats(y0, y1), min_size=len(xs), max_size=len(xs)))
    got = voronoi_locator.locate(xs, ys)
    for x, y, idx in zip(xs, ys, got, strict=True):
        expected = brute_force(voronoi_grids.geometry, x, y)
        assert idx == expected
        if OUTLINE.contains(Point(x, y)):
            assert idx >= 0 and voronoi_grids.geometry[idx].covers(Point(x, y))


@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_vertices_and_edge_points_of_irregular_grids(voronoi_locator, voronoi_grids, data):
    row = data.draw(st.integers(0, len(voronoi_grids) - 1))
    ring = np.asarray(voronoi_grids.geometry[row].exterior.coords)
    k = data.draw(st.integers(0, len(ring) - 2))
    t = data.draw(st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0, 1))
    x, y = ring[k] + t * (ring[k + 1] - ring[k])  # a vertex, or (nearly) on an edge shared with a neighbour
    assert voronoi_locator.locate(x, y) == brute_force(voronoi_grids.geometry, x, y)
    assert voronoi_locator.locate(x, y) == voronoi_locator._locate_exact(x, y)[0]


def test_raster_and_exact_paths_agree_in_bulk(voronoi_locator, voronoi_grids):
    rng = np.random.default_rng(11)
    x0, y0, x1, y1 = OUTLINE.bounds
    x, y = rng.uniform(x0 - 0.01, x1 + 0.01, 20_000), rng.uniform(y0 - 0.01, y1 + 0.01, 20_000)
    got = voronoi_locator.locate(x, y)
    np.testing.assert_array_equal(got, voronoi_locator._locate_exact(x, y))
    assert (got == -1).any() and (got >= 0).mean() > 0.3


# -- outside, gaps, overlaps ---------------------------------------------------------------------------


@pytest.mark.parametrize("cell_m", [5.0, 20.0, 5000.0])
def test_a_hole_in_the_district_is_outside_but_its_rim_is_not(box_grids, cell_m):
    holed = box_grids.drop(index=4).reset_index(drop=True)  # remove the middle grid
    loc = GridLocator.from_grids(holed, cell_m=cell_m)
    assert loc.locate(*grid_point(1.5, 1.5)) == -1
    assert loc.locate(*grid_point(1.2, 1.9)) == -1
    assert loc.locate(*grid_point(1.5, 1)) == 1  # the hole's north rim belongs to the grid north of it
    assert loc.locate(*grid_point(2, 1.5)) == 4  # old row 5 is row 4 now


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (117.0, 39.0),
        (ORIGIN_LON - 1e-9, ORIGIN_LAT - 0.005),  # a hair west of the district
        (ORIGIN_LON + 0.015, ORIGIN_LAT + 1e-9),  # a hair north
        (-117.3, -39.1),
        (1e300, 39.0),
    ],
)
def test_outside_points(box_locator, lon, lat):
    assert box_locator.locate(lon, lat) == -1
    assert box_locator.locate_codes([lon], [lat]).tolist() == [None]
    assert box_locator.locate_one(lon, lat) is None


@pytest.mark.parametrize("cell_m", [5.0, 5000.0])
@pytest.mark.parametrize("order", [1, -1], ids=["big-first", "small-first"])
def test_overlapping_grids_resolve_to_the_lowest_row(cell_m, order):
    big, small = box(117.30, 39.00, 117.32, 39.02), box(117.305, 39.005, 117.31, 39.01)
    polys = [big, small][::order]
    loc = GridLocator.from_grids(grids_frame(polys), cell_m=cell_m)
    x = np.array([117.3075, 117.305, 117.315])  # in the overlap, on the small one's edge, in the big one only
    y = np.array([39.0075, 39.0075, 39.015])
    expected = [brute_force(polys, a, b) for a, b in zip(x, y, strict=True)]
    assert loc.locate(x, y).tolist() == expected == [0, 0, polys.index(big)]


def test_raster_cell_cap_keeps_answers_exact(monkeypatch, voronoi_grids):
    monkeypatch.setattr(geo.locate, "MAX_CELLS", 100)
    loc = GridLocator.from_grids(voronoi_grids, cell_m=1.0)
    assert loc._raster.size <= 200
    rng = np.random.default_rng(2)
    x0, y0, x1, y1 = OUTLINE.bounds
    x, y = rng.uniform(x0, x1, 5000), rng.uniform(y0, y1, 5000)
    np.testing.assert_array_equal(loc.locate(x, y), loc._locate_exact(x, y))


# -- nearest within N metres -------------------------------------------------------------------------


def test_nearest_within_finds_the_neighbour_within_and_not_beyond(box_locator):
    lon, lat = ORIGIN_LON + 3 * STEP_DEG + 50 / M_LON, ORIGIN_LAT - 0.005  # 50 m east of row 2
    assert box_locator.locate(lon, lat) == -1
    assert box_locator.locate(lon, lat, nearest_within_m=60) == 2
    assert box_locator.locate(lon, lat, nearest_within_m=45) == -1
    assert box_locator.locate_one(lon, lat, nearest_within_m=60) == box_locator.codes[2]
    # 40 m south and 30 m west of the south-west corner: 50 m away from row 6
    lon, lat = ORIGIN_LON - 30 / M_LON, ORIGIN_LAT - 3 * STEP_DEG - 40 / M_LAT
    assert box_locator.locate(lon, lat, nearest_within_m=51) == 6
    assert box_locator.locate(lon, lat, nearest_within_m=49) == -1


def test_nearest_within_leaves_located_and_far_points_alone(box_locator):
    lon = [ORIGIN_LON + 0.005, ORIGIN_LON - 0.5, np.nan, ORIGIN_LON - 10 / M_LON]
    lat = [ORIGIN_LAT - 0.005, ORIGIN_LAT, ORIGIN_LAT, ORIGIN_LAT - 0.025]
    assert box_locator.locate(lon, lat, nearest_within_m=100).tolist() == [0, -1, -1, 6]


def test_nearest_tie_goes_to_the_lowest_row():
    grids = exact_box_grids()
    loc = GridLocator.from_grids(grids)
    lon, lat = grid_point(3, 1)  # on the line between rows 2 and 5, then 40 m east of the district
    assert loc.locate(lon + 40 / M_LON, lat, nearest_within_m=50) == 2
    lon, lat = grid_point(1, 3)  # between rows 6 and 7, 40 m south
    assert loc.locate(lon, lat - 40 / M_LAT, nearest_within_m=50) == 6


def test_nearest_is_measured_in_metres_not_degrees():
    # P is 0.0009° (100 m) north of A and 0.001° (86 m) east of B: in degrees A is nearer, on the ground B.
    a = box(117.395, 39.09, 117.405, 39.1 - 0.0009)
    b = box(117.385, 39.0995, 117.399, 39.105)
    loc = GridLocator.from_grids(grids_frame([a, b]))
    assert loc.locate(117.40, 39.10, nearest_within_m=120) == 1
    assert loc.locate(117.40, 39.10, nearest_within_m=90) == 1
    assert loc.locate(117.40, 39.10, nearest_within_m=80) == -1


# -- inputs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nearest", [None, 100.0])
def test_non_finite_coordinates_are_outside(box_locator, nearest):
    lon = [np.nan, np.inf, -np.inf, ORIGIN_LON + 0.005, np.nan]
    lat = [ORIGIN_LAT - 0.005, ORIGIN_LAT - 0.005, np.nan, np.inf, np.nan]
    with np.errstate(all="raise"):
        assert box_locator.locate(lon, lat, nearest_within_m=nearest).tolist() == [-1] * 5
    assert box_locator.locate_one(np.nan, np.nan, nearest_within_m=nearest) is None


def test_input_kinds_and_shapes(box_locator):
    lon, lat = grid_point(0.5, 0.5)
    scalar = box_locator.locate(lon, lat)
    assert scalar.shape == () and scalar.dtype == np.int64 and int(scalar) == 0
    empty = box_locator.locate([], [])
    assert empty.shape == (0,) and empty.dtype == np.int64
    assert box_locator.locate_codes([], []).shape == (0,)
    grid = box_locator.locate(np.full((2, 2), lon), np.array([[lat, lat], [lat - 0.01, lat - 0.02]]))
    assert grid.tolist() == [[0, 0], [3, 6]]
    assert box_locator.locate([lon, lon], lat).tolist() == [0, 0]  # a scalar broadcasts
    assert box_locator.locate_codes(np.array([lon]), np.array([lat])).dtype == object
    assert box_locator.locate(np.float32(lon), np.float32(lat)) == 0


def test_district_locator_is_built_from_its_grids(box_district):
    lon, lat = grid_point(2.5, 2.5)
    assert box_district.locator.locate_one(lon, lat) == box_district.grids["code"][8]
    assert box_district.locator is box_district.locator  # built once


def test_empty_and_missing_geometries():
    empty = GridLocator.from_grids(grids_frame([]))
    assert empty.locate([117.3, np.nan], [39.1, 39.1], nearest_within_m=1000).tolist() == [-1, -1]
    loc = GridLocator.from_grids(grids_frame([None, box(117.30, 39.00, 117.31, 39.01)]))
    assert loc.locate([117.305, 117.31], [39.005, 39.01]).tolist() == [1, 1]


def test_bad_arguments():
    with pytest.raises(ValueError, match="cell_m"):
        GridLocator.from_grids(grids_frame([box(0, 0, 1, 1)]), cell_m=0)
    with pytest.raises(ValueError, match="codes"):
        GridLocator([box(0, 0, 1, 1)], ["a", "b"])
    with pytest.raises(ValueError, match="polygons"):
        GridLocator.from_grids(grids_frame([shapely.LineString([(0, 0), (1, 1)])]))


@pytest.mark.parametrize("cell_m", [5.0, 5000.0])
def test_multipolygon_grid(cell_m):
    two_parts = shapely.MultiPolygon([box(117.30, 39.00, 117.31, 39.01), box(117.32, 39.00, 117.33, 39.01)])
    loc = GridLocator.from_grids(grids_frame([box(117.31, 39.00, 117.32, 39.01), two_parts]), cell_m=cell_m)
    assert loc.locate([117.305, 117.315, 117.325, 117.32], [39.005] * 4).tolist() == [1, 0, 1, 0]
