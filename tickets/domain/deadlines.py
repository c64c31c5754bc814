"""Deadlines and the traffic light: how each transition moves a ticket's clocks.

A ticket carries three clocks, each an absolute UTC deadline on the working calendar:
the current step's (``step_due_at``, with ``step_warn_at`` where the light turns yellow), the handling
deadline (``handle_due_at``, set when a department signs) and the closing deadline (``close_due_at``,
set at registration). Suspension stores the working seconds left on each clock and clears the deadlines,
so nothing can run (or look overdue) while suspended; resumption re-lays them from the resume time.
Storing absolute instants lets SQL find yellow and red tickets with plain comparisons.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from tickets.domain.calendar import WorkCalendar
from tickets.domain.limits import TimeLimits
from tickets.domain.states import STEP_OF_STATE, State

LIGHTS = ("green", "yellow", "red")
CLOCKS = ("step", "handle", "close")  # step_due_at, handle_due_at, close_due_at


class Deadlines:
    """Compute the timing fields a transition writes.

    Parameters
    ----------
    calendar : the working calendar.
    limits : the time-limit table.
    yellow_ratio : share of a step's limit after which the light is yellow.
    """

    def __init__(self, calendar: WorkCalendar, limits: TimeLimits, yellow_ratio: float = 0.8):
        self.calendar, self.limits, self.yellow_ratio = calendar, limits, yellow_ratio

    def start_step(self, category: str, state: State, now: datetime) -> dict:
        """Fields for entering ``state``: a fresh step clock (none for final or suspended states)."""
        step = STEP_OF_STATE[state]
        if step is None:
            return {"step": None, "step_started_at": None, "step_limit_s": None, "step_due_at": None,
                    "step_warn_at": None, "supervised": False, "overdue_noticed": False}
        limit = self.limits.limit_s(category, step)
        return {
            "step": step,
            "step_started_at": now,
            "step_limit_s": limit,
            "step_due_at": self.calendar.add(now, limit),
            "step_warn_at": self.calendar.add(now, self.yellow_ratio * limit),
            "supervised": False,
            "overdue_noticed": False,
        }

    def warn_at(self, now: datetime, due: datetime, limit_s: float) -> datetime:
        """When the light turns yellow: when only ``1 - yellow_ratio`` of the limit is left before ``due``."""
        remaining = self.calendar.working_seconds(now, due)
        return self.calendar.add(now, max(0.0, remaining - (1 - self.yellow_ratio) * limit_s))

    def close_due(self, category: str, now: datetime) -> datetime:
        return self.calendar.add(now, self.limits.limit_s(category, "close"))

    def handle_due(self, category: str, now: datetime) -> datetime:
        return self.calendar.add(now, self.limits.limit_s(category, "handle"))

    def suspend(self, t: Mapping, now: datetime) -> dict:
        """Stop every clock: keep the working seconds left, clear the deadlines."""
        out = {"suspended_at": now, "step_due_at": None, "step_warn_at": None,
               "handle_due_at": None, "close_due_at": None}
        for clock in CLOCKS:
            due = t.get(f"{clock}_due_at")
            out[f"{clock}_remaining_s"] = None if due is None else self.calendar.working_seconds(now, due)
        return out

    def resume(self, t: Mapping, now: datetime) -> dict:
        """Restart the clocks with exactly the working time they had left when suspended."""
        out = {"suspended_at": None}
        for clock in CLOCKS:
            left = t.get(f"{clock}_remaining_s")
            out[f"{clock}_remaining_s"] = None
            out[f"{clock}_due_at"] = None if left is None else self._due_from(now, left)
        if out["step_due_at"] is not None:
            out["step_warn_at"] = self.warn_at(now, out["step_due_at"], t["step_limit_s"])
        return out

    def _due_from(self, now: datetime, left_s: float) -> datetime:
        # An overdue clock stays overdue by the same working time: count back from now.
        if left_s >= 0:
            return self.calendar.add(now, left_s)
        return now - (self.calendar.add(now, -left_s) - now)

    def extend(self, t: Mapping, now: datetime, extra_s: float) -> dict:
        """An approved extension: every running clock moves later by ``extra_s`` working seconds."""
        out = {}
        for clock in CLOCKS:
            due = t.get(f"{clock}_due_at")
            if due is not None:
                out[f"{clock}_due_at"] = self.calendar.add(max(due, now), extra_s)
        limit = (t.get("step_limit_s") or 0) + extra_s
        out["step_limit_s"] = limit
        if "step_due_at" in out:
            out["step_warn_at"] = self.warn_at(now, out["step_due_at"], limit)
        out["supervised"] = False
        out["overdue_noticed"] = False
        return out

    def light(self, t: Mapping, now: datetime) -> str | None:
        """green, yellow or red for an open ticket's current step; None when no clock runs (final, suspended).

        Read from the stored instants, exactly as the SQL metrics do, so a screen and a count never disagree.
        """
        due, warn = t.get("step_due_at"), t.get("step_warn_at")
        if due is None or State(t["state"]) is State.SUSPENDED:
            return None
        if now > due:
            return "red"
        return "yellow" if warn is not None and now >= warn else "green"
