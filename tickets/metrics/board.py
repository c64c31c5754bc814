"""The live board of open tickets: where they are and how urgent, and the supervision (督办) list.

The wall screen's heat layer and overdue list read these; both are one indexed query over open tickets.
A light is the current step's time-limit light, read from the stored instants exactly as the metrics read them:
``red`` past the step deadline (超期), ``yellow`` 80–100% of the limit used (督办), ``green`` otherwise, ``None``
when no clock runs (suspended 挂账).

Examples
--------
>>> points = open_points(store.engine, now)  # doctest: +SKIP
>>> points["f"], len(points["rows"])  # doctest: +SKIP
(['id', 'no', 'lon', 'lat', 'light', 'grid', 'street', 'category', 'state'], 412)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from tickets.domain.states import OPEN_STATES, State
from tickets.store.models import tickets

C = tickets.c
POINT_FIELDS = ["id", "no", "lon", "lat", "light", "grid", "street", "category", "state"]
OVERDUE_DEFINITION = ("超期督办：当前环节已超过时限的在办工单，按超期时长排序；超期时长 = 当前时间 − 环节截止时间（自然小时）。"
                      " · Overdue: open tickets whose current step is past its time limit, most overdue first; "
                      "hours over = now − step deadline (wall-clock hours).")
_OPEN = [s.value for s in OPEN_STATES]


def light_of(state: str, warn_at: datetime | None, due_at: datetime | None, now: datetime) -> str | None:
    """The time-limit light of an open ticket's current step at ``now``."""
    if due_at is None or state == State.SUSPENDED.value:
        return None
    if now > due_at:
        return "red"
    return "yellow" if warn_at is not None and now >= warn_at else "green"


def open_points(engine: Engine, now: datetime, *, street: str | None = None) -> dict:
    """Every open ticket with its location and light: ``{"f": POINT_FIELDS, "rows": [[...], ...]}``."""
    # unlocated tickets (an Open311 report with only an address) have no place on a map
    q = select(C.id, C.number, C.lon, C.lat, C.grid_code, C.street_code, C.category_code, C.state, C.step_warn_at,
               C.step_due_at).where(C.state.in_(_OPEN), C.lon.is_not(None), C.lat.is_not(None))
    if street:
        q = q.where(C.street_code == street)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(C.id)).all()
    out = [[r.id, r.number, round(r.lon, 6), round(r.lat, 6), light_of(r.state, r.step_warn_at, r.step_due_at, now),
            r.grid_code, r.street_code, r.category_code, r.state] for r in rows]
    return {"f": POINT_FIELDS, "rows": out}


def overdue(engine: Engine, now: datetime, *, street: str | None = None, limit: int = 50) -> list[dict]:
    """Open tickets past their step deadline, most overdue first, with the hours over the limit."""
    q = (select(C.id, C.number, C.street_code, C.grid_code, C.category_code, C.state, C.tier, C.department,
                C.step_due_at)
         .where(C.state.in_(_OPEN), C.state != State.SUSPENDED.value, C.step_due_at < now)
         .order_by(C.step_due_at).limit(limit))
    if street:
        q = q.where(C.street_code == street)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [{"id": r.id, "number": r.number, "street": r.street_code, "grid": r.grid_code,
             "category": r.category_code, "state": r.state, "tier": r.tier, "department": r.department,
             "hours_over": round((now - r.step_due_at).total_seconds() / 3600, 1)} for r in rows]


def ticket_points(engine: Engine, ids, now: datetime) -> dict[int, dict]:
    """Tickets as the live screens see them after an event: location, light, still open or not; by id."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return {}
    q = select(C.id, C.number, C.lon, C.lat, C.grid_code, C.street_code, C.category_code, C.state, C.step_warn_at,
               C.step_due_at).where(C.id.in_(ids))
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    out = {}
    for r in rows:
        is_open = r.state in _OPEN
        light = light_of(r.state, r.step_warn_at, r.step_due_at, now) if is_open else None
        out[r.id] = {"id": r.id, "no": r.number, "lon": _round(r.lon), "lat": _round(r.lat), "light": light,
                     "grid": r.grid_code, "street": r.street_code, "category": r.category_code, "state": r.state,
                     "open": 1 if is_open else 0, "overdue": 1 if light == "red" else 0}
    return out


def _round(v):
    return None if v is None else round(v, 6)
