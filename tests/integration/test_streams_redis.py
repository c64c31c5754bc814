"""The live path on real Redis servers: the shared Redis 7 at 127.0.0.1:6379 and a private redis-server 6.2.

Nothing lost or duplicated, order per worker, a dead consumer's pending pings claimed (XAUTOCLAIM on 6.2 and 7),
Redis down → 503 → everything resumes, a poison ping dead-lettered while the stream goes on, and the push
coalesced to at most one ``positions`` message per second per room across processors.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

import orjson
import pytest
import redis
from flask import Flask

from streams.emitter import SocketIOEmitter
from streams.ingest import make_ingest_blueprint
from streams.pingstream import RedisPingSink, RedisPingSource, make_redis
from streams.pipeline import build_stages
from streams.processor import Processor
from streams.roster import Roster
from streams.stages import PingStage
from tests.conftest import make_box_district
from tests.streams.helpers import (
    SHARED_URL,
    LocalRedis,
    delete_prefix,
    make_settings,
    shared_redis_available,
)

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer secret-key"}
LON, LAT = 117.305, 39.095


@pytest.fixture(scope="module")
def district():
    return make_box_district()


@pytest.fixture(scope="module")
def roster(district):
    return Roster.from_district(district)


@pytest.fixture(scope="module")
def redis62():
    with LocalRedis() as server:
        yield server


@pytest.fixture(params=["redis7", "redis6.2"])
def server_url(request, redis62):
    if request.param == "redis6.2":
        return redis62.url
    if not shared_redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    return SHARED_URL


@pytest.fixture
def env(server_url):
    """(client, settings) on a private key prefix, cleaned up afterwards."""
    s = make_settings(server_url, claim_min_idle_ms=200, claim_interval_s=0.05, block_ms=20)
    c = make_redis(s)
    yield c, s
    delete_prefix(c, s.key_prefix)


def fix(w, ts, lon=LON, lat=LAT, **kw):
    return {"w": w, "d": "", "lon": lon, "lat": lat, "ts": ts, "rx": time.time(), "acc": None, "spd": None,
            "hdg": None, "bat": None, "sos": False, "src": "batch", **kw}  # fmt: skip


class Record(PingStage):
    """Appended to the stages: what each processor saw, in the order it saw it."""

    def __init__(self, log: list):
        self.log = log

    def handle(self, ping, batch):
        self.log.append((ping.id, ping.w, ping.ts))


def test_nothing_lost_or_duplicated_and_order_per_worker_kept(env, district, roster):
    client, s = env
    app = Flask("t")
    app.register_blueprint(make_ingest_blueprint(redis_client=client, roster=roster, settings=s))
    http = app.test_client()
    workers = [w.worker_id for w in roster.workers]
    t0 = time.time() - 3000
    total = 0
    for b in range(6):  # 6 batches of 900 pings: 100 fixes per worker, 5 s apart, in time order
        pings = [{"worker_id": w, "lat": LAT + 0.00001 * (b * 10 + k), "lon": LON, "ts": t0 + 5 * (b * 10 + k)}
                 for k in range(10) for w in workers]  # fmt: skip
        r = http.post("/api/v1/pings", json={"pings": pings}, headers=AUTH)
        assert r.status_code == 202 and r.json["accepted"] == len(pings)
        total += len(pings)
    logs = {"a": [], "b": []}
    procs = [
        Processor(client, district, roster, s, name=n, stages=[*build_stages(client, district, s), Record(logs[n])])
        for n in logs
    ]
    done = 0
    while True:  # the two consumers take turns, 700 entries at a time
        got = sum(p.process_entries(e) for p in procs if (e := p.source.read(count=700, block_ms=5)))
        if not got:
            break
        done += got
    assert done == total
    seen = [entry for log in logs.values() for entry in log]
    assert len(seen) == total and len({e[0] for e in seen}) == total  # each once
    for log in logs.values():
        per_worker = defaultdict(list)
        for _, w, ts in log:
            per_worker[w].append(ts)
        assert all(ts == sorted(ts) for ts in per_worker.values())
    assert int(client.hget(s.key("stats"), "processed")) == total
    assert client.xpending(s.key("pings"), s.key("processors"))["pending"] == 0
    newest = {w: orjson.loads(client.hget(s.key("live"), w))["ts"] for w in workers}
    assert set(newest.values()) == {t0 + 5 * 59}
    tracks = [client.zcard(k) for k in client.scan_iter(match=f"{s.key_prefix}:track:*")]
    assert sum(tracks) == total


def test_a_killed_consumers_pending_pings_are_claimed(env, district, roster):
    client, s = env
    ws = [w.worker_id for w in roster.workers]
    now = time.time()
    RedisPingSink(client, s).write([fix(w, now - 30 + k, lon=LON + 0.00001 * k) for k in range(5) for w in ws])
    dead = RedisPingSource(client, s, "dead")
    dead.ensure_group()
    taken = dead.read(count=1000, block_ms=5)  # delivered to "dead", which then dies without acking
    assert len(taken) == 5 * len(ws)
    client.xdel(s.key("pings"), taken[-1][0])  # one is trimmed away while pending (6.2 and 7 report it differently)
    survivor = Processor(client, district, roster, s, name="survivor")
    assert survivor.process_once(block_ms=5) == 0  # not idle long enough yet
    time.sleep(0.25)
    survivor._next_claim = 0
    assert survivor.process_once(block_ms=5) == 5 * len(ws) - 1
    assert client.xpending(s.key("pings"), s.key("processors"))["pending"] == 0
    assert int(client.hget(s.key("stats"), "processed")) == 5 * len(ws) - 1
    assert all(client.hexists(s.key("live"), w) for w in ws)


def test_redis_down_503_then_everything_resumes(tmp_path, district, roster):
    server = LocalRedis(aof_dir=tmp_path).start()  # AOF on: a restart keeps what was acknowledged to the phones
    s = make_settings(server.url, block_ms=20, claim_interval_s=0.05)
    client = make_redis(s)
    app = Flask("t")
    app.register_blueprint(make_ingest_blueprint(redis_client=client, roster=roster, settings=s))
    http = app.test_client()
    w = roster.workers[0]
    stop = threading.Event()
    proc = Processor(make_redis(s), district, roster, s, name="p")
    thread = threading.Thread(target=proc.run, args=(stop,), daemon=True)
    try:
        thread.start()
        now = time.time()
        assert http.post("/api/v1/pings", json={"pings": [{"worker_id": w.worker_id, "lat": LAT, "lon": LON,
                         "ts": now - 20}]}, headers=AUTH).status_code == 202  # fmt: skip
        _wait(lambda: client.hexists(s.key("live"), w.worker_id))
        server.stop()
        r = http.get(f"/ingest/osmand?id={w.device_id}&lat={LAT}&lon={LON + 0.001}&timestamp={int(now)}")
        assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
        time.sleep(0.5)  # the processor meets the outage and backs off
        assert thread.is_alive()
        server.start()
        assert http.get(f"/ingest/osmand?id={w.device_id}&lat={LAT}&lon={LON + 0.001}&timestamp={int(now)}").status_code == 200
        _wait(lambda: orjson.loads(client.hget(s.key("live"), w.worker_id))["lon"] == LON + 0.001)
        assert int(client.hget(s.key("stats"), "processed")) == 2
    finally:
        stop.set()
        thread.join(10)
        server.stop()


def _wait(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            if predicate():
                return
        except redis.ConnectionError:
            pass
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_poison_ping_is_dead_lettered_while_the_stream_goes_on(env, district, roster):
    client, s = env
    stop = threading.Event()
    proc = Processor(make_redis(s), district, roster, s, name="p")
    thread = threading.Thread(target=proc.run, args=(stop,), daemon=True)
    thread.start()
    try:
        ws = [w.worker_id for w in roster.workers]
        now = time.time()
        RedisPingSink(client, s).write([fix(w, now - 1) for w in ws[:4]])
        client.xadd(s.key("pings"), {"p": orjson.dumps({"w": ws[4], "lon": "east", "lat": LAT, "ts": now})})
        RedisPingSink(client, s).write([fix(w, now - 1) for w in ws[4:]])
        _wait(lambda: all(client.hexists(s.key("live"), w) for w in ws))
        (entry,) = client.xrange(s.key("dead"))
        assert entry[1][b"stage"] == b"DecodePing" and b"lon/lat/ts" in entry[1][b"reason"]
        _wait(lambda: client.xpending(s.key("pings"), s.key("processors"))["pending"] == 0)
    finally:
        stop.set()
        thread.join(10)


def test_push_is_sub_second_and_rate_limited_per_room_across_processors(district, roster):
    if not shared_redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    s = make_settings(SHARED_URL, block_ms=20, push_window_s=0.2, push_max_per_s=4)  # period 0.25 s
    client = make_redis(s)
    pubsub = client.pubsub()
    pubsub.subscribe(s.key("socketio"))
    procs = [Processor(make_redis(s), district, roster, s, SocketIOEmitter(s), name=f"p{i}") for i in range(2)]
    ws = [w.worker_id for w in roster.workers]
    sink = RedisPingSink(client, s)
    t0 = time.time() - 3600
    try:
        start = time.time()
        k = 0
        messages = []

        def district_pushes() -> int:
            return sum(1 for m in messages if m["event"] == "positions" and m["room"] == "district")

        # A steady drizzle of fixes (each worker's 1 s apart in fix time, so none is filtered), both processors
        # busy: at least 2 s, and on a loaded machine until the district room got eight pushes, within 20 s.
        while time.time() < start + 2 or (district_pushes() < 8 and time.time() < start + 20):
            k += 1
            sink.write([fix(w, t0 + k, lon=LON + 0.00001 * k) for w in ws])
            for p in procs:
                p.process_once(block_ms=5)
            while (m := pubsub.get_message(timeout=0)) is not None:
                if m["type"] == "message":
                    messages.append(orjson.loads(m["data"]))
        while (m := pubsub.get_message(timeout=0.3)) is not None:
            if m["type"] == "message":
                messages.append(orjson.loads(m["data"]))
    finally:
        pubsub.close()
        delete_prefix(client, s.key_prefix)
    positions = [m for m in messages if m["event"] == "positions"]
    assert {m["namespace"] for m in positions} == {"/live"}
    rooms = {m["room"] for m in positions}
    assert rooms == {"district", *(f"street:{c}" for c in roster.street_codes)}
    for room in rooms:  # stamped by Redis's clock: never two messages of a room within the period
        stamps = sorted(m["data"][0]["t"] for m in positions if m["room"] == room)
        assert all(b - a >= 250 for a, b in zip(stamps, stamps[1:], strict=False)), (room, stamps)
    per_second = Counter(m["data"][0]["t"] // 1000 for m in positions if m["room"] == "district")
    assert max(per_second.values()) >= 2  # sub-second: more than one message in some second
    assert max(per_second.values()) <= 4
