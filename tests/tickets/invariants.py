"""Metric invariants shared by the SQLite unit tests and the PostgreSQL integration tests."""

from __future__ import annotations

import math
from datetime import date

from tickets import metrics

COUNTS = ("received", "registered", "dispatched", "closed", "closed_on_time", "due_to_close", "handled",
          "handled_on_time", "due_to_handle", "reworked", "voided", "self_handled", "open_now", "overdue_now",
          "yellow_now")
RATES = ("closure_rate", "press_closure_rate", "on_time_closure_rate", "registration_rate", "handling_rate",
         "on_time_handling_rate", "rework_rate")


def check_rows(rows):
    for r in rows:
        assert r["closed"] <= r["due_to_close"], r
        assert r["closed_on_time"] <= r["closed"] and r["handled_on_time"] <= r["handled"] <= r["due_to_handle"]
        assert r["registered"] <= r["received"] and r["overdue_now"] <= r["open_now"]
        for k in RATES:
            assert r[k] is None or 0 <= r[k] <= 1, (k, r)


def total(rows):
    return {k: sum(r[k] for r in rows) for k in COUNTS}


def check_invariants(engine, period: metrics.Period, now, street: str, community: str):
    district = metrics.summary(engine, period, "district", now=now)
    assert len(district) == 1
    check_rows(district)
    for level in ("street", "community", "grid", "category", "major", "source", "worker"):
        rows = metrics.summary(engine, period, level, now=now)
        check_rows(rows)
        assert total(rows) == total(district), f"{level} rows do not sum to the district"
    # a drill step: the street's communities sum to the street, its grids to each community
    street_row = [r for r in metrics.summary(engine, period, "street", now=now) if r["key"] == street]
    assert total(metrics.summary(engine, period, "community", now=now, street=street)) == total(street_row)
    com_row = [r for r in metrics.summary(engine, period, "community", now=now) if r["key"] == community]
    assert total(metrics.summary(engine, period, "grid", now=now, community=community)) == total(com_row)
    # departments: tickets never dispatched fall in the None row, so they still sum
    assert total(metrics.summary(engine, period, "department", now=now)) == total(district)
    days = metrics.series(engine, period, "day", now=now)
    assert total(days) == total(district)
    assert all(period.start <= date.fromisoformat(r["key"]) <= period.end for r in days)
    assert total(metrics.series(engine, period, "hour", now=now)) == total(district)
    return district[0]


def p90_nearest_rank(values):
    values = sorted(values)
    return values[max(1, math.ceil(0.9 * len(values))) - 1]
