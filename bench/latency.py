"""Ping-to-browser latency: HTTP POST → Redis stream → processor → Socket.IO (Redis queue) → a python-socketio client.

Runs, each for a bounded time:
  baseline   Redis PUBLISH → SUBSCRIBE round trip (the floor any push through the message queue pays)
  district   1,147 workers pinging every 5 s  ≈ 230 pings/s   (latency p50/p95/p99 + bytes/s pushed to one client)
  city       20,000 workers pinging every 5 s ≈ 4,000 pings/s (same district, 17 workers per grid)

The web process and the processor run as subprocesses (this script re-invoked with ``--role``), the simulator and
the Socket.IO client run here. Latency of a fix = receive time of the first ``positions`` row carrying it − the
time its POST started (rows carry the fix's whole-second ``ts``; each worker pings at most once a second, so
(worker, ts) names one fix). ``positions`` go out when a room's push window closes (``GRIDPULSE_PUSH_WINDOW_S``,
0.2 s, at most ``GRIDPULSE_PUSH_MAX_PER_S`` messages a second), so about 0.1 s of every figure is that deliberate
wait.

    .venv/bin/python bench/latency.py [--seconds 20] [--processors 1] [--skip-city | --skip-district]

Uses GRIDPULSE_REDIS_URL or redis://127.0.0.1:6379/0 with a random key prefix (deleted at the end).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN = "bench-admin-token"
INGEST_KEY = "bench-ingest-key"


# -- roles run in subprocesses -------------------------------------------------------------------------------------
def _settings(args):
    from streams.settings import StreamSettings

    return StreamSettings.from_env(redis_url=args.redis_url, key_prefix=args.prefix, ingest_key=INGEST_KEY)


def _district_and_roster(args):
    from geo.district import load_district
    from streams.roster import Roster

    d = load_district(args.district)
    return d, (Roster.from_csv(args.roster, d) if args.roster else Roster.from_district(d))


def role_web(args) -> None:
    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry
    from dashboard.serving import WebServer
    from dashboard.settings import WebSettings
    from streams.pingstream import make_redis

    settings = _settings(args)
    d, roster = _district_and_roster(args)
    server, _ = create_app(district=d, redis_client=make_redis(settings), settings=settings, roster=roster,
                           tokens=TokenRegistry.from_mapping(admin=ADMIN), web_settings=WebSettings())
    web = WebServer(server, "127.0.0.1", 0).start()
    print(f"READY {web.port}", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    web.stop()


def role_processor(args) -> None:
    from streams.emitter import SocketIOEmitter
    from streams.pingstream import make_redis
    from streams.processor import Processor

    settings = _settings(args)
    d, roster = _district_and_roster(args)
    client = make_redis(settings)
    stop = threading.Event()
    proc = Processor(client, d, roster, settings, SocketIOEmitter(settings), f"bench-{os.getpid()}")
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    print("READY", flush=True)
    proc.run(stop)


# -- the driver ----------------------------------------------------------------------------------------------------
def _spawn(role: str, args, roster: str | None) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--role", role, "--redis-url", args.redis_url, "--prefix", args.prefix,
           "--district", str(args.district)] + (["--roster", roster] if roster else [])
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stdout.readline().strip()
    if not line.startswith("READY"):
        proc.kill()
        raise RuntimeError(f"{role} did not start: {line!r}")
    proc.ready_line = line
    return proc


def _stop(procs) -> None:
    for p in procs:
        with contextlib.suppress(OSError):
            p.stdin.close()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()  # by its own handle (pid), never by name


def baseline_pubsub(redis_url: str, prefix: str, n: int = 2000) -> np.ndarray:
    import redis

    pub, sub = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url).pubsub()
    channel = f"{prefix}:bench"
    sub.subscribe(channel)
    sub.get_message(timeout=1.0)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        pub.publish(channel, b"x" * 200)
        while sub.get_message(timeout=1.0) is None:
            pass
        out.append(time.perf_counter() - t0)
    sub.close()
    return np.array(out)


class PushClient:
    """An admin Socket.IO client recording (worker, fix ts) → receive time and bytes received."""

    def __init__(self, url: str):
        import socketio

        self.first_seen: dict[tuple[str, int], float] = {}
        self.bytes = 0
        self.messages = 0
        self.snapshot = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("snapshot", lambda data: self.snapshot.put(data), namespace="/live")
        self.sio.on("positions", self._positions, namespace="/live")
        self.sio.connect(url, namespaces=["/live"], auth={"token": ADMIN}, transports=["websocket"], wait_timeout=10)

    def _positions(self, msg) -> None:
        now = time.time()
        # What went over the wire: an engine.io/socket.io text frame ``42/live,["positions",{...}]``.
        self.bytes += len("42/live,") + len(json.dumps(["positions", msg], separators=(",", ":")).encode())
        self.messages += 1
        i_id, i_ts = msg["f"].index("id"), msg["f"].index("ts")
        for row in msg["rows"]:
            if row[i_ts] is not None:
                self.first_seen.setdefault((row[i_id], int(row[i_ts])), now)

    def close(self) -> None:
        threading.Thread(target=self.sio.disconnect, daemon=True).start()


def run_load(args, n_workers: int, roster_csv: str | None, district, roster_frame) -> dict:
    from streams.simulation.loop import run
    from streams.simulation.model import PatrolModel, SimSettings
    from streams.simulation.sender import HttpSender

    procs = [_spawn("web", args, roster_csv)]
    port = int(procs[0].ready_line.split()[1])
    procs += [_spawn("processor", args, roster_csv) for _ in range(args.processors)]
    url = f"http://127.0.0.1:{port}"
    try:
        client = PushClient(url)
        client.snapshot.get(timeout=30)
        # every phone on shift, no silences or bad fixes: each ping should reach the screen
        sim = SimSettings(interval_s=5.0, seed=7, silent_share=0.0, bad_fix_share=0.0, sos_per_ping=0.0)
        model = PatrolModel(district, roster_frame, sim, sim_start=_ten_am())
        device_to_worker = dict(zip(roster_frame["device_id"], roster_frame["worker_id"], strict=True))
        sent_at: dict[tuple[str, int], float] = {}
        stop = threading.Event()
        sender = HttpSender(url, ingest_key=INGEST_KEY, stop_event=stop)
        inner = sender.send

        def send(pings):
            t = time.time()
            for p in pings:
                sent_at.setdefault((device_to_worker[p["device_id"]], int(p["ts"])), t)
            inner(pings)

        sender.send = send
        warm_s = 5.0
        t0 = time.time()
        run(model, sender, stop, duration_s=warm_s + args.seconds)
        elapsed = time.time() - t0
        time.sleep(2.5)  # let the last pushes arrive
        window_start = t0 + warm_s
        lat = np.array([client.first_seen[k] - t for k, t in sent_at.items() if t >= window_start and k in client.first_seen])
        missing = sum(1 for k, t in sent_at.items() if t >= window_start and t < t0 + elapsed - 2 and k not in client.first_seen)
        bytes_per_s = client.bytes / elapsed
        client.close()
        stats = sender.stats.as_dict()
        return {"workers": n_workers, "pings_per_s": stats["accepted"] / elapsed, "stats": stats, "lat": lat,
                "missing": missing, "bytes_per_s": bytes_per_s, "messages_per_s": client.messages / elapsed}
    finally:
        _stop(procs)


def _ten_am() -> float:
    from streams.simulation.model import local_sim_start

    return local_sim_start("10:00")


def _pct(a: np.ndarray) -> str:
    if len(a) == 0:
        return "no samples"
    p50, p95, p99 = np.percentile(a, [50, 95, 99]) * 1000
    return f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   p99 {p99:7.1f} ms   (n={len(a):,})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--role", choices=["web", "processor"])
    ap.add_argument("--redis-url", default=os.environ.get("GRIDPULSE_REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--prefix")
    ap.add_argument("--district")
    ap.add_argument("--roster")
    ap.add_argument("--seconds", type=float, default=20.0, help="measured seconds per load (after 5 s warm-up)")
    ap.add_argument("--processors", type=int, default=1)
    ap.add_argument("--skip-city", action="store_true")
    ap.add_argument("--skip-district", action="store_true")
    args = ap.parse_args()
    if args.role == "web":
        return role_web(args)
    if args.role == "processor":
        return role_processor(args)

    import redis

    from geo.build import cached_district_path
    from geo.district import load_district
    from geo.paths import var_dir

    args.prefix = f"bench-{uuid.uuid4().hex[:8]}"
    args.district = cached_district_path("东丽区", "天津市")
    district = load_district(args.district)
    print(f"District {district.name}: {len(district.grids)} grids; Redis {args.redis_url}, prefix {args.prefix}")
    try:
        base = baseline_pubsub(args.redis_url, args.prefix)
        print(f"\nbaseline  Redis PUBLISH→SUBSCRIBE round trip:  {_pct(base)}")
        runs = [] if args.skip_district else [("district", district.workers, None)]
        if not args.skip_city:
            city = _city_roster(district, 20_000)
            path = var_dir() / "bench" / "roster-20000.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            city.to_csv(path, index=False)
            runs.append(("city", city, str(path)))
        for name, frame, csv in runs:
            r = run_load(args, len(frame), csv, district, frame)
            ratio = np.percentile(r["lat"], 95) / np.percentile(base, 95) if len(r["lat"]) else float("nan")
            print(f"\n{name:8s}  {r['workers']:,} workers, {r['pings_per_s']:,.0f} pings/s accepted "
                  f"(sent {r['stats']['sent']:,}, retries {r['stats']['retries']}, failed {r['stats']['failed']})")
            print(f"          POST → Socket.IO client:  {_pct(r['lat'])}   p95 = {ratio:,.0f}× the pub/sub baseline")
            print(f"          fixes never pushed: {r['missing']:,};  pushed to one admin client: "
                  f"{r['bytes_per_s'] / 1000:,.1f} KB/s in {r['messages_per_s']:.2f} messages/s")
    finally:
        client = redis.Redis.from_url(args.redis_url)
        keys = list(client.scan_iter(match=f"{args.prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


def _city_roster(district, n: int):
    import pandas as pd

    grids = list(district.grids["code"])
    return pd.DataFrame({
        "worker_id": [f"C{k:05d}" for k in range(n)],
        "name": [f"格格{k}" for k in range(n)],
        "device_id": [f"87{k:013d}" for k in range(n)],
        "home_grid": [grids[k % len(grids)] for k in range(n)],
        "phone": ["" for _ in range(n)],
    })


if __name__ == "__main__":
    main()
