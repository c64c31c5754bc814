"""Faults on real processes: ``gridpulse process`` and ``gridpulse serve`` run as subprocesses against a real Redis.

* kill -9 of one of two processors under load, at the default claim settings: the survivor claims the dead one's
  pending entries within 5 s (its heartbeat, TTL 3 s, lapses; claims are looked for every second), every accepted
  ping ends in its worker's track exactly once (a batch is applied and acknowledged in one transaction), and the
  dead consumer is then removed from the group.
* Redis stopped (cleanly, or killed) and started again on a private port with an append-only file: ingest
  answers 503 with Retry-After meanwhile, the web process and the processor live through it and resume on their
  own, and every ping acknowledged with a 2xx is in the tracks afterwards; a Socket.IO client connected through the
  outage gets a fresh snapshot and positions again once Redis is back (the web process listens again at once).

Never touches the machine's Redis on 6379 beyond a random key prefix; every process started here is stopped by
its pid.  Each test stays well under a minute.
"""

from __future__ import annotations

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

from geo.district import save_district
from streams.pingstream import RedisPingSink
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


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_redis_restart_503_then_everything_resumes_and_nothing_acknowledged_is_lost(district_file, tmp_path, how):
    path, roster = district_file
    binary = shutil.which("redis-server")
    server = LocalRedis(aof_dir=tmp_path / "aof", binary=binary)  # our own server, AOF fsync always
    (tmp_path / "aof").mkdir()
    server.start()
    prefix = f"fault{uuid.uuid4().hex[:8]}"
    env = _env(server.url, prefix, path, tmp_path)
    port = free_port()
    web = proc = screen = None
    acked: set[bytes] = set()
    sent: set[bytes] = set()
    unavailable: list[str] = []
    stop = threading.Event()

    def sender():
        session = requests.Session()
        ws = list(roster.workers)
        k = 0
        while not stop.is_set():
            k += 1
            base = time.time() - 5
            pings, members = [], []
            for j, w in enumerate(ws):
                lon, lat = LON + 0.001 + 0.01 * (j % 3) + 0.000001 * k, LAT + 0.001 + 0.01 * (j // 3)
                pings.append({"worker_id": w.worker_id, "lon": lon, "lat": lat, "ts": round(base, 3)})
                members.append(member(round(base, 3), lon, lat))
            sent.update(members)
            try:
                r = session.post(f"http://127.0.0.1:{port}/api/v1/pings", json={"pings": pings}, timeout=5,
                                 headers={"Authorization": f"Bearer {INGEST_KEY}"})
            except requests.RequestException as e:
                unavailable.append(f"error {e}")
                continue
            if r.status_code == 202:
                assert r.json()["accepted"] == len(pings), r.text
                acked.update(members)
            elif r.status_code == 503:
                unavailable.append(r.headers.get("Retry-After", "none"))
            time.sleep(1.05)  # each worker's fixes more than the minimum period apart

    try:
        web = Child(["serve", "--host", "127.0.0.1", "--port", str(port)], env, "GridPulse serving")
        proc = Child(["process", "--name", "p1"], env, "consuming")
        thread = threading.Thread(target=sender, daemon=True)
        thread.start()
        client = redis.Redis(port=server.port, socket_connect_timeout=0.5)
        screen = Client(f"http://127.0.0.1:{port}", {"token": ADMIN})  # a wall screen, through the outage
        wait_for(lambda: len(acked) >= 18, 20, "pings accepted before the outage")
        screen.next("positions", timeout_s=10)
        server.stop(kill=how == "kill")
        time.sleep(3.5)
        assert unavailable and all(x.isdigit() and int(x) > 0 for x in unavailable if not x.startswith("error"))
        assert any(not x.startswith("error") for x in unavailable)  # answered 503 + Retry-After, not a dead socket
        r = requests.get(f"http://127.0.0.1:{port}/api/v1/live", headers={"Authorization": f"Bearer {ADMIN}"},
                         timeout=5)
        assert r.status_code == 503 and r.headers["Retry-After"]
        assert web.alive and proc.alive
        server.start()
        back, seen_before = time.monotonic(), len(screen.received)
        n_before = len(acked)
        wait_for(lambda: len(acked) >= n_before + 18, 20, "ingest accepting again")
        first: dict[str, float] = {}

        def pushed_again() -> bool:
            for event, _ in screen.received[seen_before:]:
                first.setdefault(event, time.monotonic() - back)
            return {"snapshot", "positions"} <= set(first)

        # the web process listens again at once and resends the room's snapshot (what was published while it did
        # not listen reached nobody); then the processors' positions flow again
        wait_for(pushed_again, 20, "a fresh snapshot and positions on the screen after Redis came back")
        print(f"\nRedis back ({how}) → snapshot after {first['snapshot']:.2f} s, positions after "
              f"{first['positions']:.2f} s (pings sent every 1.05 s)")
        stop.set()
        thread.join(10)
        wait_for(lambda: acked <= set(stored_members(client, prefix)), 30, "every acknowledged ping in the tracks")
        stored = set(stored_members(client, prefix))
        assert stored <= sent  # nothing invented
        assert web.alive and proc.alive
        r = requests.get(f"http://127.0.0.1:{port}/api/v1/live", headers={"Authorization": f"Bearer {ADMIN}"},
                         timeout=5)
        assert r.status_code == 200 and r.json()["count"] == len(roster)
    finally:
        stop.set()
        if screen is not None:
            screen.close()
        for child in (web, proc):
            if child is not None:
                child.stop()
        server.stop()
