"""The ``/live`` Socket.IO namespace: authenticate, join the right room, send the snapshot.

Deltas do not pass through here: the processors emit ``positions`` and ``alerts`` into the rooms through the Redis
message queue (write-only ``RedisManager``), and Flask-SocketIO relays them to the browsers in each room.

Namespace, event names, rooms and row fields come from :mod:`streams.contract`.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import request
from flask_socketio import ConnectionRefusedError, Namespace, join_room, leave_room  # not the builtin one

from dashboard.auth import Principal, TokenRegistry
from streams.contract import EV_ERROR, EV_SNAPSHOT, NAMESPACE, SNAPSHOT_FIELDS, room_for

log = logging.getLogger(__name__)


def snapshot_message(workers: list[dict], street_code: str | None) -> dict:
    """``LiveReader.snapshot`` dicts → ``{"t": ms, "street": code|None, "f": [...], "rows": [[...], ...]}``."""
    rows = [[w.get(k) for k in SNAPSHOT_FIELDS] for w in workers]
    return {"t": int(time.time() * 1000), "street": street_code, "f": SNAPSHOT_FIELDS, "rows": rows}


class LiveNamespace(Namespace):
    """Connect with ``auth={"token": …, "street": optional code}``; later ``subscribe`` with ``{"street": code|None}``."""

    def __init__(self, *, tokens: TokenRegistry, reader, connected_gauge=None, namespace: str = NAMESPACE):
        super().__init__(namespace)
        self.tokens = tokens
        self.reader = reader
        self.connected_gauge = connected_gauge
        self._lock = threading.Lock()
        # _clients[sid] = (principal, room)
        self._clients: dict[str, tuple[Principal, str]] = {}

    def on_connect(self, auth=None):
        with self._lock:
            known = request.sid in self._clients
        if known:  # an ordinary event named "connect" from a connected client: not a connection
            return
        auth = auth if isinstance(auth, dict) else {}
        principal = self.tokens.principal(auth.get("token"))
        if principal is None:
            raise ConnectionRefusedError("unauthorized", {"error": "unauthorized", "message": "缺少或无效的令牌 (missing or invalid token)"})
        try:
            street = principal.scope_street(auth.get("street") or None)
        except PermissionError as exc:
            raise ConnectionRefusedError("forbidden", {"error": "forbidden", "message": str(exc)}) from exc
        sid = request.sid
        self._move(sid, principal, street)
        if self.connected_gauge is not None:
            self.connected_gauge.inc()
        self._send_snapshot(sid, street)

    def on_disconnect(self, reason=None):
        # python-socketio routes a client's ordinary event named "disconnect" here too (on_<event>); a real
        # disconnect has already marked the client as leaving, an event has not: ignore it, stay counted.
        if self.socketio.server.manager.is_connected(request.sid, self.namespace):
            return
        with self._lock:
            gone = self._clients.pop(request.sid, None)
        if gone is not None and self.connected_gauge is not None:
            self.connected_gauge.dec()

    def on_subscribe(self, data=None):
        """Narrow (or widen, for an admin) the view; the ack says what happened, and a new snapshot follows."""
        sid = request.sid
        entry = self._clients.get(sid)
        if entry is None:
            return {"ok": False, "error": "unauthorized", "message": "not connected"}
        principal, _ = entry
        street = data.get("street") if isinstance(data, dict) else None
        try:
            scope = principal.scope_street(street or None)
        except PermissionError as exc:
            return {"ok": False, "error": "forbidden", "message": str(exc)}
        self._move(sid, principal, scope)
        self._send_snapshot(sid, scope)
        return {"ok": True, "room": room_for(scope)}

    def _move(self, sid: str, principal: Principal, street: str | None) -> None:
        room = room_for(street)
        with self._lock:
            old = self._clients.get(sid)
            self._clients[sid] = (principal, room)
        if old is not None and old[1] != room:
            leave_room(old[1], sid=sid, namespace=self.namespace)
        join_room(room, sid=sid, namespace=self.namespace)

    def resend_snapshots(self) -> int:
        """A fresh ``snapshot`` to every room that has a client of this process; the number sent. Called when the
        message queue is listened to again after an outage: rows published meanwhile reached nobody."""
        with self._lock:
            rooms = {room for _, room in self._clients.values()}
        sent = 0
        for street in (None, *self.reader.roster.street_codes):
            if room_for(street) not in rooms:
                continue
            try:
                workers = self.reader.snapshot(street)
            except Exception as exc:  # noqa: BLE001 - Redis gone again: the next resubscription sends them
                log.warning("snapshot for %s failed: %s", room_for(street), exc)
                continue
            self.socketio.emit(EV_SNAPSHOT, snapshot_message(workers, street), to=room_for(street),
                               namespace=self.namespace, ignore_queue=True)
            sent += 1
        return sent

    def _send_snapshot(self, sid: str, street: str | None) -> None:
        try:
            workers = self.reader.snapshot(street)
        except Exception:  # Redis down: the client still connects and gets deltas when it comes back
            log.exception("snapshot failed for %s", room_for(street))
            self._emit_to(sid, EV_ERROR, {"error": "unavailable", "message": "实时数据暂不可用 (live state unavailable)"})
            return
        self._emit_to(sid, EV_SNAPSHOT, snapshot_message(workers, street))

    def _emit_to(self, sid: str, event: str, data) -> None:
        # The client is connected to THIS process: skip the Redis round trip of the message queue.
        self.socketio.emit(event, data, to=sid, namespace=self.namespace, ignore_queue=True)
