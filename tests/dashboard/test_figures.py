
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from dashboard.screens.mapframe import fit_view, grids_geojson, map_style, map_view, ring_lines
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




def test_tile_url_adds_a_raster_source():
    style = map_style(WebSettings(tile_url="http://tiles.intranet/{z}/{x}/{y}.png"))
    assert style["sources"]["tiles"]["tiles"] == ["http://tiles.intranet/{z}/{x}/{y}.png"]
    assert [layer["id"] for layer in style["layers"]] == ["background", "tiles"]



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



def test_default_style_needs_no_external_source(box_district):
    view = map_view(box_district.grids.total_bounds, WebSettings())
    assert view["style"]["sources"] == {} and view["style"]["layers"][0]["type"] == "background"
    assert "http" not in repr(view)


def test_gcj02_tiles_shift_outlines_and_view(box_district):
    gcj = WebSettings(tile_url="http://t/{z}/{x}/{y}.png", tile_crs="gcj02")
    x0, y0 = box_district.grids.geometry.values[0].exterior.coords[0]
    ex, ey = wgs84_to_gcj02(x0, y0)
    lon, lat = ring_lines(box_district.grids.geometry.values[:1], gcj02=True)
    assert lon[0] == pytest.approx(float(ex), abs=1e-6) and lat[0] == pytest.approx(float(ey), abs=1e-6)
    ring = grids_geojson(box_district.grids, 0.0, True)["features"][0]["geometry"]["coordinates"][0]
    assert any(abs(x - float(ex)) < 1e-5 and abs(y - float(ey)) < 1e-5 for x, y in ring)
    plain = map_view(box_district.grids.total_bounds, WebSettings(tile_url="http://t/{z}/{x}/{y}.png"))
    moved = map_view(box_district.grids.total_bounds, gcj)
    assert moved["center"]["lon"] != plain["center"]["lon"] and moved["style"]["sources"]["tiles"]


def test_map_zoom_overrides_the_fitted_zoom(box_district):
    assert map_view(box_district.grids.total_bounds, WebSettings(map_zoom=9.5))["zoom"] == 9.5
    assert map_view(box_district.grids.total_bounds, WebSettings())["zoom"] > 12
