"""Endurance of an open wall screen: pushes at several times the district's rate for a long time, then compares the
page at the end with the page at the start (headless Chromium, software GL, 1920×1080).

The district's rate (1,147 workers, every phone pinging every 5 s): one ``positions`` a second with a fifth of the
workers, an alert every 30 s, a ticket event every 20 s, an acknowledgement every 60 s. ``--rate 5`` (the default)
sends five times each. Every ``--reconnect-every-min`` the web process ends the page's connection (Socket.IO
"io server disconnect"), so the lifecycle (GP.core.live: reconnect, refetch) runs again and again.

At the start (after a warm-up) and at the end, after a forced garbage collection:
  JS heap          CDP Performance.getMetrics JSHeapUsedSize
  DOM nodes        Performance.getMetrics Nodes
  listeners        Performance.getMetrics JSEventListeners (every listener of the page) and
                   DOMDebugger.getEventListeners on window and document
  script / update  ΔScriptDuration / Δupdates over a --window-s window of pushes
and the growth ratios (goal: heap < 10 %, listeners and DOM nodes flat).

    .venv/bin/python bench/wall_endurance.py [--minutes 120] [--rate 5] [--workers 1147] [--reconnect-every-min 10]

Uses GRIDPULSE_REDIS_URL or redis://127.0.0.1:6379/0 with a random key prefix (deleted at the end).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.wall_browser import ADMIN, ARGS, CHROMIUM, SyntheticReader, metrics  # noqa: E402

# events a second at the district's rate
DISTRICT_RATE = {"positions": 1.0, "alerts": 1 / 30, "tickets": 1 / 20, "ack": 1 / 60}


class Pushes:
    """Emits every kind of push into the district room at ``rate`` × the district's rate, on one thread."""

    def __init__(self, reader, emitter, district, rate: float):
        from streams.contract import TICKET_FIELDS, alert_id

        self.reader, self.emitter, self.rate = reader, emitter, rate
        self.fields, self.alert_id = TICKET_FIELDS, alert_id
        self.workers = district.workers.head(200).to_dict("records")
        self.grids = district.grids.set_index("code")
        self.alert_ids: list[str] = []
        self.count = dict.fromkeys(DISTRICT_RATE, 0)
        self.stop = threading.Event()

    def run(self) -> None:
        t0 = time.monotonic()
        while not self.stop.is_set():
            elapsed = time.monotonic() - t0
            for kind, per_s in DISTRICT_RATE.items():
                while self.count[kind] < elapsed * per_s * self.rate:
                    getattr(self, kind)(self.count[kind])
                    self.count[kind] += 1
            self.stop.wait(0.02)

    def positions(self, _n):
        self.emitter.emit("positions", self.reader.positions(), "district")

    def alerts(self, n):
        w = self.workers[n % len(self.workers)]
        a = {"kind": ("outside_grid", "offline", "back_online", "sos")[n % 4], "w": w["worker_id"], "name": w["name"],
             "grid": w["home_grid"], "street": w["home_grid"][:9], "ts": round(time.time(), 3), "message": "bench"}
        self.alert_ids.append(self.alert_id(a))
        self.emitter.emit("alerts", [a], "district")

    def tickets(self, n):
        w = self.workers[n % len(self.workers)]
        p = self.grids.loc[w["home_grid"], "geometry"].representative_point()
        row = {"id": 10_000_000 + n, "no": f"B{n:010d}", "event": "report", "state": "REPORTED", "light": "green",
               "lon": p.x, "lat": p.y, "grid": w["home_grid"], "street": w["home_grid"][:9], "category": "1101",
               "ts": time.time(), "open": True, "overdue": False}
        self.emitter.emit("tickets", {"t": int(time.time() * 1000), "f": self.fields,
                                      "rows": [[row[k] for k in self.fields]]}, "district")

    def ack(self, _n):
        if self.alert_ids:
            self.emitter.emit("ack", {"ids": self.alert_ids[-3:], "by": "bench", "at": time.time()}, "district")


def listeners_on(cdp, expression: str) -> int:
    obj = cdp.send("Runtime.evaluate", {"expression": expression})["result"]["objectId"]
    return len(cdp.send("DOMDebugger.getEventListeners", {"objectId": obj})["listeners"])


def measure(page, cdp, window_s: float) -> dict:
    """Script per update over a window of pushes, then the page's size after a forced GC."""
    u0, m0 = page.evaluate("GP.wall.stats.updates"), metrics(cdp)
    page.wait_for_timeout(window_s * 1000)
    u1, m1 = page.evaluate("GP.wall.stats.updates"), metrics(cdp)
    cdp.send("HeapProfiler.collectGarbage")
    m = metrics(cdp)
    return {"heap_mb": m["JSHeapUsedSize"] / 2**20, "nodes": m["Nodes"], "listeners": m["JSEventListeners"],
            "window_doc_listeners": listeners_on(cdp, "window") + listeners_on(cdp, "document"),
            "script_ms_per_update": 1000 * (m1["ScriptDuration"] - m0["ScriptDuration"]) / max(1, u1 - u0),
            "updates": u1 - u0, "connects": page.evaluate("GP.wall.debug().link.connects"),
            "feed": page.evaluate("GP.wall.debug().feed.length")}


def disconnect_all(socketio) -> int:
    from streams.contract import NAMESPACE

    sio, n = socketio.server, 0
    for room in list(sio.manager.rooms.get(NAMESPACE, {})):
        for sid, _eio in list(sio.manager.get_participants(NAMESPACE, room)):
            sio.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
            n += 1
    return n


def run(args, district) -> None:
    from playwright.sync_api import sync_playwright

    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry
    from dashboard.serving import WebServer
    from streams.emitter import SocketIOEmitter
    from streams.pingstream import make_redis
    from streams.settings import StreamSettings

    prefix = f"bench-endure-{uuid.uuid4().hex[:8]}"
    settings = StreamSettings.from_env(redis_url=args.redis_url, key_prefix=prefix)
    client = make_redis(settings)
    reader = SyntheticReader(district, args.workers)
    server, socketio = create_app(district=district, redis_client=client, settings=settings, reader=reader,
                                  ingest=False, tokens=TokenRegistry.from_mapping(admin=ADMIN))
    web = WebServer(server).start()
    pushes = Pushes(reader, SocketIOEmitter(settings), district, args.rate)
    thread = threading.Thread(target=pushes.run, daemon=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.goto(f"{web.url}/?token={ADMIN}")
            page.wait_for_function(f"() => window.GP && GP.wall && GP.wall.debug && GP.wall.debug().workers === "
                                   f"{args.workers} && GP.wall.stats.draws > 0", timeout=180_000)
            thread.start()
            page.wait_for_timeout(args.warmup_s * 1000)  # the feed fills to its 40 items, the heat has its tickets
            start = measure(page, cdp, args.window_s)
            t_end = time.monotonic() + args.minutes * 60
            next_kick, kicks = time.monotonic() + args.reconnect_every_min * 60, 0
            while time.monotonic() < t_end:
                page.wait_for_timeout(min(10.0, max(0.1, t_end - time.monotonic())) * 1000)
                if args.reconnect_every_min > 0 and time.monotonic() >= next_kick:
                    kicks += disconnect_all(socketio)
                    next_kick += args.reconnect_every_min * 60
            end = measure(page, cdp, args.window_s)
            browser.close()
    finally:
        pushes.stop.set()
        web.stop()
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    report(args, start, end, pushes.count, kicks, errors)


def report(args, start, end, count, kicks, errors) -> None:
    def growth(k):
        return f"{100 * (end[k] / start[k] - 1):+.1f}%" if start[k] else "n/a"

    print(f"\n== wall endurance: {args.workers:,} workers, {args.rate:g}× the district's rate, {args.minutes:g} min ==")
    print("pushed: " + ", ".join(f"{k} {v:,}" for k, v in count.items()) +
          f"; server-side disconnects {kicks}; connects seen by the page {end['connects']}")
    print(f"{'':26}{'start':>10}{'end':>10}{'growth':>10}")
    for k, label in (("heap_mb", "JS heap (MB, after GC)"), ("nodes", "DOM nodes"), ("listeners", "JS event listeners"),
                     ("window_doc_listeners", "listeners window+document"),
                     ("script_ms_per_update", "script ms per update")):
        print(f"{label:26}{start[k]:>10.1f}{end[k]:>10.1f}{growth(k):>10}")
    print(f"feed items {start['feed']} → {end['feed']}; updates per window {start['updates']} → {end['updates']}")
    print(f"page errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    ok = end["heap_mb"] < 1.1 * start["heap_mb"] and end["listeners"] <= start["listeners"]
    print("goal (heap < +10 %, no listener growth): " + ("met" if ok else "NOT met"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=120.0)
    ap.add_argument("--rate", type=float, default=5.0, help="times the district's push rate")
    ap.add_argument("--workers", type=int, default=1147)
    ap.add_argument("--reconnect-every-min", type=float, default=10.0, help="0: never")
    ap.add_argument("--warmup-s", type=float, default=120.0, help="until the feed holds its 40 items")
    ap.add_argument("--window-s", type=float, default=30.0)
    ap.add_argument("--redis-url", default=os.environ.get("GRIDPULSE_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()
    from geo.build import cached_district_path
    from geo.district import load_district

    run(args, load_district(cached_district_path("东丽区", "天津市")))


if __name__ == "__main__":
    main()
