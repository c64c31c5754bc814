"""Helpers shared by stages and the status sweep (stages import nothing of each other; they import this).

``{p}:live[worker_id]`` holds :func:`live_entry`: the contract's live fields (``ts`` first for the CAS script of
:mod:`streams.stages.store`) plus private ones, which no reader passes on: ``_outside_since`` (unix s since the
fixes left the own grid), ``_outside_alerted`` (the outside-grid alert of that excursion raised) and ``_still_since``
(unix s since the worker stopped moving).  Entries written before issue 13 call them ``_os``, ``_oa`` and ``_ss``;
:meth:`streams.stages.model.Ping.from_live` reads both spellings.  ``seen`` is the last contact: the newest of the
fix time and of any heartbeat that came without a fix (:mod:`streams.stages.contact`); a worker known only from
heartbeats has ``ts`` null.  ``attrs`` is the attribute map the phone sent with the fix (or its last heartbeat),
``null`` when none.
"""

from __future__ import annotations

import numpy as np

from geo.measure import haversine_m
from streams.contract import POSITION_FIELDS, rooms_of

# The scripts take their data as one JSON argument: packing thousands of separate arguments costs the client
# far more (redis-py encodes each in Python) than one cjson.decode costs Redis.
# Writes the newest fix of each worker unless the stored one is newer (StoreLive; StoreBuffered with KEYS[1]
# only and no rows).  KEYS[1] live hash, KEYS[2] dirty hash of room "district", KEYS[3..] dirty hashes of street rooms.
# ARGV[1]: JSON [[worker, fix ts, live json, positions row json or "", street room index (0 = none)], ...].
LIVE_CAS = """
local n = 0
for _, u in ipairs(cjson.decode(ARGV[1])) do
  local w = u[1]
  local cur = redis.call('HGET', KEYS[1], w)
  local old = cur and tonumber(string.match(cur, '"ts":([-%d%.eE+]+)'))
  if not old or old <= u[2] then
    redis.call('HSET', KEYS[1], w, u[3])
    if u[4] ~= '' then
      redis.call('HSET', KEYS[2], w, u[4])
      if u[5] > 0 then redis.call('HSET', KEYS[2 + u[5]], w, u[4]) end
    end
    n = n + 1
  end
end
return n
"""

# KEYS[1] live hash, KEYS[2] dirty hash of room "district", KEYS[3..] dirty hashes of street rooms.
# ARGV quintuples (worker, expected current json or "" for none, new json, row json, street room index).
# Replaces a worker's live entry only if it is still the one the caller read (a fix arriving meanwhile wins).
REPLACE_LIVE = """
local n = 0
for i = 1, #ARGV, 5 do
  local w = ARGV[i]
  local cur = redis.call('HGET', KEYS[1], w)
  if (cur == false and ARGV[i + 1] == '') or cur == ARGV[i + 1] then
    redis.call('HSET', KEYS[1], w, ARGV[i + 2])
    redis.call('HSET', KEYS[2], w, ARGV[i + 3])
    local r = tonumber(ARGV[i + 4])
    if r > 0 then redis.call('HSET', KEYS[2 + r], w, ARGV[i + 3]) end
    n = n + 1
  end
end
return n
"""


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
    fn.__doc__ = "The ``positions`` row of a live entry (the dict :func:`live_entry` makes)."
    return fn


position_row = _compile_row_builder()


def status_of(age_s: float, stale_after_s: float, offline_after_s: float) -> str:
    """``online`` below ``stale_after_s`` of silence, ``offline`` from ``offline_after_s``, ``stale`` between."""
    if offline_after_s and age_s >= offline_after_s:
        return "offline"
    if stale_after_s and age_s >= stale_after_s:
        return "stale"
    return "online"


def room_keys(settings, streets: list[str]) -> list[str]:
    """The dirty hashes of the district room and of ``streets``' rooms, in :func:`rooms_of` order."""
    return [settings.key("dirty", room) for room in rooms_of(streets)]


def contact_ts(entry: dict) -> float | None:
    """The last contact of a stored live entry: the newer of its fix time and its last heartbeat."""
    ts, seen = entry.get("ts"), entry.get("seen")
    if ts is None:
        return seen
    return ts if seen is None or seen < ts else seen


def live_entry(ping, worker, contact: tuple[float, float | None] | None = None) -> dict:
    """The stored live dict of a fix (contract fields, ``ts`` first for the CAS script, then private ones).

    ``contact``: a heartbeat of the same batch ``(ts, battery)``; if newer than the fix, its time is the last
    contact and its battery the battery."""
    prev = ping.prev
    seen = ping.ts if prev is None or prev.seen is None or prev.seen < ping.ts else prev.seen
    bat = ping.bat
    if contact is not None and contact[0] > seen:
        seen, bat = contact[0], (contact[1] if contact[1] is not None else bat)
    return {
        "ts": ping.ts,
        "id": ping.w,
        "name": worker.name if worker else ping.w,
        "lon": ping.lon,
        "lat": ping.lat,
        "grid": ping.grid,
        "street": worker.street_code if worker else ping.street,
        "home": worker.home_grid if worker else None,
        "status": ping.status,
        "moving": ping.moving,
        "spd": ping.spd,
        "bat": bat,
        "outside": ping.outside,
        "sos": ping.sos,
        "idle": ping.idle,
        "acc": ping.acc,
        "hdg": ping.hdg,
        "seen": seen,
        "attrs": ping.attrs,
        "_outside_since": ping.outside_since,
        "_still_since": ping.still_since,
        "_outside_alerted": ping.outside_alerted,
    }


def distances_m(pings, others) -> np.ndarray:
    """Metres from each ping to its partner in ``others`` (same length), by geo's haversine, in one call."""
    a = np.array([(p.lon, p.lat, o.lon, o.lat) for p, o in zip(pings, others, strict=True)], dtype=np.float64)
    return haversine_m(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
