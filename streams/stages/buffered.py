"""Buffered fixes: what a phone kept while it had no network, uploaded hours later (Traccar Client and the
background-geolocation app both queue positions and send them oldest first once they are back online).

A fix received more than ``max_age_s`` after its own time is *buffered*: it is history, not news.  MarkBuffered
flags it instead of dropping it; the track, patrol and visits take it into the local day of its own time
(AppendTrack and AccountPatrol key everything by the fix's day), while RaiseAlerts, PushChanges and StoreLive
leave it out, so the live dots stay live and no alert fires for something that happened hours ago.

Patrol time is the gap between consecutive fixes, so a buffered upload spread over several batches must chain
from one batch to the next although it never becomes the live state: StoreBuffered keeps each worker's newest
buffered fix in ``{p}:buffered[worker_id]`` (a live-entry-shaped JSON, compare-and-set on ``ts`` like the live
state), and LoadState takes it as the worker's last fix when it is newer than the live one.  A buffered fix older
than that last fix is ``late`` like any out-of-order fix: a re-sent upload adds no patrol time twice.
"""

from __future__ import annotations

import orjson

from streams.stages import BatchStage
from streams.stages._util import live_entry
from streams.stages.model import Batch
from streams.stages.store import LIVE_CAS


class MarkBuffered(BatchStage):
    """Flags fixes whose time is more than ``max_age_s`` before their receive time (Traccar's ``filter.past``
    would drop them) and counts them."""

    def __init__(self, max_age_s: float):
        self.max_age_s = max_age_s

    def handle_batch(self, pings, batch: Batch) -> None:
        for p in pings:
            if p.ts < p.rx - self.max_age_s:
                p.buffered = True
                batch.buffered += 1


class StoreBuffered(BatchStage):
    """Queues the compare-and-set of each worker's newest in-order buffered fix into ``{p}:buffered``."""

    def __init__(self, client, settings):
        self.key = settings.key("buffered")
        self.script = client.register_script(LIVE_CAS)

    def handle_batch(self, pings, batch: Batch) -> None:
        newest = {p.w: p for p in pings if p.buffered and not p.late}  # stream order: the last one wins
        if not newest:
            return
        by_worker = batch.roster.by_worker
        updates = [(w, p.ts, orjson.dumps(live_entry(p, by_worker(w))).decode(), "", 0) for w, p in newest.items()]
        self.script(keys=[self.key], args=[orjson.dumps(updates)], client=batch.pipe)
