"""UpdateStatus: online / stale / offline from the age of the newest fix.

A worker is online while fixes arrive, stale after ``stale_after_s`` without one, offline after
``offline_after_s``.  Silence sends no ping, so the processor's periodic sweep (:mod:`streams.sweep`) applies the
same rule to every stored worker; this stage applies it to each arriving fix (a buffered old fix arriving now
can be stale already).
"""

from __future__ import annotations

from streams.stages import PingStage
from streams.stages._util import status_of  # re-exported: the sweep and the live reader use the same rule
from streams.stages.model import Batch, Ping

__all__ = ["UpdateStatus", "status_of"]


class UpdateStatus(PingStage):
    def __init__(self, stale_after_s: float, offline_after_s: float):
        self.stale_after_s, self.offline_after_s = stale_after_s, offline_after_s

    def handle(self, ping: Ping, batch: Batch) -> None:
        ping.status = status_of(batch.now - ping.ts, self.stale_after_s, self.offline_after_s)
