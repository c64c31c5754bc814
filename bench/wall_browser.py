"""Browser speed of the wall screen in headless Chromium (software GL, 1920×1080), measured as the tests run it.

For each load (1,147 workers, then 20,000), the web process serves the wall with a synthetic live snapshot and a
pusher emits one ``positions`` message a second into the district room through the Redis message queue (a fifth of
the workers move each second: every phone pings every 5 s). The same page is measured twice in the same run:

  idle     the page open, pushes stopped (the baseline: clock, timers, nothing moving)
  pushes   one positions update a second

Figures (Chrome DevTools Protocol ``Performance.getMetrics`` deltas over the window; medians of windows):
  script ms per update   ΔScriptDuration / updates                     goal ≤ 15 ms (1,147), ≤ 60 ms (20,000)
  main thread busy       ΔTaskDuration / wall time                      goal ≤ 30 % at district load
  page ready             navigation → first dots drawn                  goal ≤ 3 s
  JS heap growth         JSHeapUsedSize after ``--heap-minutes`` of pushes vs. after the first window  (≤ 10 %)
and a ``Profiler`` sample of the pushes window: where the main thread goes (top functions by self time).

    .venv/bin/python bench/wall_browser.py [--workers 1147,20000] [--window-s 10] [--windows 3] [--heap-minutes 0]

Uses GRIDPULSE_REDIS_URL or redis://127.0.0.1:6379/0 with a random key prefix (deleted at the end).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN = "bench-admin-token-1"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]


class SyntheticReader:
    """A LiveReader of ``n`` workers spread over the district's grids (what the snapshot on connect returns)."""

    def __init__(self, district, n: int, seed: int = 1):
        rng = np.random.default_rng(seed)
        g = district.grids
        pts = g.geometry.representative_point()
        idx = np.arange(n) % len(g)
        self.ids = [f"B{i:05d}" for i in range(n)]
        self.grid = g["code"].to_numpy()[idx]
        self.street = g["street_code"].to_numpy()[idx]
        self.lon = pts.x.to_numpy()[idx] + rng.normal(0, 0.002, n)
        self.lat = pts.y.to_numpy()[idx] + rng.normal(0, 0.002, n)
        self.rng = rng

    def snapshot(self, street_code=None):
        now = time.time()
        return [{"id": w, "name": f"格格{i}", "lon": float(self.lon[i]), "lat": float(self.lat[i]),
                 "status": "online", "moving": bool(i % 2), "grid": self.grid[i], "street": self.street[i],
                 "ts": now, "outside": False, "sos": False, "spd": 4.0, "bat": 80, "idle": False}
                for i, w in enumerate(self.ids) if street_code is None or self.street[i] == street_code]

    def positions(self, share: float = 0.2) -> dict:
        n = len(self.ids)
        k = max(1, int(n * share))
        pick = self.rng.choice(n, k, replace=False)
        self.lon[pick] += self.rng.normal(0, 0.0002, k)
        self.lat[pick] += self.rng.normal(0, 0.0002, k)
        now = int(time.time())
        rows = [[self.ids[i], round(float(self.lon[i]), 6), round(float(self.lat[i]), 6), "online", int(i % 2),
                 self.grid[i], now, 0] for i in pick]
        return {"t": int(time.time() * 1000), "f": ["id", "lon", "lat", "status", "moving", "grid", "ts", "idle"],
                "rows": rows}

    def track(self, *_a):
        return None

    def patrol(self, day, street_code=None):
        return {"date": day, "grids": [], "workers": []}


def pusher(reader, emitter, stop: threading.Event, interval_s: float = 1.0) -> None:
    nxt = time.monotonic()
    while not stop.is_set():
        emitter.emit("positions", reader.positions(), "district")
        nxt += interval_s
        stop.wait(max(0.0, nxt - time.monotonic()))


def metrics(cdp) -> dict:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def window(page, cdp, seconds: float) -> dict:
    u0 = page.evaluate("GP.wall.stats.updates")
    m0, t0 = metrics(cdp), time.monotonic()
    time.sleep(seconds)
    m1, t1 = metrics(cdp), time.monotonic()
    updates = page.evaluate("GP.wall.stats.updates") - u0
    script = (m1["ScriptDuration"] - m0["ScriptDuration"]) * 1000
    task = (m1["TaskDuration"] - m0["TaskDuration"]) * 1000
    return {"updates": updates, "script_ms": script, "busy": task / ((t1 - t0) * 1000),
            "script_per_update": script / updates if updates else None, "heap_mb": m1["JSHeapUsedSize"] / 2**20}


def top_functions(profile: dict, n: int = 8) -> list[tuple[str, float]]:
    nodes = {x["id"]: x for x in profile["nodes"]}
    dt = profile.get("timeDeltas", [])
    self_us: Counter = Counter()
    for sid, d in zip(profile.get("samples", []), dt, strict=False):
        cf = nodes[sid]["callFrame"]
        name = cf["functionName"] or "(anonymous)"
        where = cf["url"].rsplit("/", 1)[-1].split("?")[0]
        self_us[f"{name} {where}:{cf['lineNumber']}" if where else name] += d
    total = sum(self_us.values()) or 1
    return [(k, 100 * v / total) for k, v in self_us.most_common(n)]


def run_load(n: int, args, district, redis_url: str) -> None:
    from playwright.sync_api import sync_playwright

    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry
    from dashboard.serving import WebServer
    from streams.emitter import SocketIOEmitter
    from streams.pingstream import make_redis
    from streams.settings import StreamSettings

    prefix = f"bench-wall-{uuid.uuid4().hex[:8]}"
    settings = StreamSettings.from_env(redis_url=redis_url, key_prefix=prefix)
    client = make_redis(settings)
    reader = SyntheticReader(district, n)
    server, _ = create_app(district=district, redis_client=client, settings=settings, reader=reader, ingest=False,
                           tokens=TokenRegistry.from_mapping(admin=ADMIN))
    web = WebServer(server).start()
    emitter = SocketIOEmitter(settings)
    stop = threading.Event()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            t0 = time.monotonic()
            page.goto(f"{web.url}/?token={ADMIN}")
            page.wait_for_function(f"() => window.GP && GP.wall && GP.wall.debug && GP.wall.debug().workers === {n} && GP.wall.stats.draws > 0",
                                   timeout=120_000)
            ready_s = time.monotonic() - t0
            at = page.evaluate("GP.wall.stats.at")
            nav = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
            time.sleep(2)
            idle = [window(page, cdp, args.window_s) for _ in range(args.windows)]
            thread = threading.Thread(target=pusher, args=(reader, emitter, stop), daemon=True)
            thread.start()
            time.sleep(2)
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 500})
            cdp.send("Profiler.start")
            pushes = [window(page, cdp, args.window_s) for _ in range(args.windows)]
            profile = cdp.send("Profiler.stop")["profile"]
            heap0 = pushes[0]["heap_mb"]
            heap_end = None
            if args.heap_minutes > 0:
                cdp.send("HeapProfiler.collectGarbage")
                heap0 = metrics(cdp)["JSHeapUsedSize"] / 2**20
                time.sleep(args.heap_minutes * 60)
                cdp.send("HeapProfiler.collectGarbage")
                heap_end = metrics(cdp)["JSHeapUsedSize"] / 2**20
            stop.set()
            thread.join(5)
            browser.close()
    finally:
        stop.set()
        web.stop()
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)

    def med(rows, k):
        vals = [r[k] for r in rows if r[k] is not None]
        return statistics.median(vals) if vals else float("nan")

    per_update = med(pushes, "script_per_update")
    busy_push, busy_idle = med(pushes, "busy"), med(idle, "busy")
    goal = 15 if n <= 2000 else 60
    print(f"\n== {n:,} workers, 1 positions update/s, {len(pushes)}×{args.window_s:.0f} s windows ==")
    print(f"page_ready_s={ready_s:.2f} (goal ≤ 3): html+scripts {nav / 1000:.2f} s, screen code {at['start'] / 1000:.2f} s, "
          f"snapshot {at.get('snapshot', float('nan')) / 1000:.2f} s, map {at['map'] / 1000:.2f} s, "
          f"dots {at['dots'] / 1000:.2f} s")
    print(f"script_ms_per_update={per_update:.1f} (goal ≤ {goal}; rows per update {max(1, int(n * 0.2)):,})")
    print(f"main_thread_busy pushes={100 * busy_push:.1f}% idle_baseline={100 * busy_idle:.1f}% "
          f"added_by_pushes={100 * (busy_push - busy_idle):.1f}% (goal ≤ 30% at district load)")
    print(f"script_ms_per_s pushes={med(pushes, 'script_ms') / args.window_s:.1f} "
          f"idle={med(idle, 'script_ms') / args.window_s:.1f}  updates_per_window={med(pushes, 'updates'):.0f}")
    if heap_end is not None:
        print(f"js_heap_mb start={heap0:.1f} after_{args.heap_minutes:g}_min={heap_end:.1f} "
              f"growth={100 * (heap_end / heap0 - 1):+.1f}% (goal ≤ 10%)")
    else:
        print(f"js_heap_mb={pushes[-1]['heap_mb']:.1f} (run with --heap-minutes 30 for the growth figure)")
    print("main thread by function (self time, pushes window):")
    for name, pct in top_functions(profile):
        print(f"  {pct:5.1f}%  {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", default="1147,20000")
    ap.add_argument("--window-s", type=float, default=10.0)
    ap.add_argument("--windows", type=int, default=3)
    ap.add_argument("--heap-minutes", type=float, default=0.0)
    ap.add_argument("--redis-url", default=os.environ.get("GRIDPULSE_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()
    from geo.build import cached_district_path
    from geo.district import load_district

    district = load_district(cached_district_path("东丽区", "天津市"))
    for n in (int(x) for x in args.workers.split(",")):
        run_load(n, args, district, args.redis_url)


if __name__ == "__main__":
    main()
