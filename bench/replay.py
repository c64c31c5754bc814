"""Multi-worker replay: load time and frame rate of the street screen's replay in headless Chromium.

Seeds one street of 100 workers × a full day (24 h) at one fix per 5 s (17,280 fixes each, 1.73 M in all, with
household stays) straight into the daily track sets under a random key prefix, starts the web app on a free port,
opens ``/street`` at 1920×1080 and measures, in the same run:

  load cold      GET /api/v1/tracks?format=bin for the whole day with an empty parse cache (server and transfer only; the
                 street page prefetches today's tracks when it opens, so a supervisor rarely meets this)
  load warm      in the page (the replay's own load): the same request with the parse cache filled, + decode
  load floor     the same response bytes served as a static blob (transfer + decode only): baseline
  fps idle       requestAnimationFrame callbacks per second of the page with the replay loaded but paused: baseline
  fps hidden     the replay loop running with its canvas not shown (the JS of a frame, no rasterising): baseline
  fps replay     frames drawn per second while playing all 100 workers at 600× (dots, fading trails, stays)

    .venv/bin/python bench/replay.py [--workers 100] [--hours 24] [--seconds 6]

Uses GRIDPULSE_REDIS_URL or redis://127.0.0.1:6379/0; deletes its keys at the end.  Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN = "bench-admin-token"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]
TZ = ZoneInfo("Asia/Shanghai")


def synthetic_day(district, workers, day_start: float, hours: float, period_s: float, seed: int = 1) -> dict:
    """Each worker: walk at 1.2 m/s inside the own grid, with a 10–40 min stay every hour or so, noise 8 m."""
    from geo.measure import metres_per_degree

    rng = np.random.default_rng(seed)
    grids = district.grids.set_index("code")
    n = int(hours * 3600 / period_s)
    t = day_start + np.arange(n) * period_s
    out = {}
    for w in workers.itertuples():
        minx, miny, maxx, maxy = grids.loc[w.home_grid, "geometry"].bounds
        kx, ky = metres_per_degree((miny + maxy) / 2)
        speed = rng.uniform(0, 1.2, n)
        stay = np.zeros(n, dtype=bool)
        for start in rng.integers(0, n, int(hours)):
            stay[start : start + int(rng.uniform(600, 2400) / period_s)] = True
        speed[stay] = 0.0
        heading = np.cumsum(rng.normal(0, 0.25, n))
        x = np.cumsum(np.cos(heading) * speed * period_s)
        y = np.cumsum(np.sin(heading) * speed * period_s)
        w_m, h_m = (maxx - minx) * kx, (maxy - miny) * ky
        x = np.abs((x % (2 * w_m)) - w_m)  # fold the walk back into the grid's box
        y = np.abs((y % (2 * h_m)) - h_m)
        lon = minx + (x + rng.normal(0, 8, n)) / kx
        lat = miny + (y + rng.normal(0, 8, n)) / ky
        out[w.worker_id] = np.column_stack([t, lon, lat])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=100)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--seconds", type=float, default=6.0, help="how long to play (and to count idle frames)")
    args = ap.parse_args()

    import redis
    from flask import Response
    from playwright.sync_api import sync_playwright

    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry
    from dashboard.serving import WebServer
    from streams.settings import StreamSettings
    from streams.tracks import write_track
    from tests.conftest import make_box_district

    cols = 1 + max(1, args.workers // 10)
    district = make_box_district(nx=cols, ny=10)  # street 120110002: every column but the first
    street = "120110002"
    workers = district.workers[district.workers["home_grid"].str.startswith(street)].iloc[: args.workers]
    url = os.environ.get("GRIDPULSE_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"bench-replay-{uuid.uuid4().hex[:8]}"
    settings = StreamSettings.from_env(key_prefix=prefix, redis_url=url)
    client = redis.Redis.from_url(url)
    day = datetime.now(TZ).date()
    day_start = datetime.combine(day, datetime.min.time(), TZ).timestamp()
    try:
        t0 = time.perf_counter()
        tracks = synthetic_day(district, workers, day_start, args.hours, 5.0)
        pipe = client.pipeline(transaction=False)
        for wid, a in tracks.items():
            write_track(pipe, settings, day.isoformat(), wid, a)
            if len(pipe) > 20:
                pipe.execute()
        pipe.execute()
        fixes = sum(len(a) for a in tracks.values())
        print(f"seeded {len(tracks)} workers × {args.hours:g} h = {fixes:,} fixes in {time.perf_counter() - t0:.1f}s "
              f"(prefix {prefix})")

        server, _ = create_app(district=district, redis_client=client, settings=settings,
                               tokens=TokenRegistry.from_mapping(admin=ADMIN), message_queue=None, ingest=False)
        blob = {}

        @server.get("/bench/blob")
        def _blob():  # the floor: the same bytes with no Redis, no parsing, no encoding
            return Response(blob["body"], mimetype="application/json")

        web = WebServer(server).start()
        try:
            run_browser(web.url, street, day.isoformat(), args, blob, fixes, sync_playwright)
        finally:
            web.stop()
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
        print(f"deleted {len(keys)} keys under {prefix}")


def run_browser(base: str, street: str, day: str, args, blob: dict, fixes: int, sync_playwright) -> None:
    import requests

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        q = f"street={street}&date={day}&from=00:00&to=23:59:59&format=bin"
        c0 = time.perf_counter()
        cold_body = requests.get(f"{base}/api/v1/tracks?{q}", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=120)
        cold_s = time.perf_counter() - c0
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"{base}/street?token={ADMIN}&street={street}")
        # a supervisor loads the replay once the page has its figures (the page's own first requests are done)
        page.wait_for_function("() => window.GP && GP.street && GP.street.replay && GP.street.coverage && GP.street.grids",
                               timeout=120_000)
        page.wait_for_timeout(500)
        load = f"GP.street.replay.load('{day}', '00:00', '23:59:59').then(s => [s.loadMs, s.decodeMs, s.bytes, s.fixes])"
        warm = page.evaluate(load)
        cold = [cold_s * 1000, 0.0, len(cold_body.content), warm[3]]
        r = requests.get(f"{base}/api/v1/tracks?{q}", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60)
        blob["body"] = r.content
        floor = page.evaluate("""() => { const t0 = performance.now();
            return fetch('/bench/blob').then(r => r.arrayBuffer()).then(buf => {
              const body = GP.street.replay.unpack(buf);
              body.workers.forEach(w => GP.street.decodeWorker(w, body.origin));
              return performance.now() - t0; }); }""")
        seconds = args.seconds
        idle = page.evaluate(f"""() => new Promise(done => {{ let n = 0; const t0 = performance.now();
            function f() {{ n++; if (performance.now() - t0 < {seconds * 1000}) requestAnimationFrame(f);
                           else done(n / ((performance.now() - t0) / 1000)); }}
            requestAnimationFrame(f); }})""")
        page.evaluate("GP.street.replay.setSpeed(600); GP.street.replay.seek(8 * 3600); GP.street.replay.stats.frames = 0")
        t0 = page.evaluate("performance.now()")
        page.evaluate("GP.street.replay.play()")
        page.wait_for_timeout(seconds * 1000)
        frames, t1, replay_t, draw_ms = page.evaluate(
            "[GP.street.replay.stats.frames, performance.now(), GP.street.replay.t, GP.street.replay.stats.drawMs]")
        page.evaluate("GP.street.replay.pause()")
        # the same frame loop with the canvas not shown: what the page costs without our drawing being rasterised
        page.evaluate("document.getElementById('street-canvas').style.display = 'none'; GP.street.replay.stats.frames = 0")
        h0 = page.evaluate("GP.street.replay.play(), performance.now()")
        page.wait_for_timeout(seconds * 1000)
        hidden_frames, h1 = page.evaluate("[GP.street.replay.stats.frames, performance.now()]")
        browser.close()
    fps = frames / ((t1 - t0) / 1000)
    hidden = hidden_frames / ((h1 - h0) / 1000)
    print(f"\nreplay of {cold[3]:,} fixes ({fixes:,} seeded), response {cold[2] / 1e6:.1f} MB "
          f"({cold[2] / max(cold[3], 1):.1f} bytes/fix)")
    print(f"  load cold   {cold[0] / 1000:6.2f} s   (server + transfer, parse cache empty)")
    print(f"  load warm   {warm[0] / 1000:6.2f} s   (decode in page {warm[1] / 1000:.2f} s)")
    print(f"  load floor  {floor / 1000:6.2f} s   baseline: same bytes as a static blob   "
          f"(cold/floor {cold[0] / floor:.1f}×, warm/floor {warm[0] / floor:.1f}×)")
    print(f"  fps idle    {idle:6.1f}     baseline: requestAnimationFrame with nothing to draw")
    print(f"  fps hidden  {hidden:6.1f}     baseline: the replay loop with the canvas not shown")
    print(f"  fps replay  {fps:6.1f}     at 600× ({replay_t / 3600:.1f} h of replay time reached)   "
          f"replay/idle {fps / idle:.2f}   draw {draw_ms / max(frames, 1):.1f} ms/frame")
    print(f"  target: load ≤ 2 s, replay ≥ 30 fps → load {'OK' if warm[0] <= 2000 else 'MISSED'} (warm), "
          f"{'OK' if cold[0] <= 2000 else 'MISSED'} (cold); fps {'OK' if fps >= 30 else 'MISSED'}")


if __name__ == "__main__":
    main()
