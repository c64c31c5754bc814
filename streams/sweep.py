"""The status sweep: silence sends no ping, so every ``sweep_interval_s`` one processor re-evaluates everyone.

Whichever processor wins ``SET {p}:sweep NX PX`` reads ``{p}:live``, moves each worker to stale/offline by the
age of the last contact (the newest fix or heartbeat), raises an ``offline`` alert for a worker going offline during the shift, and writes the
changes with a compare-and-set on the whole stored value (a fix arriving meanwhile wins) plus push rows.
"""

from __future__ import annotations

import logging
import time

import orjson

from streams.stages._util import REPLACE_LIVE, contact_ts, position_row, room_keys, status_of
from streams.stages.alerts import make_alert, queue_alerts
from streams.stages.model import Batch, Ping

log = logging.getLogger(__name__)

class Sweeper:
    def __init__(self, client, settings, roster):
        self.client, self.settings, self.roster = client, settings, roster
        self.script = client.register_script(REPLACE_LIVE)
        self._next = 0.0

    def maybe_run(self, now: float | None = None) -> list[dict] | None:
        """Sweep if due and this process wins the lock; returns the alerts raised (``None``: not swept)."""
        now = time.time() if now is None else now
        if now < self._next:
            return None
        self._next = now + self.settings.sweep_interval_s
        lock_ms = max(int(self.settings.sweep_interval_s * 900), 100)
        if not self.client.set(self.settings.key("sweep"), b"1", nx=True, px=lock_ms):
            return None
        return self.sweep(now)

    def sweep(self, now: float) -> list[dict]:
        s = self.settings
        live = self.client.hgetall(s.key("live"))
        helper = Batch([], s, self.roster, now)
        args, alerts, streets = [], [], {}
        for w_raw, raw in live.items():
            try:
                entry = orjson.loads(raw)
                status = status_of(now - contact_ts(entry), s.stale_after_s, s.offline_after_s)
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
                log.warning("sweep: unreadable live state of %r: %s", w_raw, e)
                continue
            if status == entry.get("status"):
                continue
            entry["status"] = status
            if status != "online":
                entry["moving"] = entry["idle"] = False
            w = w_raw.decode()
            worker = self.roster.by_worker(w)
            street = worker.street_code if worker else entry.get("street")
            row = position_row(entry)
            idx = streets.setdefault(street, len(streets) + 1) if street else 0
            args += (w, raw, orjson.dumps(entry), orjson.dumps(row), idx)
            if status == "offline" and helper.in_shift(now):
                name = worker.name if worker else w
                minutes = (now - contact_ts(entry)) / 60
                fix = Ping.from_live(entry)
                alerts.append(make_alert("offline", worker, fix, now, f"{name} 上班时间离线已 {minutes:.0f} 分钟"))
        if not args:
            return []
        pipe = self.client.pipeline(transaction=True)
        self.script(keys=[s.key("live"), *room_keys(s, list(streets))], args=args, client=pipe)
        queue_alerts(pipe, s, alerts)
        pipe.execute()
        return alerts
