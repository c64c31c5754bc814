"""RecordContact: a heartbeat (a phone's request without a position) updates the last contact and battery.

Traccar Client sends heartbeats while it has no new fix, and cell/wifi-only requests when it has no GPS; Traccar
keeps the last known position for them.  So does this stage: it never makes a fix, it sets the stored live
entry's ``seen`` (when newer) and ``bat``, re-derives the status from the last contact, and pushes the row.  A
worker known from heartbeats only gets an entry with no position (``ts`` null) that its first fix replaces; a
fix of the same batch carries a newer heartbeat's time and battery into its own entry.
Heartbeats leave the batch here (counted as contacts): the fix filters, tracks and patrol never see them.
"""

from __future__ import annotations

import orjson

from streams.stages import BatchStage
from streams.stages._util import REPLACE_LIVE, contact_ts, position_row, room_keys, status_of
from streams.stages.model import CONTACT, Batch


def _blank_entry(w: str, worker) -> dict:
    return {"ts": None, "id": w, "name": worker.name if worker else w, "lon": None, "lat": None, "grid": None,
            "street": worker.street_code if worker else None, "home": worker.home_grid if worker else None,
            "status": "offline", "moving": False, "spd": None, "bat": None, "outside": False, "sos": False,
            "idle": False, "acc": None, "hdg": None, "seen": None, "attrs": None}  # fmt: skip


class RecordContact(BatchStage):
    def __init__(self, client, settings):
        self.settings = settings
        self.script = client.register_script(REPLACE_LIVE)

    def handle_batch(self, pings, batch: Batch) -> None:
        contacts = [p for p in pings if p.kind == CONTACT]
        if not contacts:
            return
        s, by_worker = self.settings, batch.roster.by_worker
        current: dict[str, tuple[bytes | None, dict]] = {}  # worker → (value as stored, entry after this batch)
        for p in contacts:
            p.alive = False
            batch.contacts += 1
            if p.w not in current:
                raw = batch.raw_state.get(p.w)
                try:
                    entry = orjson.loads(raw) if raw is not None else None
                except orjson.JSONDecodeError:
                    entry = None
                current[p.w] = (raw, entry if isinstance(entry, dict) else _blank_entry(p.w, by_worker(p.w)))
            _, entry = current[p.w]
            last = contact_ts(entry)
            if last is not None and p.ts <= last:
                continue  # an older heartbeat tells nothing new
            entry["seen"] = p.ts
            if p.bat is not None:
                entry["bat"] = p.bat
            if p.attrs:
                entry["attrs"] = p.attrs
            batch.last_contact[p.w] = (p.ts, entry["bat"])  # a fix later in this batch keeps them (live_entry)
        args, streets = [], {}
        for w, (raw, entry) in current.items():
            status = status_of(batch.now - contact_ts(entry), s.stale_after_s, s.offline_after_s)
            entry["status"] = status
            if status != "online":
                entry["moving"] = entry["idle"] = False
            street = entry.get("street")
            idx = streets.setdefault(street, len(streets) + 1) if street else 0
            args += (w, raw or b"", orjson.dumps(entry), orjson.dumps(position_row(entry)), idx)
        self.script(keys=[s.key("live"), *room_keys(s, list(streets))], args=args, client=batch.pipe)
