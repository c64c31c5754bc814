"""Field-like tickets: a fast history backfill and a live flow, at Dongli's rates scaled to the district.

Dongli: about 575 new tickets a day over 1,147 grids (210,000 a year; working days more, weekends and holidays
fewer), a third of them safety and stability, about 98% eventually closed (of the tickets older than 30 days); some self-handled, returned, reworked, extended, suspended and escalated. Each ticket
walks the state machine through :mod:`tickets.policy` and the same pure effects as the live service,
so a backfilled ticket's columns and history are exactly what the API would have written.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import shapely

from tickets import policy
from tickets.domain import effects
from tickets.domain.actors import Actor
from tickets.domain.errors import TicketError
from tickets.domain.machine import Decision
from tickets.domain.states import FINAL_STATES, OPEN_STATES, TRANSITIONS, State, Tier
from tickets.service import NewTicket, TicketService

DONGLI_GRIDS = 1147
DONGLI_PER_DAY = 575.0  # 210,000 a year over all days (weekends and holidays included)
OFF_DAY_RATE = 0.6  # a weekend or holiday's tickets relative to a working day's
SOURCES = (("worker_patrol", 0.70), ("hotline_12345", 0.15), ("resident_app", 0.10), ("video", 0.05))
# local reporting hours per source: (start_h, end_h, share); the rest falls anywhere in the day
HOURS = {"worker_patrol": (8.5, 17.5, 0.9), "hotline_12345": (8.0, 22.0, 0.95),
         "resident_app": (7.0, 23.0, 0.9), "video": (0.0, 24.0, 1.0)}


def scale(district) -> float:
    """The district's size relative to Dongli, by grid count."""
    return len(district.grids) / DONGLI_GRIDS


def random_points(district, grid_idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A uniform random point inside each chosen grid (rejection sampling in its bounds)."""
    geoms = district.grids.geometry.to_numpy()
    lon, lat = np.empty(len(grid_idx)), np.empty(len(grid_idx))
    for g in np.unique(grid_idx):
        sel = np.flatnonzero(grid_idx == g)
        x0, y0, x1, y1 = geoms[g].bounds
        todo = sel
        while len(todo):
            x = rng.uniform(x0, x1, len(todo) * 2)
            y = rng.uniform(y0, y1, len(todo) * 2)
            ok = shapely.contains_xy(geoms[g], x, y)
            x, y = x[ok][: len(todo)], y[ok][: len(todo)]
            lon[todo[: len(x)]], lat[todo[: len(x)]] = x, y
            todo = todo[len(x):]
    return lon, lat


def report_times(day: date, n: int, sources: list[str], rng: np.random.Generator, tz) -> list[datetime]:
    out = []
    for s in sources[:n]:
        a, b, share = HOURS[s]
        h = rng.uniform(a, b) if rng.random() < share else rng.uniform(0, 24)
        out.append((datetime.combine(day, time(), tz) + timedelta(hours=float(h))).astimezone(UTC))
    return out


class _Actors:
    """Who takes each action in the simulation (names as they appear in histories)."""

    def __init__(self, svc: TicketService):
        self.svc = svc
        g = svc.district.grids
        self.street_names = dict(zip(g["street_code"], g["street_name"], strict=True))

    def for_action(self, t: dict, action: str) -> Actor:
        role = policy.ROLE_OF[action]
        if role == "street" and t["tier"] == Tier.DISTRICT:
            return Actor(role="district", name="区网格化管理中心")
        if role == "street":
            return Actor(role="street", name=self.street_names.get(t["street_code"], "街道"),
                         street_code=t["street_code"])
        if role == "department":
            dep = self.svc.catalog.departments[t["department"]]
            return Actor(role="department", name=dep.name, department=dep.code)
        wid = t.get("grid_worker_id")
        if wid:
            return Actor(role="worker", name=wid, worker_id=wid)
        return Actor(role="district", name="区网格化管理中心")


def _decision(t: dict, action: str) -> Decision:
    to_state = TRANSITIONS[action][1] or State(t["state"])
    tier = Tier(t["tier"])
    return Decision(action, to_state, tier.up() if action == "escalate" else tier, None)


def backfill(store, district, days: int = 90, seed: int = 0, now: datetime | None = None, settings=None,
             per_day: float | None = None) -> int:
    """Write ``days`` of history ending at ``now`` with bulk inserts; returns the number of tickets.

    Tickets whose next step would fall after ``now`` stay in the state they reached, so the store
    looks like a live district: recent tickets open, older ones closed, a few overdue.
    """
    svc = TicketService(store, district, settings)
    now = now or datetime.now(UTC)
    rng, prng = np.random.default_rng(seed), random.Random(seed)
    per_day = per_day if per_day is not None else DONGLI_PER_DAY * scale(district)
    actors = _Actors(svc)
    cats = list(svc.catalog.categories.values())
    weights = np.array([c.weight for c in cats]) / sum(c.weight for c in cats)
    tz = svc.calendar.tz
    next_id = store.max_id() + 1
    grid_rows = district.grids[["code", "community_code", "street_code"]].to_dict("records")
    ticket_rows, transition_rows = [], []
    first = now.astimezone(tz).date() - timedelta(days=days - 1)
    span = [first + timedelta(days=k) for k in range(days)]
    rate = np.array([1.0 if svc.calendar.is_workday(day) else OFF_DAY_RATE for day in span])
    rate *= per_day / rate.mean()  # ``per_day`` is the mean over all days: working days get more, off days fewer
    for day, day_rate in zip(span, rate, strict=True):
        n = int(rng.poisson(day_rate))
        if n == 0:
            continue
        src = list(rng.choice([s for s, _ in SOURCES], size=n, p=[p for _, p in SOURCES]))
        grid_idx = rng.integers(0, len(district.grids), n)
        lon, lat = random_points(district, grid_idx, rng)
        cat_idx = rng.choice(len(cats), size=n, p=weights)
        for i, at in enumerate(report_times(day, n, src, rng, tz)):
            if at > now:
                continue
            grid = grid_rows[int(grid_idx[i])]
            t = _new_row(svc, next_id, cats[cat_idx[i]], src[i], float(lon[i]), float(lat[i]), grid, at)
            hist = [effects.report_row(next_id, t, at)]
            t = _walk(svc, t, hist, actors, prng, now)
            ticket_rows.append(t)
            transition_rows.extend(hist)
            next_id += 1
    store.bulk_insert(ticket_rows, transition_rows)
    return len(ticket_rows)


def _new_row(svc, tid, cat, source, lon, lat, grid, at) -> dict:
    worker = svc.grid_worker.get(grid["code"])
    by_worker = source == "worker_patrol" and worker
    return {
        "id": tid, "number": f"{svc.district.admin_code}{at.astimezone(svc.calendar.tz):%Y%m%d}{tid:07d}",
        "version": 1, "category_code": cat.code, "major_code": cat.major_code, "source": source,
        "description": f"{cat.name}（模拟）", "lon": lon, "lat": lat, "address": None,
        "grid_code": grid["code"], "community_code": grid["community_code"], "street_code": grid["street_code"],
        "grid_worker_id": worker, "tier": "community", "department": None, "state": "REPORTED",
        "reporter_name": worker if by_worker else {"hotline_12345": "12345热线", "resident_app": "居民",
                                                   "video": "视频巡查"}.get(source, "网格员"),
        "reporter_role": "worker" if by_worker else "public", "reporter_worker_id": worker if by_worker else None,
        "contact": None, "media_url": None, "parent_id": None, "reported_at": at, "updated_at": at,
        "registered_at": None, "dispatched_at": None, "signed_at": None, "handled_at": None, "closed_at": None,
        "voided_at": None, "self_handled": False, "handle_due_at": None, "close_due_at": None,
        "suspended_at": None, "step_remaining_s": None, "handle_remaining_s": None, "close_remaining_s": None,
        "handled_on_time": None, "closed_on_time": None, "close_s": None, "handle_s": None,
        "pending_request": None,
        "rework_count": 0, "return_count": 0, "extension_count": 0, "suspension_count": 0, "escalation_count": 0,
        **svc.deadlines.start_step(cat.code, State.REPORTED, at),
    }


def _walk(svc, t: dict, hist: list, actors: _Actors, rng: random.Random, now: datetime) -> dict:
    """Advance ``t`` through the policy until it is final or its next step lies after ``now``."""
    at = t["reported_at"]
    for _ in range(40):  # a ticket's path is short; this only guards against a policy loop
        if t["state"] in FINAL_STATES:
            break
        action, extra = policy.next_action(t, rng, svc.catalog)
        at = policy.when(svc, t, action, at, rng)
        if at > now:
            break
        t = _apply(svc, t, action, extra, actors.for_action(t, action), at, hist)
    return t


def _apply(svc, t, action, extra, actor, at, hist) -> dict:
    d = _decision(t, action)
    values = effects.apply(svc.deadlines, t, d, at, department=extra.get("department"),
                           extra_s=extra.get("extra_s", 0.0))
    row = effects.transition_row(t, d, actor, at, extra.get("note"), extra.get("department"))
    hist.append(row)
    return {**t, **values, "version": t["version"] + 1}


class TicketFlow:
    """New tickets and progress on open ones, through the real service (so events reach the outbox).

    Parameters
    ----------
    store, district : as for :class:`TicketService`.
    seed : random seed.
    speed : time compression: 60 makes an hour of field activity happen in a minute.
    service : an existing service to use (its clock is ignored; ``step`` takes ``now``).
    """

    def __init__(self, store, district, seed: int = 0, speed: float = 1.0, service: TicketService | None = None,
                 settings=None):
        self.svc = service or TicketService(store, district, settings)
        self.rng, self.nrng = random.Random(seed), np.random.default_rng(seed)
        self.speed = speed
        self.actors = _Actors(self.svc)
        self.per_day = DONGLI_PER_DAY * scale(district)
        self.cats = list(self.svc.catalog.categories.values())
        self.last: datetime | None = None

    def step(self, now: datetime | None = None) -> dict:
        """Create the tickets due since the last step and advance open ones; returns counts."""
        now = now or datetime.now(UTC)
        dt_s = 0.0 if self.last is None else max(0.0, (now - self.last).total_seconds()) * self.speed
        self.last = now
        made = moved = 0
        n = int(self.nrng.poisson(self.per_day * dt_s / 86400.0))
        if n:
            grid_idx = self.nrng.integers(0, len(self.svc.district.grids), n)
            lon, lat = random_points(self.svc.district, grid_idx, self.nrng)
            for i in range(n):
                cat = self.rng.choices(self.cats, weights=[c.weight for c in self.cats])[0]
                source = self.rng.choices([s for s, _ in SOURCES], weights=[p for _, p in SOURCES])[0]
                grid = self.svc.district.grids.iloc[int(grid_idx[i])]
                wid = self.svc.grid_worker.get(grid["code"])
                actor = (Actor(role="worker", name=wid, worker_id=wid) if source == "worker_patrol" and wid
                         else Actor(role="district", name="12345热线"))
                self.svc.create(NewTicket(cat.code, float(lon[i]), float(lat[i]), f"{cat.name}（模拟）", source),
                                actor, now=now)
                made += 1
        if dt_s > 0:
            moved = self._advance(now, dt_s)
        notices = self.svc.sweep(now)
        return {"created": made, "advanced": moved, "notices": notices}

    def _advance(self, now: datetime, dt_s: float) -> int:
        from tickets.store.models import tickets as T

        rows, _ = self.svc.store.list([T.c.state.in_([s.value for s in OPEN_STATES])], limit=2000,
                                      order=[T.c.updated_at])
        moved = 0
        for t in rows:
            action, extra = policy.next_action(t, self.rng, self.svc.catalog)
            mean_s = policy.mean_wall_s(self.svc, t, action)
            if self.rng.random() >= 1 - np.exp(-dt_s / mean_s):
                continue
            try:
                self.svc.act(t["id"], action, self.actors.for_action(t, action), note=extra.get("note"),
                             department=extra.get("department"), version=t["version"],
                             photos=extra.get("photos"), now=now,
                             extension_hours=extra.get("extra_s", 0) / 3600 or None)
                moved += 1
            except TicketError:  # a refused simulated step (stale, scope) is simply skipped
                continue
        return moved
