"""Ordering and motion: each fix's previous in-order fix, late fixes, and moving vs still."""

from __future__ import annotations

from streams.stages import PingStage
from streams.stages.filters import distance_m
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


class DetectMotion(PingStage):
    """Moving when the speed is at least ``moving_speed_kmh``: the phone's speed if it sends one, else the
    speed derived from the previous fix, counted only past ``min_move_m`` (GPS jitter of a still phone)."""

    def __init__(self, moving_speed_kmh: float, min_move_m: float):
        self.moving_speed_kmh, self.min_move_m = moving_speed_kmh, min_move_m

    def handle(self, ping: Ping, batch: Batch) -> None:
        if ping.spd is not None:
            ping.moving = ping.spd >= self.moving_speed_kmh
            return
        prev = ping.prev
        if prev is None or ping.late or ping.ts <= prev.ts:
            ping.moving = False
            return
        d = distance_m(prev.lon, prev.lat, ping.lon, ping.lat)
        ping.moving = d >= self.min_move_m and d / (ping.ts - prev.ts) * 3.6 >= self.moving_speed_kmh
