"""The shared month rollup (``metrics_rollup``): what one engine stores another reads, and never a stale figure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import func, insert, select, update

from tickets import metrics
from tickets.metrics import rollup, rollup_table
from tickets.simulate import backfill
from tickets.store.models import metrics_rollup, tickets
from tickets.store.sql import SqlTicketStore, make_engine

NOW = datetime(2024, 11, 22, 8, 0, tzinfo=UTC)
FIVE_MONTHS = metrics.Period(date(2024, 6, 20), date(2024, 11, 22))  # July to October whole
OCTOBER = metrics.Period(date(2024, 10, 1), date(2024, 10, 31))
LEVELS = ("district", "street", "grid", "department")


@pytest.fixture(scope="module")
def db_file(tmp_path_factory):
    """A SQLite file with 160 days of history, migrated; each test gets its own copy."""
    from tests.conftest import make_box_district
    from tickets.settings import load_settings

    path = tmp_path_factory.mktemp("rollup") / "base.db"
    store = SqlTicketStore(f"sqlite:///{path}")
    store.migrate()
    backfill(store, make_box_district(), days=160, seed=5, now=NOW,
             settings=load_settings(photo_dir=path.parent / "p"), per_day=20)
    store.engine.dispose()
    return path


@pytest.fixture
def engines(db_file, tmp_path):
    """Two engines on one database: two web processes sharing the store (each with its own in-process cache)."""
    import shutil

    path = tmp_path / "shared.db"
    shutil.copy(db_file, path)
    a, b = make_engine(f"sqlite:///{path}"), make_engine(f"sqlite:///{path}")
    rollup.CACHE.clear()
    yield a, b
    a.dispose()
    b.dispose()


@pytest.fixture
def fills(monkeypatch):
    """Every month the rollup computes from tickets (rather than reading a cache), in order."""
    seen: list[date] = []
    original = rollup._fill

    def spy(engine, conn, missing, *args, **kw):
        seen.extend(span.start for span, _ in missing)
        return original(engine, conn, missing, *args, **kw)

    monkeypatch.setattr(rollup, "_fill", spy)
    return seen


def straight(engine, period, level, **filters):
    """The figures computed with no rollup at all: caches emptied and nothing stored."""
    rollup.CACHE.clear()
    rollup_table.clear(engine)
    out = metrics.summary(engine, period, level, now=NOW, **filters)
    rollup_table.clear(engine)
    rollup.CACHE.clear()
    return out


def test_rows_survive_encoding_exactly():
    rows = {"a": {"key": "a", "received": 3, "sum_close_s": 0.1 + 0.2, rollup.VALUES: np.array([1.5, 2.25, 1e9])},
            None: {"key": None, "received": 1, "sum_close_s": 0.0, rollup.VALUES: np.array([])},
            Decimal("7"): {"key": Decimal("7"), "received": 2, "sum_close_s": 3.0, rollup.VALUES: np.array([4.0])}}
    back = rollup_table.decode(*rollup_table.encode(rows, True))
    assert back["a"]["sum_close_s"] == 0.1 + 0.2 and back["a"]["received"] == 3
    assert list(back["a"][rollup.VALUES]) == [1.5, 2.25, 1e9] and len(back[None][rollup.VALUES]) == 0
    assert back[7]["key"] == 7 and list(back[7][rollup.VALUES]) == [4.0]  # PostgreSQL's Decimal hour keys
    raw, blob = rollup_table.encode(rows, False)
    assert blob is None and rollup.VALUES not in rollup_table.decode(raw, None)["a"]


def test_another_process_reads_what_one_stored(engines, fills):
    a, b = engines
    expected = {lvl: metrics.summary(a, FIVE_MONTHS, lvl, now=NOW) for lvl in LEVELS}
    assert rollup_table.count(a) == 4 * len(LEVELS)  # July–October for each level
    fills.clear()
    rollup.CACHE.clear()  # a fresh process: nothing in memory, the table present
    for lvl, rows in expected.items():
        assert metrics.summary(b, FIVE_MONTHS, lvl, now=NOW) == rows
    assert fills == []  # every whole month came from the table
    assert expected == {lvl: straight(b, FIVE_MONTHS, lvl) for lvl in LEVELS}


def test_a_late_insert_into_an_old_month_is_counted_by_every_process(engines, fills):
    a, b = engines
    before = metrics.summary(a, FIVE_MONTHS, "street", now=NOW)
    metrics.summary(b, FIVE_MONTHS, "street", now=NOW)  # b's memory holds October too
    a_oct, b_oct = OCTOBER.utc
    with b.begin() as conn:  # b stores a settled ticket reported in October, today
        row = dict(conn.execute(select(tickets).where(
            tickets.c.reported_at >= a_oct, tickets.c.reported_at < b_oct, tickets.c.state == "CLOSED",
        ).limit(1)).mappings().one())
        row["id"] = int(conn.execute(select(func.max(tickets.c.id))).scalar_one()) + 1
        row["number"] = f"LATE{row['id']:07d}"
        conn.execute(insert(tickets).values(**row))
    fills.clear()
    after = metrics.summary(a, FIVE_MONTHS, "street", now=NOW)
    assert fills == [date(2024, 10, 1)]  # only October is recomputed
    old = next(r for r in before if r["key"] == row["street_code"])
    new = next(r for r in after if r["key"] == row["street_code"])
    assert new["received"] == old["received"] + 1 and new["closed"] == old["closed"] + 1
    fills.clear()
    assert metrics.summary(b, FIVE_MONTHS, "street", now=NOW) == after
    assert fills == []  # b: its memory is stale for October, the table is not
    assert after == straight(a, FIVE_MONTHS, "street")


def test_a_ticket_settling_moves_it_from_open_to_settled(engines):
    a, b = engines
    a_oct, b_oct = OCTOBER.utc
    with a.begin() as conn:  # an October ticket that is still open (make one if the history has none)
        t = conn.execute(select(tickets).where(tickets.c.reported_at >= a_oct, tickets.c.reported_at < b_oct,
                                               tickets.c.state == "CLOSED").limit(1)).mappings().one()
        conn.execute(update(tickets).where(tickets.c.id == t["id"]).values(
            state="IN_PROGRESS", closed_at=None, close_s=None, closed_on_time=None))
    before = metrics.summary(a, FIVE_MONTHS, "district", now=NOW)[0]
    with b.begin() as conn:  # another process closes it
        conn.execute(update(tickets).where(tickets.c.id == t["id"]).values(
            state="CLOSED", closed_at=t["closed_at"], close_s=t["close_s"], closed_on_time=t["closed_on_time"]))
    after = metrics.summary(a, FIVE_MONTHS, "district", now=NOW)[0]
    assert after["closed"] == before["closed"] + 1 and after["open_now"] == before["open_now"] - 1
    with a.connect() as conn:  # the stored October row moved to the new settled count
        settled = conn.execute(select(metrics_rollup.c.settled).where(metrics_rollup.c.month == "2024-10")).scalars()
        n = conn.execute(select(func.count()).select_from(tickets).where(
            tickets.c.reported_at >= a_oct, tickets.c.reported_at < b_oct, tickets.c.state.in_(("CLOSED", "VOID")))
        ).scalar_one()
        assert set(settled) == {n}
    assert after == metrics.summary(b, FIVE_MONTHS, "district", now=NOW)[0] == straight(a, FIVE_MONTHS, "district")[0]


def test_a_reopen_by_new_ticket_leaves_the_old_month_alone(engines, fills):
    a, _ = engines
    a_oct, b_oct = OCTOBER.utc
    before = metrics.summary(a, FIVE_MONTHS, "grid", now=NOW)
    with a.begin() as conn:  # the problem is back: a new ticket, reported now, linked to the closed one
        old = dict(conn.execute(select(tickets).where(tickets.c.reported_at >= a_oct, tickets.c.reported_at < b_oct,
                                                      tickets.c.state == "CLOSED").limit(1)).mappings().one())
        new = {**old, "id": int(conn.execute(select(func.max(tickets.c.id))).scalar_one()) + 1, "parent_id": old["id"],
               "number": "REOPEN0000001", "state": "REPORTED", "reported_at": NOW, "updated_at": NOW,
               "closed_at": None, "close_s": None, "closed_on_time": None, "registered_at": None,
               "dispatched_at": None, "signed_at": None, "handled_at": None, "rework_count": 0}
        conn.execute(insert(tickets).values(**new))
    fills.clear()
    after = metrics.summary(a, FIVE_MONTHS, "grid", now=NOW)
    assert fills == []  # no settled month changed: nothing recomputed
    b_row = {r["key"]: r for r in before}[old["grid_code"]]
    a_row = {r["key"]: r for r in after}[old["grid_code"]]
    assert a_row["received"] == b_row["received"] + 1 and a_row["open_now"] == b_row["open_now"] + 1
    assert a_row["closed"] == b_row["closed"]  # the old ticket stays closed and counted
    october_only = metrics.summary(a, OCTOBER, "grid", now=NOW)
    assert october_only == straight(a, OCTOBER, "grid")
    assert after == straight(a, FIVE_MONTHS, "grid")


def test_an_older_or_poorer_row_never_replaces_a_better_one(engines):
    a, _ = engines
    key = ("test", "key")
    rows = {"x": {"key": "x", "received": 5, rollup.VALUES: np.array([1.0, 2.0])}}
    assert rollup_table.save(a, key, [(date(2024, 10, 1), 10, True, rows)])
    rollup_table.save(a, key, [(date(2024, 10, 1), 9, True, {"x": {"key": "x", "received": 4}})])  # older
    rollup_table.save(a, key, [(date(2024, 10, 1), 10, False, {"x": {"key": "x", "received": 5}})])  # no values
    with a.connect() as conn:
        got = rollup_table.load(conn, key, [date(2024, 10, 1)], need_values=True)
    settled, has_values, back = got[date(2024, 10, 1)]
    assert settled == 10 and has_values and list(back["x"][rollup.VALUES]) == [1.0, 2.0]
    rollup_table.save(a, key, [(date(2024, 10, 1), 11, False, {"x": {"key": "x", "received": 6}})])  # newer wins
    with a.connect() as conn:
        assert rollup_table.load(conn, key, [date(2024, 10, 1)], need_values=True) == {}
        (n, _, back), = rollup_table.load(conn, key, [date(2024, 10, 1)], need_values=False).values()
    assert n == 11 and back["x"]["received"] == 6


def test_percentiles_from_the_table_need_the_close_times(engines, fills):
    a, b = engines
    metrics.summary(a, FIVE_MONTHS, "street", now=NOW, p90=False)  # stored without close times
    fills.clear()
    rollup.CACHE.clear()
    with_p90 = metrics.summary(b, FIVE_MONTHS, "street", now=NOW)
    assert len(fills) == 4 and all(r["p90_hours_to_close"] is not None for r in with_p90 if r["closed"])
    fills.clear()
    rollup.CACHE.clear()
    assert metrics.summary(a, FIVE_MONTHS, "street", now=NOW) == with_p90
    assert fills == []  # the close times are in the table now
    assert with_p90 == straight(a, FIVE_MONTHS, "street")


def test_migration_0003_fills_handle_s_of_existing_tickets(db_file, tmp_path):
    from tickets.store.sql import migrate

    with make_engine(f"sqlite:///{db_file}").connect() as conn:
        done = [dict(r) for r in conn.execute(select(tickets).where(tickets.c.handle_s.is_not(None)).limit(20))
                .mappings()]
    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(old, "0002")
    with old.begin() as conn:
        for row in done:
            # the columns of 0002 only (handle_s came with 0004, public and attributes with 0005)
            conn.execute(insert(tickets).values(**{k: v for k, v in row.items()
                                                   if k not in ("handle_s", "public", "attributes")}))
    migrate(old)
    with old.connect() as conn:
        got = dict(conn.execute(select(tickets.c.id, tickets.c.handle_s)).all())
        assert conn.execute(select(func.count()).select_from(metrics_rollup)).scalar_one() == 0
    old.dispose()
    assert len(done) == 20
    for row in done:  # through julianday: within a millisecond of the live service's value
        assert got[row["id"]] == pytest.approx(row["handle_s"], abs=1e-3)


def test_one_request_reads_one_snapshot(engines):
    """What another process commits while a request is being computed is not seen half-way through it."""
    a, b = engines
    count = select(func.count()).select_from(tickets).where(tickets.c.state == "CLOSED")
    with rollup._snapshot(a) as conn:
        before = conn.execute(count).scalar_one()
        with b.begin() as other:  # another process closes an open ticket meanwhile
            tid = other.execute(select(tickets.c.id).where(tickets.c.state == "IN_PROGRESS").limit(1)).scalar_one()
            other.execute(update(tickets).where(tickets.c.id == tid).values(state="CLOSED"))
        assert conn.execute(count).scalar_one() == before
    with a.connect() as conn:
        assert conn.execute(count).scalar_one() == before + 1
