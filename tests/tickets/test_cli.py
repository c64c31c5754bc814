"""``gridpulse tickets …`` on a temporary SQLite file and district file."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dashboard.commands.tickets import app
from geo.district import save_district


@pytest.fixture
def env(tmp_path, box_district, monkeypatch):
    path = save_district(box_district, tmp_path / "d.gpkg")
    monkeypatch.setenv("GRIDPULSE_DISTRICT", str(path))
    monkeypatch.setenv("GRIDPULSE_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    return tmp_path


def test_migrate_backfill_metrics(env):
    runner = CliRunner()
    r = runner.invoke(app, ["migrate"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["backfill", "--days", "5", "--seed", "1"])
    assert r.exit_code == 0, r.output
    assert "tickets over 5 days" in r.output
    r = runner.invoke(app, ["metrics", "--level", "street"])
    assert r.exit_code == 0, r.output
    assert "120110001" in r.output and "结案率" in r.output
    r = runner.invoke(app, ["metrics", "--json", "--level", "district"])
    assert '"definitions"' in r.output
    r = runner.invoke(app, ["metrics", "--level", "street", "--tier", "community", "--from", "2020-01-01"])
    assert r.exit_code == 0 and "120110001" in r.output, r.output
    r = runner.invoke(app, ["rollup"])
    assert r.exit_code == 0 and "month partials stored" in r.output, r.output
    stored = int(r.output.split()[0].replace(",", ""))
    assert stored > 0  # the metrics above filled whole months since 2020
    r = runner.invoke(app, ["rollup", "--clear"])
    assert f"{stored:,} month partials dropped" in r.output and "\n0 month partials stored" in r.output


def test_bad_level_and_missing_district(env, monkeypatch):
    runner = CliRunner()
    assert runner.invoke(app, ["metrics", "--level", "planet"]).exit_code != 0
    monkeypatch.delenv("GRIDPULSE_DISTRICT")
    r = runner.invoke(app, ["backfill", "--days", "1"])
    assert r.exit_code != 0 and "GRIDPULSE_DISTRICT" in r.output
