"""Soak: twice the district load for N minutes; memory growth of the web process and a processor, stream lag.

    .venv/bin/python bench/soak.py [--minutes 30] [--load 2] [--sample-s 10]

Runs ``gridpulse serve`` (gevent) and ``gridpulse process`` as subprocesses against GRIDPULSE_REDIS_URL (default
redis://127.0.0.1:6379/0) under a random key prefix (deleted at the end), and plays 东丽区's 1,147 workers here
with the simulator, each pinging every ``5 / load`` s (load 2 ≈ 460 pings/s over the batch API).  Every
``--sample-s`` it prints the resident memory (VmRSS) of both processes, the stream's length and the group's lag
(entries not yet read plus read but not acknowledged).  At the end: the growth of each RSS from the end of the
warm-up (the first minute, or a fifth of a short run) to the end, against the goal of < 5 %, and the largest lag.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GRIDPULSE = str(Path(sys.executable).with_name("gridpulse"))
ADMIN, INGEST_KEY = "soak-admin-token", "soak-ingest-key"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def spawn(args: list[str], env: dict, ready: str) -> subprocess.Popen:
    proc = subprocess.Popen([GRIDPULSE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 90
    for line in proc.stdout:
        if ready in line:
            break
        if time.time() > deadline:
            break
    else:
        raise RuntimeError(f"{args[0]} exited: {proc.wait()}")
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # keep draining its output
    return proc


def lag_of(client, prefix: str) -> tuple[int, int]:
    stream, group = f"{prefix}:pings", f"{prefix}:processors"
    length = client.xlen(stream)
    for g in client.xinfo_groups(stream):
        if g["name"] in (group, group.encode()):
            return length, int(g.get("lag") or 0) + int(g.get("pending") or 0)
    return length, 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--load", type=float, default=2.0, help="multiple of the district load (1,147 workers / 5 s)")
    ap.add_argument("--sample-s", type=float, default=10.0)
    ap.add_argument("--redis-url", default=os.environ.get("GRIDPULSE_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()

    import redis

    from dashboard.serving import free_port
    from geo.build import cached_district_path
    from geo.district import load_district
    from streams.simulation.loop import run
    from streams.simulation.model import PatrolModel, SimSettings, local_sim_start
    from streams.simulation.sender import HttpSender
    from tickets.settings import load_settings  # noqa: F401  (fail early if the web process could not start)

    district_path = cached_district_path("东丽区", "天津市")
    district = load_district(district_path)
    prefix = f"soak-{uuid.uuid4().hex[:8]}"
    port = free_port()
    var = tempfile.mkdtemp(prefix="gridpulse-soak-")
    env = {**os.environ, "GRIDPULSE_REDIS_URL": args.redis_url, "GRIDPULSE_KEY_PREFIX": prefix,
           "GRIDPULSE_DISTRICT": str(district_path), "GRIDPULSE_VAR_DIR": var, "GRIDPULSE_ADMIN_TOKEN": ADMIN,
           "GRIDPULSE_INGEST_KEY": INGEST_KEY, "PYTHONUNBUFFERED": "1"}  # fmt: skip
    client = redis.Redis.from_url(args.redis_url)
    interval_s = 5.0 / args.load
    print(f"Soak {args.minutes:g} min at {args.load:g}× district load: {len(district.workers):,} workers every "
          f"{interval_s:g} s ≈ {len(district.workers) / interval_s:,.0f} pings/s; Redis {args.redis_url}, prefix {prefix}")
    procs = []
    stop = threading.Event()
    try:
        procs.append(spawn(["serve", "--host", "127.0.0.1", "--port", str(port)], env, "GridPulse serving"))
        procs.append(spawn(["process", "--name", "soak"], env, "consuming"))
        web, proc = procs
        sim = SimSettings(interval_s=interval_s, seed=3, silent_share=0.0)
        model = PatrolModel(district, district.workers, sim, sim_start=local_sim_start("10:00"))
        sender = HttpSender(f"http://127.0.0.1:{port}", ingest_key=INGEST_KEY, stop_event=stop)
        thread = threading.Thread(target=run, args=(model, sender, stop), daemon=True)
        t0 = time.time()
        thread.start()
        duration = args.minutes * 60
        warm_s = min(60.0, duration / 5)
        samples = []  # (elapsed s, web MB, process MB, stream length, lag)
        print(f"{'t (s)':>7} {'serve MB':>9} {'process MB':>11} {'stream':>8} {'lag':>7} {'accepted':>10}")
        while (elapsed := time.time() - t0) < duration:
            time.sleep(min(args.sample_s, max(0.0, duration - elapsed)))
            elapsed = time.time() - t0
            length, lag = lag_of(client, prefix)
            row = (elapsed, rss_mb(web.pid), rss_mb(proc.pid), length, lag)
            samples.append(row)
            print(f"{row[0]:7.0f} {row[1]:9.1f} {row[2]:11.1f} {row[3]:8,} {row[4]:7,} {sender.stats.accepted:10,}",
                  flush=True)
        stop.set()
        thread.join(10)
        sender.close()
        warm = next((s for s in samples if s[0] >= warm_s), samples[0])
        end = samples[-1]
        stats = sender.stats.as_dict()
        print(f"\naccepted {stats['accepted']:,} pings in {end[0]:.0f} s ({stats['accepted'] / end[0]:,.0f}/s); "
              f"rejected {stats['rejected']}, failed {stats['failed']}")
        for name, i in (("serve", 1), ("process", 2)):
            growth = (end[i] - warm[i]) / warm[i] * 100
            print(f"{name:8s} RSS {warm[i]:.1f} MB at {warm[0]:.0f} s → {end[i]:.1f} MB at {end[0]:.0f} s: "
                  f"{growth:+.1f} %  (goal < 5 %)")
        lags = [s[4] for s in samples if s[0] >= warm_s] or [s[4] for s in samples]
        print(f"stream lag after warm-up: max {max(lags):,}, last {end[4]:,} entries; stream length last {end[3]:,}")
    finally:
        stop.set()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()  # our own child, by its handle
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
        with contextlib.suppress(OSError):
            import shutil

            shutil.rmtree(var)


if __name__ == "__main__":
    main()
