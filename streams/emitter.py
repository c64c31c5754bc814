"""Push to browsers: write-only Socket.IO emitters and the cross-processor coalescer of ``positions``.

Emitters implement ``emit(event, data, room)`` in namespace ``/live``: :class:`SocketIOEmitter` publishes through
python-socketio's ``RedisManager`` on channel ``{p}:socketio`` (the web process's Flask-SocketIO listens there),
:class:`NullEmitter` drops everything, :class:`MemoryEmitter` keeps what it was given (tests, demos).

Namespace, events and rooms: :mod:`streams.contract`.
"""

from __future__ import annotations

import logging
import time

import orjson

from streams.contract import (
    DISTRICT_ROOM,
    EV_ALERTS,
    EV_POSITIONS,
    NAMESPACE,
    POSITION_FIELDS,
    room_for,
    rooms_of,
)

log = logging.getLogger(__name__)

# KEYS[1] the room's dirty hash, KEYS[2] the room's lock for this push window; ARGV[1] lock TTL ms.
# Only the processor whose SET NX wins takes the rows, and takes them atomically with their deletion.
FLUSH_ROOM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return false end
local rows = redis.call('HVALS', KEYS[1])
redis.call('DEL', KEYS[1])
return rows
"""


class NullEmitter:
    def emit(self, event: str, data, room: str) -> None:
        pass


class MemoryEmitter:
    """Keeps ``(event, data, room)`` tuples in ``sent``."""

    def __init__(self):
        self.sent: list[tuple[str, object, str]] = []

    def emit(self, event: str, data, room: str) -> None:
        self.sent.append((event, data, room))


class SocketIOEmitter:
    """A write-only python-socketio ``RedisManager``: any process can emit, no server of its own."""

    def __init__(self, settings, url: str | None = None):
        try:
            import socketio
        except ImportError as e:  # pragma: no cover - a dependency of the project
            raise ImportError("SocketIOEmitter needs python-socketio: pip install python-socketio") from e
        self.manager = socketio.RedisManager(
            url or settings.redis_url, channel=settings.key("socketio"), write_only=True
        )

    def emit(self, event: str, data, room: str) -> None:
        self.manager.emit(event, data, namespace=NAMESPACE, room=room)


def emit_alerts(emitter, alerts: list[dict]) -> None:
    """One ``alerts`` message to the district and one to each street that has alerts."""
    if not alerts:
        return
    emitter.emit(EV_ALERTS, alerts, DISTRICT_ROOM)
    by_street: dict[str, list] = {}
    for a in alerts:
        if a.get("street"):
            by_street.setdefault(a["street"], []).append(a)
    for street, items in by_street.items():
        emitter.emit(EV_ALERTS, items, room_for(street))


class Coalescer:
    """Sends each room's accumulated rows as one ``positions`` message, at most once per ``push_interval_s``
    per room across all processors: ``{"t": server ms, "f": POSITION_FIELDS, "rows": [[...], ...]}``."""

    def __init__(self, client, settings, streets, emitter):
        self.client, self.settings, self.emitter = client, settings, emitter
        self.rooms = rooms_of(streets)
        self.script = client.register_script(FLUSH_ROOM)
        self.interval_s = settings.push_interval_s
        self._last_window = -1

    def flush(self, now: float | None = None) -> int:
        """Try once per push window; returns the number of ``positions`` messages sent by this process."""
        now = time.time() if now is None else now
        window = int(now // self.interval_s)
        if window == self._last_window:
            return 0
        self._last_window = window
        ttl_ms = int(self.interval_s * 2000) + 1000
        pipe = self.client.pipeline(transaction=False)
        for room in self.rooms:
            keys = [self.settings.key("dirty", room), self.settings.key("flush", room, str(window))]
            self.script(keys=keys, args=[ttl_ms], client=pipe)
        sent = 0
        for room, rows in zip(self.rooms, pipe.execute(), strict=True):
            if not rows:
                continue
            payload = {"t": int(now * 1000), "f": POSITION_FIELDS, "rows": [orjson.loads(r) for r in rows]}
            self.emitter.emit(EV_POSITIONS, payload, room)
            sent += 1
        return sent
