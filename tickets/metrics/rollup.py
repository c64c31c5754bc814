"""Month partials of settled tickets, cached: a year or five of metrics add up cached months instead of rescanning.

A ticket that is closed or voided never changes again, so every figure over the *settled* tickets reported in a
past month is fixed, whatever ``now`` is (the "now" figures concern open tickets only). A period is computed as

- its ragged edges (days before the first whole month, after the last): every ticket, straight from SQL;
- the open tickets reported in its whole months: few, found through the ``(state, reported_at)`` index;
- the settled tickets of each whole month: a cached partial, valid while the month's count of settled tickets is
  the one it was computed at (a ticket settling, or a late insert, changes it and the month is recomputed).

Partials hold the raw counts (additive), the sum and count of close times (for the mean) and, when a percentile is
asked for, the close times themselves (a month of a Dongli-sized district is about 17,000 floats).
The cache is per engine and per process, bounded (least recently used first out), and safe across threads.
Behind it, the same partials are kept in the SQL store's ``metrics_rollup`` table (:mod:`tickets.metrics.rollup_table`),
so a restarted process or a new web node reads them instead of recomputing (a cold five-year step: seconds → well
under one); both levels are checked against the month's settled count, so neither can serve a stale figure.
"""

from __future__ import annotations

import bisect
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import Connection, Engine, func, select

from tickets.domain.states import OPEN_STATES
from tickets.metrics import rollup_table
from tickets.store.models import tickets

C = tickets.c
OPEN = sorted(s.value for s in OPEN_STATES)
VALUES = rollup_table.VALUES  # the key of a partial row holding its close times (np.ndarray)

Rows = dict[Hashable, dict]  # key → raw counts (and maybe VALUES)
Query = Callable[..., Rows]  # (connection, extra WHERE conditions, month=None) → rows


@dataclass(frozen=True)
class Span:
    """Local days ``start``..``end`` inclusive."""

    start: date
    end: date


def split(start: date, end: date) -> tuple[list[Span], list[Span]]:
    """``(edges, months)``: the whole calendar months inside ``start..end`` and the days around them."""
    first = start if start.day == 1 else _next_month(start)
    months = []
    m = first
    while _next_month(m) - timedelta(days=1) <= end:
        months.append(Span(m, _next_month(m) - timedelta(days=1)))
        m = _next_month(m)
    if not months:
        return [Span(start, end)], []
    edges = []
    if start < months[0].start:
        edges.append(Span(start, months[0].start - timedelta(days=1)))
    if months[-1].end < end:
        edges.append(Span(months[-1].end + timedelta(days=1), end))
    return edges, months


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def merge(parts: list[Rows]) -> Rows:
    """Add partials key by key: counts and sums add up, close times are concatenated."""
    out: Rows = {}
    for part in parts:
        for key, row in part.items():
            acc = out.get(key)
            if acc is None:
                out[key] = dict(row)
                continue
            for name, value in row.items():
                if name == "key":
                    continue
                if name == VALUES:
                    if VALUES in acc:
                        acc[VALUES] = np.concatenate([acc[VALUES], value])
                elif value is not None:
                    acc[name] = value if acc.get(name) is None else acc[name] + value
    return out


def nearest_rank(values: np.ndarray, q: float = 0.9) -> float | None:
    """The nearest-rank percentile (what ``percentile_disc`` returns): the ⌈q·n⌉-th smallest value."""
    n = len(values)
    if n == 0:
        return None
    x = q * n
    rank = max(int(x) + (1 if x > int(x) else 0), 1)
    return float(np.partition(values, rank - 1)[rank - 1])


class MonthCache:
    """Partials of settled tickets by (engine, query, month), each tagged with the month's settled count."""

    def __init__(self, maxsize: int = 4000):
        self.maxsize = maxsize
        self._by_engine: weakref.WeakKeyDictionary[Engine, OrderedDict] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, engine: Engine, key: tuple, settled: int, need_values: bool) -> Rows | None:
        with self._lock:
            entries = self._by_engine.get(engine)
            found = entries.get(key) if entries is not None else None
            if found is None or found[0] != settled or (need_values and not found[1]):
                self.misses += 1
                return None
            entries.move_to_end(key)
            self.hits += 1
            return found[2]

    def put(self, engine: Engine, key: tuple, settled: int, has_values: bool, rows: Rows) -> None:
        with self._lock:
            entries = self._by_engine.setdefault(engine, OrderedDict())
            entries[key] = (settled, has_values, rows)
            entries.move_to_end(key)
            while len(entries) > self.maxsize:
                entries.popitem(last=False)

    def size(self, engine: Engine) -> int:
        """Cached partials of ``engine``."""
        with self._lock:
            return len(self._by_engine.get(engine, ()))

    def clear(self) -> None:
        with self._lock:
            self._by_engine.clear()


CACHE = MonthCache()


def compute(engine: Engine, start: date, end: date, to_utc, query: Query, query_key: tuple, need_values: bool,
            month_label, cache: MonthCache = CACHE, shared: bool = True) -> Rows:
    """Rows of ``query`` over tickets reported on local days ``start..end``, whole months from ``cache``.

    ``to_utc(span)`` gives a span's UTC half-open ``(a, b)``; ``query(conn, where, month=None)`` runs one GROUP BY
    with the extra conditions ``where`` and returns raw rows by key, or by ``(month label, key)`` when given the
    SQL expression ``month_label`` (local ``YYYY-MM``): months missing from the cache are filled in one query.
    With ``shared``, months missing from this process's cache are read from the ``metrics_rollup`` table before
    they are computed, and computed ones are stored there for every other process.
    """
    edges, months = split(start, end)
    parts: list[Rows] = []
    filled: list[tuple[Span, int, Rows]] = []
    with _snapshot(engine) as conn:  # one read transaction: one consistent snapshot for every part
        for span in edges:
            parts.append(query(conn, _window(to_utc(span))))
        if months:
            a, _ = to_utc(months[0])
            _, b = to_utc(months[-1])
            open_where = [C.state.in_(OPEN), C.reported_at >= a, C.reported_at < b]
            if engine.dialect.name == "sqlite":
                # Through a subquery on the (state, reported_at) index: given a GROUP BY street_code, SQLite would
                # rather skip-scan the (street_code, reported_at) index and test every ticket's state (1.2 s, not
                # 12 ms). PostgreSQL picks the index itself, and would hash-join the subquery over a full scan.
                open_where = [C.id.in_(select(C.id).where(*open_where))]
            parts.append(query(conn, open_where))
            settled = _settled_counts(conn, [to_utc(m) for m in months], a, b)
            missing = []
            for span, n in zip(months, settled, strict=True):
                rows = cache.get(engine, (query_key, span.start), n, need_values)
                if rows is None:
                    missing.append((span, n))
                else:
                    parts.append(rows)
            if missing and shared:
                missing = _from_table(engine, conn, missing, query_key, need_values, cache, parts)
            filled = _fill(engine, conn, missing, to_utc, query, query_key, need_values, month_label, cache)
            parts.extend(rows for _, _, rows in filled)
    if shared and filled:  # after the read transaction: a write never holds up the snapshot
        rollup_table.save(engine, query_key, [(span.start, n, need_values, rows) for span, n, rows in filled])
    merged = merge(parts)
    if not need_values:  # a cached month may carry close times nobody asked for
        for row in merged.values():
            row.pop(VALUES, None)
    return merged


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection reading one snapshot, so that a month partial is tagged with the settled count of the very
    snapshot it was computed in and no ticket is counted both open and settled: PostgreSQL's default READ COMMITTED
    takes a new snapshot per statement, and Python's sqlite3 runs each SELECT in its own (WAL) read transaction
    unless one is begun explicitly."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        elif engine.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN")  # deferred: the snapshot is taken by the first read; closing rolls back
        yield conn


def _from_table(engine, conn, missing, query_key, need_values, cache, parts) -> list[tuple[Span, int]]:
    """Take what ``metrics_rollup`` holds at the right settled count into ``parts`` (and this process's cache);
    return the months still missing."""
    stored = rollup_table.load(conn, query_key, [span.start for span, _ in missing], need_values)
    still = []
    for span, n in missing:
        found = stored.get(span.start)
        if found is not None and found[0] == n:
            cache.put(engine, (query_key, span.start), n, found[1], found[2])
            parts.append(found[2])
        else:
            still.append((span, n))
    return still


def _fill(engine, conn, missing, to_utc, query, query_key, need_values, month_label, cache) -> list:
    """Compute and cache the settled partials of ``missing`` months: one month alone, several in one GROUP BY.
    Returns ``(span, settled, rows)`` of each."""
    if not missing:
        return []
    settled_only = C.state.not_in(OPEN)
    if len(missing) == 1:
        (span, n), = missing
        by_month = {span.start: query(conn, [*_window(to_utc(span)), settled_only])}
    else:
        a, _ = to_utc(missing[0][0])
        _, b = to_utc(missing[-1][0])
        rows = query(conn, [C.reported_at >= a, C.reported_at < b, settled_only], month=month_label)
        by_label: dict[str, Rows] = {}
        for (label, key), row in rows.items():
            by_label.setdefault(label, {})[key] = row
        by_month = {span.start: by_label.get(span.start.strftime("%Y-%m"), {}) for span, _ in missing}
    for span, n in missing:
        cache.put(engine, (query_key, span.start), n, need_values, by_month[span.start])
    return [(span, n, by_month[span.start]) for span, n in missing]


def _window(utc: tuple) -> list:
    a, b = utc
    return [C.reported_at >= a, C.reported_at < b]


def _settled_counts(conn: Connection, windows: list[tuple], a, b) -> list[int]:
    """Per window, the tickets reported in it that are settled: all of them (an index-only count each) minus the
    open ones (read once for the whole range through the (state, reported_at) index, counted here)."""
    opened = sorted(_aware(t) for t in conn.execute(
        select(C.reported_at).where(C.state.in_(OPEN), C.reported_at >= a, C.reported_at < b)).scalars())
    # Every month's count in one statement (one round trip): a scalar subquery per month, each an index range count.
    counts = [select(func.count()).select_from(tickets).where(*_window(w)).scalar_subquery() for w in windows]
    totals = conn.execute(select(*counts)).one()
    return [int(total) - (bisect.bisect_left(opened, _aware(hi)) - bisect.bisect_left(opened, _aware(lo)))
            for total, (lo, hi) in zip(totals, windows, strict=True)]


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)
