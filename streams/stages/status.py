"""UpdateStatus: online / stale / offline from the age of the newest fix.

A worker is online while fixes arrive, stale after ``stale_after_s`` without one, offline after
``offline_after_s``.  Silence sends no ping, so the processor's periodic sweep (:mod:`streams.sweep`) applies the
same rule to every stored worker; this stage applies it to each arriving fix (a buffered old fix arriving now
can be stale already).
"""

from __future__ import annotations

from streams.stages import PingStage
from streams.stages.model import Batch, Ping


def status_of(age_s: float, stale_after_s: float, offline_after_s: float) -> str:
    """``online`` below ``stale_after_s`` of silence, ``offline`` from ``offline_after_s``, ``stale`` between."""
    if offline_after_s and age_s >= offline_after_s:
        return "offline"
    if stale_after_s and age_s >= stale_after_s:
        return "stale"
    return "online"


class UpdateStatus(PingStage):
    def __init__(self, stale_after_s: float, offline_after_s: float):
        self.stale_after_s, self.offline_after_s = stale_after_s, offline_after_s

    def handle(self, ping: Ping, batch: Batch) -> None:
        ping.status = status_of(batch.now - ping.ts, self.stale_after_s, self.offline_after_s)
