"""POST pings → Redis stream → Processor → Socket.IO (Redis queue) → a python-socketio client, scoped by token."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from dashboard.app import create_app
from dashboard.serving import WebServer
from tests.dashboard.conftest import ADMIN, STREET1, key_prefix, redis_url, tokens  # noqa: F401  (fixtures)
from tests.dashboard.test_live_socket import Client, _rows

pytestmark = pytest.mark.integration
INGEST_KEY = "ingest-key-for-live-push"


@pytest.fixture
def stack(box_district, tokens, redis_url, key_prefix):  # noqa: F811
    from streams.emitter import SocketIOEmitter
    from streams.pingstream import make_redis
    from streams.processor import Processor
    from streams.roster import Roster
    from streams.settings import StreamSettings

    settings = StreamSettings.from_env(key_prefix=key_prefix, redis_url=redis_url, ingest_key=INGEST_KEY)
    client = make_redis(settings)
    server, _ = create_app(district=box_district, redis_client=client, settings=settings, tokens=tokens)
    web = WebServer(server).start()
    stop = threading.Event()
    proc = Processor(client, box_district, Roster.from_district(box_district), settings, SocketIOEmitter(settings),
                     "live-push-test")
    thread = threading.Thread(target=proc.run, args=(stop,), daemon=True)
    thread.start()
    yield web
    stop.set()
    thread.join(10)
    web.stop()


def _ping(web, device_id, lon, lat, ts=None):
    r = requests.post(f"{web.url}/api/v1/pings", headers={"Authorization": f"Bearer {INGEST_KEY}"}, timeout=10,
                      json={"pings": [{"device_id": device_id, "lon": lon, "lat": lat, "ts": ts or time.time()}]})
    assert r.status_code == 202 and r.json()["accepted"] == 1, r.text


def _wait_rows(client: Client, *worker_ids: str, timeout_s: float = 8.0) -> dict:
    """Every pushed row until all of ``worker_ids`` were seen (they may come in one message or several)."""
    seen: dict = {}
    deadline = time.monotonic() + timeout_s
    while not set(worker_ids) <= set(seen):
        if time.monotonic() > deadline:
            raise AssertionError(f"{set(worker_ids) - set(seen)} never pushed")
        msg = client.next("positions", timeout_s=max(0.1, deadline - time.monotonic()))
        seen.update({r["id"]: r for r in _rows(msg)})
    return seen


def test_snapshot_then_processed_deltas_scoped_by_street(stack, box_district):
    web = stack
    workers = box_district.workers.set_index("worker_id")
    west = "W120110001001001"  # street 120110001 (west column)
    east = "W120110002001001"  # street 120110002
    admin = Client(web.url, {"token": ADMIN})
    street = Client(web.url, {"token": STREET1})
    try:
        snap = _rows(admin.next("snapshot"))
        assert len(snap) == 9 and all(w["status"] == "offline" and w["lon"] is None for w in snap)
        assert {w["street"] for w in _rows(street.next("snapshot"))} == {"120110001"}
        time.sleep(0.3)  # let the message-queue listener subscribe
        _ping(web, workers.loc[east, "device_id"], 117.315, 39.095)
        _ping(web, workers.loc[west, "device_id"], 117.305, 39.095)
        rows = _wait_rows(admin, east, west)
        assert rows[east]["status"] == "online" and rows[east]["lon"] == pytest.approx(117.315)
        assert rows[west]["grid"] == "120110001001001"
        # the street supervisor gets its own worker and never the other street's
        rows = _wait_rows(street, west)
        assert rows[west]["lon"] == pytest.approx(117.305) and east not in rows
        # a sentinel: the west worker moves; by the time the street hears it, a row of the east worker pushed to
        # its room (processed before the sentinel, so flushed with it or earlier) would have arrived too
        _ping(web, workers.loc[west, "device_id"], 117.306, 39.095, ts=time.time() + 60)  # 86 m a minute later
        heard = street.until("positions", lambda m: any(r["lon"] == pytest.approx(117.306) for r in _rows(m)),
                             timeout_s=8)
        assert east not in {r["id"] for e, m in heard if e == "positions" for r in _rows(m)}
        # a reconnecting client's snapshot now holds the live position
        late = Client(web.url, {"token": STREET1})
        try:
            mine = {w["id"]: w for w in _rows(late.next("snapshot"))}
            assert mine[west]["status"] == "online" and east not in mine
        finally:
            late.close()
    finally:
        admin.close()
        street.close()
