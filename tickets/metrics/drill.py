"""Drill-down queries that :mod:`tickets.metrics` does not answer (yet): one GROUP BY or page each.

Every function counts the same cohort as the metrics, tickets *reported* in the period (local days, inclusive),
within the filters (``street``, ``community``, ``grid``, ``category``, ``major``, ``department``, ``source`` and
``tier``), so its figures add up with the metrics' figures of the same selection.

- :func:`department_extras`: per department, mean hours from dispatch to handled and the returns (回退);
- :func:`lights`: open tickets of the cohort by current step and time-limit light at ``now``;
- :func:`ticket_page`: one page of the cohort's tickets, newest first, and how many there are;
- :func:`summary`, :func:`series`, :func:`ranking`: the metrics' own functions, with a ``tier`` filter bridged here
  while ``tickets.metrics`` does not take one (its figures are computed with the metrics' own aggregates).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine, and_, case, func, literal, or_, select

from tickets.domain.states import OPEN_STATES, State
from tickets.metrics import closure, rollup
from tickets.store.models import tickets

C = tickets.c
FILTERS = {**closure.FILTERS, "tier": C.tier}
OPEN = sorted(s.value for s in OPEN_STATES)
LIGHTS = ("red", "yellow", "green", "none")
DEFINITIONS = {
    "avg_handle_h": "mean wall-clock hours from dispatch (派遣) to handled (反馈), tickets handled",
    "returns": "回退: times the department sent its tickets back (sum of returns), and the tickets returned at least once",
    "lights": "open tickets of the cohort by current step and its time-limit light at as_of: red past the step "
              "deadline (超期), yellow 80–100% of the limit used (督办), green below, none when the clock is stopped "
              "(挂账)",
}
TICKET_COLUMNS = ("id", "number", "reported_at", "category_code", "source", "street_code", "community_code",
                  "grid_code", "tier", "department", "state", "step_warn_at", "step_due_at", "closed_at",
                  "closed_on_time", "description")


def where(period: closure.Period, **filters) -> list:
    """The conditions of the cohort: reported in ``period``, within ``filters`` (``None`` values are no filter)."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filter(s) {', '.join(sorted(unknown))}")
    a, b = period.utc
    return [C.reported_at >= a, C.reported_at < b,
            *[FILTERS[k] == v for k, v in filters.items() if v is not None]]


def _hours(dialect: str, start, end):
    """Wall-clock hours between two timestamp columns, in SQL."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0  # SQLite keeps naive UTC text


def department_extras(engine: Engine, period: closure.Period, **filters) -> dict[str, dict]:
    """``{department: {"avg_handle_h", "n_handled", "returns", "returned"}}`` over the cohort's dispatched tickets."""
    handled = and_(C.handled_at.is_not(None), C.dispatched_at.is_not(None))
    hours = _hours(engine.dialect.name, C.dispatched_at, C.handled_at)
    stmt = (select(C.department, func.avg(case((handled, hours))).label("avg_h"),
                   func.count(case((handled, 1))).label("n_handled"),
                   func.coalesce(func.sum(C.return_count), 0).label("returns"),
                   func.count(case((C.return_count > 0, 1))).label("returned"))
            .where(*where(period, **filters), C.department.is_not(None)).group_by(C.department))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return {r.department: {"avg_handle_h": None if r.avg_h is None else round(float(r.avg_h), 2),
                           "n_handled": int(r.n_handled), "returns": int(r.returns), "returned": int(r.returned)}
            for r in rows}


def lights(engine: Engine, period: closure.Period, now: datetime | None = None, **filters) -> list[dict]:
    """Open tickets of the cohort per current step: ``[{"step", "red", "yellow", "green", "none", "open"}]``.

    The light is read from the stored instants exactly as :func:`tickets.metrics.board.light_of` reads it.
    """
    now = now or datetime.now(UTC)
    running = and_(C.step_due_at.is_not(None), C.state != State.SUSPENDED.value)
    red = and_(running, C.step_due_at < now)
    yellow = and_(running, C.step_due_at >= now, C.step_warn_at.is_not(None), C.step_warn_at <= now)
    green = and_(running, C.step_due_at >= now, or_(C.step_warn_at.is_(None), C.step_warn_at > now))

    def n(cond):
        return func.sum(case((cond, 1), else_=0))

    step = func.coalesce(C.step, literal("suspended"))
    stmt = (select(step.label("step"), n(red).label("red"), n(yellow).label("yellow"), n(green).label("green"),
                   func.count().label("open"))
            .where(*where(period, **filters), C.state.in_(OPEN)).group_by(step).order_by(step))
    with engine.connect() as conn:
        out = []
        for r in conn.execute(stmt).all():
            row = {"step": r.step, "red": int(r.red or 0), "yellow": int(r.yellow or 0), "green": int(r.green or 0),
                   "open": int(r.open)}
            row["none"] = row["open"] - row["red"] - row["yellow"] - row["green"]
            out.append(row)
    return out


def ticket_page(engine: Engine, period: closure.Period, *, page: int = 1, page_size: int = 20,
                **filters) -> tuple[list[dict], int]:
    """One page (1-based) of the cohort's tickets, newest first, and the number of tickets in the cohort."""
    cond = where(period, **filters)
    cols = [C[name] for name in TICKET_COLUMNS]
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(tickets).where(*cond)).scalar_one())
        rows = conn.execute(select(*cols).where(*cond).order_by(C.reported_at.desc(), C.id.desc())
                            .offset(max(page - 1, 0) * page_size).limit(page_size)).mappings().all()
    return [dict(r) for r in rows], total


# -- the metrics, with a tier filter ------------------------------------------------------------------------------
def _bridged(filters: dict) -> bool:
    """Whether ``filters`` need this module's tier bridge (``tickets.metrics`` filters on everything else)."""
    return filters.get("tier") is not None and "tier" not in closure.FILTERS


def summary(engine: Engine, period: closure.Period, level: str = "district", *, now: datetime | None = None,
            p90: bool = True, **filters) -> list[dict]:
    """:func:`tickets.metrics.summary`, also with ``tier=``."""
    if not _bridged(filters):
        return closure.summary(engine, period, level, now=now, p90=p90,
                               **{k: v for k, v in filters.items() if v is not None})
    now = now or datetime.now(UTC)
    key = closure.LEVELS[level] if closure.LEVELS[level] is not None else literal("district")
    rows = _grouped(engine, period, key, now, p90, filters)
    if level == "district" and not rows:
        rows = {"district": {**closure._counts({"key": "district", **{a.name: None for a in closure._aggregates(now)}}),
                             rollup.VALUES: np.asarray([], dtype=float)}}
    out = []
    for k in sorted(rows, key=closure._sort_key):
        r = rows[k]
        values = r.pop(rollup.VALUES, None)
        r = closure._rates(r)
        s = rollup.nearest_rank(values) if values is not None else None
        r["p90_close_h"] = round(s / 3600, 2) if s is not None else None
        out.append(r)
    return out


def series(engine: Engine, period: closure.Period, by: str = "day", *, now: datetime | None = None,
           **filters) -> list[dict]:
    """:func:`tickets.metrics.series`, also with ``tier=``."""
    if not _bridged(filters):
        return closure.series(engine, period, by, now=now, **{k: v for k, v in filters.items() if v is not None})
    now = now or datetime.now(UTC)
    key = closure._local_bucket(engine.dialect.name, period.tz, by)
    rows = _grouped(engine, period, key, now, False, filters)
    out = []
    for k in sorted(rows, key=closure._sort_key):
        r = rows[k]
        if by == "hour":
            r["key"] = int(r["key"])
        out.append(closure._rates(r))
    return out


def ranking(engine: Engine, period: closure.Period, of: str, *, now: datetime | None = None, **filters) -> list[dict]:
    """:func:`tickets.metrics.ranking` (streets, communities, grids, departments), also with ``tier=``."""
    if not _bridged(filters):
        return closure.ranking(engine, period, of, now=now, **{k: v for k, v in filters.items() if v is not None})
    level = {"streets": "street", "communities": "community", "departments": "department", "grids": "grid"}[of]
    rows = [r for r in summary(engine, period, level, now=now, p90=False, **filters) if r["key"] is not None]
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), str(r["key"])))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def _grouped(engine, period, key, now, values: bool, filters: dict) -> dict:
    cond = where(period, **filters)
    with engine.connect() as conn:
        stmt = select(key.label("key"), *closure._aggregates(now)).where(*cond).group_by(key)
        rows = {r["key"]: closure._counts(dict(r)) for r in conn.execute(stmt).mappings()}
        if values:
            found: dict = {}
            for k, v in conn.execute(select(key, C.close_s).where(*cond, C.close_s.is_not(None))).all():
                found.setdefault(k, []).append(v)
            for k, row in rows.items():
                row[rollup.VALUES] = np.asarray(found.get(k, ()), dtype=float)
    return rows
