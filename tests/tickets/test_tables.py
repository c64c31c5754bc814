"""The shipped tables, settings and token config: loaded, checked, with clear errors."""

import pytest

from tickets.domain.actors import Actor, actors_from_config
from tickets.domain.catalog import load_catalog
from tickets.domain.limits import STEPS, TimeLimits
from tickets.domain.states import Tier
from tickets.settings import DATA_DIR, SettingsError, load_settings


def test_catalog_has_a_third_safety():
    cat = load_catalog(DATA_DIR)
    total = sum(c.weight for c in cat.categories.values())
    safety = sum(c.weight for c in cat.categories.values() if c.safety)
    assert 0.28 < safety / total < 0.38
    for tier in Tier:
        assert cat.departments_for(tier), f"no department at the {tier} tier"
    assert all(code.isdigit() and len(code) == 4 for code in cat.categories)


def test_time_limits_cover_every_category_and_step():
    limits = TimeLimits.from_csv(DATA_DIR / "time_limits.csv", 7.5 * 3600)
    for code in load_catalog(DATA_DIR).categories:
        for step in STEPS:
            assert limits.limit_s(code, step) > 0
    assert limits.limit_s("1101", "handle") == 4 * 3600
    assert limits.limit_s("1401", "handle") == 15 * 7.5 * 3600


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("*", "handle", 1, "weeks")], "unit"),
        ([("*", "nap", 1, "hours")], "unknown step"),
        ([("*", "handle", 0, "hours")], "positive"),
        ([("*", "handle", 1, "hours")], "no default"),
    ],
)
def test_bad_limits(rows, message):
    with pytest.raises(ValueError, match=message):
        TimeLimits(rows, 27000)


def test_settings_precedence(monkeypatch):
    monkeypatch.setenv("GRIDPULSE_MAX_PHOTOS", "4")
    assert load_settings().max_photos == 4
    assert load_settings(max_photos=2).max_photos == 2


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("GRIDPULSE_MAX_PHOTOS", "many", r"GRIDPULSE_MAX_PHOTOS\) = 'many': expected a number \(int\)"),
        ("GRIDPULSE_YELLOW_RATIO", "1.5", r"GRIDPULSE_YELLOW_RATIO\) = 1.5"),
        ("GRIDPULSE_WORK_PERIODS", "17:00-09:00", r"GRIDPULSE_WORK_PERIODS\) = '17:00-09:00'"),
        ("GRIDPULSE_DATABASE_URL", "var/x.db", r"GRIDPULSE_DATABASE_URL\) = 'var/x.db': expected a SQLAlchemy URL"),
    ],
)
def test_settings_errors_name_the_variable(monkeypatch, env, value, message):
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_actors_from_config():
    got = actors_from_config({"tokens": [
        {"token": "street-token-1", "role": "street", "street_code": "120110001", "name": "张贵庄街道"},
        {"token": "worker-token-1", "role": "worker", "worker_id": "W1", "name": "格格"},
        {"token": "dept-token-001", "role": "department", "department": "D01", "name": "城管委"},
    ]})
    assert got["street-token-1"] == Actor(role="street", name="张贵庄街道", street_code="120110001")
    assert got["worker-token-1"].worker_id == "W1"
    assert got["dept-token-001"].department == "D01"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"token": "short", "role": "street", "street_code": "120110001"}, "at least 8"),
        ({"token": "long-enough", "role": "mayor"}, "role must be one of"),
        ({"token": "long-enough", "role": "street"}, "needs street_code"),
        ({"token": "long-enough", "role": "street", "street_code": "12"}, "9 digits"),
        ({"token": "long-enough", "role": "worker", "worker_id": "W", "colour": "red"}, "unknown field"),
    ],
)
def test_actor_config_errors(entry, message):
    with pytest.raises(ValueError, match=rf"tokens\[0\].*{message}"):
        actors_from_config({"tokens": [entry]})


def test_actor_config_needs_a_list():
    with pytest.raises(ValueError, match="tokens"):
        actors_from_config({"token": []})
