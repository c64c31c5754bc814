"""PushChanges: the compact ``positions`` row of each worker's newest fix, for the coalesced push.

A row holds :data:`streams.contract.POSITION_FIELDS` in that order (:func:`position_row` builds it from the list,
so the contract is the only place the fields are named).  StoreLive writes the rows into ``{p}:dirty:district``
and ``{p}:dirty:street:{code}`` inside its compare-and-set, so only a fix that really became the live one is
pushed; :class:`streams.emitter.Coalescer` sends each room's rows within its push window across all processors.
"""

from __future__ import annotations

from collections.abc import Mapping

from streams.contract import POSITION_FIELDS
from streams.stages import BatchStage
from streams.stages._util import live_entry
from streams.stages.model import Batch


def _round(digits: int):
    return lambda x: None if x is None else round(x, digits)


def _whole(x):
    return None if x is None else int(round(x))


def _seconds(x):
    return None if x is None else int(x)  # whole seconds, truncated (as the fix's second is named everywhere)


def _flag(x) -> int:
    return 1 if x else 0


def _degrees(x):
    return None if x is None else int(round(x)) % 360


# How each field travels (smaller rows: the wall screen receives every worker's changes several times a second).
_ENCODE = {"lon": _round(6), "lat": _round(6), "ts": _seconds, "moving": _flag, "idle": _flag, "sos": _flag,
           "outside": _flag, "spd": _round(1), "bat": _whole, "acc": _whole, "hdg": _degrees}  # fmt: skip
_PLAN = [(name, _ENCODE.get(name)) for name in POSITION_FIELDS]


def position_row(entry: Mapping) -> list:
    """The ``positions`` row of a live entry (the dict :func:`streams.stages._util.live_entry` makes)."""
    return [entry.get(name) if enc is None else enc(entry.get(name)) for name, enc in _PLAN]


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
