"""geo.importer: grid files as the field hands them over (odd field names, projected CRS, zipped Shapefiles)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point

from geo.audit import audit_district
from geo.district import GRID_COLUMNS, save_district
from geo.importer import NO_CRS, FieldMap, GridFileError, import_district, read_grid_file

# how a Chinese grid file tends to name our columns (street/community codes left out: cut from the code)
FIELD_STYLE = {
    "code": "WGBM",
    "name": "WGMC",
    "street_name": "街道名称",
    "community_name": "社区名称",
    "households": "户数",
    "residents": "人口",
    "floating": "流动人口",
    "special_groups": "TSRQ",
}
SHAPEFILE_STYLE = {
    "code": "WGBM",
    "name": "WGMC",
    "street_name": "JDMC",
    "community_name": "SQMC",
    "households": "HS",
    "residents": "RK",
    "floating": "LDRK",
    "special_groups": "TSRQ",
}


def styled(grids: gpd.GeoDataFrame, style: dict[str, str]) -> gpd.GeoDataFrame:
    return grids[[*style, "geometry"]].rename(columns=style)


def write_shapefile(grids: gpd.GeoDataFrame, folder: Path, crs: str = "EPSG:4549") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "grids.shp"
    pyogrio.write_dataframe(styled(grids, SHAPEFILE_STYLE).to_crs(crs), path)
    return path


def zip_shapefile(shp: Path, zip_path: Path, folder: str = "") -> Path:
    with zipfile.ZipFile(zip_path, "w") as archive:
        for part in shp.parent.glob(f"{shp.stem}.*"):
            archive.write(part, f"{folder}{part.name}")
    return zip_path


def assert_same_grids(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame, tolerance_deg: float = 1e-9):
    assert list(got.columns) == [*GRID_COLUMNS, "geometry"]
    assert got.crs.equals("EPSG:4326")
    for column in GRID_COLUMNS:
        assert list(got[column]) == list(want[column]), column
    same = shapely.equals_exact(
        shapely.normalize(got.geometry.array), shapely.normalize(want.geometry.array), tolerance=tolerance_deg
    )
    assert same.all()


@pytest.mark.parametrize("crs", ["EPSG:4549", "EPSG:32650"])
def test_projected_shapefile_comes_back_in_wgs84(box_district, tmp_path, crs):
    shp = write_shapefile(box_district.grids, tmp_path, crs)
    assert_same_grids(read_grid_file(shp), box_district.grids, tolerance_deg=1e-6)


@pytest.mark.parametrize("folder", ["", "东丽区网格/"])
def test_zipped_shapefile(box_district, tmp_path, folder):
    shp = write_shapefile(box_district.grids, tmp_path / "shp")
    zipped = zip_shapefile(shp, tmp_path / "grids.zip", folder)
    assert_same_grids(read_grid_file(zipped), box_district.grids, tolerance_deg=1e-6)


def test_geojson_fields_guessed(box_district, tmp_path):
    path = tmp_path / "grids.geojson"
    styled(box_district.grids, FIELD_STYLE).to_file(path)
    assert_same_grids(read_grid_file(path), box_district.grids)


def test_geojson_fields_mapped_explicitly(box_district, tmp_path):
    odd = {
        "code": "编号X",
        "name": "标题",
        "street_name": "JIE",
        "community_name": "COMM",
        "households": "H",
        "residents": "P",
        "floating": "F",
        "special_groups": "S",
    }
    path = tmp_path / "grids.geojson"
    styled(box_district.grids, odd).to_file(path)
    with pytest.raises(GridFileError, match="no grid codes.*--field code="):
        read_grid_file(path)
    fields = FieldMap(**{ours: theirs.lower() for ours, theirs in odd.items()})  # case does not matter
    assert_same_grids(read_grid_file(path, fields), box_district.grids)


def test_defaults_and_single_part_multipolygons(box_district, tmp_path):
    grids = box_district.grids[["code", "geometry"]].copy()
    grids["geometry"] = [MultiPolygon([g]) for g in grids.geometry]
    grids["TYPE"] = ["专属网格"] + [""] * 8
    path = tmp_path / "bare.geojson"
    grids.to_file(path)
    got = read_grid_file(path)
    assert (got.geometry.geom_type == "Polygon").all()
    assert list(got["street_code"]) == list(box_district.grids["street_code"])  # cut from the code
    assert list(got["community_code"]) == list(box_district.grids["community_code"])
    assert list(got["grid_type"]) == ["exclusive"] + ["comprehensive"] * 8
    assert (got[["households", "residents", "floating", "special_groups"]] == 0).all().all()
    assert (got["street_name"] == "").all()  # names are not made up: the audit reports them missing


def test_no_crs_is_refused_unless_given(box_district, tmp_path):
    shp = write_shapefile(box_district.grids, tmp_path)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(GridFileError) as caught:
        read_grid_file(shp)
    assert str(caught.value) == NO_CRS
    assert_same_grids(read_grid_file(shp, crs="EPSG:4549"), box_district.grids, tolerance_deg=1e-6)
    with pytest.raises(GridFileError, match="outside the globe.*--crs"):
        read_grid_file(shp, crs="EPSG:4326")  # metres taken for degrees


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


EMPTY = json.dumps({"type": "FeatureCollection", "features": []})
POINTS = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "120110001001001"},
                "geometry": {"type": "Point", "coordinates": [117.3, 39.1]},
            }
        ],
    }
)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.geojson", '{"type": "FeatureCollection", "features": [', "could not read"),
        ("bad.gpkg", b"\x00\x01 not a geopackage" * 50, "could not read"),
        ("bad.zip", b"PK not really a zip", "not a readable zip"),
        ("empty.geojson", EMPTY, "no features"),
        ("points.geojson", POINTS, "Point features, not polygons"),
    ],
)
def test_bad_files(tmp_path, name, content, message):
    with pytest.raises(GridFileError, match=message):
        read_grid_file(_write(tmp_path, name, content))


def test_missing_file(tmp_path):
    with pytest.raises(GridFileError, match="file not found"):
        read_grid_file(tmp_path / "nowhere.geojson")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("grid_type", "微网格", "unknown grid types"), ("households", "350户", "non-numeric values")],
)
def test_bad_attribute_values(box_district, tmp_path, column, value, message):
    grids = box_district.grids.astype({column: object})
    grids.loc[3, column] = value
    path = tmp_path / "grids.geojson"
    grids.to_file(path)
    with pytest.raises(GridFileError, match=message):
        read_grid_file(path)


def test_mapped_column_missing_from_file(box_district, tmp_path):
    path = tmp_path / "grids.geojson"
    box_district.grids.to_file(path)
    with pytest.raises(GridFileError, match="'WGBM' .given for code. is not in the file"):
        read_grid_file(path, FieldMap(code="WGBM"))


def test_layers_of_a_geopackage(box_district, tmp_path):
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(box_district.grids, path, layer="a")
    pyogrio.write_dataframe(box_district.grids.iloc[:4], path, layer="b")
    with pytest.raises(GridFileError, match="2 layers.*--layer"):
        read_grid_file(path)
    assert len(read_grid_file(path, layer="b")) == 4
    with pytest.raises(GridFileError, match="no layer 'c'"):
        read_grid_file(path, layer="c")
    district_file = save_district(box_district, tmp_path / "district.gpkg")
    assert len(read_grid_file(district_file)) == 9  # its grids layer


def test_import_district(box_district, tmp_path):
    path = tmp_path / "dongli.geojson"
    styled(box_district.grids, FIELD_STYLE).to_file(path)
    district = import_district(path, city="天津市")
    assert (district.admin_code, district.name, district.city) == ("120110", "dongli", "天津市")
    assert district.outline.symmetric_difference(box_district.outline).area < 1e-12
    assert len(district.workers) == 0
    assert audit_district(district).ok


def test_imported_outline_keeps_an_inner_blind_spot(box_district, tmp_path):
    grids = box_district.grids.drop(index=4)  # the middle box: a hole inside the district
    path = tmp_path / "holey.geojson"
    grids.to_file(path)
    district = import_district(path, name="东丽区")
    assert district.outline.covers(Point(117.315, 39.085))
    assert [f.kind for f in audit_district(district).findings] == ["gap"]


@pytest.mark.parametrize("pair", ["code", "code=", "colour=RED"])
def test_field_map_from_bad_pairs(pair):
    with pytest.raises(ValueError, match="bad field mapping"):
        FieldMap.from_pairs([pair])


def test_field_map_from_pairs():
    assert FieldMap.from_pairs(["code=WGBM", " name = WGMC "]) == FieldMap(code="WGBM", name="WGMC")
