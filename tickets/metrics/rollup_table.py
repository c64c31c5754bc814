"""The month partials of :mod:`tickets.metrics.rollup` in SQL (``metrics_rollup``), so every web process shares them.

An in-process cache is cold after every restart and on every new node: a five-year drill step then recomputes
sixty months (seconds on 1,000,000 tickets). Here each (query, month) partial is one row, tagged like the
in-process entry with the month's count of settled tickets when it was computed; a reader uses it only while that
count is still the month's, so a row is never wrong, at worst recomputed. Counts only grow (settled tickets never
change and are never deleted), so an equal count means the very same settled tickets.

Rows are written after the read transaction, best effort: a write that cannot get SQLite's lock within
``write_wait_s`` is skipped (the next reader computes it again); an upsert never replaces a row computed at a
higher settled count, nor one carrying close times by one without.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Hashable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import orjson
from sqlalchemy import Connection, Engine, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from tickets.store.models import metrics_rollup

log = logging.getLogger(__name__)
R = metrics_rollup.c
VALUES = "_values"  # the key of a partial row holding its close times (as in tickets.metrics.rollup)
# Bump when a partial's fields or their meaning change: rows of another version are simply never read.
VERSION = 3


def query_hash(query_key: tuple) -> str:
    return hashlib.sha1(repr((VERSION, query_key)).encode()).hexdigest()


def encode(rows: dict[Hashable, dict], with_values: bool) -> tuple[bytes, bytes | None]:
    """``(rows, close_s)`` columns: the counts by key as compact JSON, the close times as float64 bytes."""
    keys = list(rows)
    names = sorted({n for r in rows.values() for n in r if n not in ("key", VALUES)})
    data = [[rows[k].get(n) for n in names] for k in keys]
    doc = {"keys": keys, "names": names, "data": data}
    blob = None
    if with_values:
        arrays = [np.asarray(rows[k].get(VALUES, ()), dtype="<f8") for k in keys]
        doc["n_values"] = [len(a) for a in arrays]
        blob = np.concatenate(arrays).tobytes() if arrays else b""
    return orjson.dumps(doc, default=_number), blob


def decode(raw: bytes, blob: bytes | None) -> dict[Hashable, dict]:
    doc = orjson.loads(raw)
    names = doc["names"]
    out: dict[Hashable, dict] = {}
    values = np.frombuffer(blob, dtype="<f8") if blob is not None else None
    at = 0
    for i, key in enumerate(doc["keys"]):
        row = {"key": key, **dict(zip(names, doc["data"][i], strict=True))}
        if values is not None:
            n = doc["n_values"][i]
            row[VALUES] = values[at:at + n]
            at += n
        out[key] = row
    return out


def _number(v):
    if isinstance(v, Decimal):  # PostgreSQL's EXTRACT(hour …) keys
        return int(v) if v == v.to_integral_value() else float(v)
    raise TypeError(f"cannot store {type(v).__name__} in a rollup row")


def load(conn: Connection, query_key: tuple, months: Iterable[date], need_values: bool) -> dict[date, tuple]:
    """Stored partials of ``query_key`` by month start: ``(settled, has_values, rows)``; the close times are read
    only when ``need_values`` (a row without them then counts as missing)."""
    by_label = {m.strftime("%Y-%m"): m for m in months}
    if not by_label:
        return {}
    cols = [R.month, R.settled, R.rows] + ([R.close_s] if need_values else [])
    found = conn.execute(select(*cols).where(R.query_hash == query_hash(query_key),
                                             R.month.in_(list(by_label)))).all()
    out = {}
    for label, settled, raw, *blob in found:
        if need_values and blob[0] is None:
            continue
        out[by_label[label]] = (int(settled), need_values, decode(raw, blob[0] if need_values else None))
    return out


def save(engine: Engine, query_key: tuple, entries: list[tuple[date, int, bool, dict]], *,
         write_wait_s: float = 2.0) -> bool:
    """Upsert ``(month start, settled, has_values, rows)`` partials; False when the write was skipped."""
    if not entries:
        return True
    h, now = query_hash(query_key), datetime.now(UTC)
    records = []
    for month, settled, has_values, rows in entries:
        raw, blob = encode(rows, has_values)
        records.append({"query_hash": h, "month": month.strftime("%Y-%m"), "settled": settled, "rows": raw,
                        "close_s": blob, "query": repr(query_key)[:2000], "computed_at": now})
    dialect = engine.dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        return False
    stmt = insert(metrics_rollup)
    ex = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[R.query_hash, R.month],
        set_={n: ex[n] for n in ("settled", "rows", "close_s", "query", "computed_at")},
        # newer counts win; at the same count, only a row adding the close times replaces one without
        where=or_(R.settled < ex.settled, (R.settled == ex.settled) & R.close_s.is_(None) & ex.close_s.is_not(None)),
    )
    try:
        with engine.begin() as conn:
            if dialect == "sqlite":
                conn.exec_driver_sql(f"PRAGMA busy_timeout={int(write_wait_s * 1000)}")
            try:
                conn.execute(stmt, records)
            finally:
                if dialect == "sqlite":
                    conn.exec_driver_sql("PRAGMA busy_timeout=30000")
    except OperationalError as exc:  # a busy writer: skip, the figures are right either way
        log.warning("metrics rollup not stored (%s); it will be computed again", exc.orig)
        return False
    return True


def clear(engine: Engine) -> int:
    """Forget every stored partial (they are recomputed on demand); returns how many were dropped."""
    with engine.begin() as conn:
        return conn.execute(metrics_rollup.delete()).rowcount


def count(engine: Engine) -> int:
    """Stored partials."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(metrics_rollup)).scalar_one())
