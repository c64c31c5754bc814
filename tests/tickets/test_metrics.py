"""Metrics on SQLite: invariants, an independent recount in Python, percentiles, labels."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.tickets.invariants import check_invariants, p90_nearest_rank
from tickets import metrics
from tickets.simulate import backfill
from tickets.store.models import tickets

NOW = datetime(2024, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    from tests.conftest import make_box_district
    from tickets.settings import load_settings
    from tickets.store.sql import SqlTicketStore

    store = SqlTicketStore("sqlite://")
    store.migrate()
    settings = load_settings(photo_dir=tmp_path_factory.mktemp("p"))
    n = backfill(store, make_box_district(), days=60, seed=7, now=NOW, settings=settings,
                 per_day=40)
    yield store, n
    store.engine.dispose()


PERIODS = [metrics.Period(date(2024, 9, 24), date(2024, 11, 22)), metrics.Period(date(2024, 11, 1), date(2024, 11, 22)),
           metrics.Period(date(2024, 11, 22), date(2024, 11, 22)), metrics.Period(date(2023, 1, 1), date(2023, 1, 2))]


@pytest.mark.parametrize("period", PERIODS)
def test_invariants(filled, period):
    store, _ = filled
    check_invariants(store.engine, period, NOW, "120110002", "120110002001")


def test_recount_in_python(filled):
    """An independent count over loaded rows must equal the SQL figures."""
    store, n = filled
    period = PERIODS[1]
    a, b = period.utc
    with store.engine.connect() as c:
        rows = [dict(r) for r in c.execute(select(tickets).where(tickets.c.reported_at >= a,
                                                                 tickets.c.reported_at < b)).mappings()]
    open_ = [r for r in rows if r["state"] not in ("CLOSED", "VOID")]
    closed = [r for r in rows if r["state"] == "CLOSED"]
    overdue = [r for r in open_ if r["registered_at"] and r["close_due_at"] and r["close_due_at"] < NOW]
    got = metrics.summary(store.engine, period, "district", now=NOW)[0]
    assert got["received"] == len(rows)
    assert got["closed"] == len(closed)
    assert got["due_to_close"] == len(closed) + len(overdue)
    assert got["closed_on_time"] == sum(1 for r in closed if r["closed_on_time"])
    assert got["open_now"] == len(open_)
    assert got["overdue_now"] == sum(1 for r in open_ if r["step_due_at"] and r["step_due_at"] < NOW)
    assert got["p90_close_h"] == pytest.approx(p90_nearest_rank([r["close_s"] for r in closed]) / 3600, abs=0.01)
    assert got["avg_close_h"] == pytest.approx(sum(r["close_s"] for r in closed) / len(closed) / 3600, abs=0.01)


def test_field_like_figures(filled):
    store, n = filled
    old = metrics.summary(store.engine, metrics.Period(date(2024, 9, 24), date(2024, 10, 20)), "district", now=NOW)[0]
    assert 0.95 <= old["press_closure_rate"] <= 1.0  # ~98% eventually closed
    assert old["closure_rate"] >= 0.97
    assert 0.6 <= old["on_time_closure_rate"] <= 0.97
    assert 0 < old["rework_rate"] < 0.15
    assert old["self_handled"] > 0 and old["escalated"] > 0


def test_rankings_are_ordered(filled):
    store, _ = filled
    for of in ("streets", "communities", "departments", "workers"):
        rows = metrics.ranking(store.engine, PERIODS[0], of, now=NOW)
        scores = [r["score"] for r in rows if r["score"] is not None]
        assert scores == sorted(scores, reverse=True) and rows[0]["rank"] == 1


def test_every_rate_has_a_definition():
    for key in ("closure_rate", "press_closure_rate", "on_time_closure_rate", "registration_rate",
                "handling_rate", "rework_rate", "due_to_close", "p90_close_h"):
        assert metrics.DEFINITIONS[key]


def test_bad_level_and_filter(filled):
    store, _ = filled
    with pytest.raises(ValueError):
        metrics.summary(store.engine, PERIODS[0], "planet")
    with pytest.raises(ValueError):
        metrics.summary(store.engine, PERIODS[0], "street", colour="red")


def test_new_figures_recounted_in_python(filled):
    """Lights, returns and handling hours against a count over the loaded rows (the lights by the same rule
    a ticket's own light is shown with)."""
    from tickets.domain.deadlines import Deadlines

    store, _ = filled
    period = PERIODS[0]
    a, b = period.utc
    with store.engine.connect() as c:
        rows = [dict(r) for r in c.execute(select(tickets).where(tickets.c.reported_at >= a,
                                                                 tickets.c.reported_at < b)).mappings()]
    open_ = [r for r in rows if r["state"] not in ("CLOSED", "VOID")]
    lights = {"green": 0, "yellow": 0, "red": 0, "none": 0}
    for r in open_:
        lights[Deadlines.light(None, r, NOW) or "none"] += 1  # light() reads the row only, not its instance
    handled = [r for r in rows if r["handled_at"] and r["dispatched_at"]]
    seconds = [(r["handled_at"] - r["dispatched_at"]).total_seconds() for r in handled]
    got = metrics.summary(store.engine, period, "district", now=NOW)[0]
    assert got["lights"] == lights and lights["green"] > 0 and lights["red"] > 0
    assert got["returned"] == sum(1 for r in rows if r["return_count"] > 0) > 0
    assert got["average_hours_to_handle"] == pytest.approx(sum(seconds) / len(seconds) / 3600, abs=0.006)
    assert all(r["handle_s"] == s for r, s in zip(handled, seconds, strict=True))
    assert got["average_hours_to_close"] == got["avg_close_h"] and got["p90_hours_to_close"] == got["p90_close_h"]
    by_tier = metrics.summary(store.engine, period, "tier", now=NOW)
    assert {r["key"] for r in by_tier} <= {"community", "street", "district"}
    assert sum(r["received"] for r in by_tier) == got["received"]
    for r in by_tier:
        assert metrics.summary(store.engine, period, "district", now=NOW, tier=r["key"])[0]["received"] == r["received"]
