"""`gridpulse district build` and `info` through the real root command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dashboard.cli import app

INFO_KEYS = {"streets", "communities", "grids", "exclusive_grids", "area_km2", "households", "admin_code"}


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_build_then_info_json(run, tmp_path):
    out = tmp_path / "small.gpkg"
    built = run("district", "build", "--district", "东丽区", "--city", "天津市", "--out", out,
                "--grids", 60, "--exclusive", 4, "--streets", 2, "--communities", 6, "--seed", 3)
    assert built.exit_code == 0, built.output
    assert out.is_file() and "wrote" in built.output
    info = run("district", "info", out, "--json")
    assert info.exit_code == 0, info.output
    summary = json.loads(info.output)
    assert summary.keys() >= INFO_KEYS
    assert (summary["grids"], summary["exclusive_grids"], summary["streets"], summary["communities"]) == (64, 4, 2, 6)
    assert summary["admin_code"] == "120110" and summary["households"] > 0
    audit = run("district", "audit", out)
    assert audit.exit_code == 0, audit.output


def test_info_prints_a_readable_table(run, box_district, tmp_path):
    from geo.district import save_district

    path = save_district(box_district, tmp_path / "box.gpkg")
    result = run("district", "info", path)
    assert result.exit_code == 0
    assert "grids" in result.output and "9" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--district", "不存在区", "--city", "天津市"], "不存在区"),
        (["--streets", 30, "--communities", 5], "communities"),
    ],
)
def test_build_refuses_bad_input_and_writes_nothing(run, tmp_path, args, message):
    out = tmp_path / "bad.gpkg"
    result = run("district", "build", "--out", out, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_build_wants_a_gpkg_and_info_a_real_file(run, tmp_path):
    assert run("district", "build", "--out", tmp_path / "x.geojson").exit_code == 2
    missing = run("district", "info", tmp_path / "nope.gpkg")
    assert missing.exit_code == 2 and "no such file" in missing.output
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a geopackage")
    bad = run("district", "info", junk)
    assert bad.exit_code == 2 and "not a GridPulse district file" in bad.output
