"""Buffered fixes through the processor on the real Redis: a phone that had no network for hours uploads its queue,
oldest first; those fixes go to the track, patrol and visits of their own day, never to the live state or alerts."""

from __future__ import annotations

import time

import pytest

from geo.locate import GridLocator
from streams.emitter import MemoryEmitter
from streams.live import LiveReader
from streams.pingstream import RedisPingSink
from streams.processor import Processor
from streams.stages.model import Batch
from streams.visits import VisitReader

LON, LAT = 117.305, 39.095  # the middle of the first worker's home grid
STEP = 0.0002  # ≈ 17 m east per 10 s fix: walking; the own grid ends at lon 117.31


def fix(w, ts, rx, lon=LON, lat=LAT, **kw):
    return {"w": w, "d": "dev", "lon": lon, "lat": lat, "ts": ts, "rx": rx, "acc": None, "spd": None, "hdg": None,
            "bat": None, "sos": False, "src": "osmand", **kw}  # fmt: skip


@pytest.fixture
def emitter():
    return MemoryEmitter()


@pytest.fixture
def proc(client, district, roster, settings, emitter):
    return Processor(client, district, roster, settings, emitter, name="p1")


def drain(proc) -> None:
    while proc.process_once(block_ms=10) > 0:
        pass


def day_of(settings, roster, ts: float) -> str:
    return Batch([], settings, roster, ts).day(ts)


def patrol_minutes(client, roster, settings, w: str, day: str) -> dict:
    patrol = LiveReader(client, roster, settings).patrol(day)
    return next(x for x in patrol["workers"] if x["id"] == w)


def live_of(client, roster, settings, w: str) -> dict:
    return next(x for x in LiveReader(client, roster, settings).snapshot() if x["id"] == w)


def upload(client, settings, proc, fixes: list[dict], per_request: int) -> None:
    """As the apps sync a long queue: several requests, oldest first, each processed in a batch of its own."""
    sink = RedisPingSink(client, settings)
    for i in range(0, len(fixes), per_request):
        sink.write(fixes[i : i + per_request])
        drain(proc)


def test_eight_hour_old_buffered_fixes_go_to_track_and_patrol_not_live(client, proc, roster, settings, emitter,
                                                                       midday):
    me = roster.workers[0]
    w, now = me.worker_id, time.time()
    t0 = now - 8 * 3600  # 02:00 local: the same local day as the 10:00 clock
    sink = RedisPingSink(client, settings)
    sink.write([fix(w, t0 - 600, rx=t0 - 599)])  # the last fix sent live, before the network went
    drain(proc)
    emitter.sent.clear()
    # ten minutes of buffered walking east every 10 s, out of the own grid after 25 fixes, the SOS button pressed
    queue = [fix(w, t0 + 10 * k, rx=now, lon=LON + 0.0001 + STEP * k, sos=k == 5) for k in range(61)]
    upload(client, settings, proc, queue, per_request=25)  # three requests: the patrol chain must cross batches
    drain(proc)
    day = day_of(settings, roster, t0)
    track = LiveReader(client, roster, settings).track(w, day)
    assert track["properties"]["count"] == 62
    assert track["properties"]["times"][1:] == pytest.approx([t0 + 10 * k for k in range(61)], abs=1e-3)
    pw = patrol_minutes(client, roster, settings, w, day)
    assert pw["minutes"] == 10.0 and pw["minutes_home"] == round(25 * 10 / 60, 1)  # gaps from the 25 home fixes
    me_live = live_of(client, roster, settings, w)
    assert me_live["ts"] == pytest.approx(t0 - 600) and me_live["lon"] == LON and me_live["sos"] is False
    assert not [x for e, x, _ in emitter.sent if e in ("alerts", "positions")]  # no live alert, no dot moved
    assert int(client.hget(settings.key("stats"), "buffered")) == 61
    # back online: the next live fix moves the dot; the buffered history stays where it is
    sink.write([fix(w, now, rx=now, lon=LON)])
    drain(proc)
    assert live_of(client, roster, settings, w)["ts"] == pytest.approx(now)
    assert patrol_minutes(client, roster, settings, w, day)["minutes"] == 10.0


def test_a_resent_upload_adds_nothing_twice(client, proc, roster, settings, midday):
    w, now = roster.workers[0].worker_id, time.time()
    t0 = now - 7 * 3600
    queue = [fix(w, t0 + 10 * k, rx=now) for k in range(31)]
    upload(client, settings, proc, queue, per_request=31)
    drain(proc)
    upload(client, settings, proc, [{**f, "rx": now + 5} for f in queue], per_request=10)  # the answer was lost: again
    drain(proc)
    day = day_of(settings, roster, t0)
    assert LiveReader(client, roster, settings).track(w, day)["properties"]["count"] == 31
    assert patrol_minutes(client, roster, settings, w, day)["minutes"] == 5.0


def test_yesterdays_buffered_fixes_land_in_yesterdays_track_patrol_and_visits(client, district, proc, roster,
                                                                             settings, midday):
    me = roster.workers[0]
    w, now = me.worker_id, time.time()
    t0 = now - 20 * 3600  # 14:00 local yesterday
    yesterday, today = day_of(settings, roster, t0), day_of(settings, roster, now)
    assert yesterday < today
    RedisPingSink(client, settings).write([fix(w, t0 - 3600, rx=t0 - 3600)])  # sent live yesterday at 13:00
    drain(proc)
    visits = VisitReader(client, settings, roster, GridLocator.from_grids(district.grids))
    before = next(x for x in visits.day(yesterday)["workers"] if x["id"] == w)  # a past day's figures are stored
    assert before["visits"] == 0 and before["patrol_minutes"] == 0
    # a 10-minute home visit, one fix every 5 s, uploaded this morning
    upload(client, settings, proc, [fix(w, t0 + 5 * k, rx=now) for k in range(121)], per_request=50)
    drain(proc)
    assert LiveReader(client, roster, settings).track(w, yesterday)["properties"]["count"] == 122
    assert LiveReader(client, roster, settings).track(w, today)["properties"]["count"] == 0
    assert patrol_minutes(client, roster, settings, w, yesterday)["minutes"] == 10.0
    after = next(x for x in visits.day(yesterday)["workers"] if x["id"] == w)
    assert after["visits"] == 1 and after["visit_minutes_home"] == pytest.approx(10.0, abs=0.5)
    assert live_of(client, roster, settings, w)["ts"] == pytest.approx(t0 - 3600)  # the live dot did not move
