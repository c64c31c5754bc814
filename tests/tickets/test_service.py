"""The service: reports, actions, deadlines and lights, refusals that change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.tickets.conftest import DEPT, DISTRICT, GRID, INSIDE, JPEG, OUTSIDE, PNG, STREET_CENTER, WORKER
from tickets.domain.errors import TicketError
from tickets.service import NewTicket
from tickets.store.models import outbox, photos, tickets, transitions
from tickets.store.photos import Upload


def counts(store):
    with store.engine.connect() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (tickets, transitions, photos, outbox))


def report(service, **kw):
    return service.create(NewTicket(kw.pop("category", "1101"), *kw.pop("at", INSIDE), **kw), WORKER)


def test_report_places_the_ticket(service):
    t = report(service, description="路边垃圾", photos=[Upload("a.jpg", JPEG)])
    assert (t["grid_code"], t["community_code"], t["street_code"]) == (GRID, GRID[:12], GRID[:9])
    assert t["state"] == "REPORTED" and t["tier"] == "community" and t["source"] == "worker_patrol"
    assert t["number"].startswith("12011020241118")
    assert t["grid_worker_id"] == WORKER.worker_id
    assert counts(service.store) == (1, 1, 1, 1)


@pytest.mark.parametrize(
    ("kw", "status", "code"),
    [
        ({"category": "9999"}, 400, "unknown_category"),
        ({"at": OUTSIDE}, 400, "outside_district"),
        ({"at": ("abc", 39.1)}, 400, "bad_coordinates"),
        ({"at": (None, None)}, 400, "missing_location"),  # no point and no address
        ({"at": (None, 39.1)}, 400, "bad_coordinates"),
        ({"at": (200.0, 39.1)}, 400, "bad_coordinates"),
        ({"at": (float("nan"), 39.1)}, 400, "bad_coordinates"),
        ({"description": "长" * 4001}, 400, "description_too_long"),
        ({"source": "pigeon"}, 400, "unknown_source"),
        ({"photos": [Upload("a.gif", b"GIF89a" + bytes(20))]}, 415, "unsupported_photo_type"),
        ({"photos": [Upload("a.jpg", JPEG + bytes(6 * 1024 * 1024))]}, 413, "photo_too_large"),
        ({"photos": [Upload("a.jpg", JPEG)] * 7}, 400, "too_many_photos"),
    ],
)
def test_bad_reports_change_nothing(service, kw, status, code):
    before = counts(service.store)
    with pytest.raises(TicketError) as err:
        report(service, **kw)
    assert (err.value.status, err.value.code) == (status, code)
    assert counts(service.store) == before


def walk(service, clock, t):
    t = service.act(t["id"], "register", STREET_CENTER)
    t = service.act(t["id"], "dispatch", STREET_CENTER, department="C01")
    clock.advance(minutes=20)
    return service.act(t["id"], "sign", DEPT)


def test_full_loop_on_time(service, clock):
    t = walk(service, clock, report(service))
    clock.advance(hours=1)
    t = service.act(t["id"], "handle", DEPT, photos=[Upload("done.png", PNG)])
    assert t["handled_on_time"] is True
    t = service.act(t["id"], "request_check", STREET_CENTER)
    t = service.act(t["id"], "close", WORKER, note="已核实")
    assert t["state"] == "CLOSED" and t["closed_on_time"] is True and t["close_s"] == 80 * 60
    assert [h["action"] for h in service.store.history(t["id"])] == [
        "report", "register", "dispatch", "sign", "handle", "request_check", "close"]


@pytest.mark.parametrize(
    ("action", "kw", "status", "code"),
    [
        ("handle", {}, 400, "photo_required"),
        ("return", {}, 400, "note_required"),
        ("close", {}, 409, "wrong_state"),
        ("handle", {"photos": [Upload("x.txt", b"hello")]}, 415, "unsupported_photo_type"),
        ("handle", {"version": 1, "photos": [Upload("a.jpg", JPEG)]}, 409, "stale"),
        ("handle", {"expected_state": "DISPATCHED", "photos": [Upload("a.jpg", JPEG)]}, 409, "stale"),
        ("extend", {"extension_hours": -3}, 400, "bad_extension"),
    ],
)
def test_bad_actions_change_nothing(service, clock, action, kw, status, code):
    t = walk(service, clock, report(service))
    before = (counts(service.store), service.store.get(t["id"]))
    actor = STREET_CENTER if action == "extend" else DEPT
    with pytest.raises(TicketError) as err:
        service.act(t["id"], action, actor, **kw)
    assert (err.value.status, err.value.code) == (status, code)
    assert (counts(service.store), service.store.get(t["id"])) == before


def test_unknown_ticket(service):
    with pytest.raises(TicketError) as err:
        service.act(424242, "register", STREET_CENTER)
    assert (err.value.status, err.value.code) == (404, "unknown_ticket")


@pytest.mark.parametrize(("code", "status"), [(None, 400), ("NOPE", 400), ("S01", 400), ("C02", 200)])
def test_dispatch_checks_the_department(service, code, status):
    t = service.act(report(service)["id"], "register", STREET_CENTER)
    try:
        service.act(t["id"], "dispatch", STREET_CENTER, department=code)
        got = 200
    except TicketError as exc:
        got = exc.status
    assert got == status


def test_light_turns_yellow_then_red_and_notices_are_raised(service, clock):
    t = walk(service, clock, report(service))  # exposed garbage: 4 working hours to handle
    assert service.deadlines.light(t, clock.now) == "green"
    clock.advance(hours=3, minutes=30)  # signed 10:20 → 13:50: 1h40 + 20 min of work used (50%)
    assert service.deadlines.light(t, clock.now) == "green"
    clock.advance(hours=1)  # 14:50: 3 h of 4 used → 75%
    assert service.deadlines.light(t, clock.now) == "green"
    clock.advance(minutes=20)  # 3h20 used → 83%
    assert service.deadlines.light(t, clock.now) == "yellow"
    assert service.sweep() == 1 and service.sweep() == 0
    clock.advance(hours=1)
    assert service.deadlines.light(t, clock.now) == "red"
    assert service.sweep() == 1
    actions = [h["action"] for h in service.store.history(t["id"])]
    assert actions[-2:] == ["supervise", "overdue"]
    assert service.store.get(t["id"])["version"] == t["version"]  # notices are not changes


def test_suspension_stops_the_clock_and_extension_moves_it(service, clock):
    t = walk(service, clock, report(service))
    due = t["step_due_at"]
    clock.advance(hours=1)
    t = service.act(t["id"], "suspend", STREET_CENTER, note="等待产权单位")
    left = t["step_remaining_s"]
    assert t["step_due_at"] is None and service.deadlines.light(t, clock.now) is None
    clock.advance(days=10)
    t = service.act(t["id"], "resume", STREET_CENTER)
    assert service.calendar.working_seconds(clock.now, t["step_due_at"]) == pytest.approx(left)
    assert t["step_due_at"] > due
    before = t["step_due_at"]
    t = service.act(t["id"], "extend", STREET_CENTER, extension_hours=7.5)
    assert service.calendar.working_seconds(before, t["step_due_at"]) == pytest.approx(7.5 * 3600)
    assert t["extension_count"] == 1


def test_department_requests_and_street_approves(service, clock):
    t = walk(service, clock, report(service))
    t = service.act(t["id"], "request_extension", DEPT, note="材料未到")
    assert t["pending_request"] == "extension" and t["state"] == "IN_PROGRESS"
    t = service.act(t["id"], "extend", STREET_CENTER)
    assert t["pending_request"] is None


def test_self_handled_ticket_counts_as_a_case(service):
    t = report(service)
    t = service.act(t["id"], "self_handle", WORKER, photos=[Upload("a.jpg", JPEG)])
    assert t["registered_at"] is not None and t["self_handled"]
    t = service.act(t["id"], "approve", STREET_CENTER)
    assert t["state"] == "CLOSED" and t["closed_on_time"]


def test_district_on_behalf_is_recorded(service, clock):
    t = walk(service, clock, report(service))
    service.act(t["id"], "handle", DISTRICT, photos=[Upload("a.jpg", JPEG)])
    last = service.store.history(t["id"])[-1]
    assert (last["actor_role"], last["on_behalf_of"]) == ("district", "department")


def test_escalation_clears_the_department(service, clock):
    t = walk(service, clock, report(service))
    t = service.act(t["id"], "escalate", STREET_CENTER, note="超出社区权限")
    assert (t["state"], t["tier"], t["department"]) == ("REGISTERED", "street", None)
    t = service.act(t["id"], "dispatch", STREET_CENTER, department="S01")
    assert t["department"] == "S01"
