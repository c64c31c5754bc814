"""geo.audit on the 3×3 box district and planted mutations of it.

Layout (index: code), north row first; each box is 0.01° (about 870 m × 1,110 m)::

    0: 120110001001001   1: 120110002001001   2: 120110002001002
    3: 120110001001002   4: 120110002001003   5: 120110002001004
    6: 120110001002001   7: 120110002002001   8: 120110002002002
"""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from geo.audit import AuditReport, audit_district, audit_grids
from geo.measure import area_m2
from tests.conftest import ORIGIN_LAT, ORIGIN_LON, STEP_DEG, make_box_district


def bounds(k: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of box ``k``."""
    i, j = k % 3, k // 3
    west, north = ORIGIN_LON + i * STEP_DEG, ORIGIN_LAT - j * STEP_DEG
    return west, north - STEP_DEG, west + STEP_DEG, north


def reshaped(district, k: int, dw=0.0, ds=0.0, de=0.0, dn=0.0):
    """The district with box ``k``'s sides moved outwards by the given degrees (negative: inwards)."""
    w, s, e, n = bounds(k)
    district.grids.loc[k, "geometry"] = box(w - dw, s - ds, e + de, n + dn)
    return district


def kinds(report: AuditReport) -> set[str]:
    return {f.kind for f in report.findings}


def test_clean_district_is_ok(box_district):
    report = audit_district(box_district)
    assert report.ok, report.to_text()
    assert report.checked_grids == 9 and report.has_outline
    assert "OK" in report.to_text()
    assert audit_grids(box_district.grids).ok  # no outline: the grids' own boundary


def test_larger_clean_district_has_no_false_findings():
    district = make_box_district(30, 30)
    district.grids["geometry"] = shapely.segmentize(district.grids.geometry.array, STEP_DEG / 20)
    report = audit_district(district)
    assert report.ok, report.to_text(limit_per_kind=5)
    assert report.checked_grids == 900


@pytest.mark.parametrize(
    ("k", "sides", "neighbour", "strip"),
    [
        (4, {"de": 0.002}, 5, lambda: box(117.32, 39.08, 117.322, 39.09)),
        (4, {"dn": 0.003}, 1, lambda: box(117.31, 39.09, 117.32, 39.093)),
        (0, {"ds": 0.001}, 3, lambda: box(117.30, 39.089, 117.31, 39.09)),
    ],
)
def test_planted_overlap_names_both_grids_with_its_area(box_district, k, sides, neighbour, strip):
    codes = list(box_district.grids["code"])
    report = audit_district(reshaped(box_district, k, **sides))
    assert kinds(report) == {"overlap"}, report.to_text()
    (found,) = report.findings
    assert set(found.grid_codes) == {codes[k], codes[neighbour]}
    assert found.area_m2 == pytest.approx(area_m2(strip()), rel=1e-3)
    assert strip().contains(Point(found.location))
    assert codes[k] in found.message and codes[neighbour] in found.message and "m²" in found.message


@pytest.mark.parametrize("with_outline", [True, False])
def test_planted_gap_between_grids_has_area_and_location(box_district, with_outline):
    codes = list(box_district.grids["code"])
    district = reshaped(box_district, 4, de=-0.002)  # a strip between grids 4 and 5
    strip = box(117.318, 39.08, 117.32, 39.09)
    report = audit_grids(district.grids, district.outline if with_outline else None, admin_code="120110")
    assert kinds(report) == {"gap"}, report.to_text()
    (found,) = report.findings
    assert found.area_m2 == pytest.approx(area_m2(strip), rel=1e-3)
    assert strip.contains(Point(found.location))
    assert {codes[4], codes[5]} <= set(found.grid_codes)  # it borders both, and the grids above and below
    assert set(found.grid_codes) <= {codes[1], codes[4], codes[5], codes[7]}  # not those touching a corner


@pytest.mark.parametrize(("with_outline", "expected"), [(True, {"gap"}), (False, set())])
def test_gap_on_the_district_edge_needs_the_outline(box_district, with_outline, expected):
    district = reshaped(box_district, 3, dw=-0.003)  # the west edge moves in: the district shrinks
    report = audit_grids(district.grids, district.outline if with_outline else None)
    assert kinds(report) == expected, report.to_text()


def test_invalid_bow_tie_is_reported_with_shapely_reason(box_district):
    w, s, e, n = bounds(4)
    box_district.grids.loc[4, "geometry"] = Polygon([(w, s), (e, n), (e, s), (w, n)])
    report = audit_district(box_district)
    (found,) = report.of_kind("invalid_geometry")
    assert found.grid_codes == ("120110002001003",)
    assert "Self-intersection" in found.message
    assert found.location == pytest.approx((117.315, 39.085))
    assert len(report.of_kind("gap")) == 2  # the bow-tie leaves its other two triangles uncovered
    assert not box_district.grids.geometry[4].is_valid  # the caller's grids are not repaired in place


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        (None, "no geometry"),
        (Polygon(), "empty"),
        (Point(117.315, 39.085), "Point"),
        (LineString([(117.31, 39.08), (117.32, 39.09)]), "LineString"),
    ],
)
def test_empty_or_non_polygon_geometry(box_district, geometry, words):
    box_district.grids["geometry"] = [
        *box_district.grids.geometry[:4],
        geometry,
        *box_district.grids.geometry[5:],
    ]
    report = audit_district(box_district)
    (found,) = report.of_kind("bad_geometry")
    assert found.grid_codes == ("120110002001003",) and words in found.message
    assert kinds(report) == {"bad_geometry", "gap"}  # its box is now a blind spot


def test_grid_in_two_pieces_is_flagged(box_district):
    w, s, e, n = bounds(8)
    box_district.grids.loc[8, "geometry"] = shapely.MultiPolygon(
        [box(w, s, e, n), box(117.34, s, 117.345, n)]
    )
    report = audit_grids(box_district.grids)
    assert kinds(report) == {"multi_part"}
    assert "2 separate pieces" in report.findings[0].message


def test_duplicate_code(box_district):
    box_district.grids.loc[5, "code"] = box_district.grids.loc[4, "code"]
    report = audit_district(box_district)
    assert kinds(report) == {"duplicate_code"}, report.to_text()
    (found,) = report.findings
    assert found.grid_codes == ("120110002001003",)
    assert "row 4" in found.message and "row 5" in found.message


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("12011000200100", "not 15 digits"),
        ("12011000200100X", "not 15 digits"),
        (None, "no code"),
        ("130110002001003", "admin code 120110"),
        ("120110002002009", "community_code 120110002001"),
    ],
)
def test_malformed_code(box_district, code, words):
    box_district.grids.loc[4, "code"] = code
    report = audit_district(box_district)
    assert kinds(report) == {"malformed_code"}, report.to_text()
    (found,) = report.findings
    assert found.grid_codes == (code or "row 4",)
    assert words in found.message and found.location is not None


@pytest.mark.parametrize(
    ("changes", "words", "also"),
    [
        (
            {"code": "120110002001009", "community_code": "120110002001"},
            "not under its street_code 120110001",
            set(),
        ),
        ({"code": "120110002001009", "community_code": "120110002001"}, "appears under 2 streets", set()),
        ({"street_name": None}, "missing street_name", set()),
        ({"name": "", "community_name": ""}, "missing name, community_name", set()),
        ({"community_name": "别的社区"}, "has 2 names", set()),
        ({"street_code": "12011000"}, "not 9 digits", set()),
        (
            {"street_code": "130110001", "code": "130110001001001", "community_code": "130110001001"},
            "not in district 120110",
            {"malformed_code"},
        ),
    ],
)
def test_broken_hierarchy(box_district, changes, words, also):
    for column, value in changes.items():
        box_district.grids.loc[0, column] = value
    report = audit_district(box_district)
    assert kinds(report) == {"broken_hierarchy", *also}, report.to_text()
    assert any(words in f.message for f in report.of_kind("broken_hierarchy")), report.to_text()


@pytest.mark.parametrize("wholly", [False, True])
def test_grid_outside_the_outline(box_district, wholly):
    if wholly:
        grids = box_district.grids
        grids.loc[9] = {
            **grids.loc[8].to_dict(),
            "code": "120110002002003",
            "geometry": box(117.4, 39.0, 117.41, 39.01),
        }
        beyond = box(117.4, 39.0, 117.41, 39.01)
    else:
        reshaped(box_district, 8, de=0.001)
        beyond = box(117.33, 39.07, 117.331, 39.08)
    report = audit_district(box_district)
    assert kinds(report) == {"outside_outline"}, report.to_text()
    (found,) = report.findings
    assert found.area_m2 == pytest.approx(area_m2(beyond), rel=1e-3)
    assert ("wholly outside" in found.message) == wholly


@pytest.mark.parametrize(("tolerance_m2", "reported"), [(10.0, False), (1.0, True)])
def test_sliver_below_tolerance_is_ignored(box_district, tolerance_m2, reported):
    d_deg = 5e-8  # 5e-8° × 1,111 m tall ≈ 4.8 m² of overlap
    sliver = box(117.32, 39.08, 117.32 + d_deg, 39.09)
    assert 1.0 < area_m2(sliver) < 10.0
    report = audit_district(reshaped(box_district, 4, de=d_deg), sliver_m2=tolerance_m2)
    assert kinds(report) == ({"overlap"} if reported else set()), report.to_text()


@pytest.mark.parametrize(("tolerance_m2", "reported"), [(10.0, False), (1.0, True)])
def test_gap_below_tolerance_is_ignored(box_district, tolerance_m2, reported):
    report = audit_district(reshaped(box_district, 4, de=-5e-8), gap_m2=tolerance_m2)
    assert kinds(report) == ({"gap"} if reported else set()), report.to_text()


def test_projected_grids_are_audited_in_wgs84(box_district):
    assert audit_grids(box_district.grids.to_crs("EPSG:4549"), box_district.outline).ok


def test_report_to_dict_and_text(box_district):
    box_district.grids.loc[5, "code"] = box_district.grids.loc[4, "code"]
    reshaped(box_district, 0, ds=0.001)
    report = audit_district(box_district)
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["ok"] is False and data["counts"] == {"overlap": 1, "duplicate_code": 1}
    assert data["findings"][0]["location"] == list(report.findings[0].location)
    text = report.to_text()
    assert text.index("网格重叠") < text.index("编码重复")  # grouped, in the fixed order of kinds
    assert "2 problem(s)" in text


@pytest.mark.parametrize("bad", [{"sliver_m2": -1}, {"gap_m2": -0.5}])
def test_negative_tolerance_is_refused(box_district, bad):
    with pytest.raises(ValueError, match="m²"):
        audit_district(box_district, **bad)
