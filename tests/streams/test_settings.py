"""Settings: explicit argument > GRIDPULSE_* environment variable > default, validated with clear messages."""

from __future__ import annotations

from datetime import time

import pytest

from streams.metrics import RedisStatsCollector
from streams.settings import SettingsError, StreamSettings


def test_precedence_argument_over_environment_over_default():
    env = {"GRIDPULSE_MAX_SPEED_KMH": "90", "GRIDPULSE_KEY_PREFIX": "env", "GRIDPULSE_SHIFT_START": "07:45"}
    s = StreamSettings.from_env(env=env, key_prefix="arg")
    assert (s.key_prefix, s.max_speed_kmh, s.shift_start, s.min_period_s) == ("arg", 90.0, time(7, 45), 1.0)
    assert s.key("track", "2024-05-01", "W1") == "arg:track:2024-05-01:W1"


def test_redis_url_and_ingest_key_from_the_environment():
    s = StreamSettings.from_env(env={"GRIDPULSE_REDIS_URL": "redis://h:1/2", "GRIDPULSE_INGEST_KEY": "k"})
    assert (s.redis_url, s.ingest_key) == ("redis://h:1/2", "k")


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"GRIDPULSE_MAX_SPEED_KMH": "fast"}, ["max_speed_kmh", "GRIDPULSE_MAX_SPEED_KMH", "number"]),
        ({"GRIDPULSE_MAX_AGE_S": "-1"}, ["max_age_s", "≥ 0"]),
        ({"GRIDPULSE_STALE_AFTER_S": "900"}, ["offline_after_s", "stale_after_s"]),
        ({"GRIDPULSE_SHIFT_END": "late"}, ["shift_end", "HH:MM"]),
        ({"GRIDPULSE_READ_COUNT": "0"}, ["read_count", "> 0"]),
    ],
)
def test_bad_values_name_the_setting(env, words):
    with pytest.raises(SettingsError) as e:
        StreamSettings.from_env(env=env)
    assert all(w in str(e.value) for w in words)


def test_unknown_override_is_refused():
    with pytest.raises(SettingsError, match="unknown"):
        StreamSettings.from_env(env={}, max_sped_kmh=3)


def test_stats_collector_reads_every_processors_counters(client, settings):
    client.hset(settings.key("stats"), mapping={"processed": 7, "dropped:future": 2, "dead:DecodePing": 1})
    families = {f.name: f for f in RedisStatsCollector(client, settings).collect()}
    assert families["gridpulse_pings_processed"].samples[0].value == 7
    assert [(s.labels, s.value) for s in families["gridpulse_pings_dropped"].samples] == [({"rule": "future"}, 2)]
    assert families["gridpulse_pings_dead_lettered"].samples[0].labels == {"stage": "DecodePing"}
