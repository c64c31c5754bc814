"""The drill-down queries against an independent recount in Python over the loaded rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.tickets.invariants import COUNTS, total
from tickets import metrics
from tickets.metrics import drill
from tickets.metrics.board import light_of
from tickets.simulate import backfill
from tickets.store.models import tickets

NOW = datetime(2024, 11, 22, 8, 0, tzinfo=UTC)
PERIOD = metrics.Period(date(2024, 10, 25), date(2024, 11, 22))


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    from tests.conftest import make_box_district
    from tickets.settings import load_settings
    from tickets.store.sql import SqlTicketStore

    store = SqlTicketStore("sqlite://")
    store.migrate()
    settings = load_settings(photo_dir=tmp_path_factory.mktemp("p"))
    backfill(store, make_box_district(), days=45, seed=11, now=NOW, settings=settings, per_day=40)
    yield store
    store.engine.dispose()


def cohort(store, period=PERIOD, **match) -> list[dict]:
    a, b = period.utc
    with store.engine.connect() as c:
        rows = [dict(r) for r in c.execute(select(tickets).where(tickets.c.reported_at >= a,
                                                                 tickets.c.reported_at < b)).mappings()]
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


def test_department_extras_match_a_recount(filled):
    rows = cohort(filled)
    got = drill.department_extras(filled.engine, PERIOD)
    deps = {r["department"] for r in rows if r["department"]}
    assert set(got) == deps and deps
    for dep in deps:
        mine = [r for r in rows if r["department"] == dep]
        handled = [r for r in mine if r["handled_at"] and r["dispatched_at"]]
        assert got[dep]["n_handled"] == len(handled)
        assert got[dep]["returns"] == sum(r["return_count"] for r in mine)
        assert got[dep]["returned"] == sum(1 for r in mine if r["return_count"] > 0)
        if handled:
            hours = sum((r["handled_at"] - r["dispatched_at"]).total_seconds() for r in handled) / len(handled) / 3600
            assert got[dep]["avg_handle_h"] == pytest.approx(hours, abs=0.01)
    assert sum(v["returns"] for v in got.values()) > 0  # the backfill returns some tickets: the check bites


def test_lights_match_the_board_and_the_metrics(filled):
    rows = [r for r in cohort(filled) if r["state"] not in ("CLOSED", "VOID")]
    got = drill.lights(filled.engine, PERIOD, NOW)
    want: dict = {}
    for r in rows:
        step = r["step"] or "suspended"
        light = light_of(r["state"], r["step_warn_at"], r["step_due_at"], NOW) or "none"
        want.setdefault(step, {"red": 0, "yellow": 0, "green": 0, "none": 0})[light] += 1
    assert {r["step"]: {k: r[k] for k in drill.LIGHTS} for r in got} == want
    assert all(r["open"] == sum(r[k] for k in drill.LIGHTS) for r in got)
    summary = metrics.summary(filled.engine, PERIOD, "district", now=NOW)[0]
    assert sum(r["open"] for r in got) == summary["open_now"] > 0
    assert sum(r["red"] for r in got) == summary["overdue_now"]


@pytest.mark.parametrize("filters", [{}, {"street": "120110002"}, {"category": "1101", "source": "worker_patrol"},
                                     {"tier": "street"}])
def test_ticket_pages_cover_the_cohort_newest_first(filled, filters):
    rows = cohort(filled, **{("street_code" if k == "street" else "category_code" if k == "category" else k): v
                             for k, v in filters.items()})
    first, n = drill.ticket_page(filled.engine, PERIOD, page=1, page_size=7, **filters)
    second, n2 = drill.ticket_page(filled.engine, PERIOD, page=2, page_size=7, **filters)
    assert n == n2 == len(rows) > 7
    got = first + second
    assert [t["reported_at"] for t in got] == sorted((t["reported_at"] for t in got), reverse=True)
    want = sorted(rows, key=lambda r: (r["reported_at"], r["id"]), reverse=True)[:14]
    assert [t["id"] for t in got] == [r["id"] for r in want]


def test_tier_filter_summary_series_and_ranking(filled):
    by_tier = {}
    for tier in ("community", "street", "district"):
        row = drill.summary(filled.engine, PERIOD, "district", now=NOW, tier=tier)[0]
        rows = cohort(filled, tier=tier)
        assert row["received"] == len(rows)
        assert row["closed"] == sum(1 for r in rows if r["state"] == "CLOSED")
        closed = sorted(r["close_s"] for r in rows if r["close_s"] is not None)
        if closed:
            assert row["p90_close_h"] == pytest.approx(closed[max(1, -(-9 * len(closed) // 10)) - 1] / 3600, abs=0.01)
        by_tier[tier] = row
        days = drill.series(filled.engine, PERIOD, "day", now=NOW, tier=tier)
        assert total(days) == total([row])
        streets = drill.ranking(filled.engine, PERIOD, "streets", now=NOW, tier=tier)
        assert total(streets) == total([row])
        assert [r["rank"] for r in streets] == list(range(1, len(streets) + 1))
    district = metrics.summary(filled.engine, PERIOD, "district", now=NOW)[0]
    assert {k: sum(r[k] for r in by_tier.values()) for k in COUNTS} == {k: district[k] for k in COUNTS}


def test_without_tier_the_metrics_answer(filled):
    assert drill.summary(filled.engine, PERIOD, "street", now=NOW, street=None) == \
        metrics.summary(filled.engine, PERIOD, "street", now=NOW)


def test_unknown_filter_is_refused(filled):
    with pytest.raises(ValueError, match="unknown filter"):
        drill.ticket_page(filled.engine, PERIOD, colour="red")
