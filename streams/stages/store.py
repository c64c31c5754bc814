"""What a fix leaves in Redis: the live state (LoadState reads it, one HMGET for the batch's workers; StoreLive
writes it) and the daily tracks (AppendTrack).

``{p}:buffered[worker_id]`` = the same shape, of the worker's newest buffered fix (:mod:`streams.stages.buffered`).
``{p}:live[worker_id]`` = orjson of :func:`streams.stages._util.live_entry`.  StoreLive writes each worker's newest in-order fix with a
Lua compare-and-set on ``ts``, so a late fix — or a slower processor holding older fixes of the same worker —
never moves a dot back; the same script writes the coalesced push rows (``{p}:dirty:{room}``).
``{p}:track:{YYYY-MM-DD}:{worker_id}`` = sorted set, score = fix time, member = ``"ts,lon,lat"``: ordered by
fix time whatever the arrival order, and a re-delivered fix adds nothing.
``{p}:trackattrs:{YYYY-MM-DD}:{worker_id}`` = sorted set beside the track, score = fix time, member =
``"ts,{json of the attribute map}"`` (keys sorted): written only when a fix's map differs from the one of the
worker's preceding fix of that day that had a map (fixes without attributes leave it alone), same TTL as the track.
"""

from __future__ import annotations

import logging

import orjson

from streams.stages import BatchStage
from streams.stages._util import LIVE_CAS, live_entry, room_keys
from streams.stages.model import Batch, Ping

log = logging.getLogger(__name__)

# KEYS: track and attribute-log keys; ARGV[1]: JSON [[key index, score, member], ...]; ARGV[2]: TTL s; ARGV[3]: JSON
# of the key indexes that are new to this process (EXPIRE once per key and process, not once per batch); ARGV[4]: JSON
# [[key index, score, member, map json], ...] of the attribute log, added only when the map differs from the one
# logged at or before that time (the text after the member's first comma).
ZADD_MANY = """
for _, z in ipairs(cjson.decode(ARGV[1])) do
  redis.call('ZADD', KEYS[z[1]], z[2], z[3])
end
for _, a in ipairs(cjson.decode(ARGV[4])) do
  local prev = redis.call('ZRANGE', KEYS[a[1]], a[2], '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1)[1]
  if not prev or string.sub(prev, string.find(prev, ',', 1, true) + 1) ~= a[4] then
    redis.call('ZADD', KEYS[a[1]], a[2], a[3])
  end
end
for _, k in ipairs(cjson.decode(ARGV[3])) do
  redis.call('EXPIRE', KEYS[k], ARGV[2])
end
return #KEYS
"""


class LoadState(BatchStage):
    """Reads the stored live state of every worker in the batch, and each one's newest buffered fix
    (:mod:`streams.stages.buffered`), in one round trip; the newer of the two is the worker's last fix."""

    def __init__(self, client, settings):
        self.client, self.key, self.buffered_key = client, settings.key("live"), settings.key("buffered")

    def handle_batch(self, pings, batch: Batch) -> None:
        workers = list({p.w for p in pings} - batch.state.keys())
        if not workers:
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.hmget(self.key, workers)
        pipe.hmget(self.buffered_key, workers)
        lives, buffered = pipe.execute()
        for w, raw, old in zip(workers, lives, buffered, strict=True):
            if raw is not None:
                batch.raw_state[w] = raw
            last = _last_fix(w, raw)
            history = _last_fix(w, old)
            if history is not None and (last is None or history.ts > last.ts):
                last = history
            if last is not None:
                batch.state[w] = last


def _last_fix(w: str, raw: bytes | None) -> Ping | None:
    if raw is None:
        return None
    try:
        entry = orjson.loads(raw)
        if entry.get("ts") is not None:  # null: known from heartbeats only, no fix to compare with
            return Ping.from_live(entry)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
        log.warning("ignoring an unreadable stored fix of %s: %s", w, e)
    return None


class StoreLive(BatchStage):
    """Queues the CAS write of each worker's newest in-order fix (and its push row) on the batch's transaction."""

    def __init__(self, client, settings):
        self.settings = settings
        self.script = client.register_script(LIVE_CAS)

    def handle_batch(self, pings, batch: Batch) -> None:
        newest: dict[str, Ping] = {}
        for p in pings:
            if not p.late and not p.buffered:
                newest[p.w] = p  # stream order: the last in-order live fix of each worker wins
        if not newest:
            return
        streets: dict[str, int] = {}
        updates = []
        dumps, by_worker, rows, entries = orjson.dumps, batch.roster.by_worker, batch.rows, batch.entries
        for w, p in newest.items():
            row, street = rows.get(w, ("", None))
            idx = streets.setdefault(street, len(streets) + 1) if street and row else 0
            made = entries.get(w)
            entry = dumps(made if made is not None and made["ts"] == p.ts else live_entry(p, by_worker(w), batch.last_contact.get(w))).decode()
            updates.append((w, p.ts, entry, dumps(row).decode() if row else "", idx))
        keys = [self.settings.key("live"), *room_keys(self.settings, list(streets))]
        self.script(keys=keys, args=[dumps(updates)], client=batch.pipe)


class AppendTrack(BatchStage):
    """Every accepted fix, late and buffered ones included, into the worker's track of the fix's own local day
    (kept ``track_days``), and its attribute map into the worker-day's attribute log when it changed; a fix of a
    past day also drops that worker-day's stored visit figures (:mod:`streams.visits` computes them again from the
    track)."""

    def __init__(self, client, settings):
        self.settings = settings
        self.script = client.register_script(ZADD_MANY)
        self.ttl_s = int((settings.track_days + 1) * 86400)
        self._expiring: set[str] = set()  # track keys this process already gave a TTL (cleared daily)
        self._expiring_day = ""

    def handle_batch(self, pings, batch: Batch) -> None:
        index: dict[str, int] = {}
        adds, attrs = [], []
        prefix, attrs_prefix = self.settings.key("track"), self.settings.key("trackattrs")
        today = batch.day(batch.now)
        past: set[tuple[str, str]] = set()  # (day, worker) of fixes added to a day before today
        for p in pings:
            day = batch.day(p.ts)
            key = f"{prefix}:{day}:{p.w}"
            k = index.setdefault(key, len(index) + 1)
            adds.append((k, p.ts, f"{p.ts:.3f},{p.lon:.6f},{p.lat:.6f}"))
            if p.attrs:
                a = index.setdefault(f"{attrs_prefix}:{day}:{p.w}", len(index) + 1)
                js = orjson.dumps(p.attrs, option=orjson.OPT_SORT_KEYS).decode()
                attrs.append((a, p.ts, f"{p.ts:.3f},{js}", js))
            if day < today:
                past.add((day, p.w))
        for day, w in past:  # the stored visit figures of that worker-day no longer cover its whole track
            batch.pipe.hdel(self.settings.key("visits", day), w)
        if today != self._expiring_day:
            self._expiring, self._expiring_day = set(), today
        fresh = [k for key, k in index.items() if key not in self._expiring]
        batch.after_commit.append(lambda: self._expiring.update(index))  # only once the EXPIREs really ran
        self.script(keys=list(index), args=[orjson.dumps(adds), self.ttl_s, orjson.dumps(fresh), orjson.dumps(attrs)],
                    client=batch.pipe)
