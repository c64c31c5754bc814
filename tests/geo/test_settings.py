"""The one settings resolver every package uses: explicit > GRIDPULSE_* > default, empty = unset, errors name the
variable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path

import pytest

from dashboard.settings import AccessSettings, WebSettings
from geo.settings import GeoSettings, SettingsError, field_docs, invalid, resolve
from streams.settings import StreamSettings
from tickets.settings import load_settings


@dataclass(frozen=True)
class Sample:
    count: int = 3  # how many
    ratio: float = 0.5  # a share
    on: bool = False  # a switch
    at: time = time(8, 30)  # a local time
    where: Path | None = None  # a folder
    # a name, explained above it
    name: str = "x"

    def __post_init__(self):
        if self.count < 0:
            raise invalid("count", self.count, "≥ 0")


def test_explicit_beats_environment_beats_default():
    env = {"GRIDPULSE_COUNT": "7", "GRIDPULSE_RATIO": "0.25"}
    s = resolve(Sample, env, ratio=0.75)
    assert (s.count, s.ratio, s.on, s.name) == (7, 0.75, False, "x")


def test_values_are_parsed_by_type():
    s = resolve(Sample, {"GRIDPULSE_ON": "yes", "GRIDPULSE_AT": "09:15", "GRIDPULSE_WHERE": "/srv/gp"})
    assert s.on is True and s.at == time(9, 15) and s.where == Path("/srv/gp")


@pytest.mark.parametrize("cls, field", [(Sample, "count"), (StreamSettings, "max_speed_kmh"),
                                        (WebSettings, "wall_refresh_s"), (GeoSettings, "var_dir")])
def test_an_empty_variable_is_unset_in_every_package(cls, field):
    default = getattr(resolve(cls, {}), field)
    assert getattr(resolve(cls, {f"GRIDPULSE_{field.upper()}": ""}), field) == default


def test_an_empty_ticket_variable_is_unset_too(tmp_path):
    assert load_settings({"GRIDPULSE_MAX_PHOTOS": ""}, photo_dir=tmp_path).max_photos == 6


@pytest.mark.parametrize("cls, env, variable", [
    (Sample, {"GRIDPULSE_COUNT": "many"}, "GRIDPULSE_COUNT"),
    (Sample, {"GRIDPULSE_COUNT": "-1"}, "GRIDPULSE_COUNT"),
    (Sample, {"GRIDPULSE_ON": "maybe"}, "GRIDPULSE_ON"),
    (Sample, {"GRIDPULSE_AT": "8h30"}, "GRIDPULSE_AT"),
    (StreamSettings, {"GRIDPULSE_SHIFT_START": "25:00"}, "GRIDPULSE_SHIFT_START"),
    (StreamSettings, {"GRIDPULSE_STALE_AFTER_S": "-5"}, "GRIDPULSE_STALE_AFTER_S"),
    (WebSettings, {"GRIDPULSE_TILE_CRS": "bd09"}, "GRIDPULSE_TILE_CRS"),
    (WebSettings, {"GRIDPULSE_METRICS_ALLOW": "localhost"}, "GRIDPULSE_METRICS_ALLOW"),
    (AccessSettings, {"GRIDPULSE_WEB_SERVER": "uwsgi"}, "GRIDPULSE_WEB_SERVER"),
    (GeoSettings, {"GRIDPULSE_TIMEZONE": "Mars/Olympus"}, "GRIDPULSE_TIMEZONE"),
])
def test_every_error_names_the_variable(cls, env, variable):
    with pytest.raises(SettingsError, match=variable):
        resolve(cls, env)


def test_unknown_explicit_settings_are_refused():
    with pytest.raises(SettingsError, match="unknown Sample setting"):
        resolve(Sample, {}, colour="red")


def test_field_docs_read_the_trailing_or_leading_comment():
    docs = field_docs(Sample)
    assert docs["count"] == "how many" and docs["name"] == "a name, explained above it"
