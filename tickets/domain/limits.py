"""Time limits per category and step, from ``data/time_limits.csv``, in working seconds.

Rows with category ``*`` are the defaults every step must have; a category's own row overrides one step.
"""

from __future__ import annotations

import csv
from pathlib import Path

STEPS = ("verify", "register", "self_review", "dispatch", "sign", "handle", "check", "close")
UNITS = ("hours", "days")


class TimeLimits:
    """``limit_s(category, step)`` → the step's limit in working seconds.

    Parameters
    ----------
    rows : (category_code or "*", step, amount, unit) tuples.
    day_s : working seconds in a working day (from the calendar).
    """

    def __init__(self, rows, day_s: float):
        self.day_s = day_s
        self._limits: dict[tuple[str, str], float] = {}
        for category, step, amount, unit in rows:
            if step not in STEPS:
                raise ValueError(f"time limit for {category}: unknown step {step!r} (steps: {', '.join(STEPS)})")
            if unit not in UNITS:
                raise ValueError(f"time limit {category}/{step}: unit must be hours or days, got {unit!r}")
            if not amount > 0:
                raise ValueError(f"time limit {category}/{step}: amount must be positive, got {amount}")
            self._limits[(category, step)] = amount * (3600.0 if unit == "hours" else day_s)
        missing = [s for s in STEPS if ("*", s) not in self._limits]
        if missing:
            raise ValueError(f"time limits have no default ('*') row for step(s): {', '.join(missing)}")

    @classmethod
    def from_csv(cls, path: str | Path, day_s: float) -> TimeLimits:
        with Path(path).open(encoding="utf-8", newline="") as fh:
            rows = []
            for n, r in enumerate(csv.DictReader(fh), 2):
                try:
                    rows.append((r["category_code"].strip(), r["step"].strip(), float(r["amount"]), r["unit"].strip()))
                except (KeyError, ValueError) as exc:
                    raise ValueError(f"{path} line {n}: {exc}") from None
        return cls(rows, day_s)

    def limit_s(self, category: str, step: str) -> float:
        return self._limits.get((category, step)) or self._limits[("*", step)]
