"""Ordering and motion: each fix's previous in-order fix, late fixes, and moving vs still."""

from __future__ import annotations

from streams.stages import BatchStage, PingStage
from streams.stages._util import distances_m
from streams.stages.model import Batch, Ping


class LinkPrevious(PingStage):
    """Sets ``prev`` (the worker's previous in-order fix: this batch's, else the stored state) and ``late``.

    A fix older than ``prev`` is late (it arrived out of order): later stages record it in the track and the
    patrol figures but never let it change the live state.
    """

    def begin(self, batch: Batch) -> None:
        self._newest: dict[str, Ping] = {}

    def handle(self, ping: Ping, batch: Batch) -> None:
        prev = self._newest.get(ping.w) or batch.state.get(ping.w)
        ping.prev = prev
        ping.late = prev is not None and ping.ts < prev.ts
        if not ping.late:
            self._newest[ping.w] = ping


class DetectMotion(BatchStage):
    """Moving when the speed is at least ``moving_speed_kmh``: the phone's speed if it sends one, else the
    speed derived from the previous fix (geo's ``haversine_m``, one call per batch), counted only past
    ``min_move_m`` (GPS jitter of a still phone).

    Also keeps ``still_since`` (the fix time the worker stopped moving) and sets ``idle`` once still for
    ``idle_after_s`` (0 = never idle): the street supervisor's "who is idle" (久未移动).
    """

    def __init__(self, moving_speed_kmh: float, min_move_m: float, idle_after_s: float = 0.0):
        self.moving_speed_kmh, self.min_move_m, self.idle_after_s = moving_speed_kmh, min_move_m, idle_after_s

    def handle_batch(self, pings, batch: Batch) -> None:
        derive = [p for p in pings if p.spd is None and p.prev is not None and not p.late and p.ts > p.prev.ts]
        dist = dict(zip(map(id, derive), distances_m(derive, [p.prev for p in derive]).tolist(), strict=True)) \
            if derive else {}
        for ping in pings:
            ping.moving = self._moving(ping, dist.get(id(ping)))
            if ping.late:
                continue  # a late fix never changes the live state
            prev = ping.prev
            if ping.moving:
                ping.still_since = None
            elif prev is not None and not prev.moving and prev.still_since is not None:
                ping.still_since = prev.still_since
            else:
                ping.still_since = ping.ts
            ping.idle = (bool(self.idle_after_s) and not ping.moving
                         and ping.ts - ping.still_since >= self.idle_after_s)

    def _moving(self, ping: Ping, d: float | None) -> bool:
        if ping.spd is not None:
            return ping.spd >= self.moving_speed_kmh
        if d is None:
            return False
        return d >= self.min_move_m and d / (ping.ts - ping.prev.ts) * 3.6 >= self.moving_speed_kmh
