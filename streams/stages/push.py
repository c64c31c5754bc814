"""PushChanges: the compact ``positions`` row of each worker's newest fix, for the coalesced push.

A row is ``[id, lon, lat, status, moving (1/0), grid, ts (unix s), idle (1/0)]`` (field names in :data:`streams.contract.POSITION_FIELDS`).
StoreLive writes the rows into ``{p}:dirty:district`` and ``{p}:dirty:street:{code}`` inside its compare-and-set,
so only a fix that really became the live one is pushed; :class:`streams.emitter.Coalescer` sends each room's
rows at most once per ``push_interval_s`` across all processors.
"""

from __future__ import annotations

from streams.contract import POSITION_FIELDS  # noqa: F401  (re-exported: the row layout lives in the contract)
from streams.stages import BatchStage
from streams.stages.model import Batch


def position_row(w: str, lon, lat, status: str, moving: bool, grid, ts, idle: bool = False) -> list:
    return [
        w,
        None if lon is None else round(lon, 6),
        None if lat is None else round(lat, 6),
        status,
        1 if moving else 0,
        grid,
        None if ts is None else int(ts),
        1 if idle else 0,
    ]


class PushChanges(BatchStage):
    def handle_batch(self, pings, batch: Batch) -> None:
        roster = batch.roster
        for p in pings:
            if p.late:
                continue
            worker = roster.by_worker(p.w)
            street = worker.street_code if worker else p.street
            batch.rows[p.w] = (position_row(p.w, p.lon, p.lat, p.status, p.moving, p.grid, p.ts, p.idle), street)
