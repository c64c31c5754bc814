"""Headless Chromium opens the live map with a token, sees the polygons and the dots, and the dots move when pings
are processed: ingest (HTTP) → Redis stream → P's Processor → Socket.IO via the Redis queue → the browser."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests

from dashboard.app import create_app
from dashboard.serving import WebServer
from tests.dashboard.conftest import ADMIN

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]
SHOTS = Path("var/screenshots")
INGEST_KEY = "ingest-key-for-browser-test"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed at /usr/bin/chromium"),
]


@pytest.fixture
def stack(box_district, tokens, redis_url, key_prefix):
    from streams.emitter import SocketIOEmitter
    from streams.pingstream import make_redis
    from streams.processor import Processor
    from streams.roster import Roster

    settings = __import__("streams.settings", fromlist=["StreamSettings"]).StreamSettings.from_env(
        key_prefix=key_prefix, redis_url=redis_url, ingest_key=INGEST_KEY)
    client = make_redis(settings)
    server, _ = create_app(district=box_district, redis_client=client, settings=settings, tokens=tokens)
    web = WebServer(server).start()
    stop = threading.Event()
    proc = Processor(client, box_district, Roster.from_district(box_district), settings, SocketIOEmitter(settings),
                     "browser-test")
    thread = threading.Thread(target=proc.run, args=(stop,), daemon=True)
    thread.start()
    yield web
    stop.set()
    thread.join(10)
    web.stop()


@pytest.fixture
def page():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pg = browser.new_page(viewport={"width": 1600, "height": 900}, locale="zh-CN")
        yield pg
        browser.close()


def _post(web, pings):
    r = requests.post(f"{web.url}/api/v1/pings", json={"pings": pings},
                      headers={"Authorization": f"Bearer {INGEST_KEY}"}, timeout=10)
    assert r.status_code == 202 and r.json()["accepted"] == len(pings), r.text


def _centre(geom):
    c = geom.representative_point()
    return c.x, c.y


def _dots(pg) -> dict:
    return pg.evaluate("""() => {
        const gd = document.querySelector('#live-map .js-plotly-plot');
        const t = gd.data.find(t => t.uid === 'workers');
        const out = {};
        (t.ids || []).forEach((id, i) => { out[id] = [t.lon[i], t.lat[i], t['marker'].color[i]]; });
        return out;
    }""")


def test_dots_appear_and_move(stack, page, box_district):
    web = stack
    now = time.time()
    workers = box_district.workers
    grids = box_district.grids.set_index("code")
    start = {}
    pings = []
    for w in workers.itertuples():
        lon, lat = _centre(grids.loc[w.home_grid, "geometry"])
        start[w.worker_id] = (lon, lat)
        pings.append({"device_id": w.device_id, "lon": lon, "lat": lat, "ts": now - 20, "speed_kmh": 4.0})
    _post(web, pings)

    page.goto(f"{web.url}/?token={ADMIN}")
    page.wait_for_function("() => window.gridpulseLive && window.gridpulseLive.renders > 0", timeout=30_000)
    page.wait_for_function(f"() => gridpulseLive.workers.size === {len(workers)} && "
                           "[...gridpulseLive.workers.values()].every(w => w.lon != null)", timeout=15_000)
    assert "token" not in page.url  # taken into sessionStorage and out of the address bar
    assert page.evaluate("sessionStorage.getItem('gridpulse.token')") == ADMIN

    # the polygons: one trace of None-separated rings holding every grid
    rings = page.evaluate("""() => {
        const gd = document.querySelector('#live-map .js-plotly-plot');
        const t = gd.data.find(t => t.uid === 'grids');
        return t.lon.filter(v => v === null).length + 1; }""")
    assert rings == len(box_district.grids)
    dots = _dots(page)
    assert len(dots) == len(workers)
    w1 = workers.iloc[0].worker_id
    assert dots[w1][0] == pytest.approx(start[w1][0], abs=1e-6)
    page.wait_for_function("() => document.getElementById('gp-n-online').textContent === '9'", timeout=10_000)
    assert page.inner_text("#gp-n-total") == "9"
    assert page.inner_text("#gp-conn") == "实时连接"
    assert page.inner_text("#gp-time").count(":") == 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "live_map_before.png"))

    # move the first worker 400 m east; the dot must follow without reloading the page
    renders = page.evaluate("gridpulseLive.renders")
    lon0, lat0 = start[w1]
    moved = (lon0 + 0.0045, lat0)
    w = workers.iloc[0]
    _post(web, [{"device_id": w.device_id, "lon": moved[0], "lat": moved[1], "ts": time.time(), "speed_kmh": 5.0}])
    page.wait_for_function(
        f"() => Math.abs(gridpulseLive.workers.get('{w1}').lon - {moved[0]}) < 1e-6", timeout=10_000)
    page.wait_for_function(f"() => gridpulseLive.renders > {renders}", timeout=5_000)
    dots = _dots(page)
    assert dots[w1][0] == pytest.approx(moved[0], abs=1e-6)
    others = workers.iloc[1].worker_id
    assert dots[others][0] == pytest.approx(start[others][0], abs=1e-6)  # the rest did not move
    page.screenshot(path=str(SHOTS / "live_map_after.png"))


def test_page_without_token_asks_for_one(stack, page):
    page.goto(f"{stack.url}/")
    page.wait_for_selector("#gp-auth:not([hidden])", timeout=30_000)
    assert "令牌" in page.inner_text("#gp-auth")
    assert page.inner_text("#gp-conn") == "未授权"


def test_browser_gcj02_matches_python(stack, page):
    from geo.coords import wgs84_to_gcj02

    page.goto(f"{stack.url}/?token={ADMIN}")
    page.wait_for_function("() => window.gridpulseLive && window.gridpulseLive.wgs84ToGcj02", timeout=30_000)
    for lon, lat in [(117.30, 39.10), (117.45, 39.02), (121.47, 31.23)]:
        got = page.evaluate(f"gridpulseLive.wgs84ToGcj02({lon}, {lat})")
        want = wgs84_to_gcj02(lon, lat)
        assert got == pytest.approx([float(want[0]), float(want[1])], abs=1e-9)
