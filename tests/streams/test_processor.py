"""The processor on the real Redis: commit and ack, live state, tracks, patrol, dead letters, sweep, push."""

from __future__ import annotations

import time

import orjson
import pytest

from streams.emitter import Coalescer, MemoryEmitter
from streams.live import LiveReader
from streams.pingstream import RedisPingSink
from streams.processor import Processor
from streams.stages.model import Batch
from streams.sweep import Sweeper
from tests.streams.stagekit import T0

LON, LAT = 117.305, 39.095


def fix(w, ts, lon=LON, lat=LAT, **kw):
    return {"w": w, "d": "dev", "lon": lon, "lat": lat, "ts": ts, "rx": time.time(), "acc": None, "spd": None,
            "hdg": None, "bat": None, "sos": False, "src": "batch", **kw}  # fmt: skip


@pytest.fixture
def emitter():
    return MemoryEmitter()


@pytest.fixture
def proc(client, district, roster, settings, emitter):
    return Processor(client, district, roster, settings, emitter, name="p1")


def drain(proc) -> int:
    n = 0
    while (k := proc.process_once(block_ms=10)) > 0:
        n += k
    return n


def test_a_batch_is_applied_and_acknowledged(client, proc, roster, settings, midday):
    now = time.time()  # mid-morning: the fixes of 20 s ago are in today's track
    ws = [w.worker_id for w in roster.workers]
    RedisPingSink(client, settings).write([fix(w, now - 20 + 10 * k, lon=LON + 0.0002 * k) for k in range(2) for w in ws])
    assert drain(proc) == 2 * len(ws)
    assert client.xpending(settings.key("pings"), settings.key("processors"))["pending"] == 0
    snap = LiveReader(client, roster, settings).snapshot()
    assert [x["id"] for x in snap] == ws
    assert all(x["ts"] == pytest.approx(now - 10) and x["lon"] == LON + 0.0002 and x["status"] == "online" for x in snap)
    assert all(x["moving"] for x in snap)  # 17 m in 10 s
    day = Batch([], settings, roster, now).day(now)
    track = LiveReader(client, roster, settings).track(ws[0], day)
    assert track["geometry"]["type"] == "LineString" and track["properties"]["count"] == 2
    stats = client.hgetall(settings.key("stats"))
    assert int(stats[b"processed"]) == 2 * len(ws)


def test_late_fix_goes_into_the_track_in_order_but_never_moves_the_dot(client, proc, roster, settings, midday):
    w = roster.workers[0].worker_id
    now = time.time()
    sink = RedisPingSink(client, settings)
    sink.write([fix(w, now - 10, lon=LON), fix(w, now, lon=LON + 0.001)])
    drain(proc)
    sink.write([fix(w, now - 5, lon=LON + 0.0005)])  # arrives last, happened in between
    drain(proc)
    (me,) = [x for x in LiveReader(client, roster, settings).snapshot() if x["id"] == w]
    assert (me["ts"], me["lon"]) == (pytest.approx(now), LON + 0.001)
    day = Batch([], settings, roster, now).day(now)
    track = LiveReader(client, roster, settings).track(w, day)
    assert track["properties"]["times"] == pytest.approx([now - 10, now - 5, now], abs=1e-3)
    assert [c[0] for c in track["geometry"]["coordinates"]] == pytest.approx([LON, LON + 0.0005, LON + 0.001])
    patrol = LiveReader(client, roster, settings).patrol(day)
    (pw,) = [x for x in patrol["workers"] if x["id"] == w]
    assert pw["minutes"] == pytest.approx(10 / 60, abs=0.05) and list(pw["grids"]) == [roster.workers[0].home_grid]


def test_patrol_minutes_per_worker_and_grid(client, proc, roster, settings, midday):
    me = roster.workers[0]  # home: the north-west box; east of lon 117.31 is the next grid
    t = midday.timestamp() - 900  # patrol counts per local day: the four fixes are all this morning's
    east = 117.315
    RedisPingSink(client, settings).write(
        [fix(me.worker_id, t), fix(me.worker_id, t + 60), fix(me.worker_id, t + 120, lon=east),
         fix(me.worker_id, t + 600, lon=east)]  # the last gap (480 s) is longer than patrol_gap_s: not patrol
    )  # fmt: skip
    drain(proc)
    patrol = LiveReader(client, roster, settings).patrol(Batch([], settings, roster, t).day(t + 600))
    (pw,) = [x for x in patrol["workers"] if x["id"] == me.worker_id]
    neighbour = next(g for g in pw["grids"] if g != me.home_grid)
    assert pw["minutes"] == 2.0 and pw["minutes_home"] == 2.0 and pw["grids"] == {me.home_grid: 2.0, neighbour: 0.0}
    grids = {g["grid"]: g for g in patrol["grids"]}
    assert grids[me.home_grid]["minutes"] == 2.0 and grids[neighbour]["visited"] and grids[neighbour]["minutes"] == 0
    assert len(patrol["grids"]) == len(roster) and sum(g["visited"] for g in patrol["grids"]) == 2
    street = LiveReader(client, roster, settings).patrol(Batch([], settings, roster, t).day(t + 600), me.street_code)
    assert {w["street"] for w in street["workers"]} == {me.street_code} == {g["street"] for g in street["grids"]}


def test_poison_entries_are_dead_lettered_and_the_rest_goes_on(client, proc, roster, settings):
    w = roster.workers[0].worker_id
    stream = settings.key("pings")
    client.xadd(stream, {"p": b"\xff not json"})
    client.xadd(stream, {"other": b"1"})
    RedisPingSink(client, settings).write([fix(w, time.time())])
    assert drain(proc) == 3
    dead = client.xrange(settings.key("dead"))
    assert [(f[b"stage"], f[b"p"]) for _, f in dead] == [(b"DecodePing", b"\xff not json"), (b"DecodePing", b"")]
    assert all(f[b"reason"] and f[b"id"] for _, f in dead)
    assert client.hexists(settings.key("live"), w)
    assert client.xpending(stream, settings.key("processors"))["pending"] == 0
    assert proc.totals["dead:DecodePing"] == 2 and proc.totals["processed"] == 1


def test_filtered_pings_are_counted_per_rule(client, proc, roster, settings):
    w = roster.workers[0].worker_id
    now = time.time()
    RedisPingSink(client, settings).write(
        [fix(w, now), fix(w, now), fix(w, now + 86400), fix(w, now + 1, lon=0.0, lat=0.0), fix(w, now + 2, acc=900.0)]
    )
    drain(proc)
    stats = {k.decode(): int(v) for k, v in client.hgetall(settings.key("stats")).items()}
    assert stats == {"processed": 1, "dropped:duplicate": 1, "dropped:future": 1, "dropped:zero": 1,
                     "dropped:accuracy": 1}  # fmt: skip


def test_a_slower_processor_cannot_move_a_dot_back(client, district, roster, settings):
    w = roster.workers[0].worker_id
    now = time.time()
    fast = Processor(client, district, roster, settings, name="fast")
    slow = Processor(client, district, roster, settings, name="slow")
    fast.process_once(block_ms=1)  # create the group
    sink = RedisPingSink(client, settings)
    sink.write([fix(w, now - 5, lon=LON)])
    old_batch = slow.source.read(block_ms=10)  # slow takes the older fix ...
    sink.write([fix(w, now, lon=LON + 0.001)])
    fast.process_once(block_ms=10)  # ... fast commits the newer one first
    slow.process_entries(old_batch)
    live = orjson.loads(client.hget(settings.key("live"), w))
    assert live["lon"] == LON + 0.001 and live["ts"] == pytest.approx(now)


def test_sweep_marks_silent_workers_and_alerts_offline_in_shift(client, roster, settings):
    a, b, c = (w.worker_id for w in roster.workers[:3])
    live = settings.key("live")
    for w, age in ((a, 10), (b, 300), (c, 900)):
        entry = {"ts": T0 - age, "id": w, "lon": LON, "lat": LAT, "grid": None, "status": "online", "moving": True}
        client.hset(live, w, orjson.dumps(entry))
    sweeper = Sweeper(client, settings, roster)
    alerts = sweeper.maybe_run(now=T0)
    status = {w: orjson.loads(client.hget(live, w))["status"] for w in (a, b, c)}
    assert status == {a: "online", b: "stale", c: "offline"}
    assert [(x["kind"], x["w"]) for x in alerts] == [("offline", c)]
    assert len(client.xrange(settings.key("alerts"))) == 1
    rows = {r[0]: r for r in map(orjson.loads, client.hvals(settings.key("dirty", "district")))}
    assert set(rows) == {b, c} and rows[c][3] == "offline" and rows[c][4] == 0
    assert Sweeper(client, settings, roster).maybe_run(now=T0 + 1) is None  # another processor: lock held
    assert sweeper.maybe_run(now=T0 + 1) is None  # not due yet


def test_no_offline_alert_outside_the_shift(client, roster, settings):
    w = roster.workers[0].worker_id
    night = T0 + 8 * 3600  # midnight in Shanghai
    client.hset(settings.key("live"), w, orjson.dumps({"ts": night - 900, "id": w, "lon": LON, "lat": LAT, "status": "online"}))
    assert Sweeper(client, settings, roster).sweep(night) == []


def test_coalescer_sends_at_once_then_holds_each_room_for_its_window_across_processors(client, roster, settings):
    s = settings.replace(push_window_s=0.3, push_max_per_s=5)  # period 0.3 s
    em1, em2 = MemoryEmitter(), MemoryEmitter()
    streets = roster.street_codes
    c1, c2 = Coalescer(client, s, streets, em1), Coalescer(client, s, streets, em2)
    w = roster.workers[0]
    client.hset(s.key("dirty", "district"), w.worker_id, orjson.dumps([w.worker_id, LON, LAT, "online", 1, "g", 1]))
    client.hset(s.key("dirty", f"street:{w.street_code}"), w.worker_id, b'["x"]')
    assert c1.flush() == 2  # the first change after a quiet spell goes out at once
    assert c1.wake_in_s is None  # nothing held back
    client.hset(s.key("dirty", "district"), w.worker_id, b'["y"]')
    assert c2.flush() == 0  # the other processor pushed this room less than a window ago
    assert 0 < c2.wake_in_s <= 0.3
    assert c1.flush() == 0
    time.sleep(c2.wake_in_s + 0.02)
    assert c2.flush() == 1  # the window closed: the held row goes out
    (event, payload, room), _ = em1.sent
    assert event == "positions" and room == "district" and payload["f"][0] == "id"
    assert payload["rows"] == [[w.worker_id, LON, LAT, "online", 1, "g", 1]]
    ((_, later, room2),) = em2.sent
    assert room2 == "district" and later["rows"] == [["y"]]
    assert later["t"] - payload["t"] >= 300  # stamped by Redis's clock: never two messages within the period


def test_push_period_is_the_window_or_the_rate_cap(settings):
    assert settings.replace(push_window_s=0.2, push_max_per_s=5).push_period_s == pytest.approx(0.2)
    assert settings.replace(push_window_s=0.1, push_max_per_s=2).push_period_s == pytest.approx(0.5)


def test_processor_pushes_rows_to_district_and_street_rooms(client, proc, roster, settings, emitter):
    w = roster.workers[0]
    RedisPingSink(client, settings).write([fix(w.worker_id, time.time(), sos=True)])
    proc.process_once(block_ms=10)
    by_room = {(e, room): d for e, d, room in emitter.sent}
    assert by_room[("positions", "district")]["rows"][0][0] == w.worker_id
    assert ("positions", f"street:{w.street_code}") in by_room
    assert by_room[("alerts", "district")][0]["kind"] == "sos"
    assert by_room[("alerts", f"street:{w.street_code}")][0]["w"] == w.worker_id


def test_snapshot_lists_never_seen_workers_as_offline_and_scopes_by_street(client, roster, settings):
    street = roster.workers[0].street_code
    snap = LiveReader(client, roster, settings).snapshot(street_code=street)
    assert snap and {x["street"] for x in snap} == {street}
    assert all(x["status"] == "offline" and x["lon"] is None for x in snap)
    assert len(LiveReader(client, roster, settings).snapshot()) == len(roster)


def test_positions_rows_carry_every_field_the_screens_show(client, proc, roster, settings, emitter):
    from streams.contract import POSITION_FIELDS, SNAPSHOT_FIELDS

    w = roster.workers[0]
    ts = time.time()
    RedisPingSink(client, settings).write([fix(w.worker_id, ts, spd=4.26, bat=77.6, acc=8.4, hdg=359.7, sos=True,
                                               lon=LON + 0.01)])  # fmt: skip  (east of home: outside own grid)
    proc.process_once(block_ms=10)
    (msg,) = [d for e, d, room in emitter.sent if e == "positions" and room == "district"]
    assert msg["f"] == POSITION_FIELDS
    row = dict(zip(msg["f"], msg["rows"][0], strict=True))
    assert row["lon"] == pytest.approx(LON + 0.01)
    assert row == {"id": w.worker_id, "lon": row["lon"], "lat": LAT, "status": "online", "moving": 1,
                   "grid": row["grid"], "ts": int(ts), "idle": 0, "spd": 4.3, "bat": 78, "sos": 1, "acc": 8,
                   "hdg": 0, "outside": 1}  # fmt: skip
    assert row["grid"] and row["grid"] != w.home_grid
    snap = {x["id"]: x for x in LiveReader(client, roster, settings).snapshot()}[w.worker_id]
    assert set(SNAPSHOT_FIELDS) <= set(snap)
    assert (snap["acc"], snap["hdg"], snap["spd"], snap["bat"], snap["sos"]) == (8.4, 359.7, 4.26, 77.6, True)


def test_sweep_rows_have_the_same_fields(client, roster, settings):
    from streams.contract import POSITION_FIELDS

    w = roster.workers[0].worker_id
    now = time.time()
    client.hset(settings.key("live"), w, orjson.dumps({"ts": now - 900, "id": w, "lon": LON, "lat": LAT,
                                                       "status": "online", "bat": 50, "acc": 3, "hdg": 90}))
    Sweeper(client, settings, roster).sweep(now)
    row = orjson.loads(client.hget(settings.key("dirty", "district"), w))
    assert len(row) == len(POSITION_FIELDS)
    got = dict(zip(POSITION_FIELDS, row, strict=True))
    assert (got["status"], got["bat"], got["acc"], got["hdg"]) == ("offline", 50, 3, 90)


def test_idle_consumers_with_nothing_pending_are_forgotten(client, roster, settings):
    from streams.pingstream import RedisPingSource

    RedisPingSink(client, settings).write([fix(roster.workers[0].worker_id, time.time())])
    done, busy, me = (RedisPingSource(client, settings, n) for n in ("done", "busy", "me"))
    me.ensure_group()
    (entry,) = busy.read(block_ms=5)  # "busy" holds a pending entry
    done.read(block_ms=5)  # "done" exists, with nothing pending
    me.read(block_ms=5)
    time.sleep(0.15)
    assert me.forget_idle_consumers(idle_s=0.1) == ["done"]
    names = {c["name"] for c in client.xinfo_consumers(settings.key("pings"), settings.key("processors"))}
    assert names == {b"busy", b"me"} or names == {"busy", "me"}
    client.xack(settings.key("pings"), settings.key("processors"), entry[0])  # its entry claimed and done
    assert me.forget_idle_consumers(idle_s=0.1) == ["busy"]
    assert me.forget_idle_consumers(idle_s=0) == []  # 0: never


def test_sweep_ages_a_worker_known_only_from_heartbeats(client, roster, settings):
    w = roster.workers[0].worker_id
    now = time.time()
    client.hset(settings.key("live"), w, orjson.dumps({"ts": None, "id": w, "lon": None, "lat": None,
                                                       "status": "online", "seen": now - 900, "bat": 40}))
    Sweeper(client, settings, roster).sweep(now)
    entry = orjson.loads(client.hget(settings.key("live"), w))
    assert entry["status"] == "offline" and entry["ts"] is None and entry["bat"] == 40
    snap = {x["id"]: x for x in LiveReader(client, roster, settings).snapshot(now=now)}[w]
    assert snap["status"] == "offline" and snap["seen"] == now - 900 and snap["lon"] is None


def test_first_fix_after_heartbeats_replaces_the_contact_only_entry(client, proc, roster, settings):
    w = roster.workers[0]
    now = time.time()
    RedisPingSink(client, settings).write([{"k": "contact", "w": w.worker_id, "d": w.device_id, "ts": now - 10,
                                            "rx": now, "bat": 55.0, "src": "osmand"}])  # fmt: skip
    drain(proc)
    assert orjson.loads(client.hget(settings.key("live"), w.worker_id))["ts"] is None
    RedisPingSink(client, settings).write([fix(w.worker_id, now - 5, bat=54.0)])
    drain(proc)
    entry = orjson.loads(client.hget(settings.key("live"), w.worker_id))
    assert (entry["ts"], entry["lon"], entry["bat"], entry["seen"]) == (now - 5, LON, 54.0, now - 5)
    assert int(client.hget(settings.key("stats"), "contacts")) == 1
    assert int(client.hget(settings.key("stats"), "processed")) == 1


def test_only_the_entries_of_a_consumer_without_heartbeat_are_claimed_early(client, roster, settings):
    from streams.pingstream import RedisPingSource

    s = settings.replace(heartbeat_ttl_s=60.0, dead_claim_min_idle_ms=50, claim_min_idle_ms=60_000)
    sink = RedisPingSink(client, s)
    alive, dead, me = (RedisPingSource(client, s, n) for n in ("alive", "dead", "me"))
    me.ensure_group()
    sink.write([fix(roster.workers[0].worker_id, time.time())])
    (held_by_alive,) = alive.read(block_ms=5)
    sink.write([fix(roster.workers[1].worker_id, time.time())])
    (held_by_dead,) = dead.read(block_ms=5)
    alive.beat()
    dead.beat()
    dead.retire()  # its heartbeat gone, as when its TTL runs out after a kill -9
    time.sleep(0.1)  # both entries idle longer than dead_claim_min_idle_ms
    assert [e[0] for e in me.claim()] == [held_by_dead[0]]
    assert me.claim() == []  # claimed once; the live consumer keeps its entry until claim_min_idle_ms
    mine = client.xpending_range(s.key("pings"), s.key("processors"), "-", "+", 10, consumername="me")
    assert [p["message_id"] for p in mine] == [held_by_dead[0]]
    assert me.forget_idle_consumers(idle_s=0.05) == ["dead"]  # nothing pending, no heartbeat
    client.xack(s.key("pings"), s.key("processors"), held_by_alive[0])
    assert me.forget_idle_consumers(idle_s=0.05) == []  # "alive" holds nothing now, but it beats
