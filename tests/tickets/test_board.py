"""The live board of open tickets: lights read from the stored instants, the overdue list, the points after events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.tickets.conftest import INSIDE, T0, WORKER
from tickets.metrics import board
from tickets.service import NewTicket


@pytest.mark.parametrize(("state", "warn_h", "due_h", "light"), [
    ("REGISTERED", 1, 2, "green"),        # before the warning instant
    ("REGISTERED", -1, 2, "yellow"),      # 80–100% used: 督办
    ("REGISTERED", -2, -1, "red"),        # past the deadline: 超期
    ("REGISTERED", -2, 0, "yellow"),      # exactly at the deadline is not yet over it
    ("SUSPENDED", -2, -1, None),          # 挂账: the clock stops
    ("REGISTERED", None, None, None),     # no clock runs
])
def test_light_of_a_step(state, warn_h, due_h, light):
    at = lambda h: None if h is None else T0 + timedelta(hours=h)  # noqa: E731
    assert board.light_of(state, at(warn_h), at(due_h), T0) == light


def report(service, n=1, where=INSIDE):
    return [service.create(NewTicket("1101", *where, "垃圾"), WORKER) for _ in range(n)]


def test_open_points_lists_open_tickets_with_their_light(service, clock):
    made = report(service, 3)
    service.act(made[0]["id"], "void", _center(), note="重复")
    pts = board.open_points(service.store.engine, clock())
    assert pts["f"] == board.POINT_FIELDS
    assert [r[0] for r in pts["rows"]] == [made[1]["id"], made[2]["id"]]
    assert all(r[4] == "green" for r in pts["rows"])
    later = clock() + timedelta(days=30)
    assert {r[4] for r in board.open_points(service.store.engine, later)["rows"]} == {"red"}
    assert board.open_points(service.store.engine, clock(), street="120110002")["rows"] == []


def test_overdue_is_most_overdue_first_with_hours_over(service, clock):
    first = report(service)[0]
    clock.advance(hours=3)
    second = report(service)[0]
    late = clock() + timedelta(days=20)
    rows = board.overdue(service.store.engine, late)
    assert [r["id"] for r in rows] == [first["id"], second["id"]]
    assert rows[0]["hours_over"] > rows[1]["hours_over"] > 0
    assert second["id"] not in [r["id"] for r in board.overdue(service.store.engine, clock())]


def test_ticket_points_say_whether_a_ticket_is_still_open(service, clock):
    a, b = report(service, 2)
    service.act(b["id"], "void", _center(), note="无效")
    pts = board.ticket_points(service.store.engine, [a["id"], b["id"], 999], clock())
    assert pts[a["id"]]["open"] == 1 and pts[a["id"]]["light"] == "green"
    assert pts[b["id"]]["open"] == 0 and pts[b["id"]]["light"] is None
    assert 999 not in pts


def _center():
    from tests.tickets.conftest import DISTRICT

    return DISTRICT
