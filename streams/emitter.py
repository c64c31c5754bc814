"""Push to browsers: write-only Socket.IO emitters and the cross-processor coalescer of ``positions``.

Emitters implement ``emit(event, data, room)`` in namespace ``/live``: :class:`SocketIOEmitter` publishes through
python-socketio's ``RedisManager`` on channel ``{p}:socketio`` (the web process's Flask-SocketIO listens there),
:class:`NullEmitter` drops everything, :class:`MemoryEmitter` keeps what it was given (tests, demos).

Namespace, events and rooms: :mod:`streams.contract`.
"""

from __future__ import annotations

import logging
import math

import orjson
from redis.backoff import NoBackoff
from redis.retry import Retry

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

# KEYS[1] the room's dirty hash, KEYS[2] the room's push lock; ARGV[1] the lock's life in ms (the push period).
# Only the processor whose SET NX wins takes the rows, atomically with their deletion, and stamps the message
# with Redis's clock (one clock for every processor).  Replies: nil = nothing to send; an integer = rows are
# waiting but the room pushed less than a period ago, retry in that many ms; [t ms, rows] = send these.
FLUSH_ROOM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  return math.max(redis.call('PTTL', KEYS[2]), 1)
end
local t = redis.call('TIME')
local rows = redis.call('HVALS', KEYS[1])
redis.call('DEL', KEYS[1])
return {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), rows}
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
    """A write-only python-socketio ``RedisManager``: any process can emit, no server of its own.

    It connects lazily and, when a publish fails, connects again once and then drops the message (python-socketio's
    ``_publish``); its client has the package's timeouts and no redis-py retry backoff of its own (redis-py's default
    would retry ten times, up to a second apart), so a publish while Redis is away costs the processor's loop a
    refused connection, not seconds.  What is dropped reaches the screens all the same: the web process lost Redis
    too, and resends each room's snapshot once it listens again (``dashboard/push/queue.py``).
    """

    def __init__(self, settings, url: str | None = None):
        try:
            import socketio
        except ImportError as e:  # pragma: no cover - a dependency of the project
            raise ImportError("SocketIOEmitter needs python-socketio: pip install python-socketio") from e
        options = {"socket_connect_timeout": settings.redis_timeout_s, "socket_timeout": settings.redis_timeout_s,
                   "retry": Retry(NoBackoff(), 0)}
        self.manager = socketio.RedisManager(
            url or settings.redis_url, channel=settings.key("socketio"), write_only=True, redis_options=options
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
    """Sends each room's changed rows as one ``positions`` message ``{"t": Redis ms, "f": POSITION_FIELDS,
    "rows": [[...], ...]}`` as soon as the room's push window allows, across all processors.

    A room's first change after a quiet spell goes out on the next :meth:`flush`; later changes wait until
    ``settings.push_period_s`` (the window, or ``1 / push_max_per_s`` if longer) has passed since the room's last
    message, whichever processor sent it.  :attr:`wake_in_s` tells the processor loop how soon rows it could not
    send yet become sendable, so that it does not sleep through the window in a blocking read.
    """

    def __init__(self, client, settings, streets, emitter):
        self.client, self.settings, self.emitter = client, settings, emitter
        self.rooms = rooms_of(streets)
        self.keys = [[settings.key("dirty", room), settings.key("push", room)] for room in self.rooms]
        self.script = client.register_script(FLUSH_ROOM)
        self.period_ms = max(1, math.ceil(settings.push_period_s * 1000))
        self.wake_in_s: float | None = None  # rows wait behind another message's window: retry in this many s

    def flush(self) -> int:
        """Send every room whose window is open; returns the number of ``positions`` messages sent."""
        pipe = self.client.pipeline(transaction=False)
        for keys in self.keys:
            self.script(keys=keys, args=[self.period_ms], client=pipe)
        sent, waits = 0, []
        for room, reply in zip(self.rooms, pipe.execute(), strict=True):
            if reply is None:
                continue
            if isinstance(reply, int):
                waits.append(reply / 1000)
                continue
            t_ms, rows = reply
            rows = orjson.loads(b"[" + b",".join(rows) + b"]")  # one parse for the room, not one per row
            payload = {"t": int(t_ms), "f": POSITION_FIELDS, "rows": rows}
            self.emitter.emit(EV_POSITIONS, payload, room)
            sent += 1
        self.wake_in_s = min(waits) if waits else None
        return sent
