"""What an allowed transition writes: the ticket's new column values, its history row and its event.

Pure functions of (ticket row, decision, time): no I/O, so the service, the simulator's fast
backfill and the property tests all share one definition of every action's effect.
"""

from __future__ import annotations

from datetime import datetime

from tickets.domain.actors import Actor
from tickets.domain.deadlines import Deadlines
from tickets.domain.machine import Decision
from tickets.domain.states import State


def apply(dl: Deadlines, t: dict, d: Decision, now: datetime, *, department: str | None = None,
          extra_s: float = 0.0) -> dict:
    """Column values to write for decision ``d`` on ticket row ``t`` at ``now`` (version excluded)."""
    a, cat = d.action, t["category_code"]
    v: dict = {"state": d.to_state.value, "tier": d.to_tier.value, "updated_at": now, "pending_request": None}
    if a in ("suspend",):
        v.update(dl.suspend(t, now))
    elif a == "resume":
        v.update(dl.resume(t, now))
    elif a == "extend":
        v.update(dl.extend(t, now, extra_s))
    elif a in ("request_extension", "request_suspension"):
        v["pending_request"] = "extension" if a == "request_extension" else "suspension"
    else:
        v.update(dl.start_step(cat, d.to_state, now))
    counters = {"rework": "rework_count", "return": "return_count", "extend": "extension_count",
                "suspend": "suspension_count", "escalate": "escalation_count"}
    if a in counters:
        v[counters[a]] = (t.get(counters[a]) or 0) + 1
    if a in ("register", "self_handle") and t.get("registered_at") is None:
        v["registered_at"] = now
        v["close_due_at"] = dl.close_due(cat, now)
    if a == "self_handle":
        v["self_handled"] = True
    elif a == "dispatch":
        v["department"] = department
        if t.get("dispatched_at") is None:
            v["dispatched_at"] = now
    elif a == "sign" and t.get("signed_at") is None:
        v["signed_at"] = now
        v["handle_due_at"] = dl.handle_due(cat, now)
    elif a in ("return", "escalate"):
        v["department"] = None  # back to the center (or the next tier's) to dispatch again
    elif a == "handle" and t.get("handled_at") is None:
        v["handled_at"] = now
        due = t.get("handle_due_at")
        v["handled_on_time"] = due is None or now <= due
        if t.get("dispatched_at") is not None:  # the department's time, for its average (metrics)
            v["handle_s"] = (now - t["dispatched_at"]).total_seconds()
    elif a == "void":
        v["voided_at"] = now
    if d.to_state is State.CLOSED:
        due = t.get("close_due_at") or v.get("close_due_at")
        v["closed_at"] = now
        v["closed_on_time"] = due is None or now <= due
        v["close_s"] = (now - t["reported_at"]).total_seconds()
    if d.to_state in (State.CLOSED, State.VOID):
        v.update(handle_due_at=None, close_due_at=None, step_remaining_s=None, handle_remaining_s=None,
                 close_remaining_s=None)
    return v


def transition_row(t: dict, d: Decision, actor: Actor, now: datetime, note: str | None,
                   department: str | None) -> dict:
    return {
        "ticket_id": t["id"], "action": d.action, "from_state": t["state"], "to_state": d.to_state.value,
        "from_tier": t["tier"], "to_tier": d.to_tier.value,
        "department": department if d.action == "dispatch" else None,
        "actor_name": actor.label if actor.role != "district" else actor.name, "actor_role": actor.role,
        "on_behalf_of": d.on_behalf_of, "at": now, "note": note,
    }


def report_row(ticket_id: int, t: dict, now: datetime) -> dict:
    """The first history entry: the report itself."""
    return {"ticket_id": ticket_id, "action": "report", "from_state": None, "to_state": "REPORTED",
            "from_tier": None, "to_tier": "community", "department": None, "actor_name": t["reporter_name"],
            "actor_role": t["reporter_role"], "on_behalf_of": None, "at": now, "note": None}


def notice_row(t: dict, action: str, actor: Actor, now: datetime) -> dict:
    """A history entry for a notice: the state does not change."""
    return {"ticket_id": t["id"], "action": action, "from_state": t["state"], "to_state": t["state"],
            "from_tier": t["tier"], "to_tier": t["tier"], "department": None, "actor_name": actor.name,
            "actor_role": actor.role, "on_behalf_of": None, "at": now, "note": "督办: 80% of the step's time used" if action == "supervise" else "超期: step overdue"}


def photo_rows(ticket_id: int, transition_id: int, checked, paths, now: datetime) -> list[dict]:
    return [
        {"ticket_id": ticket_id, "transition_id": transition_id, "path": path, "content_type": p.content_type,
         "size_bytes": len(p.data), "sha256": p.sha256, "created_at": now}
        for p, path in zip(checked, paths, strict=True)
    ]


def event(t: dict, action: str, from_state: str | None, at: datetime | None = None) -> dict:
    """The ticket event the live screens receive (through the outbox and the Redis stream)."""
    return {
        "ticket_id": t["id"], "number": t["number"], "action": action, "from_state": from_state,
        "to_state": t["state"], "tier": t["tier"], "grid_code": t["grid_code"],
        "community_code": t["community_code"], "street_code": t["street_code"], "lon": t["lon"], "lat": t["lat"],
        "category_code": t["category_code"], "department": t.get("department"), "source": t["source"],
        "at": (at or t["updated_at"]).isoformat(),
        "step_due_at": t["step_due_at"].isoformat() if t.get("step_due_at") else None,
    }
