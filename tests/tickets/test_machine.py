"""The state machine: the transition table, who may do what, and a stateful property test over the service."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.conftest import make_box_district
from tests.tickets.conftest import (
    DEPT,
    DISTRICT,
    GRID,
    JPEG,
    OTHER_STREET,
    OTHER_WORKER,
    STREET_CENTER,
    STREET_DEPT,
    WORKER,
    Clock,
)
from tickets.domain.actors import Actor
from tickets.domain.errors import TicketError
from tickets.domain.machine import ACTION_ROLES, allowed_actions, decide
from tickets.domain.states import ACTIONS, FINAL_STATES, TRANSITIONS, State, Tier
from tickets.service import NewTicket, TicketService
from tickets.settings import load_settings
from tickets.store.photos import Upload
from tickets.store.sql import SqlTicketStore

ROSTER = {WORKER.worker_id: GRID, OTHER_WORKER.worker_id: "120110002001001"}


def ticket(state, tier="community", department=None):
    return {"state": state, "tier": tier, "street_code": "120110001", "grid_code": GRID, "department": department}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", list(State))
def test_only_table_transitions_are_allowed(state, action):
    t = ticket(state, department="C01")
    allowed = state in TRANSITIONS[action][0]
    try:
        decide(t, action, DISTRICT, ROSTER.get)
        accepted = True
    except TicketError as exc:
        assert exc.status == 409 and exc.message
        accepted = False
    assert accepted == allowed


@pytest.mark.parametrize(
    ("actor", "action", "state", "tier", "code"),
    [
        (WORKER, "register", "REPORTED", "community", "wrong_role"),
        (OTHER_WORKER, "self_handle", "REPORTED", "community", "out_of_scope"),
        (OTHER_STREET, "register", "REPORTED", "community", "out_of_scope"),
        (STREET_CENTER, "dispatch", "REGISTERED", "district", "out_of_scope"),
        (STREET_DEPT, "sign", "DISPATCHED", "community", "out_of_scope"),
        (DEPT, "close", "CHECKING", "community", "wrong_role"),
        (STREET_CENTER, "void", "REPORTED", "district", "out_of_scope"),
        (DISTRICT, "escalate", "REGISTERED", "district", "top_tier"),
        (DISTRICT, "fly", "REGISTERED", "district", "unknown_action"),
        (Actor(role="worker", name="x", worker_id="nobody"), "close", "CHECKING", "community", "out_of_scope"),
    ],
)
def test_refusals_say_why(actor, action, state, tier, code):
    with pytest.raises(TicketError) as err:
        decide(ticket(state, tier, department="C01"), action, actor, ROSTER.get)
    assert err.value.status == 409
    assert err.value.code == code
    assert len(err.value.message) > 20


def test_allowed_actions_per_role():
    t = ticket("REPORTED")
    assert allowed_actions(t, WORKER, ROSTER.get) == ["self_handle", "verify"]
    assert allowed_actions(t, STREET_CENTER, ROSTER.get) == ["verify", "register", "void"]
    assert allowed_actions(t, DEPT, ROSTER.get) == []
    assert allowed_actions(ticket("IN_PROGRESS", department="C01"), DEPT, ROSTER.get) == [
        "return", "request_extension", "request_suspension", "handle"]


def test_district_acts_on_behalf_and_is_recorded_so():
    d = decide(ticket("DISPATCHED", department="C01"), "sign", DISTRICT, ROSTER.get)
    assert d.on_behalf_of == "department"
    own = decide(ticket("REGISTERED", "district"), "dispatch", DISTRICT, ROSTER.get)
    assert own.on_behalf_of is None


ACTORS = [WORKER, OTHER_WORKER, STREET_CENTER, OTHER_STREET, DEPT, STREET_DEPT,
          Actor(role="department", name="区城管委", department="D01"), DISTRICT]
DEPARTMENTS = ["C01", "S01", "D01", None]


def oracle_permits(t: dict, action: str, actor: Actor) -> bool:
    """An independent statement of who may do what (DOMAIN.md), to check the machine against."""
    if State(t["state"]) not in TRANSITIONS[action][0]:
        return False
    if action == "escalate" and t["tier"] == "district":
        return False
    if actor.role == "district":
        return True
    if actor.role not in ACTION_ROLES[action]:
        return False
    if actor.role == "street":
        return t["street_code"] == actor.street_code and t["tier"] != "district"
    if actor.role == "department":
        return t["department"] == actor.department
    return ROSTER.get(actor.worker_id) == t["grid_code"]


class TicketLoop(RuleBasedStateMachine):
    """Random actions by random actors at random times: the service must agree with the oracle."""

    @initialize()
    def setup(self):
        self.clock = Clock()
        self.store = SqlTicketStore("sqlite://")
        self.store.migrate()
        self.svc = TicketService(self.store, make_box_district(),
                                 load_settings(photo_dir="/tmp/gp-test-photos"), clock=self.clock)
        self.ids: list[int] = []
        self.frozen: dict[int, dict] = {}  # ticket id -> remaining clocks when suspended
        self.seen: set[str] = set()

    def teardown(self):
        if hasattr(self, "store"):
            self.store.engine.dispose()

    @rule(source=st.sampled_from(["worker_patrol", "hotline_12345", "resident_app"]),
          lon=st.floats(117.3001, 117.3299), lat=st.floats(39.0701, 39.0999))
    def report(self, source, lon, lat):
        # a worker reports in its own street (tickets.visibility); elsewhere the district center files the patrol report
        grid = self.svc.district.locator.locate_one(lon, lat)
        own_street = grid is not None and self.svc.grids[grid][1] == self.svc.grids[GRID][1]
        actor = WORKER if source == "worker_patrol" and own_street else DISTRICT
        self.ids.append(self.svc.create(NewTicket("1101", lon, lat, "x", source), actor)["id"])

    @rule(i=st.integers(0, 50), action=st.sampled_from(ACTIONS), actor=st.sampled_from(ACTORS),
          dep=st.sampled_from(DEPARTMENTS))
    def act(self, i, action, actor, dep):
        if not self.ids:
            return
        tid = self.ids[i % len(self.ids)]
        before = self.store.get(tid)
        permitted = oracle_permits(before, action, actor)
        try:
            after = self.svc.act(tid, action, actor, note="原因", department=dep,
                                 photos=[Upload("p.jpg", JPEG)])
        except TicketError as exc:
            assert exc.status in (400, 409)
            assert self.store.get(tid) == before, "a refused action changed the ticket"
            if exc.status == 409:
                assert not permitted, f"{actor.role} {action} on {before['state']} was refused: {exc.message}"
            return
        assert permitted, f"{actor.role} {action} on {before['state']}/{before['tier']} was accepted"
        assert after["version"] == before["version"] + 1
        if action == "suspend":
            self.frozen[tid] = {k: after[k] for k in ("step_remaining_s", "close_remaining_s", "handle_remaining_s")}
        if action == "resume":
            left = self.frozen.pop(tid)
            if left["step_remaining_s"] is not None and left["step_remaining_s"] >= 0:
                ran = self.svc.calendar.working_seconds(self.clock.now, after["step_due_at"])
                assert ran == pytest.approx(left["step_remaining_s"], abs=1e-3)

    @rule(i=st.integers(0, 50), picks=st.lists(st.integers(0, 1000), min_size=1, max_size=10))
    def act_allowed(self, i, picks):
        """Take actions the service lists as allowed, by whoever may: each must be accepted.

        This walks tickets deep into the loop (dispatch, suspend, rework …), which random actions rarely reach.
        """
        if not self.ids:
            return
        tid = self.ids[i % len(self.ids)]
        for pick in picks:
            t = self.store.get(tid)
            options = [(a, actor) for actor in ACTORS for a in self.svc.allowed(t, actor)]
            if not options:
                return
            action, actor = options[pick % len(options)]
            tier = Tier(t["tier"])
            deps = self.svc.catalog.departments_for(tier)
            self.act(i, action, actor, deps[pick % len(deps)].code)
            assert self.store.get(tid)["version"] == t["version"] + 1, f"allowed {action} was refused"
            self.seen.add(action)
            self.clock.advance(minutes=pick)

    @rule(minutes=st.integers(1, 4 * 24 * 60))
    def wait(self, minutes):
        self.clock.advance(minutes=minutes)

    @rule()
    def sweep(self):
        self.svc.sweep()

    @invariant()
    def history_replays_to_state(self):
        for tid in getattr(self, "ids", []):
            t = self.store.get(tid)
            hist = self.store.history(tid)
            state, tier = None, None
            for h in hist:
                assert h["from_state"] == state and h["from_tier"] == tier, f"broken chain in {tid}"
                if h["action"] not in ("report", "supervise", "overdue"):
                    starts, to = TRANSITIONS[h["action"]]
                    assert State(h["from_state"]) in starts
                    assert h["to_state"] == (to or State(h["from_state"])).value
                state, tier = h["to_state"], h["to_tier"]
            assert (state, tier) == (t["state"], t["tier"])
            changes = [h for h in hist if h["action"] not in ("report", "supervise", "overdue")]
            assert t["version"] == 1 + len(changes)

    @invariant()
    def clocks_stop_while_suspended(self):
        for tid, left in getattr(self, "frozen", {}).items():
            t = self.store.get(tid)
            assert t["state"] == "SUSPENDED"
            assert t["step_due_at"] is None and t["close_due_at"] is None
            assert self.svc.deadlines.light(t, self.clock.now) is None
            assert {k: t[k] for k in left} == left

    @invariant()
    def final_tickets_have_no_clock(self):
        for tid in getattr(self, "ids", []):
            t = self.store.get(tid)
            if State(t["state"]) in FINAL_STATES:
                assert t["step_due_at"] is None and t["close_due_at"] is None


TicketLoop.TestCase.settings = settings(max_examples=25, stateful_step_count=40, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
test_ticket_loop = TicketLoop.TestCase


def test_tier_order():
    assert Tier.COMMUNITY.up() is Tier.STREET and Tier.DISTRICT.up() is None
