"""The ``visits`` push: every ``visits_push_s`` each street room that has a street screen open in this process
gets its workers' visit figures of the day (the contract's ``visits`` message, rows of ``VISIT_FIELDS``); and the
track prefetch that parses a street's tracks of today when its screen opens.

Runs in the web process (visits are derived from whole tracks, not from one ping, so the processors' per-batch
stages are the wrong place).  With several web processes, ``SET {p}:visits-push:{street}:{window} NX`` lets only
one of them compute and emit a street's figures per window; the message queue carries it to every process.
Both loops are :class:`dashboard.background.Background` chores created by ``create_app``.
"""

from __future__ import annotations

import logging
import queue
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from dashboard.background import Background
from streams.contract import EV_VISITS, NAMESPACE, STREET_ROOM_PREFIX, VISIT_FIELDS, room_for

log = logging.getLogger(__name__)
PREFETCH_EVERY_S = 60.0  # a street's tracks are parsed ahead at most once a minute


def visits_message(figures: dict, street: str, now: float | None = None) -> dict:
    """``VisitReader.day`` output → ``{"t", "date", "street", "f": VISIT_FIELDS, "rows"}``."""
    rows = [[w.get(k) for k in VISIT_FIELDS] for w in figures["workers"]]
    return {"t": int((time.time() if now is None else now) * 1000), "date": figures["date"], "street": street,
            "f": VISIT_FIELDS, "rows": rows}


def open_streets(socketio) -> list[str]:
    """Streets whose room has a participant connected to this process."""
    try:
        rooms = socketio.server.manager.rooms.get(NAMESPACE, {})
    except AttributeError:
        return []
    return sorted(r[len(STREET_ROOM_PREFIX):] for r, sids in rooms.items()
                  if r and r.startswith(STREET_ROOM_PREFIX) and sids)


def local_day(ctx, now: float) -> str:
    return datetime.fromtimestamp(now, ZoneInfo(ctx.settings.timezone)).date().isoformat()


def push_once(ctx, now: float | None = None) -> int:
    """Compute and emit the figures of every open street this process wins the window for; returns how many."""
    interval = ctx.web_settings.visits_push_s or 30.0
    now = time.time() if now is None else now
    window = int(now // interval)
    day = local_day(ctx, now)
    sent = 0
    for street in open_streets(ctx.socketio):
        lock = ctx.settings.key("visits-push", street, str(window))
        if not ctx.redis_client.set(lock, "1", nx=True, px=int(interval * 2000)):
            continue
        figures = ctx.visits.day(day, street)
        ctx.socketio.emit(EV_VISITS, visits_message(figures, street, now), namespace=NAMESPACE, to=room_for(street))
        sent += 1
    return sent


def visits_push(ctx) -> Background:
    """The loop that calls :func:`push_once` every ``visits_push_s``."""
    return Background("visits-push", lambda: push_once(ctx), interval_s=ctx.web_settings.visits_push_s,
                      wait_first=True)


class TrackPrefetch:
    """Parse a street's tracks of today into the cache ahead of its supervisor's first track or replay request.

    :meth:`want` is what a page calls (it never starts a thread); the parse runs in this chore's own loop, at most
    once a minute per street.
    """

    def __init__(self, ctx):
        self.ctx = ctx
        self._wanted: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._done: dict[str, float] = {}
        self.loop = Background("track-prefetch", self._round)

    def want(self, street: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if now - self._done.get(street, 0.0) >= PREFETCH_EVERY_S:
            self._done[street] = now
            self._wanted.put(street)

    def _round(self) -> None:
        try:
            street = self._wanted.get(timeout=0.5)
        except queue.Empty:
            return
        self.ctx.visits.day(local_day(self.ctx, time.time()), street)

    def start(self) -> TrackPrefetch:
        self.loop.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self.loop.stop(timeout_s)
