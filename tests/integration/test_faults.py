"""Faults on real processes: ``gridpulse process`` and ``gridpulse serve`` run as subprocesses against a real Redis.

* kill -9 of one of two processors under load, at the default claim settings: the survivor claims the dead one's
  pending entries within 5 s (its heartbeat, TTL 3 s, lapses; claims are looked for every second), every accepted
  ping ends in its worker's track exactly once (a batch is applied and acknowledged in one transaction), and the
  dead consumer is then removed from the group.
* Redis stopped (cleanly, or killed) and started again on a private port with an append-only file: ingest
  answers 503 with Retry-After meanwhile, the web process and the processor live through it and resume on their
  own, and every ping acknowledged with a 2xx is in the tracks afterwards; a Socket.IO client connected through the
  outage gets a fresh snapshot and positions again once Redis is back (the web process listens again at once); the
  test prints each leg (queue listener, snapshot, processor, ingest, first positions) in seconds after redis-server
  accepted again, and asserts only the designed retry cap.
* Rows a processor committed but had not pushed yet (its room's push window closed) when Redis went away are pushed
  by its running loop once Redis is back (they wait in ``{p}:dirty:*``, kept in the append-only file).

Never touches the machine's Redis on 6379 beyond a random key prefix; every process started here is stopped by
its pid.  Each test stays well under a minute.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
from redis.backoff import NoBackoff
from redis.retry import Retry

from geo.district import save_district
from streams.contract import DISTRICT_ROOM, POSITION_FIELDS
from streams.emitter import MemoryEmitter
from streams.pingstream import RedisPingSink, make_redis
from streams.processor import Processor
from streams.roster import Roster
from streams.settings import StreamSettings
from tests.conftest import make_box_district
from tests.dashboard.test_live_socket import Client
from tests.streams.helpers import LocalRedis, delete_prefix, free_port, make_settings, shared_redis_available

# real_clock: the pings are timed here and processed in `gridpulse` subprocesses, which see the real clock only.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.real_clock]
GRIDPULSE = str(Path(sys.executable).with_name("gridpulse"))
LON, LAT = 117.3, 39.09  # the south-west corner of the box district's first grid
INGEST_KEY = "fault-ingest-key"
ADMIN = "fault-admin-token"


@pytest.fixture(scope="module")
def district_file(tmp_path_factory):
    d = make_box_district()
    return save_district(d, tmp_path_factory.mktemp("district") / "box.gpkg"), Roster.from_district(d)


def _env(redis_url: str, prefix: str, district_path, var_dir) -> dict:
    return {**os.environ, "GRIDPULSE_REDIS_URL": redis_url, "GRIDPULSE_KEY_PREFIX": prefix,
            "GRIDPULSE_DISTRICT": str(district_path), "GRIDPULSE_VAR_DIR": str(var_dir),
            "GRIDPULSE_CLAIM_MIN_IDLE_MS": "1500", "GRIDPULSE_CLAIM_INTERVAL_S": "0.25",
            "GRIDPULSE_CONSUMER_FORGET_S": "4", "GRIDPULSE_INGEST_KEY": INGEST_KEY,
            "GRIDPULSE_ADMIN_TOKEN": ADMIN, "PYTHONUNBUFFERED": "1"}  # fmt: skip


class Child:
    """A ``gridpulse`` subprocess, ready once its first line is printed; stopped by its pid."""

    def __init__(self, args: list[str], env: dict, ready: str, timeout_s: float = 45.0):
        self.proc = subprocess.Popen([GRIDPULSE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines: list[str] = []
        got = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.lines.append(line)
                if ready in line:
                    got.set()

        threading.Thread(target=pump, daemon=True).start()
        if not got.wait(timeout_s):
            self.stop()
            raise AssertionError(f"{args[0]} did not start: {''.join(self.lines)[-2000:]}")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def kill9_holding(self, pending) -> int:
        """Freeze the process (SIGSTOP), and kill it (SIGKILL) only if ``pending()`` says it holds unacknowledged
        entries at that frozen instant; else let it go on (SIGCONT). Returns what it held when killed, or 0."""
        os.kill(self.proc.pid, signal.SIGSTOP)
        held = pending()
        if held:
            self.kill9()
        else:
            os.kill(self.proc.pid, signal.SIGCONT)
        return held

    def stop(self) -> None:
        if self.alive:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def member(ts: float, lon: float, lat: float) -> bytes:
    return f"{ts:.3f},{lon:.6f},{lat:.6f}".encode()  # as AppendTrack writes it


def stored_members(client, prefix: str) -> list[bytes]:
    out = []
    for key in client.scan_iter(match=f"{prefix}:track:*", count=1000):
        out += client.zrange(key, 0, -1)
    return out


def pending_of(client, s, consumer: str) -> int:
    for c in client.xinfo_consumers(s.key("pings"), s.key("processors")):
        if c["name"] in (consumer, consumer.encode()):
            return int(c["pending"])
    return 0


def wait_for(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout_s} s")


def test_kill_9_of_a_processor_under_load_loses_and_doubles_nothing(district_file, tmp_path):
    if not shared_redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    path, roster = district_file
    s = make_settings()
    env = _env(s.redis_url, s.key_prefix, path, tmp_path)
    for name in ("GRIDPULSE_CLAIM_MIN_IDLE_MS", "GRIDPULSE_CLAIM_INTERVAL_S"):  # the defaults: heartbeats do it
        env.pop(name)
    defaults = StreamSettings()
    # what the design guarantees: the heartbeat lapses, then the next look for orphans claims (idle by then)
    bound_s = defaults.heartbeat_ttl_s + defaults.claim_interval_s
    assert bound_s <= 4 and defaults.dead_claim_min_idle_ms <= defaults.heartbeat_ttl_s * 1000
    client = redis.Redis.from_url(s.redis_url)
    victim = survivor = None
    try:
        victim = Child(["process", "--name", "victim"], env, "consuming")
        survivor = Child(["process", "--name", "survivor"], env, "consuming")
        sink = RedisPingSink(client, s)
        ws = [w.worker_id for w in roster.workers]
        base = time.time() - 3000  # fix times 1 s apart per worker, all in the past, none filtered
        expected: set[bytes] = set()
        k = 0
        t_end = time.monotonic() + 6
        hard_end = t_end + 30  # a quick victim rarely holds entries at the instant we look: keep loading until it does
        killed = False
        claimed: list[float] = []  # seconds from the kill until the victim holds nothing

        def watch():
            killed_at = time.monotonic()
            watcher_client = redis.Redis.from_url(s.redis_url)
            while time.monotonic() < killed_at + 20:
                if pending_of(watcher_client, s, "victim") == 0:
                    claimed.append(time.monotonic() - killed_at)
                    return
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        while time.monotonic() < t_end or (not killed and time.monotonic() < hard_end):
            # ~3,600 pings/s for 6 s (longer until the kill), the victim killed once 2 s have passed
            batch = []
            for _ in range(20):
                k += 1
                for j, w in enumerate(ws):
                    lon, lat = LON + 0.001 + 0.01 * (j % 3) + 0.000001 * k, LAT + 0.001 + 0.01 * (j // 3)
                    batch.append({"w": w, "d": "", "lon": lon, "lat": lat, "ts": base + k, "rx": time.time(),
                                  "acc": None, "spd": None, "hdg": None, "bat": None, "sos": False, "src": "batch"})
                    expected.add(member(base + k, lon, lat))
            sink.write(batch)
            for _ in range(10):  # look often: a batch stays unacknowledged for a few milliseconds only
                if killed or time.monotonic() < t_end - 4 or pending_of(client, s, "victim") == 0:
                    time.sleep(0.005)
                    continue
                # mid-batch: frozen first, so that what it holds cannot be acknowledged between the look and the kill
                killed = victim.kill9_holding(lambda: pending_of(client, s, "victim"))
                if killed:
                    watcher.start()  # times the claim while the load goes on
        total = len(expected)
        assert killed, "the victim never held pending entries to kill it with"
        watcher.join(25)
        assert claimed, "the victim's pending entries were never claimed"
        print(f"\nkill -9 → the victim's {killed} pending entries claimed after {claimed[0]:.2f} s "
              f"(design bound {bound_s:.1f} s + one loop)")
        assert claimed[0] <= 5.0

        def done() -> bool:
            pending = client.xpending(s.key("pings"), s.key("processors"))["pending"]
            return pending == 0 and int(client.hget(s.key("stats"), "processed") or 0) >= total

        wait_for(done, 40, "the survivor claiming and processing every ping")
        assert survivor.alive
        got = stored_members(client, s.key_prefix)
        assert len(got) == total and set(got) == expected  # none lost, none stored twice
        stats = {k.decode(): int(v) for k, v in client.hgetall(s.key("stats")).items()}
        assert stats["processed"] == total  # no batch applied twice (its effects and its ack are one transaction)
        assert not any(k.startswith(("dropped:", "dead:")) for k in stats)

        def victim_forgotten() -> bool:
            names = {c["name"] for c in client.xinfo_consumers(s.key("pings"), s.key("processors"))}
            return names in ({b"survivor"}, {"survivor"})

        wait_for(victim_forgotten, 15, "the dead consumer removed from the group")
    finally:
        for child in (victim, survivor):
            if child is not None:
                child.stop()
        delete_prefix(client, s.key_prefix)


class TimedClient(Client):
    """The screen, with the wall-clock time each event arrived."""

    def __init__(self, *args, **kwargs):
        self.arrived: list[tuple[str, object, float]] = []
        super().__init__(*args, **kwargs)

    def _got(self, name: str, data) -> None:
        self.arrived.append((name, data, time.time()))
        super()._got(name, data)

    def after(self, name: str, t0: float) -> list[tuple[object, float]]:
        return [(data, t) for event, data, t in list(self.arrived) if event == name and t >= t0]


class RedisWatch:
    """Looks at a redis-server every 10 ms from before it starts again (wall-clock times): when it accepts, when the
    web process's queue listener is back on it (a connection with a channel subscribed) and when the processor's loop
    is (a connection whose last command is XREADGROUP, which only processors send)."""

    def __init__(self, port: int):
        self.client = redis.Redis(port=port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
        self.accepting = self.listener = self.processor = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.done.is_set() and (self.listener is None or self.processor is None):
            try:
                clients = self.client.client_list()
            except redis.RedisError:
                time.sleep(0.01)
                continue
            now = time.time()
            self.accepting = self.accepting or now
            if self.listener is None and any(int(c.get("sub") or 0) for c in clients):
                self.listener = now
            if self.processor is None and any(c.get("cmd") == "xreadgroup" for c in clients):
                self.processor = now
            time.sleep(0.01)

    def stop(self) -> None:
        self.done.set()
        self.thread.join(5)


class Phones:
    """Every worker's phone posting one fix each 1.05 s (more than the minimum period apart); a batch refused (503,
    or no answer) is kept and sent again 0.1 s later, as a phone's queue does."""

    def __init__(self, port: int, workers):
        self.url, self.workers = f"http://127.0.0.1:{port}/api/v1/pings", list(workers)
        self.acked: set[bytes] = set()
        self.sent: set[bytes] = set()
        self.accepted: list[tuple[float, float]] = []  # (wall time of the 202, the batch's fix time)
        self.unavailable: list[str] = []  # Retry-After of each 503, or "error …"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _batch(self, k: int) -> tuple[list[dict], list[bytes], float]:
        ts = round(time.time() - 5, 3)
        pings, members = [], []
        for j, w in enumerate(self.workers):
            lon, lat = LON + 0.001 + 0.01 * (j % 3) + 0.000001 * k, LAT + 0.001 + 0.01 * (j // 3)
            pings.append({"worker_id": w.worker_id, "lon": lon, "lat": lat, "ts": ts})
            members.append(member(ts, lon, lat))
        return pings, members, ts

    def _run(self) -> None:
        session, k = requests.Session(), 1
        pings, members, ts = self._batch(k)
        while not self.stop.is_set():
            self.sent.update(members)
            try:
                r = session.post(self.url, json={"pings": pings}, timeout=5,
                                 headers={"Authorization": f"Bearer {INGEST_KEY}"})
            except requests.RequestException as e:
                self.unavailable.append(f"error {e}")
                time.sleep(0.1)
                continue
            if r.status_code != 202:
                self.unavailable.append(r.headers.get("Retry-After", "none") if r.status_code == 503 else r.text)
                time.sleep(0.1)
                continue
            assert r.json()["accepted"] == len(pings), r.text
            self.acked.update(members)
            self.accepted.append((time.time(), ts))
            time.sleep(1.05)
            k += 1
            pings, members, ts = self._batch(k)

    def first_accepted_after(self, t0: float) -> tuple[float, float] | None:
        return next(((t, ts) for t, ts in list(self.accepted) if t >= t0), None)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)


def _shown_at(screen: TimedClient, t0: float, ts: float, ids: set[str]) -> float | None:
    """When the last of ``ids`` was on the screen (a ``snapshot`` or ``positions`` message after ``t0``) at a fix
    time ≥ ``ts`` (rows carry whole seconds); ``None`` while some are not."""
    seen: dict[str, float] = {}
    for msg, t in sorted(screen.after("snapshot", t0) + screen.after("positions", t0), key=lambda m: m[1]):
        for row in msg["rows"]:
            r = dict(zip(msg["f"], row, strict=True))
            if r["id"] in ids and r["ts"] >= math.floor(ts):
                seen.setdefault(r["id"], t)
    return max(seen.values()) if set(seen) == ids else None


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_redis_restart_503_then_everything_resumes_and_nothing_acknowledged_is_lost(district_file, tmp_path, how):
    path, roster = district_file
    defaults = StreamSettings()
    # what the design guarantees once Redis accepts again: the web process's queue listener and the processor's loop
    # each try again at most redis_retry_cap_s later (one connection attempt, no redis-py backoff behind it)
    assert defaults.redis_retry_cap_s <= 0.25
    server = LocalRedis(aof_dir=tmp_path / "aof", binary=shutil.which("redis-server"))  # AOF, fsync always
    (tmp_path / "aof").mkdir()
    server.start()
    prefix = f"fault{uuid.uuid4().hex[:8]}"
    env = _env(server.url, prefix, path, tmp_path)
    port = free_port()
    web = proc = screen = phones = watch = None
    ids = {w.worker_id for w in roster.workers}
    try:
        web = Child(["serve", "--host", "127.0.0.1", "--port", str(port)], env, "GridPulse serving")
        proc = Child(["process", "--name", "p1"], env, "consuming")
        phones = Phones(port, roster.workers)
        client = redis.Redis(port=server.port, socket_connect_timeout=0.5)
        screen = TimedClient(f"http://127.0.0.1:{port}", {"token": ADMIN})  # a wall screen, through the outage
        wait_for(lambda: len(phones.accepted) >= 2, 20, "pings accepted before the outage")
        screen.next("positions", timeout_s=10)
        server.stop(kill=how == "kill")
        time.sleep(3.5)
        answers = [x for x in phones.unavailable if not x.startswith("error")]
        assert answers and all(x.isdigit() and int(x) > 0 for x in answers)  # 503 + Retry-After, not a dead socket
        r = requests.get(f"http://127.0.0.1:{port}/api/v1/live", headers={"Authorization": f"Bearer {ADMIN}"},
                         timeout=5)
        assert r.status_code == 503 and r.headers["Retry-After"]
        assert web.alive and proc.alive
        watch = RedisWatch(server.port)
        server.start()
        wait_for(lambda: phones.first_accepted_after(watch.accepting or time.time()), 20, "ingest accepting again")
        back = watch.accepting
        accepted_at, ts = phones.first_accepted_after(back)
        # the web process listens again at once and resends the room's snapshot (what a processor published while
        # it did not listen reached nobody); the fixes refused meanwhile and accepted once Redis is back reach the
        # screen (in that snapshot or in positions), and positions flow again
        wait_for(lambda: _shown_at(screen, back, ts, ids) and screen.after("snapshot", back)
                 and screen.after("positions", back), 20,
                 "a fresh snapshot, positions and the fixes accepted after Redis came back on the screen")
        wait_for(lambda: watch.listener and watch.processor, 5, "the listener and the processor seen on Redis")
        shown = _shown_at(screen, back, ts, ids)
        first_pos, first_pos_at = screen.after("positions", back)[0]
        print(f"\nRedis back ({how}), seconds after redis-server accepted again: queue listener subscribed "
              f"{watch.listener - back:.2f}, snapshot at the screen {screen.after('snapshot', back)[0][1] - back:.2f}; "
              f"processor reading {watch.processor - back:.2f}; first fixes accepted {accepted_at - back:.2f}, "
              f"those {len(ids)} fixes all at the screen {shown - back:.2f}; first positions stamped "
              f"{first_pos['t'] / 1000 - back:.2f} and at the screen {first_pos_at - back:.2f}")
        phones.close()
        wait_for(lambda: phones.acked <= set(stored_members(client, prefix)), 30,
                 "every acknowledged ping in the tracks")
        assert set(stored_members(client, prefix)) <= phones.sent  # nothing invented
        assert web.alive and proc.alive
        r = requests.get(f"http://127.0.0.1:{port}/api/v1/live", headers={"Authorization": f"Bearer {ADMIN}"},
                         timeout=5)
        assert r.status_code == 200 and r.json()["count"] == len(roster)
    finally:
        for part in (watch, phones, screen):
            if part is not None:
                part.stop() if part is watch else part.close()
        for child in (web, proc):
            if child is not None:
                child.stop()
        server.stop()


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_rows_read_but_not_pushed_when_redis_went_away_are_pushed_once_it_is_back(tmp_path, how):
    """A batch committed while its room's push window was closed: its rows wait in ``{p}:dirty:*``, Redis goes away
    (with them in its append-only file) and comes back; the processor's loop, still running, pushes them."""
    district = make_box_district()
    roster = Roster.from_district(district)
    (tmp_path / "aof").mkdir()
    server = LocalRedis(aof_dir=tmp_path / "aof", binary=shutil.which("redis-server")).start()
    s = make_settings(server.url)
    client = make_redis(s)
    sent = MemoryEmitter()
    proc = Processor(client, district, roster, s, sent, "held")
    stop = threading.Event()
    runner = threading.Thread(target=proc.run, args=(stop,), daemon=True)
    try:
        w = roster.workers[0].worker_id
        ts = round(time.time() - 5, 3)
        RedisPingSink(client, s).write([{"w": w, "d": "", "lon": LON + 0.001, "lat": LAT + 0.001, "ts": ts,
                                         "rx": time.time(), "acc": None, "spd": None, "hdg": None, "bat": None,
                                         "sos": False, "src": "batch"}])
        client.set(s.key("push", DISTRICT_ROOM), b"1", px=60_000)  # another processor's message just went out
        assert proc.process_once(block_ms=1) == 1
        assert not [m for m in sent.sent if m[0] == "positions" and m[2] == DISTRICT_ROOM]  # held back
        client.delete(s.key("push", DISTRICT_ROOM))  # (the window would close during the outage anyway)
        server.stop(kill=how == "kill")
        runner.start()  # meets a dead Redis, retries
        server.start()

        def pushed() -> bool:
            return any(m[0] == "positions" and m[2] == DISTRICT_ROOM and
                       any(r[0] == w and r[POSITION_FIELDS.index("ts")] == int(ts) for r in m[1]["rows"])
                       for m in list(sent.sent))

        wait_for(pushed, 10, "the held row pushed after Redis came back")
    finally:
        stop.set()
        if runner.is_alive():
            runner.join(5)
        server.stop()
