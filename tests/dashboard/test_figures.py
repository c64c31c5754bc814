import math

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from dashboard.figures.live_map import WORKERS_TRACE_UID, fit_view, live_map_figure, map_style, ring_lines
from dashboard.settings import WebSettings
from geo.coords import wgs84_to_gcj02


def test_rings_are_one_list_separated_by_none():
    a, b = box(0, 0, 1, 1), box(2, 0, 3, 1)
    hole = Polygon([(10, 0), (14, 0), (14, 4), (10, 4)], [[(11, 1), (12, 1), (12, 2), (11, 2)]])
    lon, lat = ring_lines([a, MultiPolygon([b]), hole])
    # 4 rings (a, b, the hole's shell and its hole) of 5 vertices each, 3 gaps between them
    assert len(lon) == len(lat) == 4 * 5 + 3
    gaps = [i for i, v in enumerate(lon) if v is None]
    assert gaps == [5, 11, 17] and [lat[i] for i in gaps] == [None] * 3
    assert lon[0] == lon[4]  # each ring closes


def test_empty_input_gives_empty_lines():
    assert ring_lines([]) == ([], [])


def test_figure_draws_every_grid_in_one_trace(box_district):
    fig = live_map_figure(box_district)
    assert [t.uid for t in fig.data] == ["grids", "streets", "grid-labels", WORKERS_TRACE_UID]
    grids = fig.data[0]
    assert sum(v is None for v in grids.lon) == len(box_district.grids) - 1
    assert len(fig.data[2].lon) == len(box_district.grids)
    assert "测试1街道·1社区第1网格" in fig.data[2].text[0]
    dots = fig.data[3]
    assert dots.type == "scattermap" and len(dots.lon) == 0  # the browser fills it in
    assert len(fig.layout.map.layers) == box_district.grids["street_code"].nunique()


def test_figure_needs_no_external_source_by_default(box_district):
    fig = live_map_figure(box_district)
    style = fig.layout.map.style
    assert style["sources"] == {} and style["layers"][0]["type"] == "background"
    assert "http" not in fig.to_json()


def test_tile_url_adds_a_raster_source():
    style = map_style(WebSettings(tile_url="http://tiles.intranet/{z}/{x}/{y}.png"))
    assert style["sources"]["tiles"]["tiles"] == ["http://tiles.intranet/{z}/{x}/{y}.png"]
    assert [layer["id"] for layer in style["layers"]] == ["background", "tiles"]


def test_gcj02_tiles_shift_every_drawn_coordinate(box_district):
    plain = live_map_figure(box_district)
    gcj = live_map_figure(box_district, settings=WebSettings(tile_url="http://t/{z}/{x}/{y}.png", tile_crs="gcj02"))
    x0, y0 = plain.data[0].lon[0], plain.data[0].lat[0]
    ex, ey = wgs84_to_gcj02(x0, y0)
    assert gcj.data[0].lon[0] == pytest.approx(float(ex), abs=1e-6)
    assert gcj.data[0].lat[0] == pytest.approx(float(ey), abs=1e-6)
    assert gcj.data[2].lon[0] != plain.data[2].lon[0]
    # WGS-84 tiles: no shift
    wgs = live_map_figure(box_district, settings=WebSettings(tile_url="http://t/{z}/{x}/{y}.png", tile_crs="wgs84"))
    assert wgs.data[0].lon[0] == x0


@pytest.mark.parametrize("kwargs", [{"tile_crs": "bd09"}, {"tile_url": "http://t/tiles.png"}])
def test_bad_web_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match="GRIDPULSE_TILE"):
        WebSettings(**kwargs)


def test_web_settings_from_env():
    s = WebSettings.from_env({"GRIDPULSE_TILE_URL": "http://t/{z}/{x}/{y}.png", "GRIDPULSE_TILE_CRS": "gcj02",
                              "GRIDPULSE_MAP_ZOOM": "11.5"})
    assert s.draw_gcj02 and s.map_zoom == 11.5


@pytest.mark.parametrize("span_deg, wider", [(0.03, True), (0.3, False)])
def test_fit_view_zooms_out_for_larger_areas(span_deg, wider):
    centre, zoom = fit_view((117.3, 39.07, 117.3 + span_deg, 39.07 + span_deg))
    assert centre["lon"] == pytest.approx(117.3 + span_deg / 2)
    assert (zoom > 12) is wider
    # the fitted extent (a 1150 px wide map, MapLibre's 512 px world) covers the span
    assert 360 / 2**zoom * 1150 / 512 >= span_deg


def test_a_thousand_grids_stay_one_trace():
    import geopandas as gpd

    from tests.conftest import make_box_district

    d = make_box_district(nx=40, ny=30)
    fig = live_map_figure(d)
    assert len(fig.data) == 4
    lon = np.array([math.nan if v is None else v for v in fig.data[0].lon])
    assert np.isnan(lon).sum() == 1199 and isinstance(d.grids, gpd.GeoDataFrame)
