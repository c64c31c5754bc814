"""`gridpulse district import` / `audit` through Typer's CliRunner: exit codes 0/1/2 and nothing written on failure."""

from __future__ import annotations

import json

import pytest
import typer
from shapely.geometry import box
from typer.testing import CliRunner

from dashboard.commands.district_io import register
from geo.district import load_district, save_district
from geo.importer import NO_CRS

ODD_FIELDS = {
    "code": "WGBM",
    "name": "WGMC",
    "street_name": "JDMC",
    "community_name": "SQMC",
    "households": "HS",
}


@pytest.fixture
def run():
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def grid_file(box_district, tmp_path):
    path = tmp_path / "dongli.geojson"
    box_district.grids.to_file(path)
    return path


@pytest.fixture
def overlapping_file(box_district, tmp_path):
    box_district.grids.loc[4, "geometry"] = box(117.31, 39.08, 117.322, 39.09)  # into grid 5
    path = tmp_path / "overlap.geojson"
    box_district.grids.to_file(path)
    return path


def test_import_clean_file_writes_the_district(run, grid_file, tmp_path):
    out = tmp_path / "out" / "dongli.gpkg"
    result = run("import", grid_file, "--out", out, "--name", "东丽区", "--city", "天津市")
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout
    district = load_district(out)
    assert (district.admin_code, district.name, district.city, len(district.grids)) == (
        "120110",
        "东丽区",
        "天津市",
        9,
    )


def test_import_with_findings_writes_nothing(run, overlapping_file, tmp_path):
    out = tmp_path / "dongli.gpkg"
    result = run("import", overlapping_file, "--out", out)
    assert result.exit_code == 1
    assert "网格重叠" in result.stdout and "120110002001003" in result.stdout
    assert "not written" in result.stderr
    assert not out.exists()


def test_import_force_writes_and_still_reports(run, overlapping_file, tmp_path):
    out = tmp_path / "dongli.gpkg"
    result = run("import", overlapping_file, "--out", out, "--force")
    assert result.exit_code == 0
    assert "网格重叠" in result.stdout
    assert len(load_district(out).grids) == 9


def test_import_json(run, overlapping_file, tmp_path):
    result = run("import", overlapping_file, "--out", tmp_path / "d.gpkg", "--json", "--sliver-m2", "1")
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["written"] is False
    assert data["audit"]["counts"] == {"overlap": 1} and data["district"]["grids"] == 9


def test_import_field_mapping(run, box_district, tmp_path):
    odd = {ours: f"X_{theirs}" for ours, theirs in ODD_FIELDS.items()}  # names no guess would find
    path = tmp_path / "odd.geojson"
    box_district.grids[[*odd, "geometry"]].rename(columns=odd).to_file(path)
    out = tmp_path / "d.gpkg"
    pairs = [arg for ours, theirs in odd.items() for arg in ("--field", f"{ours}={theirs}")]
    result = run("import", path, "--out", out, *pairs)
    assert result.exit_code == 0, result.output
    assert list(load_district(out).grids["code"]) == list(box_district.grids["code"])


@pytest.mark.parametrize(
    ("content", "message"),
    [("{ not json", "could not read"), ('{"type": "FeatureCollection", "features": []}', "no features")],
)
def test_import_bad_file_exits_2_and_writes_nothing(run, tmp_path, content, message):
    src = tmp_path / "bad.geojson"
    src.write_text(content)
    out = tmp_path / "d.gpkg"
    result = run("import", src, "--out", out)
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""
    assert not out.exists()


def test_import_no_crs_then_crs_given(run, box_district, tmp_path):
    shp = tmp_path / "grids.shp"
    box_district.grids[[*ODD_FIELDS, "geometry"]].rename(columns=ODD_FIELDS).to_crs("EPSG:4549").to_file(shp)
    shp.with_suffix(".prj").unlink()
    out = tmp_path / "d.gpkg"
    result = run("import", shp, "--out", out)
    assert result.exit_code == 2 and NO_CRS in result.stderr and not out.exists()
    result = run("import", shp, "--out", out, "--crs", "EPSG:4549")
    assert result.exit_code == 0, result.output
    assert out.exists()


@pytest.mark.parametrize("args", [["--field", "code"], ["--field", "colour=RED"], ["--out", "d.geojson"]])
def test_import_bad_options_exit_2(run, grid_file, tmp_path, args):
    args = ["--out", tmp_path / "d.gpkg", *args] if args[0] != "--out" else [args[0], tmp_path / args[1]]
    result = run("import", grid_file, *args)
    assert result.exit_code == 2
    assert not any(tmp_path.glob("d.*"))


def test_audit_district_file(run, box_district, tmp_path):
    clean = save_district(box_district, tmp_path / "clean.gpkg")
    result = run("audit", clean)
    assert result.exit_code == 0 and "OK" in result.stdout
    box_district.grids.loc[4, "geometry"] = box(117.31, 39.08, 117.318, 39.09)  # a blind spot beside grid 5
    holey = save_district(box_district, tmp_path / "holey.gpkg")
    result = run("audit", holey)
    assert result.exit_code == 1
    assert "盲区" in result.stdout and "m²" in result.stdout
    result = run("audit", holey, "--json", "--gap-m2", "1")
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["counts"] == {"gap": 1} and data["has_outline"] is True
    assert run("audit", holey, "--gap-m2", "1e9").exit_code == 0  # the tolerance is honoured


def test_audit_raw_grid_files(run, grid_file, overlapping_file):
    assert run("audit", grid_file).exit_code == 0
    result = run("audit", overlapping_file, "--json")
    assert result.exit_code == 1 and json.loads(result.stdout)["has_outline"] is False


@pytest.mark.parametrize("name", ["nowhere.gpkg", "broken.gpkg", "broken.geojson"])
def test_audit_bad_file_exits_2(run, tmp_path, name):
    path = tmp_path / name
    if name.startswith("broken"):
        path.write_bytes(b"\x00garbage" * 100)
    result = run("audit", path)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
