"""Screens that run for weeks (GP.core.live): the wall and the street screen recover by themselves after the web
process was away for 20 s and show what happened meanwhile (alerts, acknowledgements, ticket events); a page held
across local midnight moves to the new day.

The web process is stopped the way a real one stops: it says goodbye to every client (Socket.IO's "io server
disconnect", after which the Socket.IO client never reconnects by itself), closes their connections and its port;
another server is started on the same port 20 s later.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta

import orjson
import pytest

from dashboard.app import create_app
from dashboard.serving import WebServer
from dashboard.settings import WebSettings
from streams.contract import NAMESPACE, alert_id
from tests.browser.chromium import CHROMIUM, SHOTS
from tests.dashboard.conftest import ADMIN, STREET1

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed at /usr/bin/chromium"),
]
STREET = "120110001"
GAP_S = 20


class Stack:
    """The web process of a box district, stoppable and startable again on the same port."""

    def __init__(self, district, tokens, redis_url, key_prefix, var_dir):
        from dashboard.ticket_setup import open_store, ticket_extension
        from streams.pingstream import make_redis
        from streams.settings import StreamSettings
        from tickets.settings import load_settings

        self.settings = StreamSettings.from_env(key_prefix=key_prefix, redis_url=redis_url)
        self.client = make_redis(self.settings)
        self.district = district
        ticket_cfg = load_settings(photo_dir=var_dir / "photos", database_url=f"sqlite:///{var_dir / 't.db'}")
        self.server, self.socketio = create_app(
            district=district, redis_client=self.client, settings=self.settings, tokens=tokens,
            web_settings=WebSettings(wall_refresh_s=2),
            extensions=[ticket_extension(open_store(ticket_cfg), open311_key=None, settings=ticket_cfg)])
        # the ticket chores (outbox → stream → `tickets` pushes) run on through the gap: what they push meanwhile
        # reaches nobody
        self.tickets = self.server.extensions["gridpulse"].ticket_chores
        self.tickets.background.start()
        self.tickets.push.start()
        self.web = WebServer(self.server).start()
        self.url = self.web.url

    def report(self) -> int:
        """A ticket reported in street 1 (by its first grid's worker); returns its id once its event was pushed."""
        from tests.tickets.conftest import INSIDE, WORKER
        from tickets.service import NewTicket

        push, sent = self.tickets.push, threading.Event()
        emit = push.emit
        push.emit = lambda event, data, room: (emit(event, data, room), sent.set())  # the push's signal
        try:
            t = self.server.extensions["tickets"].create(NewTicket("1101", *INSIDE, "垃圾满溢"), WORKER)
            assert sent.wait(10), "the ticket event was not pushed"
        finally:
            push.emit = emit
        return t["id"]

    def raise_alert(self, kind: str, k: int = 0) -> dict:
        """An alert as the processors write it, in the alert log; nobody is told (the web process may be down)."""
        w = self.district.workers[self.district.workers["home_grid"].str.startswith(STREET)].iloc[k]
        alert = {"kind": kind, "w": w.worker_id, "name": w["name"],
                 "grid": w.home_grid, "street": STREET, "ts": round(time.time(), 3), "message": f"test {kind}"}
        self.client.xadd(self.settings.key("alerts"), {"a": orjson.dumps(alert)})
        return {**alert, "id": alert_id(alert)}

    def ack(self, ids: list[str]) -> None:
        assert self.server.extensions["gridpulse"].alert_log.ack(ids, by="测试员", street_code=None) == ids

    def stop(self) -> None:
        sio = self.socketio.server
        for room in list(sio.manager.rooms.get(NAMESPACE, {})):
            for sid, _eio in list(sio.manager.get_participants(NAMESPACE, room)):
                sio.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
        for s in list(sio.eio.sockets.values()):
            s.close(wait=False, abort=True)
        self.web.stop()

    def start(self) -> None:
        self.web = WebServer(self.server, port=self.web.port).start()


@pytest.fixture
def stack(midday, box_district, tokens, redis_url, key_prefix, tmp_path):
    s = Stack(box_district, tokens, redis_url, key_prefix, tmp_path)
    yield s
    s.tickets.push.stop()
    s.tickets.background.stop()
    s.web.stop()


def open_page(browser, url, ready, at=None):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.clock.install(time=at or time.time())  # the page's clock runs from the server's (MIDDAY), not the real one
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    page.wait_for_function(ready, timeout=60_000)
    return page


WALL_READY = "() => window.GP && GP.wall && GP.wall.debug && GP.wall.debug().socket"
STREET_READY = "() => window.GP && GP.street && GP.street.link && GP.street.link.state().kind === 'ok'"


def badge(page, element_id):
    return page.evaluate(f"[document.getElementById('{element_id}').getAttribute('data-state'), "
                         f"document.getElementById('{element_id}').textContent]")


def test_wall_and_street_recover_after_the_web_process_was_away(stack, browser):
    before = stack.raise_alert("outside_grid", 0)
    wall = open_page(browser, f"{stack.url}/?token={ADMIN}", WALL_READY)
    street = open_page(browser, f"{stack.url}/street?token={STREET1}", STREET_READY)
    wall.wait_for_selector(f"#wall-feed li[data-alert-id='{before['id']}']", timeout=10_000)
    seen = stack.report()  # pushed to the wall while it is connected
    wall.wait_for_selector(f"#wall-feed li[data-ticket-key^='{seen}:report:']", timeout=10_000)
    street.wait_for_selector(f"#street-alerts li[data-alert='{before['id']}']", timeout=10_000)

    stack.stop()
    for page, conn in ((wall, "wall-conn"), (street, "street-conn")):
        page.wait_for_function(f"() => document.getElementById('{conn}').getAttribute('data-state') === 'retry'",
                               timeout=10_000)
        state, text = badge(page, conn)
        assert "秒后重连" in text or text == "重连中…", text
    SHOTS.mkdir(parents=True, exist_ok=True)
    wall.screenshot(path=str(SHOTS / "wall-reconnecting.png"))
    # while the web process is away: an SOS is raised and the earlier alert is acknowledged
    gap = stack.raise_alert("sos", 1)
    stack.ack([before["id"]])
    missed = stack.report()  # pushed while nobody listens
    wall.wait_for_timeout(GAP_S * 1000)
    assert badge(wall, "wall-conn")[0] == "retry"  # still trying, and saying so
    stack.start()

    # both screens come back by themselves (backoff capped at 30 s) and show what the gap's pushes would have
    wall.wait_for_function("() => GP.wall.debug().link.connects >= 2 && GP.wall.debug().socket", timeout=45_000)
    wall.wait_for_selector(f"#wall-feed li[data-alert-id='{gap['id']}']", timeout=10_000)
    wall.wait_for_selector(f"#wall-feed li.gp-ev--acked[data-alert-id='{before['id']}']", timeout=10_000)
    # the ticket reported meanwhile: in the feed (once; the one seen before the gap once too) and in the heat
    wall.wait_for_selector(f"#wall-feed li[data-ticket-key^='{missed}:report:']", timeout=10_000)
    for tid in (seen, missed):
        assert wall.locator(f"#wall-feed li[data-ticket-key^='{tid}:report:']").count() == 1
    assert missed in [t["id"] for t in wall.evaluate("GP.wall.debug().tickets")]
    assert badge(wall, "wall-conn") == ["ok", "实时连接"]
    street.wait_for_function("() => GP.street.link.state().connects >= 2", timeout=45_000)
    street.wait_for_selector(f"#street-alerts li[data-alert='{gap['id']}']", timeout=10_000)
    street.wait_for_selector(f"#street-alerts li.gp-alert--acked[data-alert='{before['id']}']", timeout=10_000)
    assert badge(street, "street-conn") == ["ok", "实时连接"]
    assert street.inner_text("#street-unread") == "1"  # the SOS; the acknowledged one no longer counts
    # the feed stays newest first with the late item in its place
    ts = wall.eval_on_selector_all("#wall-feed li", "lis => lis.map(li => +li.getAttribute('data-ts'))")
    assert ts == sorted(ts, reverse=True)
    wall.screenshot(path=str(SHOTS / "wall-recovered.png"))
    street.screenshot(path=str(SHOTS / "street-recovered.png"))
    assert not wall.errors and not street.errors


def test_a_failed_snapshot_is_asked_for_again(stack, browser, monkeypatch):
    ctx = stack.server.extensions["gridpulse"]
    real, calls, fail = ctx.reader.snapshot, [], threading.Event()
    fail.set()

    def flaky(street=None):
        calls.append(street)
        if fail.is_set():
            raise ConnectionError("Redis is down")
        return real(street)

    monkeypatch.setattr(ctx.reader, "snapshot", flaky)
    street = browser.new_page(viewport={"width": 1920, "height": 1080})
    street.clock.install(time=time.time())
    street.goto(f"{stack.url}/street?token={STREET1}")
    street.wait_for_function("() => { const e = document.getElementById('street-conn'); "
                             "return e && e.getAttribute('data-state') === 'unavailable'; }", timeout=60_000)
    assert street.inner_text("#street-conn") == "实时数据暂不可用"
    n = len(calls)
    fail.clear()
    street.wait_for_function("() => GP.street.link.state().kind === 'ok' && GP.street.workers.size > 0",
                             timeout=20_000)
    assert len(calls) > n  # asked again, not just reconnected
    assert street.evaluate("GP.street.link.state().connects") == 1


def test_a_page_held_across_midnight_shows_the_new_day(stack, browser, midday):
    today = midday.date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), midday.tzinfo).timestamp()
    street = open_page(browser, f"{stack.url}/street?token={STREET1}", STREET_READY, at=midnight - 40)
    wall = open_page(browser, f"{stack.url}/?token={ADMIN}", WALL_READY, at=midnight - 40)
    assert street.evaluate("GP.street.today") == today.isoformat()
    assert street.input_value("#replay-date") == today.isoformat()

    def asks(path):
        return lambda r: path in r.url and f"date={tomorrow}" in r.url

    def kicks(r):  # the panels re-read at once, not at the next 15 s refresh
        return "_dash-update-component" in r.url and "wall-kick.data" in json.loads(r.post_data or "{}").get(
            "changedPropIds", [])

    with street.expect_request(asks("/api/v1/patrol"), timeout=15_000), \
            street.expect_request(asks("/api/v1/alerts"), timeout=15_000):
        street.clock.fast_forward(street.evaluate("GP.core.msToNextDay(Date.now())") + 2_000)
    street.wait_for_function(f"() => document.getElementById('replay-date').value === '{tomorrow}'", timeout=10_000)
    assert street.evaluate("GP.street.today") == tomorrow
    with wall.expect_request(asks("/api/v1/alerts"), timeout=15_000), wall.expect_request(kicks, timeout=15_000):
        wall.clock.fast_forward(wall.evaluate("GP.core.msToNextDay(Date.now())") + 2_000)
    assert wall.evaluate("GP.wall.debug().link.day") == tomorrow
    # the header's date is the browser's own clock
    assert f"{int(tomorrow[5:7])}月{int(tomorrow[8:])}日" in street.inner_text("[data-gp-clock='date']")
