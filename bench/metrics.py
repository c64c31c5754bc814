"""Time every metrics drill step on 1,000,000 tickets (five years of a Dongli-sized district), SQLite and PostgreSQL.

Usage::

    .venv/bin/python bench/metrics.py [--tickets 1000000] [--repeat 5] [--no-postgres] [--no-sqlite]

Tickets are generated vectorised (numpy) with the simulator's mix and outcomes, loaded with the
drivers' bulk paths (``executemany`` on SQLite, ``COPY`` on PostgreSQL); the SQLite file is kept under
``var/bench/`` and reused (``--reload`` to load it again). Each drill step is timed three ways: *first*
(nothing cached anywhere: computed from the tickets), *cold* (a fresh process: the in-process month cache
emptied, the shared ``metrics_rollup`` table present; target 1 s) and *warm* (target 300 ms), ``--repeat``
times each, medians printed. The PostgreSQL database is a fresh ``gp_bench_<random>`` dropped at the end.
Figures, not pass/fail: the machines are shared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tickets import metrics  # noqa: E402
from tickets.domain.catalog import load_catalog  # noqa: E402
from tickets.metrics import rollup, rollup_table  # noqa: E402
from tickets.settings import DATA_DIR  # noqa: E402
from tickets.store.sql import make_engine, migrate  # noqa: E402

TARGET_MS = 300  # warm
COLD_TARGET_MS = 1000  # a fresh process, the shared rollup table present
VAR_BENCH = Path(__file__).resolve().parent.parent / "var" / "bench"
NOW = datetime(2024, 11, 22, 8, 0, tzinfo=UTC)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def district_codes(n_grids: int = 1147, streets: int = 11, communities: int = 95) -> np.ndarray:
    """Grid codes of a Dongli-shaped district: 11 streets, 95 communities, 1,147 grids."""
    codes, first = [], {}
    for g in range(n_grids):
        c = g * communities // n_grids
        s = c * streets // communities
        first.setdefault(c, g)
        codes.append(f"120110{s + 1:03d}{c + 1:03d}{g - first[c] + 1:03d}")
    return np.array(codes)


def generate(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` tickets over the five years before NOW with field-like outcomes (columns as arrays)."""
    rng = np.random.default_rng(seed)
    cat = load_catalog(DATA_DIR)
    cats = list(cat.categories.values())
    w = np.array([c.weight for c in cats])
    grids = district_codes()
    span_s = 5 * 365 * 86400
    # reports mostly in the day: uniform day, hour from a daytime-heavy mixture
    day = rng.integers(0, 5 * 365, n)
    hour = np.where(rng.random(n) < 0.85, rng.uniform(0.5, 9.5, n), rng.uniform(-8, 16, n))  # UTC hours ≈ 08:30–17:30 CST
    reported = NOW.timestamp() - span_s + day * 86400.0 + hour * 3600.0
    # ids grow with time in a real store (tickets are inserted as they are reported): keep that order
    reported = np.sort(np.minimum(reported, NOW.timestamp() - 60))
    gi = rng.integers(0, len(grids), n)
    ci = rng.choice(len(cats), n, p=w / w.sum())
    source = rng.choice(["worker_patrol", "hotline_12345", "resident_app", "video"], n, p=[0.7, 0.15, 0.1, 0.05])
    age_h = (NOW.timestamp() - reported) / 3600
    close_h = np.exp(rng.normal(np.log(40), 1.0, n))
    void = rng.random(n) < 0.016
    closed = ~void & (close_h < age_h) & (rng.random(n) > 0.004)
    registered = ~void & (age_h > 1.0)
    self_handled = registered & (source == "worker_patrol") & (rng.random(n) < 0.3)
    dispatched = registered & ~self_handled
    tier = np.where(rng.random(n) < 0.35, "street", "community")
    tier = np.where((tier == "street") & (rng.random(n) < 0.1), "district", tier)
    deps = {t: [d.code for d in cat.departments_for(t)] for t in ("community", "street", "district")}
    department = np.array([deps[t][k % len(deps[t])] for t, k in zip(tier, rng.integers(0, 100, n), strict=True)],
                          dtype=object)
    department[~dispatched] = None
    limit_h = np.exp(rng.normal(np.log(60), 0.6, n))
    on_time = closed & (close_h <= limit_h)
    state = np.where(void, "VOID", np.where(closed, "CLOSED", np.where(registered, "IN_PROGRESS", "REPORTED")))
    step_due = reported + np.where(registered, limit_h * 0.5, 2.0) * 3600
    reg_t = reported + np.minimum(1.0, age_h) * 3600
    return {
        "reported": reported, "grid": grids[gi], "category": np.array([cats[i].code for i in ci]),
        "major": np.array([cats[i].major_code for i in ci]), "source": source, "tier": tier,
        "department": department, "state": state, "registered": np.where(registered, reg_t, np.nan),
        "dispatched": np.where(dispatched, reg_t + 600, np.nan),
        "handled": np.where(dispatched & closed, reported + close_h * 0.8 * 3600, np.nan),
        "closed": np.where(closed, reported + close_h * 3600, np.nan),
        "voided": np.where(void, reported + 3600, np.nan),
        "close_due": np.where(registered & ~closed & ~void, reg_t + limit_h * 3600, np.nan),
        "step_due": np.where(closed | void, np.nan, step_due),
        "step_warn": np.where(closed | void, np.nan, step_due - 0.2 * limit_h * 3600),
        "close_s": np.where(closed, close_h * 3600, np.nan), "on_time": on_time,
        "handle_s": np.where(dispatched & closed, close_h * 0.8 * 3600 - (np.minimum(1.0, age_h) * 3600 + 600), np.nan),
        "self_handled": self_handled, "rework": (closed & (rng.random(n) < 0.05)).astype(int),
        "escalation": (tier != "community").astype(int), "worker": np.char.add("W", grids[gi]),
    }


def _ts(x: np.ndarray, sqlite: bool):
    """Timestamps as the store keeps them: naive-UTC text on SQLite, aware datetimes for COPY."""
    out = np.empty(len(x), dtype=object)
    ok = ~np.isnan(x)
    if sqlite:
        s = np.datetime_as_string((x[ok] * 1e6).astype("datetime64[us]"), unit="us")
        out[ok] = np.char.replace(s, "T", " ")
    else:
        out[ok] = [datetime.fromtimestamp(v, UTC) for v in x[ok]]
    out[~ok] = None
    return out


COLUMNS = ["id", "number", "version", "category_code", "major_code", "source", "description", "lon", "lat",
           "grid_code", "community_code", "street_code", "grid_worker_id", "tier", "department", "state",
           "reported_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "voided_at", "updated_at",
           "self_handled", "step_due_at", "step_warn_at", "close_due_at", "closed_on_time", "close_s", "handle_s",
           "rework_count", "return_count", "extension_count", "suspension_count", "escalation_count",
           "supervised", "overdue_noticed"]


def rows(g: dict, sqlite: bool, lo: int, hi: int):
    sl = slice(lo, hi)
    ts = {k: _ts(g[k][sl], sqlite) for k in ("reported", "registered", "dispatched", "handled", "closed",
                                              "voided", "close_due", "step_due", "step_warn")}
    grid = g["grid"][sl]
    close_s = g["close_s"][sl]
    handle_s = g["handle_s"][sl]
    for i in range(hi - lo):
        gc = grid[i]
        yield (lo + i + 1, f"B{lo + i + 1:09d}", 1, g["category"][lo + i], g["major"][lo + i], g["source"][lo + i],
               "", 117.4, 39.1, gc, gc[:12], gc[:9], g["worker"][lo + i], g["tier"][lo + i],
               g["department"][lo + i], g["state"][lo + i], ts["reported"][i], ts["registered"][i],
               ts["dispatched"][i], ts["handled"][i], ts["closed"][i], ts["voided"][i], ts["reported"][i],
               bool(g["self_handled"][lo + i]), ts["step_due"][i], ts["step_warn"][i], ts["close_due"][i],
               bool(g["on_time"][lo + i]) if not np.isnan(close_s[i]) else None,
               None if np.isnan(close_s[i]) else float(close_s[i]),
               None if np.isnan(handle_s[i]) else float(handle_s[i]), int(g["rework"][lo + i]), 0, 0, 0,
               int(g["escalation"][lo + i]), False, False)


def load(engine, g: dict, n: int) -> float:
    t0 = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if sqlite:
            sql = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            for lo in range(0, n, 50_000):
                cur.executemany(sql, list(rows(g, True, lo, min(n, lo + 50_000))))
        else:
            with cur.copy(f"COPY tickets ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for lo in range(0, n, 50_000):
                    for r in rows(g, False, lo, min(n, lo + 50_000)):
                        copy.write_row(r)
        raw.commit()
        if sqlite:
            cur.execute("ANALYZE")
            raw.commit()
        else:  # what autovacuum does after a bulk load: statistics, and the visibility map index-only scans need
            raw.driver_connection.autocommit = True
            cur.execute("VACUUM ANALYZE tickets")
    finally:
        raw.close()
    return time.perf_counter() - t0


def drill_steps(street: str, community: str):
    end = NOW.date()
    month = metrics.Period(end - timedelta(days=29), end)
    year = metrics.Period(end - timedelta(days=364), end)
    five = metrics.Period(end - timedelta(days=5 * 365), end)
    for label, p in (("30 days", month), ("365 days", year)):
        yield f"{label}: district", lambda e, p=p: metrics.summary(e, p, "district", now=NOW)
        yield f"{label}: streets", lambda e, p=p: metrics.summary(e, p, "street", now=NOW)
        yield f"{label}: communities of a street", lambda e, p=p: metrics.summary(e, p, "community", now=NOW,
                                                                                 street=street)
        yield f"{label}: grids of a community", lambda e, p=p: metrics.summary(e, p, "grid", now=NOW,
                                                                              community=community)
        yield f"{label}: categories", lambda e, p=p: metrics.summary(e, p, "category", now=NOW)
        yield f"{label}: departments", lambda e, p=p: metrics.summary(e, p, "department", now=NOW)
        yield f"{label}: one category by street", lambda e, p=p: metrics.summary(e, p, "street", now=NOW,
                                                                                 category="1101")
        yield f"{label}: series by day", lambda e, p=p: metrics.series(e, p, "day", now=NOW)
        yield f"{label}: series by hour", lambda e, p=p: metrics.series(e, p, "hour", now=NOW)
        yield f"{label}: worker ranking", lambda e, p=p: metrics.ranking(e, p, "workers", now=NOW)
    yield "5 years: district", lambda e: metrics.summary(e, five, "district", now=NOW)
    yield "5 years: streets", lambda e: metrics.summary(e, five, "street", now=NOW)


def time_steps(engine, repeat: int) -> dict[str, tuple[float, float, float]]:
    """Per step: (first, cold, warm) median ms.

    first: nothing cached anywhere (this process's month cache emptied and ``metrics_rollup`` emptied): every
    month computed from the tickets, once; cold: a fresh process, the shared table present (the month cache
    emptied before each call); warm: the month cache filled by an earlier call, as a wall screen that asks again.
    """
    codes = district_codes()
    out = {}
    for label, fn in drill_steps(codes[0][:9], codes[0][:12]):
        fn(engine)  # warm the database's page cache
        rollup.CACHE.clear()
        rollup_table.clear(engine)
        t0 = time.perf_counter()
        fn(engine)  # computes every month and stores it in the table
        first = (time.perf_counter() - t0) * 1000
        cold, warm = [], []
        for _ in range(repeat):
            rollup.CACHE.clear()
            t0 = time.perf_counter()
            fn(engine)
            cold.append((time.perf_counter() - t0) * 1000)
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn(engine)
            warm.append((time.perf_counter() - t0) * 1000)
        out[label] = (first, statistics.median(cold), statistics.median(warm))
        print(f"  {label:<38}first {first:8.1f}  cold {out[label][1]:8.1f}  warm {out[label][2]:8.1f} ms", flush=True)
    return out


def _sqlite_store(g: dict, args) -> tuple:
    """The bench's SQLite file, loaded once and kept under ``var/bench/`` (loading takes a minute or two)."""
    path = Path(args.sqlite_path or VAR_BENCH / f"metrics-{args.tickets}-seed{args.seed}.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.reload:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as c:
        n = c.exec_driver_sql("SELECT count(*) FROM tickets").scalar_one()
    if n == args.tickets:
        print(f"SQLite: {n:,} tickets already loaded in {path}")
        return engine, path
    if n:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
    print(f"SQLite: loaded in {load(engine, g(), args.tickets):.1f} s into {path}")
    return engine, path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--sqlite-path", default=None, help=f"SQLite file (default: under {VAR_BENCH}, kept)")
    ap.add_argument("--reload", action="store_true", help="load the SQLite file again even if it is there")
    args = ap.parse_args(argv)
    generated: dict = {}

    def g() -> dict:
        if not generated:
            t0 = time.perf_counter()
            generated.update(generate(args.tickets, args.seed))
            print(f"generated {args.tickets:,} tickets in {time.perf_counter() - t0:.1f} s")
        return generated

    results: dict[str, dict[str, tuple]] = {}
    if not args.no_sqlite:
        engine, _ = _sqlite_store(g, args)
        results["sqlite"] = time_steps(engine, args.repeat)
        _report({"sqlite": results["sqlite"]})
        engine.dispose()
    if not args.no_postgres:
        pg = _postgres(g, args)
        if pg is not None:
            results["postgresql"] = pg
    _report(results)
    return 0


def _postgres(g, args):
    try:
        admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL skipped: not reachable ({type(exc).__name__})")
        return None
    name = f"gp_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
        migrate(engine)
        print(f"PostgreSQL: loaded in {load(engine, g(), args.tickets):.1f} s")
        out = time_steps(engine, args.repeat)
        engine.dispose()
        return out
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _report(results: dict[str, dict[str, tuple[float, float, float]]]) -> None:
    """First, cold and warm medians per database; cold checked against 1 s, warm against 300 ms."""
    dbs = list(results)
    if not dbs:
        return
    steps = list(results[dbs[0]])
    head = "".join(f"{d[:6] + ' first':>14}{d[:6] + ' cold':>13}{d[:6] + ' warm':>13}" for d in dbs)
    print(f"\n{'drill step (median ms)':<38}{head}  targets: cold {COLD_TARGET_MS}, warm {TARGET_MS}")
    for s in steps:
        cells = "".join(f"{results[d][s][0]:>14.1f}{results[d][s][1]:>13.1f}{results[d][s][2]:>13.1f}" for d in dbs)
        ok = all(results[d][s][1] <= COLD_TARGET_MS and results[d][s][2] <= TARGET_MS for d in dbs)
        print(f"{s:<38}{cells}  {'ok' if ok else 'OVER'}")
    for d in dbs:
        for i, kind, target in ((0, "first", None), (1, "cold", COLD_TARGET_MS), (2, "warm", TARGET_MS)):
            values = [v[i] for v in results[d].values()]
            within = f", {sum(v <= target for v in values)}/{len(steps)} steps within {target} ms" if target else ""
            print(f"{d} {kind}: worst step {max(values):.0f} ms{within}")


if __name__ == "__main__":
    sys.exit(main())
