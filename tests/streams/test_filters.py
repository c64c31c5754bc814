"""The bad-fix filters, one rule each, over parametrized edge cases (Traccar's FilterHandler rules)."""

from __future__ import annotations

import math

import pytest

from geo.measure import haversine_m
from streams.pipeline import build_stages
from streams.stages.buffered import MarkBuffered
from streams.stages.filters import (
    DecodePing,
    DropDuplicate,
    DropFuture,
    DropInaccurate,
    DropInvalid,
    DropSpeedJump,
    DropTooFrequent,
    DropZero,
)
from streams.stages.model import Ping
from tests.streams.helpers import make_settings
from tests.streams.stagekit import HOME_LAT, HOME_LON, T0, ping, run, stored

W = "W120110001001001"
DEG_LON_M = float(haversine_m(HOME_LON, HOME_LAT, HOME_LON + 1, HOME_LAT))  # metres per degree of longitude here


def filters(s):
    return [
        DropInvalid(), DropZero(), DropFuture(s.max_future_s), MarkBuffered(s.max_age_s),
        DropInaccurate(s.max_accuracy_m), DropDuplicate(), DropSpeedJump(s.max_speed_kmh),
        DropTooFrequent(s.min_period_s),
    ]  # fmt: skip


def east_at_kmh(kmh: float, dt: float) -> float:
    """Longitude reached going east from home at ``kmh`` for ``dt`` seconds."""
    return HOME_LON + kmh / 3.6 * dt / DEG_LON_M


CASES = [
    ("good", {}, None),
    ("from-tomorrow", {"ts": T0 + 86400}, "future"),
    ("six-minutes-ahead", {"ts": T0 + 360}, "future"),
    ("four-minutes-ahead-is-ok", {"ts": T0 + 240}, None),
    ("seven-hours-old-is-kept-as-buffered", {"ts": T0 - 7 * 3600}, None),
    ("zero-coordinates", {"lon": 0.0, "lat": 0.0}, "zero"),
    ("zero-lon-only-is-not-zero-rule", {"lon": 0.0}, "max_speed"),
    ("lat-out-of-range", {"lat": 91.0}, "invalid"),
    ("lon-out-of-range", {"lon": -181.0}, "invalid"),
    ("nan", {"lat": math.nan}, "invalid"),
    ("poor-accuracy", {"acc": 500.0}, "accuracy"),
    ("no-accuracy-is-kept", {"acc": None}, None),
    ("duplicate-of-last-fix", {"ts": T0 - 60}, "duplicate"),
    ("jump-at-500-kmh", {"lon": east_at_kmh(500, 60)}, "max_speed"),
    ("fast-bike-at-40-kmh", {"lon": east_at_kmh(40, 60)}, None),
    ("too-frequent", {"ts": T0 - 59.5}, "min_period"),
    ("out-of-order-far-away-is-kept-as-late", {"ts": T0 - 120, "lon": east_at_kmh(500, 60)}, None),
]


@pytest.mark.parametrize(("kwargs", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_rule_each(roster, kwargs, rule):
    s = make_settings()
    p = ping(W, **kwargs)
    batch = run(filters(s), [p], s, roster, state={W: stored(W)})
    assert p.alive is (rule is None)
    assert dict(batch.dropped) == ({rule: 1} if rule else {})


def test_a_dropped_jump_does_not_become_the_last_fix(roster):
    s = make_settings()
    good1, jump, good2 = ping(W, ts=T0), ping(W, lon=east_at_kmh(500, 10), ts=T0 + 10), ping(W, ts=T0 + 20)
    batch = run(filters(s), [good1, jump, good2], s, roster)
    assert [p.alive for p in (good1, jump, good2)] == [True, False, True]
    assert batch.dropped == {"max_speed": 1}


def test_duplicates_inside_one_batch(roster):
    s = make_settings()
    a, b, c = ping(W, ts=T0), ping(W, ts=T0), ping(W, ts=T0 + 5)
    batch = run(filters(s), [a, b, c], s, roster)
    assert [p.alive for p in (a, b, c)] == [True, False, True] and batch.dropped == {"duplicate": 1}


def test_receive_time_not_processing_time_decides_future_and_buffered(roster):
    s = make_settings()
    p = ping(W, ts=T0, rx=T0 + 10)  # processed a day later (a backlog) but received on time
    batch = run(filters(s), [p], s, roster, now=T0 + 86400)
    assert p.alive and not p.buffered and batch.buffered == 0


@pytest.mark.parametrize(("age_s", "buffered"), [(6 * 3600 - 1, False), (6 * 3600 + 1, True), (8 * 3600, True)])
def test_a_fix_older_than_max_age_on_arrival_is_marked_buffered_not_dropped(roster, age_s, buffered):
    s = make_settings()
    p = ping(W, ts=T0 - age_s, rx=T0)
    batch = run(filters(s), [p], s, roster)
    assert p.alive and p.buffered is buffered and batch.buffered == int(buffered) and not batch.dropped


def test_disabled_rules_are_left_out_of_the_pipeline(client, district):
    s = make_settings(max_accuracy_m=0, min_period_s=0, max_speed_kmh=0)
    names = [st.name for st in build_stages(client, district, s)]
    assert "DropInaccurate" not in names and "DropTooFrequent" not in names and "DropSpeedJump" not in names
    assert names[:4] == ["DecodePing", "LoadState", "RecordContact", "DropInvalid"] and names[-3:] == ["StoreLive", "StoreBuffered", "AppendTrack"]


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b'{"lon": 1, "lat": 2, "ts": 3}', b'{"w": "W", "lon": "1", "lat": 2, "ts": 3}', None],
    ids=["not-json", "not-object", "no-worker", "string-lon", "no-field"],
)
def test_undecodable_entries_are_dead_lettered_by_decode(roster, raw):
    s = make_settings()
    good = Ping(b"1-1", b'{"w": "W1", "lon": 117.3, "lat": 39.1, "ts": 1714550400.0, "rx": 1714550401.0}')
    bad = Ping(b"1-0", raw)
    batch = run([DecodePing()], [bad, good], s, roster)
    assert [(p.id, stage) for p, stage, _ in batch.dead] == [(b"1-0", "DecodePing")]
    assert good.alive and good.w == "W1" and good.rx == 1714550401.0
