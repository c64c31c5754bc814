"""Settings of the live path: one frozen object, resolved as explicit argument > ``GRIDPULSE_*`` env var > default
(:func:`geo.settings.resolve`, the one resolver of every package).

Every threshold carries its unit in its name.  A threshold of 0 switches its rule off, and the stage is then
left out of the pipeline (Traccar does the same with its ``filter.*`` keys).

Examples
--------
>>> s = StreamSettings.from_env(key_prefix="t1", max_speed_kmh=120)
>>> s.key("pings"), s.max_speed_kmh
('t1:pings', 120.0)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from datetime import time

from geo.settings import SettingsError, invalid, resolve

__all__ = ["SettingsError", "StreamSettings"]


@dataclass(frozen=True)
class StreamSettings:
    redis_url: str = "redis://127.0.0.1:6379/0"  # Redis for pings, live state and push (demo: an embedded Redis)
    key_prefix: str = "gp"  # prefix of every Redis key
    ingest_key: str = ""  # bearer key of POST /api/v1/pings; empty: the batch API answers 401 to everyone
    redis_timeout_s: float = 2.0  # socket connect/read timeout of the clients this package makes
    retry_after_s: int = 5  # Retry-After sent with a 503 when Redis cannot be reached
    # Redis gone: the processor's loop and the web process's Socket.IO queue listener try again after 0.05 s,
    # doubling up to this (one refused connection each time, no redis-py backoff behind it), so both are back on
    # Redis within this long of it accepting again
    redis_retry_cap_s: float = 0.25
    # Stream
    stream_maxlen: int = 0  # approximate MAXLEN ~ of the ping stream; 0 = no length cap
    # The stream is only the buffer between ingest and processors (tracks and live state live elsewhere):
    # entries older than this are trimmed (XADD MINID ~); it is how long processors may be down without losing
    # pings.  0 = never trim by age.
    stream_retention_s: float = 3600.0
    dead_maxlen: int = 100_000  # approximate length kept of the dead-letter stream
    alerts_maxlen: int = 10_000  # approximate length kept of the alert stream
    batch_max_pings: int = 5_000  # most pings in one POST /api/v1/pings
    batch_max_bytes: int = 4_000_000  # largest POST /api/v1/pings body (bytes)
    # Consumer
    read_count: int = 1_000  # entries per XREADGROUP
    block_ms: int = 200  # XREADGROUP block; also bounds how late a coalesced push can be
    # Each processor sets {p}:alive:<name> with this TTL every third of it (from a thread of its own); a consumer
    # whose key is gone is dead, and its pending entries are claimed once idle dead_claim_min_idle_ms: a dead
    # processor's pings move on within heartbeat_ttl_s + claim_interval_s.  0 = no heartbeats (claim_min_idle_ms only).
    heartbeat_ttl_s: float = 3.0
    dead_claim_min_idle_ms: int = 1_000  # a consumer without heartbeat: its pending entries idle this long are claimed
    # a pending entry idle this long is claimed even from a consumer that still beats (a wedged processor): XAUTOCLAIM
    claim_min_idle_ms: int = 30_000
    claim_interval_s: float = 1.0  # how often a processor looks for pending entries of dead consumers
    # a consumer idle this long with nothing pending and no heartbeat is deleted from the group (a processor that
    # died and whose pending entries were claimed); must exceed heartbeat_ttl_s (without heartbeats:
    # claim_min_idle_ms).  0 = never delete.
    consumer_forget_s: float = 3600.0
    # Filters (0 = rule off)
    max_future_s: float = 300.0  # discard (ingest) and drop (processor) fixes more than this ahead of receive time
    # fixes older than this at receive time are buffered history: track, patrol and visits of their own day, never
    # the live state or a live alert
    max_age_s: float = 6 * 3600.0
    max_accuracy_m: float = 100.0  # drop fixes whose reported accuracy radius is larger
    max_speed_kmh: float = 150.0  # drop a fix implying a faster jump from the worker's last fix
    min_period_s: float = 1.0  # drop a fix closer than this in time after the worker's last fix
    # Motion and status
    moving_speed_kmh: float = 1.5  # at or above: moving
    min_move_m: float = 3.0  # a derived speed counts only if the worker moved at least this far
    idle_after_s: float = 1800.0  # still this long while online: idle (久未移动); a home visit lasts up to ~30 min
    stale_after_s: float = 120.0  # no fix for this long: stale
    offline_after_s: float = 600.0  # no fix for this long: offline
    sweep_interval_s: float = 5.0  # how often one processor re-evaluates stale/offline (silence sends no ping)
    shift_start: time = time(8, 30)  # start of the workers' shift (local HH:MM); offline alerts only within it
    shift_end: time = time(17, 30)  # end of the shift (local HH:MM)
    timezone: str = "Asia/Shanghai"  # the district's time zone (one variable for every package)
    # Patrol and alerts
    patrol_gap_s: float = 300.0  # a gap between fixes longer than this is not counted as patrol time
    outside_alert_s: float = 600.0  # outside own grid this long: alert (0 = off)
    # Visits (入户走访): a stay is a run of fixes all within stay_radius_m of its first (smoothed) fix lasting stay_min_s
    stay_min_s: float = 300.0  # shortest stay counted as a visit (5 min)
    stay_radius_m: float = 50.0  # a stay's fixes stay this close to where it began
    visit_target_min: float = 180.0  # daily home-visit minutes asked of a worker inside the own grid (3 h)
    # Storage and push
    track_days: int = 7  # daily tracks kept this many days
    patrol_days: int = 35  # daily patrol hashes and visit summaries kept this many days (a month of coverage)
    # Changed rows of a room go out together when its push window closes: the first change after a quiet spell
    # at once, later ones once push_window_s has passed since the room's last message; and never more than
    # push_max_per_s messages a second per room, across all processors.
    push_window_s: float = 0.2  # a room's changed rows go out together when its window closes (s)
    push_max_per_s: float = 5.0  # at most this many positions messages a second per room, across all processors

    def key(self, *parts: str) -> str:
        """A Redis key under this prefix: ``key("track", day, w)`` → ``gp:track:day:w``."""
        return ":".join((self.key_prefix, *parts))

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> StreamSettings:
        """Explicit ``overrides`` > ``GRIDPULSE_<FIELD>`` environment variables > defaults; validated."""
        return resolve(cls, env, **overrides)

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("float", "int") and not isinstance(value, bool):
                try:
                    value = float(value) if f.type == "float" else int(value)
                except (TypeError, ValueError):
                    raise invalid(f.name, value, f"a number ({f.type})") from None
                if value < 0:
                    raise invalid(f.name, value, "≥ 0")
                object.__setattr__(self, f.name, value)
        if self.offline_after_s and self.offline_after_s < self.stale_after_s:
            raise invalid("offline_after_s", self.offline_after_s, f"≥ stale_after_s ({self.stale_after_s})")
        if not self.key_prefix or any(c in self.key_prefix for c in " {}"):
            raise invalid("key_prefix", self.key_prefix, "non-empty, without spaces or braces")
        for name in ("read_count", "batch_max_pings", "batch_max_bytes", "push_window_s", "push_max_per_s",
                     "sweep_interval_s", "redis_retry_cap_s"):
            if not getattr(self, name):
                raise invalid(name, 0, "> 0")
        floor_s = self.heartbeat_ttl_s or self.claim_min_idle_ms / 1000
        if self.consumer_forget_s and self.consumer_forget_s <= floor_s:
            raise invalid("consumer_forget_s", self.consumer_forget_s,
                          f"> heartbeat_ttl_s, or without heartbeats claim_min_idle_ms / 1000 ({floor_s} s), or 0")

    @property
    def push_period_s(self) -> float:
        """The shortest time between two ``positions`` messages of one room."""
        return max(self.push_window_s, 1.0 / self.push_max_per_s)

    def replace(self, **changes) -> StreamSettings:
        return dataclasses.replace(self, **changes)

