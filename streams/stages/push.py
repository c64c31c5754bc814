"""PushChanges: the compact ``positions`` row of each worker's newest fix, for the coalesced push.

A row holds :data:`streams.contract.POSITION_FIELDS` in that order; :func:`position_row` (generated from that list,
so the contract is the only place the fields are named) lives in :mod:`streams.stages._util` with the live entry,
because the contact stage and the status sweep build rows too, and is re-exported here.  StoreLive writes the rows into ``{p}:dirty:district``
and ``{p}:dirty:street:{code}`` inside its compare-and-set, so only a fix that really became the live one is
pushed; :class:`streams.emitter.Coalescer` sends each room's rows within its push window across all processors.
"""

from __future__ import annotations

from streams.stages import BatchStage
from streams.stages._util import live_entry, position_row
from streams.stages.model import Batch

__all__ = ["PushChanges", "position_row"]

class PushChanges(BatchStage):
    def handle_batch(self, pings, batch: Batch) -> None:
        by_worker, contacts = batch.roster.by_worker, batch.last_contact
        for p in pings:
            if p.late or p.buffered:
                continue  # neither moves a live dot
            worker = by_worker(p.w)
            entry = live_entry(p, worker, contacts.get(p.w))
            batch.entries[p.w] = entry
            batch.rows[p.w] = (position_row(entry), entry["street"])
