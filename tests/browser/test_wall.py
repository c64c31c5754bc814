"""The wall screen in headless Chromium, as a person at the center sees it: live dots from pings, tickets reaching
the heat and the feed, panels equal to the metrics API, both screen sizes, English, and a street's scope.

The whole live path runs: ingest (HTTP) → Redis stream → a Processor → Socket.IO; tickets: API → SQL outbox → Redis
stream → the ticket push → Socket.IO.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime

import pytest
import requests

from dashboard.app import create_app
from dashboard.serving import WebServer
from dashboard.settings import WebSettings
from tests.browser.chromium import CHROMIUM, INGEST_KEY, SHOTS
from tests.dashboard.conftest import ADMIN, STREET1

CJK = re.compile(r"[\u3400-\u9fff]+")
WEST, EAST = (117.305, 39.095), (117.325, 39.075)  # inside street 120110001 / 120110002

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed at /usr/bin/chromium"),
]


@pytest.fixture
def stack(midday, box_district, tokens, redis_url, key_prefix, tmp_path):
    """The whole stack, its clock at MIDDAY (ticking): the tickets reported in a test are on today's panels."""
    from dashboard.push.tickets import TicketPush, socketio_emit
    from dashboard.ticket_setup import TicketBackground, open_store, service_of, ticket_extension
    from streams.emitter import SocketIOEmitter
    from streams.pingstream import make_redis
    from streams.processor import Processor
    from streams.roster import Roster
    from streams.settings import StreamSettings
    from tickets.settings import load_settings

    settings = StreamSettings.from_env(key_prefix=key_prefix, redis_url=redis_url, ingest_key=INGEST_KEY)
    client = make_redis(settings)
    ticket_cfg = load_settings(photo_dir=tmp_path / "photos", database_url=f"sqlite:///{tmp_path / 't.db'}")
    store = open_store(ticket_cfg)
    server, socketio = create_app(district=box_district, redis_client=client, settings=settings, tokens=tokens,
                                  web_settings=WebSettings(wall_refresh_s=2),
                                  extensions=[ticket_extension(store, open311_key=None, settings=ticket_cfg)])
    stream = f"{key_prefix}:ticket-events"
    chores = TicketBackground(store, service_of(server), client, stream=stream, interval_s=0.5).start()
    pusher = TicketPush(client, service_of(server), socketio_emit(socketio), stream=stream).start()
    web = WebServer(server).start()
    stop = threading.Event()
    proc = Processor(client, box_district, Roster.from_district(box_district), settings, SocketIOEmitter(settings),
                     "browser-test")
    thread = threading.Thread(target=proc.run, args=(stop,), daemon=True)
    thread.start()
    web.service = service_of(server)
    yield web
    stop.set()
    thread.join(10)
    pusher.stop()
    chores.stop()
    web.stop()


def open_wall(browser, url, size=(1920, 1080)):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.clock.install(time=time.time())  # the page's clock runs from the server's (MIDDAY), not the real one
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(url)
    try:
        page.wait_for_function("() => window.GP && GP.wall && GP.wall.debug && GP.wall.debug().socket", timeout=60_000)
    except Exception as exc:
        state = page.evaluate("() => ({cfg: !!document.getElementById('wall-config'), wall: !!(window.GP && GP.wall && GP.wall.debug), "
                              "io: !!window.io, plot: !!document.querySelector('#wall-map-graph .js-plotly-plot'), "
                              "conn: (document.getElementById('wall-conn') || {}).textContent})")
        raise AssertionError(f"the wall did not connect: {state}, errors {errors}") from exc
    return page


def post_pings(web, pings):
    r = requests.post(f"{web.url}/api/v1/pings", json={"pings": pings},
                      headers={"Authorization": f"Bearer {INGEST_KEY}"}, timeout=10)
    assert r.status_code == 202 and r.json()["accepted"] == len(pings), r.text


def everyone_at_home(web, district):
    grids = district.grids.set_index("code")
    now, pings, where = time.time(), [], {}
    for w in district.workers.itertuples():
        p = grids.loc[w.home_grid, "geometry"].representative_point()
        where[w.worker_id] = (p.x, p.y)
        pings.append({"device_id": w.device_id, "lon": p.x, "lat": p.y, "ts": now - 5, "speed_kmh": 4.0})
    post_pings(web, pings)
    return where


def report(web, token, where, category="1101"):
    r = requests.post(f"{web.url}/api/v1/tickets", headers={"Authorization": f"Bearer {token}"},
                      data={"category": category, "lon": str(where[0]), "lat": str(where[1]), "description": "垃圾满溢"},
                      timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def api_today(web, street=None):
    today = datetime.now(web.service.calendar.tz).date().isoformat()
    scope = f"&level=street&street={street}" if street else ""
    r = requests.get(f"{web.url}/api/v1/metrics?from={today}&to={today}{scope}",
                     headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10)
    return r.json()["rows"][0]


def wait_text(page, element_id, text, timeout_s=20):
    page.wait_for_function(f"() => document.getElementById('{element_id}').textContent === {text!r}",
                           timeout=timeout_s * 1000)


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=["1080p", "4k"])
def test_the_wall_shows_live_dots_tickets_and_panels(stack, browser, box_district, size):
    where = everyone_at_home(stack, box_district)
    page = open_wall(browser, f"{stack.url}/?token={ADMIN}", size)
    n = len(box_district.workers)
    page.wait_for_function(f"() => Object.keys(GP.wall.debug().dots).length === {n}", timeout=20_000)
    w1 = box_district.workers["worker_id"].iloc[0]
    assert page.evaluate(f"GP.wall.debug().dots['{w1}']")[:2] == pytest.approx(list(where[w1]), abs=1e-6)
    wait_text(page, "wall-n-online", str(n))
    assert "token" not in page.url  # kept in sessionStorage and an HttpOnly cookie, not the address bar

    # a ticket reported through the API reaches the heat and the feed, pushed (not polled)
    events_before = page.evaluate("GP.wall.stats.ticketEvents")
    t = report(stack, ADMIN, WEST)
    t0 = time.monotonic()
    page.wait_for_function(f"() => GP.wall.debug().tickets.some(x => x.id === {t['id']})", timeout=15_000)
    page.wait_for_function(f"() => GP.wall.debug().feed.some(s => s.includes('{t['number'][-6:]}'))", timeout=5_000)
    arrived_s = time.monotonic() - t0
    assert page.evaluate("GP.wall.stats.ticketEvents") > events_before
    print(f"ticket → heat and feed in {arrived_s:.2f} s")

    # panels: the same numbers as /api/v1/metrics for today
    row = api_today(stack)
    wait_text(page, "wall-today-received", f"{row['received']:,}")
    assert page.inner_text("#wall-today-open_now") == f"{row['open_now']:,}"

    # a wall: no scrollbars, numbers legible across the room (≥ 48 px at 1080p, scaled at 4K)
    scroll = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert scroll == [size[0], size[1]]
    px = page.evaluate("parseFloat(getComputedStyle(document.getElementById('wall-n-online')).fontSize)")
    assert px >= 48 * size[1] / 1080
    assert not page.errors
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"wall-{size[1]}.png"))


def test_closing_a_ticket_moves_the_closed_count(stack, browser):
    from tests.tickets.conftest import JPEG
    from tickets.domain.actors import Actor
    from tickets.store.photos import Upload

    page = open_wall(browser, f"{stack.url}/?token={ADMIN}")
    t = report(stack, ADMIN, WEST)
    wait_text(page, "wall-today-received", f"{api_today(stack)['received']:,}")
    closed_before = api_today(stack)["closed"]
    svc = stack.service
    worker = Actor(role="worker", name="格格", worker_id=svc.grid_worker[t["grid_code"]])
    svc.act(t["id"], "self_handle", worker, photos=[Upload("a.jpg", JPEG)])
    svc.act(t["id"], "approve", Actor(role="district", name="区中心"))
    assert api_today(stack)["closed"] == closed_before + 1
    wait_text(page, "wall-today-closed", f"{closed_before + 1:,}")
    # and the closed ticket leaves the heat
    page.wait_for_function(f"() => !GP.wall.debug().tickets.some(x => x.id === {t['id']})", timeout=10_000)


def test_english_leaves_no_chinese_label(stack, browser, box_district):
    everyone_at_home(stack, box_district)
    report(stack, ADMIN, EAST)
    page = open_wall(browser, f"{stack.url}/?token={ADMIN}&lang=en")
    page.wait_for_function("() => document.getElementById('wall-today-received').textContent !== '—'",
                           timeout=20_000)
    page.wait_for_function("() => GP.wall.debug().feed.length > 0", timeout=15_000)
    data = {box_district.name, box_district.city, "中文", *box_district.grids["street_name"],
            *box_district.workers["name"]}
    text = page.inner_text("body")
    for name in sorted(data, key=len, reverse=True):
        text = text.replace(name, "")
    assert not CJK.findall(text)
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_street_token_sees_only_its_street(stack, browser, box_district):
    everyone_at_home(stack, box_district)
    page = open_wall(browser, f"{stack.url}/?token={STREET1}")
    own = set(box_district.workers.loc[box_district.grids["street_code"].values == "120110001", "worker_id"])
    page.wait_for_function(f"() => Object.keys(GP.wall.debug().dots).length === {len(own)}", timeout=20_000)
    assert set(page.evaluate("Object.keys(GP.wall.debug().dots)")) == own
    assert page.evaluate("document.querySelectorAll('#wall-streets tr[data-street]').length") == 1
    theirs = report(stack, ADMIN, EAST)
    mine = report(stack, ADMIN, WEST)
    page.wait_for_function(f"() => GP.wall.debug().tickets.some(x => x.id === {mine['id']})", timeout=15_000)
    assert not page.evaluate(f"GP.wall.debug().tickets.some(x => x.id === {theirs['id']})")
    assert not any(theirs["number"][-6:] in s for s in page.evaluate("GP.wall.debug().feed"))
    row = api_today(stack, street="120110001")
    assert row["key"] == "120110001" and row["received"] == 1
    wait_text(page, "wall-today-received", "1")
    page.screenshot(path=str(SHOTS / "wall-street.png"))


def test_a_page_without_a_token_asks_for_one(stack, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{stack.url}/")
    page.wait_for_selector("#gp-auth", timeout=30_000)
    assert "令牌" in page.inner_text("#gp-auth")
    assert page.evaluate("document.getElementById('wall-config')") is None


def test_browser_gcj02_matches_python(stack, browser):
    from geo.coords import wgs84_to_gcj02

    page = open_wall(browser, f"{stack.url}/?token={ADMIN}")
    for lon, lat in [(117.30, 39.10), (117.45, 39.02), (121.47, 31.23)]:
        got = page.evaluate(f"GP.core.wgs84ToGcj02({lon}, {lat})")
        want = wgs84_to_gcj02(lon, lat)
        assert got == pytest.approx([float(want[0]), float(want[1])], abs=1e-9)


def test_an_alert_acknowledged_on_a_street_screen_leaves_the_walls_unread_count(stack, browser, box_district):
    everyone_at_home(stack, box_district)
    page = open_wall(browser, f"{stack.url}/?token={ADMIN}")
    w = box_district.workers.iloc[0]
    grid = box_district.grids.set_index("code").loc[w.home_grid, "geometry"].representative_point()
    post_pings(stack, [{"device_id": w.device_id, "lon": grid.x, "lat": grid.y, "ts": time.time(), "sos": True}])
    page.wait_for_function("() => GP.wall.debug().unread >= 1", timeout=15_000)
    before = page.evaluate("GP.wall.debug().unread")
    auth = {"Authorization": f"Bearer {ADMIN}"}
    alerts = requests.get(f"{stack.url}/api/v1/alerts", headers=auth, timeout=10).json()["alerts"]
    sos = [a["id"] for a in alerts if a["kind"] == "sos" and a["w"] == w.worker_id]
    assert sos
    r = requests.post(f"{stack.url}/api/v1/alerts/ack", json={"ids": sos}, headers=auth, timeout=10)
    assert r.status_code == 200, r.text
    page.wait_for_function(f"() => GP.wall.debug().unread === {before - len(sos)}", timeout=10_000)
    assert page.evaluate(f"document.querySelector('li[data-alert-id=\"{sos[0]}\"]').classList.contains('gp-ev--acked')")
    # a wall opened afterwards starts with the acknowledgement too
    again = open_wall(browser, f"{stack.url}/?token={ADMIN}")
    again.wait_for_function(f"() => GP.wall.debug().acked.includes('{sos[0]}')", timeout=10_000)
