"""Decoding and the bad-fix filters, one small rule each (Traccar's ``FilterHandler``), counted per rule.

Stateless rules are vectorised over the batch; the rules that compare with the worker's last fix keep a running
"last fix that passed this rule" per worker, starting from the stored live state, and look only forwards: a
late (out-of-order) fix is not compared with newer ones (it is kept for the track, never moves the dot).
"""

from __future__ import annotations

import numpy as np
import orjson

from geo.measure import haversine_m
from streams.stages import BatchStage, PingStage
from streams.stages._util import distances_m
from streams.stages.model import CONTACT, Batch, Ping

_NUMBERS = (int, float)


class DecodePing(PingStage):
    """Stream entry bytes → ping fields.  Anything unreadable raises, so it is dead-lettered (a poison entry)."""

    def handle(self, ping: Ping, batch: Batch) -> None:
        if ping.raw is None:
            raise ValueError("entry has no 'p' field")
        d = orjson.loads(ping.raw)
        if not isinstance(d, dict):
            raise ValueError("ping is not a JSON object")
        w, lon, lat, ts = d.get("w"), d.get("lon"), d.get("lat"), d.get("ts")
        if not isinstance(w, str) or not w:
            raise ValueError("ping has no worker id 'w'")
        if d.get("k") == CONTACT:  # a heartbeat: a contact time, no position
            if not isinstance(ts, _NUMBERS) or isinstance(ts, bool):
                raise ValueError("heartbeat ts must be a number")
            ping.kind, ping.w, ping.d, ping.ts = CONTACT, w, d.get("d"), float(ts)
            lon = lat = None
        elif not all(isinstance(x, _NUMBERS) and not isinstance(x, bool) for x in (lon, lat, ts)):
            raise ValueError("ping lon/lat/ts must be numbers")
        else:
            ping.w, ping.d, ping.lon, ping.lat, ping.ts = w, d.get("d"), float(lon), float(lat), float(ts)
        rx = d.get("rx")
        ping.rx = float(rx) if isinstance(rx, _NUMBERS) else batch.now
        ping.acc, ping.spd, ping.hdg, ping.bat = d.get("acc"), d.get("spd"), d.get("hdg"), d.get("bat")
        ping.sos, ping.src = bool(d.get("sos")), d.get("src")
        attrs = d.get("a")
        ping.attrs = attrs if isinstance(attrs, dict) and attrs else None


class _VectorFilter(BatchStage):
    rule = ""

    def mask(self, pings: list[Ping], batch: Batch) -> np.ndarray:
        raise NotImplementedError

    def handle_batch(self, pings: list[Ping], batch: Batch) -> None:
        drop = self.mask(pings, batch)
        for i in np.flatnonzero(drop):
            batch.drop(pings[i], self.rule)


class DropInvalid(_VectorFilter):
    """Coordinates out of range or not numbers."""

    rule = "invalid"

    def mask(self, pings, batch):
        lon, lat = batch.columns(pings, "lon", "lat")
        with np.errstate(invalid="ignore"):
            return ~((np.abs(lat) <= 90) & (np.abs(lon) <= 180))


class DropZero(_VectorFilter):
    """Both coordinates zero (a phone with no fix yet)."""

    rule = "zero"

    def mask(self, pings, batch):
        lon, lat = batch.columns(pings, "lon", "lat")
        return (lon == 0) & (lat == 0)


class DropFuture(_VectorFilter):
    """Fix time more than ``max_future_s`` after the receive time (a wrong phone clock)."""

    rule = "future"

    def __init__(self, max_future_s: float):
        self.max_future_s = max_future_s

    def mask(self, pings, batch):
        ts, rx = batch.columns(pings, "ts", "rx")
        return ts > rx + self.max_future_s


class DropInaccurate(_VectorFilter):
    """Reported accuracy radius larger than ``max_accuracy_m`` (no accuracy reported: kept)."""

    rule = "accuracy"

    def __init__(self, max_accuracy_m: float):
        self.max_accuracy_m = max_accuracy_m

    def mask(self, pings, batch):
        (acc,) = batch.columns(pings, "acc")
        with np.errstate(invalid="ignore"):
            return acc > self.max_accuracy_m


class _LastFixFilter(PingStage):
    """A rule comparing each fix with the worker's last fix that passed it (stored state, then this batch)."""

    def begin(self, batch: Batch) -> None:
        self._last: dict[str, Ping | None] = {}

    def last(self, ping: Ping, batch: Batch) -> Ping | None:
        if ping.w in self._last:
            return self._last[ping.w]
        return batch.state.get(ping.w)

    def handle(self, ping: Ping, batch: Batch) -> str | None:
        last = self.last(ping, batch)
        if last is not None and ping.ts < last.ts:
            return None  # late: only forward checks; it cannot move the dot anyway
        if last is not None and self.bad(ping, last):
            return self.rule
        self._last[ping.w] = ping
        return None

    def bad(self, ping: Ping, last: Ping) -> bool:
        raise NotImplementedError


class DropDuplicate(_LastFixFilter):
    """The same fix time as the worker's last fix (a resent ping)."""

    rule = "duplicate"

    def bad(self, ping, last):
        return ping.ts == last.ts


class DropSpeedJump(_LastFixFilter):
    """A jump from the last fix implying more than ``max_speed_kmh`` (Traccar's ``filter.maxSpeed``).

    Distances come from geo's ``haversine_m`` in one call per batch, against the last fix each ping would have if
    none were dropped; a ping whose last fix changed because one was dropped is measured again on its own.
    """

    rule = "max_speed"

    def __init__(self, max_speed_kmh: float):
        self.max_speed_kmh = max_speed_kmh

    def begin(self, batch: Batch) -> None:
        super().begin(batch)
        last: dict[str, Ping | None] = {}
        pairs: list[tuple[Ping, Ping]] = []
        for p in batch.alive():
            prev = last[p.w] if p.w in last else batch.state.get(p.w)
            if prev is not None and p.ts < prev.ts:
                continue
            if prev is not None:
                pairs.append((p, prev))
            last[p.w] = p
        self._measured: dict[int, tuple[Ping, float]] = {}
        if pairs:
            dist = distances_m([p for p, _ in pairs], [q for _, q in pairs]).tolist()
            self._measured = {id(p): (q, d) for (p, q), d in zip(pairs, dist, strict=True)}

    def bad(self, ping, last):
        dt = ping.ts - last.ts
        if dt <= 0:
            return False
        measured = self._measured.get(id(ping))
        d = measured[1] if measured is not None and measured[0] is last else float(
            haversine_m(last.lon, last.lat, ping.lon, ping.lat))
        return d / dt * 3.6 > self.max_speed_kmh


class DropTooFrequent(_LastFixFilter):
    """Less than ``min_period_s`` after the last fix (Traccar's ``filter.minPeriod``)."""

    rule = "min_period"

    def __init__(self, min_period_s: float):
        self.min_period_s = min_period_s

    def bad(self, ping, last):
        return 0 < ping.ts - last.ts < self.min_period_s
