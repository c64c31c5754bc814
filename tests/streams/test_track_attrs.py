"""The attribute log beside the track: AppendTrack keeps a worker-day's phone attribute maps only when they change,
with the track's TTL, and the track reader hands the changes out (real Redis, private prefix)."""

from __future__ import annotations

import time

import pytest

from streams.live import LiveReader
from streams.pingstream import RedisPingSink
from streams.processor import Processor
from streams.stages.model import Batch
from tests.streams.test_buffered import LON, emitter, fix  # noqa: F401 - the emitter fixture

A = {"ignition": True, "driverUniqueId": "D1"}
B = {"ignition": False, "driverUniqueId": "D1"}


@pytest.fixture
def proc(client, district, roster, settings, emitter):  # noqa: F811
    return Processor(client, district, roster, settings, emitter, name="p1")


def send(client, settings, proc, fixes):
    RedisPingSink(client, settings).write(fixes)
    while proc.process_once(block_ms=10) > 0:
        pass


def test_the_log_keeps_only_changes_with_the_track_ttl(client, proc, roster, settings, midday):
    w, now = roster.workers[0].worker_id, time.time()
    t0 = now - 100
    maps = [A, dict(reversed(A.items())), B, None, A]  # same map in another key order: no change
    fixes = [fix(w, t0 + 10 * i, now, lon=LON + 0.0001 * i, **({"a": m} if m else {})) for i, m in enumerate(maps)]
    send(client, settings, proc, fixes)
    send(client, settings, proc, fixes[:3])  # re-delivered: nothing twice
    day = Batch([], settings, roster, now).day(now)
    track = LiveReader(client, roster, settings).track(w, day)
    assert track["properties"]["count"] == 5
    got = track["properties"]["attributes"]
    assert [m for _, m in got] == [A, B, A]
    assert [ts for ts, _ in got] == pytest.approx([t0, t0 + 20, t0 + 40])
    ttl = client.ttl(settings.key("trackattrs", day, w))
    assert settings.track_days * 86400 < ttl <= (settings.track_days + 1) * 86400
    assert abs(ttl - client.ttl(settings.key("track", day, w))) <= 5


def test_a_late_fix_compares_with_the_map_before_it(client, proc, roster, settings, midday):
    w, now = roster.workers[1].worker_id, time.time()
    t0 = now - 100
    send(client, settings, proc, [fix(w, t0, now, a=A), fix(w, t0 + 40, now, a=B)])
    send(client, settings, proc, [fix(w, t0 + 20, now, a=A)])  # late, same as the one before it: nothing
    send(client, settings, proc, [fix(w, t0 + 30, now, a=B)])  # late, differs from the one before it: logged
    day = Batch([], settings, roster, now).day(now)
    got = LiveReader(client, roster, settings).track(w, day)["properties"]["attributes"]
    assert [m for _, m in got] == [A, B, B]


def test_fixes_without_attributes_write_no_log(client, proc, roster, settings, midday):
    w, now = roster.workers[2].worker_id, time.time()
    send(client, settings, proc, [fix(w, now - 20, now), fix(w, now - 10, now)])
    day = Batch([], settings, roster, now).day(now)
    assert LiveReader(client, roster, settings).track(w, day)["properties"]["attributes"] == []
    assert not client.exists(settings.key("trackattrs", day, w))
