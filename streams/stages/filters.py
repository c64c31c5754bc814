"""Decoding and the bad-fix filters, one small rule each (Traccar's ``FilterHandler``), counted per rule.

Stateless rules are vectorised over the batch; the rules that compare with the worker's last fix keep a running
"last fix that passed this rule" per worker, starting from the stored live state, and look only forwards: a
late (out-of-order) fix is not compared with newer ones (it is kept for the track, never moves the dot).
"""

from __future__ import annotations

import math

import numpy as np
import orjson

from streams.stages import BatchStage, PingStage
from streams.stages.model import Batch, Ping

_NUMBERS = (int, float)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (the scalar twin of ``geo.measure.haversine_m``)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(min(a, 1.0)))


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
        if not all(isinstance(x, _NUMBERS) and not isinstance(x, bool) for x in (lon, lat, ts)):
            raise ValueError("ping lon/lat/ts must be numbers")
        ping.w, ping.d, ping.lon, ping.lat, ping.ts = w, d.get("d"), float(lon), float(lat), float(ts)
        rx = d.get("rx")
        ping.rx = float(rx) if isinstance(rx, _NUMBERS) else batch.now
        ping.acc, ping.spd, ping.hdg, ping.bat = d.get("acc"), d.get("spd"), d.get("hdg"), d.get("bat")
        ping.sos, ping.src = bool(d.get("sos")), d.get("src")


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


class DropStale(_VectorFilter):
    """Fix time more than ``max_age_s`` before the receive time (Traccar's ``filter.past``)."""

    rule = "stale"

    def __init__(self, max_age_s: float):
        self.max_age_s = max_age_s

    def mask(self, pings, batch):
        ts, rx = batch.columns(pings, "ts", "rx")
        return ts < rx - self.max_age_s


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
    """A jump from the last fix implying more than ``max_speed_kmh`` (Traccar's ``filter.maxSpeed``)."""

    rule = "max_speed"

    def __init__(self, max_speed_kmh: float):
        self.max_speed_kmh = max_speed_kmh

    def bad(self, ping, last):
        dt = ping.ts - last.ts
        if dt <= 0:
            return False
        return distance_m(last.lon, last.lat, ping.lon, ping.lat) / dt * 3.6 > self.max_speed_kmh


class DropTooFrequent(_LastFixFilter):
    """Less than ``min_period_s`` after the last fix (Traccar's ``filter.minPeriod``)."""

    rule = "min_period"

    def __init__(self, min_period_s: float):
        self.min_period_s = min_period_s

    def bad(self, ping, last):
        return 0 < ping.ts - last.ts < self.min_period_s
