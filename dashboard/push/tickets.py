"""The ticket half of the live push: read the ticket-event stream, push ``tickets`` messages to the rooms.

The ticket store's outbox relay writes every ticket event to ``{p}:ticket-events``; here one consumer group
(``ticket-push``) shared by every web node reads it, so each event is pushed once whatever the number of nodes,
through the same Socket.IO path (and message queue) as positions. A message is ``{t, f: TICKET_FIELDS, rows}``;
the row carries the ticket's light and whether it is still open *now* (read back from the store in one query per
batch), so a screen needs nothing else to keep its heat layer and feed right. The district room gets every event,
each street room its own.

>>> push = TicketPush(redis_client, service, emit, stream="gp:ticket-events").start()  # doctest: +SKIP
>>> push.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

import orjson
import redis

from dashboard.background import Background
from streams.contract import DISTRICT_ROOM, EV_TICKETS, NAMESPACE, TICKET_FIELDS, room_for
from tickets.metrics.board import ticket_points

log = logging.getLogger(__name__)
GROUP = "ticket-push"
SEEN_MAX = 5000  # events remembered to drop the outbox's rare repeats (at-least-once delivery)


def ticket_rows(events: list[dict], points: dict[int, dict]) -> list[list]:
    """Outbox events + the tickets as they are now → rows in :data:`TICKET_FIELDS` order (pure)."""
    rows = []
    for e in events:
        p = points.get(int(e["ticket_id"]))
        at = datetime.fromisoformat(e["at"]).timestamp() if e.get("at") else time.time()
        base = p or {"id": e["ticket_id"], "no": e.get("number"), "lon": e.get("lon"), "lat": e.get("lat"),
                     "light": None, "grid": e.get("grid_code"), "street": e.get("street_code"),
                     "category": e.get("category_code"), "state": e.get("to_state"), "open": 0, "overdue": 0}
        row = {**base, "event": e.get("action"), "ts": round(at, 3)}
        rows.append([row.get(k) for k in TICKET_FIELDS])
    return rows


def rows_now(engine, events: list[dict], now: datetime) -> list[list]:
    """Outbox events → rows, each with its ticket as it is ``now`` (one query for the batch). What the push sends
    and what ``GET /api/v1/tickets/events`` answers, built alike."""
    return ticket_rows(events, ticket_points(engine, [e["ticket_id"] for e in events], now))


def decode(entries, seen: OrderedDict | None = None) -> list[dict]:
    """Entries of the ticket-event stream → events, in their order. A repeat (the outbox delivers at least once)
    already in ``seen`` is dropped and every new one remembered there (at most :data:`SEEN_MAX`); an unreadable entry
    is logged and skipped.

    A repeat is the same ``event_id`` *and* the same event: on SQLite the outbox's ids start again from 1 whenever
    the relay has emptied the table (an INTEGER PRIMARY KEY without AUTOINCREMENT reuses them), so an id alone
    would drop new events as repeats."""
    seen = OrderedDict() if seen is None else seen
    events = []
    for _id, fields in entries:
        key = (fields.get(b"event_id"), hashlib.blake2b(fields.get(b"event") or b"", digest_size=16).digest())
        if key in seen:
            continue
        seen[key] = None
        while len(seen) > SEEN_MAX:
            seen.popitem(last=False)
        try:
            events.append(orjson.loads(fields[b"event"]))
        except (KeyError, orjson.JSONDecodeError):
            log.warning("ticket event %s is unreadable; skipped", _id)
    return events


def messages_by_room(rows: list[list], now_ms: int) -> dict[str, dict]:
    """One ``tickets`` message for the district room and one per street room that has rows (pure)."""
    street_at = TICKET_FIELDS.index("street")
    out = {DISTRICT_ROOM: {"t": now_ms, "f": TICKET_FIELDS, "rows": rows}}
    for row in rows:
        if row[street_at]:
            out.setdefault(room_for(row[street_at]), {"t": now_ms, "f": TICKET_FIELDS, "rows": []})["rows"].append(row)
    return out


class TicketPush:
    """Turns ticket events into ``tickets`` pushes in a :class:`Background` loop. ``emit(event, data, room)`` sends
    one message."""

    def __init__(self, client, service, emit: Callable[[str, dict, str], None], *, stream: str,
                 consumer: str | None = None, block_ms: int = 1000, count: int = 200):
        self.client, self.service, self.emit, self.stream = client, service, emit, stream
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.block_ms, self.count = block_ms, count
        self.pushed = 0
        self._seen: OrderedDict[tuple, None] = OrderedDict()
        self._group_ready = False
        self.loop = Background("ticket-push", self._round)

    def start(self) -> TicketPush:
        self.loop.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self.loop.stop(timeout_s)

    def _ensure_group(self) -> None:
        try:
            # "$": a live screen wants what happens from now on; the 15 s refresh covers what came before.
            self.client.xgroup_create(self.stream, GROUP, id="$", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def step(self) -> int:
        """Read one batch (blocking up to ``block_ms``), push it, acknowledge it; returns the events pushed."""
        if not self._group_ready:
            self._ensure_group()
        try:
            got = self.client.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=self.count,
                                         block=self.block_ms)
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):  # the stream was deleted or trimmed away: make the group again
                self._group_ready = False
                return 0
            raise
        if not got:
            return 0
        entries = got[0][1]
        events = decode(entries, self._seen)
        if events:
            now = datetime.now(UTC)
            rows = rows_now(self.service.store.engine, events, now)
            for room, msg in messages_by_room(rows, int(now.timestamp() * 1000)).items():
                self.emit(EV_TICKETS, msg, room)
            self.pushed += len(events)
        self.client.xack(self.stream, GROUP, *[i for i, _ in entries])
        return len(events)

    def _round(self) -> None:
        try:
            self.step()
        except Exception:  # Redis or SQL down: make sure of the group again on the next beat
            self._group_ready = False
            raise


def socketio_emit(socketio) -> Callable[[str, dict, str], None]:
    """``emit(event, data, room)`` through a Flask-SocketIO server (and its message queue, to every node)."""

    def emit(event: str, data: dict, room: str) -> None:
        socketio.emit(event, data, namespace=NAMESPACE, to=room)

    return emit
