"""`gridpulse serve` as a real process on gevent: OsmAnd on both ports, tickets, Socket.IO over WebSocket, clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from dashboard.serving import free_port
from geo.district import save_district
from tests.dashboard.conftest import key_prefix, redis_url  # noqa: F401  (fixtures)

# real_clock: `gridpulse serve` runs as a subprocess on the real clock, and the fixes sent to it are timed here.
pytestmark = [pytest.mark.integration, pytest.mark.real_clock]
ADMIN = "serve-admin-token-1"
GRIDPULSE = Path(sys.executable).with_name("gridpulse")


@pytest.fixture
def served(box_district, tmp_path, redis_url, key_prefix):  # noqa: F811
    path = save_district(box_district, tmp_path / "box.gpkg")
    web, osmand = free_port(), free_port()
    env = {**os.environ, "GRIDPULSE_REDIS_URL": redis_url, "GRIDPULSE_KEY_PREFIX": key_prefix,
           "GRIDPULSE_ADMIN_TOKEN": ADMIN, "GRIDPULSE_DISTRICT": str(path), "GRIDPULSE_VAR_DIR": str(tmp_path / "var"),
           "GRIDPULSE_INGEST_KEY": "serve-ingest-key-1"}
    env.pop("GRIDPULSE_DATABASE_URL", None)
    env.pop("GRIDPULSE_WEB_SERVER", None)
    proc = subprocess.Popen([str(GRIDPULSE), "serve", "--port", str(web), "--osmand-port", str(osmand)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{web}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"serve did not come up:\n{proc.stdout.read()}")
        time.sleep(0.2)
    yield proc, base, f"http://127.0.0.1:{osmand}"
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_serve_runs_on_gevent_and_stops_cleanly(served, box_district):
    import socketio

    proc, base, osmand = served
    device = box_district.workers["device_id"][0]
    now = int(time.time())
    assert requests.get(f"{base}/ingest/osmand", params={"id": device, "lat": 39.095, "lon": 117.305,
                                                         "timestamp": now}, timeout=5).status_code == 200
    assert requests.get(osmand, params={"id": device, "lat": 39.095, "lon": 117.305, "timestamp": now + 5},
                        timeout=5).status_code == 200
    assert requests.get(osmand, params={"id": "unknown-device", "lat": 39.0, "lon": 117.0}, timeout=5).status_code == 400
    tickets = requests.get(f"{base}/api/v1/tickets", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=5)
    assert tickets.status_code == 200 and tickets.json()["total"] == 0

    got = {}
    client = socketio.Client()
    client.on("snapshot", lambda data: got.setdefault("snapshot", data), namespace="/live")
    client.connect(base, namespaces=["/live"], auth={"token": ADMIN}, transports=["websocket"], wait_timeout=10)
    try:
        deadline = time.monotonic() + 10
        while "snapshot" not in got and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.transport() == "websocket"
    finally:
        client.disconnect()
    assert "snapshot" in got

    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "with gevent" in out
