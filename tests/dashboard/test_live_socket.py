"""The /live namespace with a real server on a random port, a real python-socketio client and the Redis message queue.

Deltas are published the way the processors do it: a write-only ``socketio.RedisManager`` on ``{p}:socketio``.
"""

from __future__ import annotations

import queue
import threading
import time

import pytest
import socketio

from dashboard.app import create_app
from dashboard.serving import WebServer
from tests.dashboard.conftest import ADMIN, STREET1

pytestmark = pytest.mark.integration


@pytest.fixture
def live_server(box_district, tokens, roster, fake_reader, redis_url, key_prefix):
    from streams.settings import StreamSettings

    settings = StreamSettings.from_env(key_prefix=key_prefix, redis_url=redis_url)
    server, sio = create_app(district=box_district, settings=settings, tokens=tokens, roster=roster,
                             reader=fake_reader, ingest=False)
    web = WebServer(server).start()
    web.socketio = sio
    emitter = socketio.RedisManager(redis_url, channel=f"{key_prefix}:socketio", write_only=True)
    yield web, emitter
    web.stop()


class Client:
    """A python-socketio client that queues every event it receives."""

    def __init__(self, url: str, auth: dict | None, transport: str = "websocket"):
        self.events: queue.Queue = queue.Queue()
        self.received: list[tuple[str, object]] = []  # every event, in arrival order (next() consumes the queue)
        self.sio = socketio.Client(reconnection=False)
        for name in ("snapshot", "positions", "alerts", "error"):
            self.sio.on(name, (lambda n: lambda data: self._got(n, data))(name), namespace="/live")
        self.sio.connect(url, namespaces=["/live"], auth=auth, transports=[transport], wait_timeout=5)

    def next(self, name: str, timeout_s: float = 5.0):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                event, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if event == name:
                return data
        raise AssertionError(f"no {name!r} within {timeout_s}s")

    def _got(self, name: str, data) -> None:
        self.received.append((name, data))
        self.events.put((name, data))

    def until(self, name: str, pred, timeout_s: float = 5.0) -> list[tuple[str, object]]:
        """Every event received up to and including the first ``name`` event whose data satisfies ``pred``.

        A sentinel published after the thing that must not arrive: once the sentinel is in, anything published
        before it on the same path would be in too (one Redis channel, one socket, both in order).
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for k, (event, data) in enumerate(list(self.received)):
                if event == name and pred(data):
                    return self.received[: k + 1]
            time.sleep(0.02)
        raise AssertionError(f"no matching {name!r} within {timeout_s}s")

    def close(self):
        # websocket-client waits 3 s for a close frame that werkzeug's server never sends back; the server has
        # already seen the Socket.IO disconnect packet by then, so do not make the test wait for it.
        threading.Thread(target=self.sio.disconnect, daemon=True).start()


def _rows(msg):
    return [dict(zip(msg["f"], row, strict=True)) for row in msg["rows"]]


def _positions(*rows):
    return {"t": int(time.time() * 1000), "f": ["id", "lon", "lat", "status", "moving", "grid", "ts"], "rows": list(rows)}


def _publish_until(client: Client, emitter, payload, room: str, timeout_s: float = 5.0):
    """The listener thread may subscribe a moment after connect: publish until the client hears it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        emitter.emit("positions", payload, namespace="/live", room=room)
        try:
            return client.next("positions", timeout_s=0.3)
        except AssertionError:
            continue
    raise AssertionError("positions never arrived")


def test_admin_gets_the_district_snapshot_then_deltas(live_server, box_district):
    web, emitter = live_server
    c = Client(web.url, {"token": ADMIN})
    try:
        snap = c.next("snapshot")
        workers = _rows(snap)
        assert snap["street"] is None and len(workers) == len(box_district.workers)
        assert {"id", "lon", "lat", "status", "moving", "grid", "ts"} <= set(snap["f"])
        row = ["W1", 117.31, 39.09, "online", True, "120110001001001", time.time()]
        got = _publish_until(c, emitter, _positions(row), "district")
        assert got["rows"] == [row]
    finally:
        c.close()


def test_bad_or_missing_token_is_refused(live_server):
    web, _ = live_server
    for auth in (None, {"token": "not-a-token-123"}):
        with pytest.raises(socketio.exceptions.ConnectionError):
            Client(web.url, auth, transport="polling")


def test_street_token_sees_only_its_street(live_server, box_district):
    web, emitter = live_server
    c = Client(web.url, {"token": STREET1})
    admin = Client(web.url, {"token": ADMIN})
    try:
        snap = c.next("snapshot")
        assert snap["street"] == "120110001"
        assert {w["street"] for w in _rows(snap)} == {"120110001"}
        admin.next("snapshot")
        # a delta for the other street (and the district room) must not reach the street client
        other = _positions(["W2", 117.32, 39.09, "online", True, "120110002001001", time.time()])
        _publish_until(admin, emitter, other, "district")
        emitter.emit("positions", other, namespace="/live", room="street:120110002")
        own = _positions(["W1", 117.305, 39.095, "online", False, "120110001001001", time.time()])
        got = _publish_until(c, emitter, own, "street:120110001")
        assert [r[0] for r in got["rows"]] == ["W1"]
        sentinel = _positions(["W1", 117.306, 39.095, "online", False, "120110001001001", time.time()])
        emitter.emit("positions", sentinel, namespace="/live", room="street:120110001")
        heard = c.until("positions", lambda m: m["rows"][0][1] == 117.306)
        assert {r[0] for e, m in heard if e == "positions" for r in m["rows"]} == {"W1"}  # never W2
        # asking for another street is refused, and the client stays in its own room
        ack = c.sio.call("subscribe", {"street": "120110002"}, namespace="/live", timeout=5)
        assert ack["ok"] is False and ack["error"] == "forbidden"
    finally:
        c.close()
        admin.close()


def test_street_token_cannot_connect_to_another_street(live_server):
    web, _ = live_server
    with pytest.raises(socketio.exceptions.ConnectionError):
        Client(web.url, {"token": STREET1, "street": "120110002"}, transport="polling")


def test_admin_can_narrow_to_a_street(live_server, fake_reader):
    web, emitter = live_server
    c = Client(web.url, {"token": ADMIN})
    try:
        c.next("snapshot")
        ack = c.sio.call("subscribe", {"street": "120110002"}, namespace="/live", timeout=5)
        assert ack == {"ok": True, "room": "street:120110002"}
        snap = c.next("snapshot")
        assert snap["street"] == "120110002" and {w["street"] for w in _rows(snap)} == {"120110002"}
        got = _publish_until(c, emitter, _positions(["W5", 117.32, 39.08, "stale", False, "x", 1.0]),
                             "street:120110002")
        assert got["rows"][0][0] == "W5"
    finally:
        c.close()


def connected_clients() -> float:
    from streams.metrics import REGISTRY

    return REGISTRY.get_sample_value("gridpulse_connected_clients")


def test_connected_clients_gauge_counts_connections(live_server):
    web, _ = live_server
    before = connected_clients()
    c = Client(web.url, {"token": ADMIN})
    c.next("snapshot")
    assert connected_clients() == before + 1
    c.close()
    deadline = time.monotonic() + 5
    while connected_clients() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert connected_clients() == before


@pytest.mark.parametrize("event", ["disconnect", "connect"])
def test_a_reserved_name_sent_as_an_event_changes_neither_gauge_nor_room(live_server, event):
    from socketio import packet

    web, emitter = live_server
    namespace = web.socketio.server.namespace_handlers["/live"]
    handled = threading.Event()
    dispatch = namespace.trigger_event

    def spy(name, *args):  # signals once the server has run the handler of the odd event
        try:
            return dispatch(name, *args)
        finally:
            if name == event:
                handled.set()

    namespace.trigger_event = spy
    c = Client(web.url, {"token": ADMIN})
    try:
        c.next("snapshot")
        before = connected_clients()
        # an ordinary EVENT packet named like the lifecycle handlers (the client API refuses to send it)
        c.sio.eio.send(packet.Packet(packet.EVENT, namespace="/live", data=[event, {"token": ADMIN}]).encode())
        assert handled.wait(5)
        assert connected_clients() == before
        # a snapshot sent by the handler would be on the socket before this delta
        row = ["W1", 117.31, 39.09, "online", True, "120110001001001", time.time()]
        assert _publish_until(c, emitter, _positions(row), "district")["rows"] == [row]  # still in its room
        assert [e for e, _ in c.received].count("snapshot") == 1  # no second connection was made
    finally:
        c.close()
