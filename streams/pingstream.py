"""The ping stream in Redis: a sink for the web process and a consumer-group source for processors.

``{p}:pings`` entries have one field ``p``: the orjson bytes of a normalized ping (see ``streams/CONTRACT.md``).
Dead letters go to ``{p}:dead`` with the original ``p``, the stream ``id``, the ``stage`` and the ``reason``.

Only the processors read the stream (tracks, live state and patrol figures are kept in their own keys), so it
is trimmed by age as it is written: ``XADD … MINID ~ now − stream_retention_s`` (or ``MAXLEN ~ stream_maxlen``
when that is set).  The retention is how long every processor may be down before unread pings are lost.
"""

from __future__ import annotations

import logging
import time

import orjson
import redis
from redis.backoff import ConstantBackoff
from redis.retry import Retry

from streams.settings import StreamSettings

log = logging.getLogger(__name__)

# One entry as redis-py returns it: (stream id, {field: value}); bytes throughout (decode_responses=False).
Entry = tuple[bytes, dict[bytes, bytes]]


def make_redis(settings: StreamSettings, url: str | None = None) -> redis.Redis:
    """A bytes client with short timeouts and one quick retry, so that a dead Redis is noticed (503) in well
    under a second instead of redis-py's default backoff of several seconds."""
    return redis.Redis.from_url(
        url or settings.redis_url,
        socket_connect_timeout=settings.redis_timeout_s,
        socket_timeout=max(settings.redis_timeout_s, settings.block_ms / 1000 + 1.0),
        retry=Retry(ConstantBackoff(0.05), 1),
        health_check_interval=30,
    )


class RedisPingSink:
    """Appends normalized pings to the stream, one pipelined round trip per call."""

    def __init__(self, client: redis.Redis, settings: StreamSettings):
        self.client, self.settings = client, settings
        self.stream = settings.key("pings")

    def _trim(self) -> dict:
        s = self.settings
        if s.stream_maxlen:
            return {"maxlen": s.stream_maxlen, "approximate": True}
        if s.stream_retention_s:  # entry ids are Redis ms times: drop those older than the retention
            return {"minid": f"{int((time.time() - s.stream_retention_s) * 1000)}-0", "approximate": True}
        return {}

    def write(self, pings: list[dict]) -> int:
        """XADD every ping; raises ``redis.ConnectionError``/``TimeoutError`` when Redis cannot be reached."""
        if not pings:
            return 0
        trim = self._trim()
        if len(pings) == 1:
            self.client.xadd(self.stream, {"p": orjson.dumps(pings[0])}, **trim)
            return 1
        pipe = self.client.pipeline(transaction=False)
        for ping in pings:
            pipe.xadd(self.stream, {"p": orjson.dumps(ping)}, **trim)
        pipe.execute()
        return len(pings)


# KEYS[1] stream; ARGV[1] group, ARGV[2] min idle ms, ARGV[3] the calling consumer (never deleted), ARGV[4] the
# heartbeat key prefix ({p}:alive:).  A consumer is deleted only with nothing pending and no heartbeat, checked in
# the same atomic step (DELCONSUMER drops pending).
FORGET_CONSUMERS = """
local gone = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f['name'] ~= ARGV[3] and tonumber(f['pending']) == 0 and tonumber(f['idle']) >= tonumber(ARGV[2])
      and redis.call('EXISTS', ARGV[4] .. f['name']) == 0 then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    gone[#gone + 1] = f['name']
  end
end
return gone
"""


class RedisPingSource:
    """One consumer of the processors' group: read new entries, claim a dead consumer's, ack, dead-letter.

    A consumer is alive while its heartbeat key ``{p}:alive:<name>`` exists (:meth:`beat`, every third of
    ``heartbeat_ttl_s``); the pending entries of one whose key is gone are claimed as soon as they are idle
    ``dead_claim_min_idle_ms`` (:meth:`claim`), those of a live one only after ``claim_min_idle_ms``.
    """

    def __init__(self, client: redis.Redis, settings: StreamSettings, consumer: str):
        self.client, self.settings, self.consumer = client, settings, consumer
        self.stream = settings.key("pings")
        self.group = settings.key("processors")
        self.dead = settings.key("dead")
        self._own_pending = True  # after a restart under the same name, first re-read our own pending entries
        self._claim_cursor = b"0-0"
        self._forget = None  # the FORGET_CONSUMERS script, registered on first use
        self.alive_prefix = settings.key("alive") + ":"

    def beat(self) -> None:
        """Say this consumer is alive for ``heartbeat_ttl_s`` (nothing when heartbeats are off)."""
        if self.settings.heartbeat_ttl_s:
            self.client.set(self.alive_prefix + self.consumer, b"1", px=int(self.settings.heartbeat_ttl_s * 1000))

    def retire(self) -> None:
        """A clean stop: the heartbeat goes at once, so what this consumer still holds is claimed without delay."""
        if self.settings.heartbeat_ttl_s:
            self.client.delete(self.alive_prefix + self.consumer)

    def ensure_group(self) -> None:
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    def read(self, count: int | None = None, block_ms: int | None = None, wait: bool = True) -> list[Entry]:
        """The next entries for this consumer: its own pending ones first (after a restart or an error), then
        new ones, waiting up to ``block_ms`` (default ``settings.block_ms``) unless ``wait`` is false."""
        count = count or self.settings.read_count
        if self._own_pending:
            entries = self._xreadgroup("0", count, None)
            if entries:
                return entries
            self._own_pending = False
        block = (self.settings.block_ms if block_ms is None else block_ms) if wait else None
        return self._xreadgroup(">", count, block or None)  # redis-py: block=0 would wait forever

    def reread_pending(self) -> None:
        """Deliver this consumer's unacknowledged entries again on the next :meth:`read`."""
        self._own_pending = True

    def _xreadgroup(self, start: str, count: int, block_ms: int | None) -> list[Entry]:
        try:
            reply = self.client.xreadgroup(self.group, self.consumer, {self.stream: start}, count, block_ms)
        except redis.ResponseError as e:
            if "NOGROUP" not in str(e):
                raise
            self.ensure_group()  # the stream was deleted under us (e.g. a test cleaning up): start again
            return []
        if not reply:
            return []
        _, entries = reply[0] if isinstance(reply, list) else next(iter(reply.items()))
        return [e for e in entries if e[1] is not None]

    def claim(self, count: int | None = None) -> list[Entry]:
        """Pending entries of dead consumers, now this consumer's: those of consumers without a heartbeat idle
        ``dead_claim_min_idle_ms`` (:meth:`claim_orphans`), then any idle ``claim_min_idle_ms`` (XAUTOCLAIM)."""
        count = count or self.settings.read_count
        orphans = self.claim_orphans(count)
        if len(orphans) >= count:
            return orphans
        return orphans + self._autoclaim(count - len(orphans))

    def claim_orphans(self, count: int) -> list[Entry]:
        """XCLAIM (idle ≥ ``dead_claim_min_idle_ms``, so two claimers never both get one) the pending entries of
        every other consumer whose heartbeat is gone."""
        if not self.settings.heartbeat_ttl_s:
            return []
        try:
            consumers = self.client.xinfo_consumers(self.stream, self.group)
        except redis.ResponseError:  # no stream or group yet
            return []
        names = [c["name"] for c in consumers if int(c["pending"]) and c["name"] not in (self.consumer,
                                                                                          self.consumer.encode())]
        if not names:
            return []
        names = [n.decode() if isinstance(n, bytes) else n for n in names]
        alive = self.client.pipeline(transaction=False)
        for name in names:
            alive.exists(self.alive_prefix + name)
        out: list[Entry] = []
        idle = self.settings.dead_claim_min_idle_ms
        for name, beats in zip(names, alive.execute(), strict=True):
            if beats or len(out) >= count:
                continue
            held = self.client.xpending_range(self.stream, self.group, "-", "+", count - len(out),
                                              consumername=name, idle=idle)
            ids = [p["message_id"] for p in held]
            if not ids:
                continue
            got = self.client.xclaim(self.stream, self.group, self.consumer, idle, ids)
            live = [e for e in got if e and e[0] is not None and e[1]]
            if len(live) < len(got):  # 6.2: entries trimmed while pending came back empty, now in our PEL
                self._ack_trimmed({e[0] for e in live}, count)
            log.warning("consumer %s: claimed %d pending entries of %s (no heartbeat)", self.consumer, len(live), name)
            out += live
        return out

    def _autoclaim(self, count: int) -> list[Entry]:
        """XAUTOCLAIM entries idle longer than ``claim_min_idle_ms`` for this consumer.

        Works on Redis 6.2 (reply ``[cursor, entries]``, trimmed entries appear with no fields) and 7
        (``[cursor, entries, deleted ids]``, trimmed entries dropped from the PEL by Redis itself).
        """
        try:
            reply = self.client.xautoclaim(
                self.stream, self.group, self.consumer, self.settings.claim_min_idle_ms, self._claim_cursor, count=count
            )
        except redis.ResponseError as e:
            if "NOGROUP" not in str(e):
                raise
            self.ensure_group()
            return []
        cursor, entries = reply[0], reply[1]
        self._claim_cursor = cursor if cursor not in (b"0-0", "0-0") else b"0-0"
        live = [e for e in entries if e[0] is not None and e[1]]
        if len(live) < len(entries):  # 6.2: entries trimmed while pending came back as nil, now in our PEL
            self._ack_trimmed({e[0] for e in live}, count)
        return live

    def forget_idle_consumers(self, idle_s: float | None = None) -> list[str]:
        """Delete from the group every other consumer idle ``idle_s`` (default ``consumer_forget_s``) with
        nothing pending: a processor that died and whose entries were claimed.  Returns their names."""
        idle_s = self.settings.consumer_forget_s if idle_s is None else idle_s
        if not idle_s:
            return []
        if self._forget is None:
            self._forget = self.client.register_script(FORGET_CONSUMERS)
        try:
            gone = self._forget(keys=[self.stream], args=[self.group, int(idle_s * 1000), self.consumer,
                                                          self.alive_prefix])
        except redis.ResponseError as e:
            if "NOGROUP" in str(e) or "no such key" in str(e):
                return []
            raise
        names = [g.decode() if isinstance(g, bytes) else g for g in gone]
        if names:
            log.info("consumer group %s: forgot idle consumers %s", self.group, names)
        return names

    def _ack_trimmed(self, keep: set, count: int) -> None:
        pending = self.client.xpending_range(self.stream, self.group, "-", "+", count, consumername=self.consumer)
        gone = [p["message_id"] for p in pending if p["message_id"] not in keep]
        gone = [i for i in gone if not self.client.xrange(self.stream, i, i)]
        if gone:
            self.client.xack(self.stream, self.group, *gone)

    def ack(self, pipe, ids: list[bytes]) -> None:
        if ids:
            pipe.xack(self.stream, self.group, *ids)

    def dead_letter(self, pipe, entry_id: bytes, raw: bytes | None, stage: str, reason: str) -> None:
        fields = {"p": raw or b"", "id": entry_id, "stage": stage, "reason": reason[:500]}
        pipe.xadd(self.dead, fields, maxlen=self.settings.dead_maxlen or None, approximate=True)

    def lag(self) -> int | None:
        """Entries not yet delivered to the group (Redis ≥ 7; ``None`` on 6.2) plus pending ones."""
        try:
            groups = self.client.xinfo_groups(self.stream)
        except redis.ResponseError:
            return None
        for g in groups:
            name = g.get("name")
            if name in (self.group, self.group.encode()):
                lag = g.get("lag")
                return None if lag is None else int(lag) + int(g.get("pending") or 0)
        return None
