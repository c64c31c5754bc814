"""The live commands' start-up checks (no servers started)."""

import typer
from typer.testing import CliRunner

from dashboard import commands
from geo.district import save_district


def _app():
    app = typer.Typer()
    commands.register(app)
    return app


def test_commands_are_top_level():
    names = {c.name for c in _app().registered_commands}
    assert names == {"serve", "process", "simulate", "demo"}


def test_serve_refuses_to_start_without_an_admin_token(monkeypatch, tmp_path):
    monkeypatch.delenv("GRIDPULSE_ADMIN_TOKEN", raising=False)
    result = CliRunner().invoke(_app(), ["serve", "--district", str(tmp_path / "x.gpkg")])
    assert result.exit_code == 2
    assert "GRIDPULSE_ADMIN_TOKEN is not set" in result.output


def test_serve_names_the_missing_district(monkeypatch, tmp_path):
    monkeypatch.setenv("GRIDPULSE_ADMIN_TOKEN", "admin-token-0001")
    monkeypatch.delenv("GRIDPULSE_DISTRICT", raising=False)
    result = CliRunner().invoke(_app(), ["serve"])
    assert result.exit_code == 2 and "GRIDPULSE_DISTRICT" in result.output
    result = CliRunner().invoke(_app(), ["serve", "--district", str(tmp_path / "nope.gpkg")])
    assert result.exit_code == 2 and "not found" in result.output


def test_simulate_refuses_more_workers_than_the_roster(box_district, tmp_path):
    path = save_district(box_district, tmp_path / "box.gpkg")
    result = CliRunner().invoke(_app(), ["simulate", "--district", str(path), "--workers", "50", "--ingest-key", "k" * 10])
    assert result.exit_code == 2 and "only 9 workers" in result.output
    result = CliRunner().invoke(_app(), ["simulate", "--district", str(path)], env={"GRIDPULSE_INGEST_KEY": ""})
    assert result.exit_code == 2 and "ingest key" in result.output
