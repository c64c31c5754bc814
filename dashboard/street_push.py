"""The ``visits`` push: every ``visits_push_s`` each street room that has a street screen open in this process
gets its workers' visit figures of the day (the contract's ``visits`` message, rows of ``VISIT_FIELDS``).

Runs in the web process (visits are derived from whole tracks, not from one ping, so the processors' per-batch
stages are the wrong place).  With several web processes, ``SET {p}:visits-push:{street}:{window} NX`` lets only
one of them compute and emit a street's figures per window; the message queue carries it to every process.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from streams.contract import EV_VISITS, NAMESPACE, STREET_ROOM_PREFIX, VISIT_FIELDS, room_for

log = logging.getLogger(__name__)


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


def push_once(ctx, now: float | None = None) -> int:
    """Compute and emit the figures of every open street this process wins the window for; returns how many."""
    from dashboard.street_api import visit_reader

    interval = ctx.web_settings.visits_push_s or 30.0
    now = time.time() if now is None else now
    window = int(now // interval)
    day = datetime.fromtimestamp(now, ZoneInfo(ctx.settings.timezone)).date().isoformat()
    sent = 0
    for street in open_streets(ctx.socketio):
        lock = ctx.settings.key("visits-push", street, str(window))
        if not ctx.redis_client.set(lock, "1", nx=True, px=int(interval * 2000)):
            continue
        figures = visit_reader(ctx).day(day, street)
        ctx.socketio.emit(EV_VISITS, visits_message(figures, street, now), namespace=NAMESPACE, to=room_for(street))
        sent += 1
    return sent


PREFETCH_EVERY_S = 60.0


def prefetch(ctx, street: str, now: float | None = None) -> None:
    """Parse the street's tracks of today into the cache in the background (at most once a minute per street), so
    the supervisor's first track or replay request does not pay the parse."""
    if ctx.redis_client is None:
        return
    now = time.time() if now is None else now
    done = ctx.server.extensions.setdefault("gridpulse.street_prefetch", {})
    if now - done.get(street, 0.0) < PREFETCH_EVERY_S:
        return
    done[street] = now
    day = datetime.fromtimestamp(now, ZoneInfo(ctx.settings.timezone)).date().isoformat()

    def run():
        from dashboard.street_api import visit_reader

        try:
            visit_reader(ctx).day(day, street)
        except Exception:
            log.warning("prefetch of %s failed", street, exc_info=True)

    threading.Thread(target=run, name=f"prefetch-{street}", daemon=True).start()


def ensure_visit_push(ctx) -> None:
    """Start this process's push loop once (on the first street page served)."""
    if not ctx.web_settings.visits_push_s or ctx.redis_client is None:
        return
    ext = ctx.server.extensions
    if ext.get("gridpulse.visits_push") is not None:
        return
    stop = threading.Event()
    ext["gridpulse.visits_push"] = stop

    def loop():
        while not stop.wait(ctx.web_settings.visits_push_s):
            try:
                push_once(ctx)
            except Exception:  # Redis hiccup: try again next window
                log.warning("visits push failed", exc_info=True)

    threading.Thread(target=loop, name="visits-push", daemon=True).start()
