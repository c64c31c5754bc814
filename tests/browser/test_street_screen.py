"""Headless Chromium on the street screen, over a seeded stack: a simulated morning of the street's workers in the
tracks and patrol hashes, live dots from pings through the real processor, two alerts in the alert stream.

Covers the worker table (rows, sorting), a worker's track with its stays, the replay controls, acknowledging an
alert, and scope (a street token on another street's page, APIs and Socket.IO room).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
import requests

from dashboard.app import create_app
from dashboard.serving import WebServer
from tests.browser.chromium import ARGS, CHROMIUM, INGEST_KEY, SHOTS
from tests.conftest import make_box_district
from tests.dashboard.conftest import ADMIN, STREET1, STREET2

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed at /usr/bin/chromium"),
]
TZ = ZoneInfo("Asia/Shanghai")
STREET = "120110002"  # 20 of the 24 grids of a 6×4 box district


@pytest.fixture(scope="module")
def district():
    return make_box_district(nx=6, ny=4)


@pytest.fixture
def seeded(midday, district, tokens, redis_url, key_prefix):
    """The stack with its clock at MIDDAY (ticking): the simulated morning and the alerts are today's."""
    from geo.locate import GridLocator
    from streams.emitter import SocketIOEmitter
    from streams.history import simulate_tracks, write_history
    from streams.pingstream import make_redis
    from streams.processor import Processor
    from streams.roster import Roster
    from streams.settings import StreamSettings

    settings = StreamSettings.from_env(key_prefix=key_prefix, redis_url=redis_url, ingest_key=INGEST_KEY)
    client = make_redis(settings)
    today = midday.date()
    start = datetime.combine(today, datetime.min.time(), TZ).timestamp() + 8 * 3600
    roster = Roster.from_district(district)
    mine = district.workers[district.workers["home_grid"].str.startswith(STREET)]
    tracks = simulate_tracks(district, mine, start=start, end=start + 4 * 3600, seed=3)
    write_history(client, settings, GridLocator.from_grids(district.grids), tracks)
    ids = list(tracks)
    first_alert_ts = midday.timestamp() - 600  # ten minutes ago: in the local day's alert list
    for k, kind in enumerate(("outside_grid", "sos")):
        w = roster.by_worker(ids[k])
        alert = {"kind": kind, "w": w.worker_id, "name": w.name, "grid": w.home_grid, "street": STREET,
                 "ts": first_alert_ts + k, "message": f"{w.name} test alert {k}"}
        client.xadd(settings.key("alerts"), {"a": orjson.dumps(alert)})
    server, _ = create_app(district=district, redis_client=client, settings=settings, tokens=tokens)
    web = WebServer(server).start()
    stop = threading.Event()
    proc = Processor(client, district, roster, settings, SocketIOEmitter(settings), "street-browser-test")
    thread = threading.Thread(target=proc.run, args=(stop,), daemon=True)
    thread.start()
    # live dots: each worker's last simulated position, now
    by_id = dict(zip(district.workers["worker_id"], district.workers["device_id"], strict=True))
    pings = [{"device_id": by_id[w], "lon": float(a[-1, 1]), "lat": float(a[-1, 2]), "ts": time.time() - 5,
              "speed_kmh": 4.0 if k % 2 else 0.2} for k, (w, a) in enumerate(tracks.items())]
    r = requests.post(f"{web.url}/api/v1/pings", json={"pings": pings},
                      headers={"Authorization": f"Bearer {INGEST_KEY}"}, timeout=10)
    assert r.status_code == 202
    yield {"web": web, "tracks": tracks, "today": today.isoformat(), "server": server}
    stop.set()
    thread.join(10)
    web.stop()


@pytest.fixture
def page(seeded):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pg = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        pg.clock.install(time=time.time())  # the page's clock runs from the server's (MIDDAY), not the real one
        yield pg
        browser.close()


def _open(page, web, token, extra=""):
    page.goto(f"{web.url}/street?token={token}{extra}")
    page.wait_for_function("() => window.GP && GP.street && GP.street.workers && document.querySelectorAll('#street-workers tbody tr').length > 0",
                           timeout=30_000)


def _column(page, index):
    return page.eval_on_selector_all("#street-workers tbody tr",
                                     f"rows => rows.map(r => r.children[{index}].textContent)")


def test_table_track_replay_and_ack(seeded, page):
    web, tracks = seeded["web"], seeded["tracks"]
    _open(page, web, STREET2)
    assert "token" not in page.url
    rows = page.eval_on_selector_all("#street-workers tbody tr", "rs => rs.map(r => r.getAttribute('data-worker'))")
    assert sorted(rows) == sorted(tracks)
    # visit figures arrive from /api/v1/patrol: somebody has visit hours, and the KPI counts grids visited
    page.wait_for_function("() => [...GP.street.figures.values()].some(f => f.visit_minutes_home > 0)", timeout=30_000)
    page.wait_for_function("() => document.getElementById('street-k-grids').textContent.startsWith('20 /')",
                           timeout=10_000)
    page.wait_for_function("() => [...GP.street.workers.values()].filter(w => w.status === 'online').length === "
                           f"{len(tracks)}", timeout=15_000)

    # sorting: by visit hours, descending on the second click
    page.click("#street-workers th[data-sort='visit_h']")
    page.click("#street-workers th[data-sort='visit_h']")
    shown = [float(t.split("/")[0]) for t in _column(page, 5)]
    assert shown == sorted(shown, reverse=True) and shown[0] > 0
    page.click("#street-workers th[data-sort='name']")
    names = _column(page, 0)
    assert names == sorted(names)

    # a worker's track with its stays
    wid = rows[0]
    page.click(f"#street-workers tr[data-worker='{wid}']")
    page.wait_for_function("() => GP.street.track && GP.street.track.t.length > 100", timeout=15_000)
    n = page.evaluate("GP.street.track.t.length")
    assert n == len(tracks[wid]) + 1  # the simulated morning and the live fix of now
    assert page.evaluate("GP.street.track.stays.length") >= 1
    assert page.is_visible("#street-track-info")
    assert page.get_attribute(f"#street-workers tr[data-worker='{wid}']", "class").endswith("gp-wrow--sel")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "street_track.png"))

    # replay: load the morning, play, speed, pause, seek, follow
    page.fill("#replay-from", "08:00")
    page.fill("#replay-to", "12:00")
    page.click("#replay-load")
    page.wait_for_function("() => GP.street.replay.active && GP.street.replay.stats.fixes > 0", timeout=20_000)
    morning = sum(len(a) for a in tracks.values())
    assert morning <= page.evaluate("GP.street.replay.stats.fixes") <= morning + len(tracks)  # + the live fixes if before noon
    page.select_option("#replay-speed", "600")
    assert page.evaluate("GP.street.replay.speed") == 600
    page.click("#replay-play")
    page.wait_for_function("() => GP.street.replay.t > 300", timeout=10_000)
    page.click("#replay-play")  # pause
    t_paused = page.evaluate("GP.street.replay.t")
    page.wait_for_timeout(300)
    assert page.evaluate("GP.street.replay.t") == t_paused and not page.evaluate("GP.street.replay.playing")
    page.eval_on_selector("#replay-slider", "el => { el.value = '500'; el.dispatchEvent(new Event('input')); }")
    assert page.evaluate("GP.street.replay.t") == pytest.approx(page.evaluate("GP.street.replay.span") / 2, rel=0.01)
    assert page.inner_text("#replay-time").startswith("10:0")
    page.select_option("#replay-follow", wid)
    assert page.evaluate("GP.street.replay.follow") == wid
    frames = page.evaluate("GP.street.replay.stats.frames")
    page.click("#replay-play")
    page.wait_for_function(f"() => GP.street.replay.stats.frames > {frames + 10}", timeout=10_000)
    page.screenshot(path=str(SHOTS / "street_replay.png"))
    page.click("#replay-close")

    # acknowledge an alert: who and when are stored, the unread count drops
    page.wait_for_selector("#street-alerts [data-ack]", timeout=10_000)
    assert page.inner_text("#street-unread") == "2"
    page.click("#street-alerts [data-ack]")
    page.wait_for_function("() => document.getElementById('street-unread').textContent === '1'", timeout=10_000)
    body = requests.get(f"{web.url}/api/v1/alerts?street={STREET}", headers={"Authorization": f"Bearer {STREET2}"},
                        timeout=10).json()
    acked = [a for a in body["alerts"] if a["ack"]]
    assert len(acked) == 1 and acked[0]["ack"]["by"] and body["unacknowledged"] == 1


def test_english_page_has_no_chinese_labels(seeded, page):
    _open(page, seeded["web"], STREET2, "&lang=en")
    page.wait_for_timeout(500)
    text = page.inner_text("header") + page.inner_text(".gp-street-kpis") + page.inner_text("#street-workers thead") \
        + page.inner_text("#replay-bar") + page.inner_text(".gp-cov-panel h2")
    import re

    # street names are data and may stay Chinese, and the switch back names its language in it; labels must not
    street_name = page.evaluate("GP.street.cfg.street_name")
    assert not re.search(r"[\u4e00-\u9fff]", text.replace(street_name, "").replace(page.inner_text(".gp-lang"), ""))


def test_scope_other_street_is_refused_everywhere(seeded, page):
    web = seeded["web"]
    page.goto(f"{web.url}/street?token={STREET1}&street={STREET}")
    page.wait_for_selector(".gp-auth", timeout=30_000)
    assert "120110002" in page.inner_text(".gp-auth")
    assert page.evaluate("document.querySelectorAll('#street-workers').length") == 0
    h = {"Authorization": f"Bearer {STREET1}"}
    for path in ("/api/v1/tracks", "/api/v1/coverage", "/api/v1/export/workers.csv", "/api/v1/alerts",
                 "/api/v1/patrol"):
        r = requests.get(f"{web.url}{path}?street={STREET}", headers=h, timeout=10)
        assert r.status_code == 403, path
        assert r.json()["error"] == "forbidden"
    r = requests.post(f"{web.url}/api/v1/alerts/ack?street={STREET}", json={"ids": ["x"]}, headers=h, timeout=10)
    assert r.status_code == 403
    # a street token's own street answers, and holds only its own workers
    own = requests.get(f"{web.url}/api/v1/tracks", headers=h, timeout=10).json()
    assert own["street"] == "120110001" and all(w["home"].startswith("120110001") for w in own["workers"])
    # the admin picks any street
    _open(page, web, ADMIN, f"&street={STREET}")
    assert page.evaluate("GP.street.cfg.street") == STREET


def test_street_token_socket_is_kept_to_its_street(seeded):
    import socketio

    web = seeded["web"]
    refused = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect(web.url, namespaces=["/live"], auth={"token": STREET1, "street": STREET},
                        transports=["websocket"], wait_timeout=10)
    got, visits = [], []
    ok = socketio.Client(reconnection=False)
    ok.on("snapshot", lambda m: got.append(m), namespace="/live")
    ok.on("visits", lambda m: visits.append(m), namespace="/live")
    ok.connect(web.url, namespaces=["/live"], auth={"token": STREET2}, transports=["websocket"], wait_timeout=10)
    try:
        deadline = time.time() + 10
        while not got and time.time() < deadline:
            time.sleep(0.05)
        assert got and got[0]["street"] == STREET
        assert all(str(row[got[0]["f"].index("street")]) == STREET for row in got[0]["rows"])
        sub = ok.call("subscribe", {"street": "120110001"}, namespace="/live", timeout=10)
        assert sub["ok"] is False and sub["error"] == "forbidden"
        # the visits push reaches the open street's room, and only that street's workers are in it
        from dashboard.push.visits import open_streets, push_once

        ctx = seeded["server"].extensions["gridpulse"]
        assert open_streets(ctx.socketio) == [STREET]
        assert push_once(ctx) == 1
        deadline = time.time() + 10
        while not visits and time.time() < deadline:
            time.sleep(0.05)
        assert visits and visits[0]["street"] == STREET
        rows = [dict(zip(visits[0]["f"], r, strict=True)) for r in visits[0]["rows"]]
        assert {r["id"] for r in rows} == set(seeded["tracks"]) and any(r["visit_minutes_home"] > 0 for r in rows)
    finally:
        ok.disconnect()
