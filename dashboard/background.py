"""The one background-worker helper: a named loop in a daemon thread, started and stopped by the composition root.

Every chore of the web process (the outbox relay and deadline sweep, the ticket push, the visits push, the track
prefetch) is a :class:`Background` whose ``step`` runs on a beat; a step that fails is logged and tried again on the
next beat, never ending the thread; ``stop()`` ends the loop, runs ``final`` once and joins.

>>> chores = Background("tickets", step=relay.drain_once, interval_s=1.0).start()  # doctest: +SKIP
>>> chores.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Background:
    """``step()`` every ``interval_s`` (0 = again at once: a step that blocks on its own, like ``XREADGROUP``)
    until :meth:`stop`; after a failure the loop waits at least ``error_wait_s``. ``wait_first``: the first step
    comes one interval after the start. ``final`` runs once when the loop ends (e.g. a last drain)."""

    def __init__(self, name: str, step: Callable[[], object], *, interval_s: float = 0.0, error_wait_s: float = 1.0,
                 wait_first: bool = False, final: Callable[[], object] | None = None):
        self.name, self.step, self.final = name, step, final
        self.interval_s, self.error_wait_s, self.wait_first = interval_s, error_wait_s, wait_first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> Background:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """End the loop after the current step, run ``final``, and wait for the thread (at most ``timeout_s``)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        if self.wait_first and self._stop.wait(self.interval_s):
            return
        while not self._stop.is_set():
            wait = self.interval_s
            try:
                self.step()
            except Exception:  # Redis or SQL hiccup: the next beat retries; a chore never ends by itself
                log.warning("%s: round failed", self.name, exc_info=True)
                wait = max(wait, self.error_wait_s)
            if wait:
                self._stop.wait(wait)
        if self.final is not None:
            try:
                self.final()
            except Exception:
                log.exception("%s: final round failed", self.name)
