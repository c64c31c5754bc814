"""PushChanges: the compact ``positions`` row of each worker's newest fix, for the coalesced push.

A row holds :data:`streams.contract.POSITION_FIELDS` in that order (:func:`position_row` builds it from the list,
so the contract is the only place the fields are named).  StoreLive writes the rows into ``{p}:dirty:district``
and ``{p}:dirty:street:{code}`` inside its compare-and-set, so only a fix that really became the live one is
pushed; :class:`streams.emitter.Coalescer` sends each room's rows within its push window across all processors.
"""

from __future__ import annotations

from streams.contract import POSITION_FIELDS
from streams.stages import BatchStage
from streams.stages._util import live_entry
from streams.stages.model import Batch

# How each field travels (small rows: the wall screen gets every worker's change several times a second); the
# rest go as stored.  The row builder is generated from POSITION_FIELDS once, as one list display: it runs for
# every fix, and a loop over per-field functions costs several times more.
_ENCODE = {
    "lon": "None if (v := e.get('{n}')) is None else round(v, 5)",  # WGS-84, ~1 m: finer than any phone fix
    "lat": "None if (v := e.get('{n}')) is None else round(v, 5)",
    "ts": "None if (v := e.get('{n}')) is None else int(v)",  # whole seconds, truncated (the fix's second)
    "spd": "None if (v := e.get('{n}')) is None else round(v, 1)",  # km/h
    "bat": "None if (v := e.get('{n}')) is None else round(v)",  # %
    "acc": "None if (v := e.get('{n}')) is None else round(v)",  # m
    "hdg": "None if (v := e.get('{n}')) is None else round(v) % 360",  # degrees
    "moving": "1 if e.get('{n}') else 0",
    "idle": "1 if e.get('{n}') else 0",
    "sos": "1 if e.get('{n}') else 0",
    "outside": "1 if e.get('{n}') else 0",
}


def _compile_row_builder():
    items = ", ".join(f"({_ENCODE.get(n, 'e.get({n!r})').format(n=n)})" for n in POSITION_FIELDS)
    namespace: dict = {}
    exec(f"def position_row(e):\n    return [{items}]\n", namespace)  # noqa: S102 - our own constant text
    fn = namespace["position_row"]
    fn.__doc__ = "The ``positions`` row of a live entry (the dict :func:`streams.stages._util.live_entry` makes)."
    return fn


position_row = _compile_row_builder()


class PushChanges(BatchStage):
    def handle_batch(self, pings, batch: Batch) -> None:
        by_worker, contacts = batch.roster.by_worker, batch.last_contact
        for p in pings:
            if p.late:
                continue
            worker = by_worker(p.w)
            entry = live_entry(p, worker, contacts.get(p.w))
            batch.entries[p.w] = entry
            batch.rows[p.w] = (position_row(entry), entry["street"])
