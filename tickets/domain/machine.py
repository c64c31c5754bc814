"""Who may do what: the permission check in front of every transition.

:func:`decide` either returns the transition's outcome or raises a 409 :class:`TicketError`
whose sentence says why. :func:`allowed_actions` lists what a caller may do next, by asking
:func:`decide` about every action, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tickets.domain.actors import Actor
from tickets.domain.errors import TicketError, conflict
from tickets.domain.states import ACTIONS, TRANSITIONS, State, Tier

# The role that takes each action in its own right (the district center takes them all at its tier).
ACTION_ROLES: dict[str, frozenset[str]] = {
    "self_handle": frozenset({"worker"}),
    "approve": frozenset({"street"}),
    "reject": frozenset({"street"}),
    "verify": frozenset({"street", "worker"}),
    "register": frozenset({"street"}),
    "void": frozenset({"street"}),
    "dispatch": frozenset({"street"}),
    "sign": frozenset({"department"}),
    "return": frozenset({"street", "department"}),
    "extend": frozenset({"street"}),
    "request_extension": frozenset({"department"}),
    "suspend": frozenset({"street"}),
    "request_suspension": frozenset({"department"}),
    "resume": frozenset({"street"}),
    "handle": frozenset({"department"}),
    "request_check": frozenset({"street"}),
    "close": frozenset({"worker"}),
    "rework": frozenset({"worker", "street"}),
    "escalate": frozenset({"street"}),
}

# Input each action needs beyond permission: a reason, photos, a department.
NEEDS_NOTE = frozenset({"void", "return", "reject", "rework", "escalate", "suspend", "request_suspension"})
NEEDS_PHOTO = frozenset({"self_handle", "handle"})
NEEDS_DEPARTMENT = frozenset({"dispatch"})

WorkerGrid = Callable[[str], str | None]  # worker_id -> home grid code (None: not on the roster)


@dataclass(frozen=True)
class Decision:
    """The outcome of an allowed action: the new state and tier, and whose role the actor stood in for."""

    action: str
    to_state: State
    to_tier: Tier
    on_behalf_of: str | None = None


def decide(ticket: Mapping, action: str, actor: Actor, worker_grid: WorkerGrid) -> Decision:
    """Check ``action`` by ``actor`` on ``ticket`` (a mapping with state, tier, street_code, grid_code, department).

    Raises
    ------
    TicketError
        409 with code ``unknown_action``, ``wrong_state``, ``wrong_role``, ``out_of_scope`` or ``top_tier``.
    """
    if action not in TRANSITIONS:
        raise conflict("unknown_action", f"'{action}' is not an action; the actions are: {', '.join(ACTIONS)}.")
    starts, to_state = TRANSITIONS[action]
    state, tier = State(ticket["state"]), Tier(ticket["tier"])
    if state not in starts:
        allowed_from = ", ".join(sorted(starts))
        raise conflict("wrong_state", f"'{action}' is only possible from {allowed_from}; this ticket is {state}.")
    new_tier = tier
    if action == "escalate":
        new_tier = tier.up()
        if new_tier is None:
            raise conflict("top_tier", "the ticket is already at the district tier and cannot be escalated further.")
    roles = ACTION_ROLES[action]
    on_behalf = None
    if actor.role == "district":
        # The district center acts at its own tier as the street center does below it, and on anyone's behalf.
        own = "street" in roles and tier is Tier.DISTRICT
        on_behalf = None if own else sorted(roles)[0]
    elif actor.role not in roles:
        raise conflict("wrong_role", f"a {actor.role} may not '{action}'; that is for: {', '.join(sorted(roles))}.")
    else:
        _check_scope(ticket, action, actor, tier, worker_grid)
    return Decision(action, to_state or state, new_tier, on_behalf)


def _check_scope(ticket: Mapping, action: str, actor: Actor, tier: Tier, worker_grid: WorkerGrid) -> None:
    if actor.role == "street":
        if ticket["street_code"] != actor.street_code:
            raise conflict("out_of_scope", f"the ticket is in street {ticket['street_code']}, not in {actor.street_code}.")
        if tier is Tier.DISTRICT:
            raise conflict("out_of_scope", "the ticket is at the district tier; only the district center acts on it.")
    elif actor.role == "department":
        if ticket.get("department") != actor.department:
            raise conflict("out_of_scope", f"the ticket is not dispatched to department {actor.department}.")
    elif actor.role == "worker":
        home = worker_grid(actor.worker_id) if actor.worker_id else None
        if home is None:
            raise conflict("out_of_scope", f"worker {actor.worker_id!r} is not on this district's roster.")
        if home != ticket["grid_code"]:
            raise conflict("out_of_scope", f"the ticket is in grid {ticket['grid_code']}, not in the worker's grid {home}.")


def allowed_actions(ticket: Mapping, actor: Actor, worker_grid: WorkerGrid) -> list[str]:
    """The actions ``actor`` may take next on ``ticket``, in table order."""
    out = []
    for action in ACTIONS:
        try:
            decide(ticket, action, actor, worker_grid)
        except TicketError:  # a refusal just means "not allowed"
            continue
        out.append(action)
    return out
