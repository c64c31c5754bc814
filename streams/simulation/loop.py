"""The simulator's run loop: tick a :class:`~streams.simulation.model.PatrolModel` on the wall clock and hand
what is due to an :class:`~streams.simulation.sender.HttpSender`, reporting now and then."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from streams.simulation.model import PatrolModel
from streams.simulation.sender import HttpSender, SendStats


def run(model: PatrolModel, sender: HttpSender, stop: threading.Event, *, tick_s: float = 0.25,
        report_every_s: float = 0.0, report=print, duration_s: float | None = None) -> SendStats:
    """Tick the model every ``tick_s`` wall seconds and send what is due, until ``stop`` is set."""
    started = time.time()
    next_report = started + report_every_s if report_every_s else float("inf")
    while not stop.is_set():
        now = time.time()
        if duration_s is not None and now - started >= duration_s:
            break
        sender.send(model.tick(now))
        if now >= next_report:
            sim = datetime.fromtimestamp(model.sim_now, model.tz).strftime("%H:%M:%S")
            report(f"[simulate {sim}] on shift {int(model.on_shift(model.sim_now).sum())}/{model.n} · "
                   + " · ".join(f"{k} {v}" for k, v in sender.stats.as_dict().items()))
            next_report = now + report_every_s
        stop.wait(max(0.0, tick_s - (time.time() - now)))
    return sender.stats
