"""The closed loop's vocabulary: states, tiers, actions and the transition table of DOMAIN.md.

Overdue is not a state: it is computed from the current step's deadline. The tier is a field.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    REPORTED = "REPORTED"  # 已上报
    VERIFYING = "VERIFYING"  # 待核实
    SELF_HANDLED = "SELF_HANDLED"  # 自处理
    REGISTERED = "REGISTERED"  # 已立案
    DISPATCHED = "DISPATCHED"  # 已派遣
    IN_PROGRESS = "IN_PROGRESS"  # 处置中
    SUSPENDED = "SUSPENDED"  # 挂账
    HANDLED = "HANDLED"  # 已反馈
    CHECKING = "CHECKING"  # 待核查
    CLOSED = "CLOSED"  # 结案
    VOID = "VOID"  # 作废


FINAL_STATES = frozenset({State.CLOSED, State.VOID})
OPEN_STATES = frozenset(State) - FINAL_STATES
STATE_NAMES_ZH = {
    "REPORTED": "已上报", "VERIFYING": "待核实", "SELF_HANDLED": "自处理", "REGISTERED": "已立案",
    "DISPATCHED": "已派遣", "IN_PROGRESS": "处置中", "SUSPENDED": "挂账", "HANDLED": "已反馈",
    "CHECKING": "待核查", "CLOSED": "结案", "VOID": "作废",
}


class Tier(StrEnum):
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"

    def up(self) -> Tier | None:
        """The next tier up, or None at the district tier."""
        order = list(Tier)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


class Source(StrEnum):
    WORKER_PATROL = "worker_patrol"  # 网格员巡查
    HOTLINE_12345 = "hotline_12345"
    RESIDENT_APP = "resident_app"
    VIDEO = "video"  # 视频监控


# action -> (states it may start from, state it leads to; None = stays in the same state)
TRANSITIONS: dict[str, tuple[frozenset[State], State | None]] = {
    "self_handle": (frozenset({State.REPORTED}), State.SELF_HANDLED),
    "approve": (frozenset({State.SELF_HANDLED}), State.CLOSED),
    "reject": (frozenset({State.SELF_HANDLED}), State.REGISTERED),
    "verify": (frozenset({State.REPORTED}), State.VERIFYING),
    "register": (frozenset({State.REPORTED, State.VERIFYING}), State.REGISTERED),
    "void": (frozenset({State.REPORTED, State.VERIFYING}), State.VOID),
    "dispatch": (frozenset({State.REGISTERED}), State.DISPATCHED),
    "sign": (frozenset({State.DISPATCHED}), State.IN_PROGRESS),
    "return": (frozenset({State.DISPATCHED, State.IN_PROGRESS}), State.REGISTERED),
    "extend": (frozenset({State.IN_PROGRESS}), None),
    "request_extension": (frozenset({State.IN_PROGRESS}), None),
    "suspend": (frozenset({State.IN_PROGRESS}), State.SUSPENDED),
    "request_suspension": (frozenset({State.IN_PROGRESS}), None),
    "resume": (frozenset({State.SUSPENDED}), State.IN_PROGRESS),
    "handle": (frozenset({State.IN_PROGRESS}), State.HANDLED),
    "request_check": (frozenset({State.HANDLED}), State.CHECKING),
    "close": (frozenset({State.CHECKING}), State.CLOSED),
    "rework": (frozenset({State.CHECKING}), State.IN_PROGRESS),
    "escalate": (frozenset({State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS}), State.REGISTERED),
}
ACTIONS = tuple(TRANSITIONS)

# The working-time step a ticket is in while in each state; SUSPENDED has none: its clock is stopped.
STEP_OF_STATE: dict[State, str | None] = {
    State.REPORTED: "register",
    State.VERIFYING: "verify",
    State.SELF_HANDLED: "self_review",
    State.REGISTERED: "dispatch",
    State.DISPATCHED: "sign",
    State.IN_PROGRESS: "handle",
    State.SUSPENDED: None,
    State.HANDLED: "check",
    State.CHECKING: "check",
    State.CLOSED: None,
    State.VOID: None,
}

# Open311 GeoReport v2 knows two statuses.
OPEN311_STATUS = {s: ("closed" if s in FINAL_STATES else "open") for s in State}
