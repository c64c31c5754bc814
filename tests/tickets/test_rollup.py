"""The month rollup: splitting periods, nearest-rank percentiles, and cached months that never go stale."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, update

from tests.tickets.invariants import p90_nearest_rank
from tickets import metrics
from tickets.metrics import rollup, rollup_table
from tickets.simulate import backfill
from tickets.store.models import tickets

NOW = datetime(2024, 11, 22, 8, 0, tzinfo=UTC)
WITH_OCTOBER = metrics.Period(date(2024, 9, 24), date(2024, 11, 22))
TWO_MONTHS = metrics.Period(date(2024, 8, 20), date(2024, 11, 22))  # September and October whole
PIECES = [metrics.Period(date(2024, 8, 20), date(2024, 8, 31)), metrics.Period(date(2024, 9, 1), date(2024, 9, 30)),
          metrics.Period(date(2024, 10, 1), date(2024, 10, 31)), metrics.Period(date(2024, 11, 1), date(2024, 11, 22))]
OCTOBER = metrics.Period(date(2024, 10, 1), date(2024, 10, 31))


@pytest.mark.parametrize(
    ("start", "end", "edges", "months"),
    [
        (date(2024, 11, 3), date(2024, 11, 22), [(date(2024, 11, 3), date(2024, 11, 22))], []),
        (date(2024, 9, 24), date(2024, 11, 22), [(date(2024, 9, 24), date(2024, 9, 30)),
                                                 (date(2024, 11, 1), date(2024, 11, 22))], [date(2024, 10, 1)]),
        (date(2023, 12, 1), date(2024, 2, 29), [], [date(2023, 12, 1), date(2024, 1, 1), date(2024, 2, 1)]),
        (date(2024, 2, 1), date(2024, 2, 28), [(date(2024, 2, 1), date(2024, 2, 28))], []),  # not the whole of a leap February
    ],
)
def test_split_into_whole_months_and_edges(start, end, edges, months):
    got_edges, got_months = rollup.split(start, end)
    assert [(s.start, s.end) for s in got_edges] == edges
    assert [m.start for m in got_months] == months
    days = sum((s.end - s.start).days + 1 for s in [*got_edges, *got_months])
    assert days == (end - start).days + 1  # every day exactly once


@given(st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), max_size=300))
def test_nearest_rank_is_percentile_disc(values):
    got = rollup.nearest_rank(np.asarray(values, dtype=float))
    assert got == (p90_nearest_rank(values) if values else None)


def test_merge_adds_counts_and_concatenates_close_times():
    a = {"x": {"key": "x", "received": 2, "sum_close_s": 10.0, rollup.VALUES: np.array([1.0])}}
    b = {"x": {"key": "x", "received": 3, "sum_close_s": 5.0, rollup.VALUES: np.array([2.0, 3.0])},
         "y": {"key": "y", "received": 1, "sum_close_s": 0.0, rollup.VALUES: np.array([])}}
    m = rollup.merge([a, b])
    assert m["x"]["received"] == 5 and m["x"]["sum_close_s"] == 15.0
    assert sorted(m["x"][rollup.VALUES]) == [1.0, 2.0, 3.0] and m["y"]["received"] == 1
    assert len(a["x"][rollup.VALUES]) == 1  # inputs untouched


@pytest.fixture
def filled(tmp_path):
    from tests.conftest import make_box_district
    from tickets.settings import load_settings
    from tickets.store.sql import SqlTicketStore

    store = SqlTicketStore("sqlite://")
    store.migrate()
    backfill(store, make_box_district(), days=100, seed=3, now=NOW,
             settings=load_settings(photo_dir=tmp_path / "p"), per_day=30)
    yield store
    store.engine.dispose()


def fresh(engine, period, level, **filters):
    """The figures with empty caches (this process's and the shared table): every part read from SQL."""
    rollup.CACHE.clear()
    rollup_table.clear(engine)
    return metrics.summary(engine, period, level, now=NOW, **filters)


def test_cached_months_give_the_same_figures(filled):
    e = filled.engine
    expected = {lvl: fresh(e, WITH_OCTOBER, lvl) for lvl in ("district", "street", "grid")}
    hits = rollup.CACHE.hits
    for lvl, rows in expected.items():
        assert metrics.summary(e, WITH_OCTOBER, lvl, now=NOW) == rows
    assert rollup.CACHE.hits > hits
    assert metrics.series(e, WITH_OCTOBER, "day", now=NOW) == metrics.series(e, WITH_OCTOBER, "day", now=NOW)


def _october_ticket(conn, settled: bool):
    a, b = OCTOBER.utc
    state = tickets.c.state.not_in(rollup.OPEN) if settled else tickets.c.state.in_(rollup.OPEN)
    return conn.execute(select(tickets).where(tickets.c.reported_at >= a, tickets.c.reported_at < b,
                                              state, tickets.c.close_s.is_not(None) if settled else True)
                        .limit(1)).mappings().first()


def test_a_late_insert_into_a_cached_month_is_counted(filled):
    e = filled.engine
    before = metrics.summary(e, WITH_OCTOBER, "district", now=NOW)[0]  # October now cached
    with e.begin() as conn:
        row = dict(_october_ticket(conn, settled=True))
        row["id"] = int(conn.execute(select(func.max(tickets.c.id))).scalar_one()) + 1
        row["number"] = row["number"][:-7] + f"{row['id']:07d}"
        row["close_s"] = 1e9  # far beyond every other: it becomes the maximum
        conn.execute(insert(tickets).values(**row))
    after = metrics.summary(e, WITH_OCTOBER, "district", now=NOW)[0]
    assert after["received"] == before["received"] + 1 and after["closed"] == before["closed"] + 1
    assert after == fresh(e, WITH_OCTOBER, "district")[0]


def test_a_ticket_settling_in_a_cached_month_moves_from_open_to_settled(filled):
    e = filled.engine
    with e.begin() as conn:  # make sure October has an open ticket: reopen a settled one
        t = _october_ticket(conn, settled=True)
        conn.execute(update(tickets).where(tickets.c.id == t["id"])
                     .values(state="IN_PROGRESS", closed_at=None, close_s=None, closed_on_time=None))
    before = metrics.summary(e, WITH_OCTOBER, "street", now=NOW)  # cached without it
    assert before == fresh(e, WITH_OCTOBER, "street")
    with e.begin() as conn:  # it closes now
        conn.execute(update(tickets).where(tickets.c.id == t["id"])
                     .values(state=t["state"], closed_at=t["closed_at"], close_s=t["close_s"],
                             closed_on_time=t["closed_on_time"]))
    after = metrics.summary(e, WITH_OCTOBER, "street", now=NOW)
    assert after == fresh(e, WITH_OCTOBER, "street")
    row = next(r for r in after if r["key"] == t["street_code"])
    old = next(r for r in before if r["key"] == t["street_code"])
    assert row["closed"] == old["closed"] + 1 and row["open_now"] == old["open_now"] - 1


ADDITIVE = ("received", "registered", "dispatched", "closed", "closed_on_time", "handled", "reworked", "voided",
            "self_handled", "escalated", "open_now", "overdue_now", "due_to_close", "due_to_handle")


@pytest.mark.parametrize("level", ["district", "street", "category"])
def test_months_filled_together_add_up_to_months_filled_alone(filled, level):
    e = filled.engine
    whole = {r["key"]: r for r in fresh(e, TWO_MONTHS, level)}  # September and October in one GROUP BY
    pieces = []
    for piece in PIECES:  # each month alone
        pieces.append({r["key"]: r for r in fresh(e, piece, level)})
    for key, row in whole.items():
        for name in ADDITIVE:
            assert row[name] == sum(p[key][name] for p in pieces if key in p), (key, name)
    with e.connect() as conn:  # the percentile against every close time of the period, read straight from SQL
        a, b = TWO_MONTHS.utc
        values = list(conn.execute(select(tickets.c.close_s).where(
            tickets.c.reported_at >= a, tickets.c.reported_at < b, tickets.c.close_s.is_not(None))).scalars())
    if level == "district":
        assert whole["district"]["p90_close_h"] == round(p90_nearest_rank(values) / 3600, 2)
    assert metrics.summary(e, TWO_MONTHS, level, now=NOW) == list(whole.values())  # and again, from the cache
