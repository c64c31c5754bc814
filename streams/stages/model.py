"""A ping as it flows through the stages, and the batch that carries pings, state and pending writes."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

log = logging.getLogger(__name__)

FIX = "fix"  # a position
CONTACT = "contact"  # a heartbeat: last contact and battery, no position


class Ping:
    """One ping: the normalized fields (see ``streams/CONTRACT.md``) plus what the stages derive.

    ``prev`` is the worker's previous in-order fix: an earlier ping of this batch, or the stored live state
    (a ``Ping`` made by :meth:`from_live`), or ``None`` for a worker never seen.  ``late`` marks a fix older than
    that one: recorded in the track and patrol, never moving the live dot back.  ``buffered`` marks a fix older than
    ``max_age_s`` when it arrived (a phone uploading what it kept while it had no network): history of its own
    day — track, patrol, visits — that never touches the live state nor raises a live alert.  ``attrs`` is the
    fix's bounded attribute map (``"a"`` of the stream entry, :func:`streams.osmand.bounded_attrs`) or ``None``.
    """

    __slots__ = (
        "id", "raw", "w", "d", "lon", "lat", "ts", "rx", "acc", "spd", "hdg", "bat", "sos", "src",
        "grid", "street", "outside", "moving", "status", "late", "prev", "outside_since", "outside_alerted",
        "alive", "still_since", "idle", "seen", "kind", "buffered", "attrs",
    )  # fmt: skip

    def __init__(self, entry_id: bytes | None = None, raw: bytes | None = None):
        self.id, self.raw = entry_id, raw
        self.w = self.d = self.src = None
        self.lon = self.lat = self.ts = self.rx = float("nan")
        self.acc = self.spd = self.hdg = self.bat = None
        self.sos = self.outside = self.moving = self.late = self.outside_alerted = self.buffered = False
        self.attrs = None
        self.grid = self.street = self.prev = self.outside_since = self.still_since = None
        self.idle = False
        self.seen = None  # last contact (unix s) of a stored state; see streams.stages._util
        self.kind = FIX  # or CONTACT: a heartbeat without a position (streams.stages.contact)
        self.status = "online"
        self.alive = True

    @classmethod
    def from_live(cls, entry: dict) -> Ping:
        """The stored live state of a worker (a ``{p}:live`` value) as a ``Ping`` to compare against."""
        p = cls()
        p.w, p.lon, p.lat, p.ts = entry["id"], entry["lon"], entry["lat"], entry["ts"]
        p.grid, p.street, p.status = entry.get("grid"), entry.get("street"), entry.get("status", "online")
        p.moving, p.sos, p.outside = bool(entry.get("moving")), bool(entry.get("sos")), bool(entry.get("outside"))
        get = entry.get
        p.spd, p.bat, p.acc, p.hdg, p.seen = get("spd"), get("bat"), get("acc"), get("hdg"), get("seen")
        p.idle = bool(get("idle"))
        # The private fields (see streams.stages._util); entries written before issue 13 call them _os, _oa, _ss.
        p.outside_since, p.outside_alerted = get("_outside_since", get("_os")), bool(get("_outside_alerted", get("_oa")))
        p.still_since = get("_still_since", get("_ss"))
        p.alive = False  # never processed again
        return p

    def __repr__(self) -> str:
        return f"Ping({self.id!r}, w={self.w}, ts={self.ts}, lon={self.lon}, lat={self.lat})"


class Batch:
    """Pings in stream order and everything the stages share while processing them.

    ``state[worker_id]`` is the stored live state (``Ping.from_live``) loaded once per batch in one HMGET, or the
    worker's newest buffered fix when that is newer (:mod:`streams.stages.buffered`): the last fix to compare with;
    ``pipe`` is the transaction that stages queue their writes on, executed with the XACK at the end.
    ``raw_state[worker_id]`` is the same state as the bytes read (workers known only from heartbeats included).
    """

    def __init__(self, pings: list[Ping], settings, roster, now: float, pipe=None):
        self.pings, self.settings, self.roster, self.now, self.pipe = pings, settings, roster, now, pipe
        self.state: dict[str, Ping] = {}
        self.raw_state: dict[str, bytes] = {}  # the stored live values as read, for compare-and-set writes
        self.entries: dict[str, dict] = {}  # worker → the live entry of its newest fix (PushChanges → StoreLive)
        self.contacts = 0  # heartbeats applied (they leave the batch after RecordContact)
        self.buffered = 0  # fixes older than max_age_s on arrival, kept as history (streams.stages.buffered)
        self.last_contact: dict[str, tuple[float, float | None]] = {}  # worker → (newest heartbeat ts, its battery)
        self.dropped: Counter[str] = Counter()
        self.dead: list[tuple[Ping, str, str]] = []  # (ping, stage, reason)
        self.alerts: list[dict] = []
        self.rows: dict[str, tuple[list, str]] = {}  # worker → (positions row, street code)
        self.after_commit: list = []  # callables run once the batch's transaction has executed
        self._tz = ZoneInfo(settings.timezone)
        self._days: dict[int, str] = {}

    def alive(self) -> list[Ping]:
        return [p for p in self.pings if p.alive]

    def drop(self, ping: Ping, rule: str) -> None:
        ping.alive = False
        self.dropped[rule] += 1

    def kill(self, ping: Ping, stage: str, error: BaseException | str) -> None:
        ping.alive = False
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        log.warning("dead-lettering %r at %s: %s", ping.id, stage, reason)
        self.dead.append((ping, stage, reason))

    def columns(self, pings: list[Ping], *names: str) -> list[np.ndarray]:
        """float64 arrays of the named attributes of ``pings`` (``None`` → NaN)."""
        out = []
        for name in names:
            values = [getattr(p, name) for p in pings]
            out.append(np.array([np.nan if v is None else v for v in values], dtype=np.float64))
        return out

    def day(self, ts: float) -> str:
        """The local (Asia/Shanghai by default) date of a unix time, as ``YYYY-MM-DD``."""
        hour = int(ts // 3600)
        if (d := self._days.get(hour)) is None:
            d = self._days[hour] = datetime.fromtimestamp(hour * 3600, self._tz).date().isoformat()
        return d

    def in_shift(self, ts: float) -> bool:
        local = datetime.fromtimestamp(ts, self._tz).time()
        start, end = self.settings.shift_start, self.settings.shift_end
        return start <= local < end if start <= end else (local >= start or local < end)
