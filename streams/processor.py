"""One consumer of the ping stream: read a batch, run the stages, commit and acknowledge in one transaction.

Each batch: XREADGROUP (plus, every ``claim_interval_s``, the claim of dead consumers' pending entries — a consumer is
dead once its heartbeat key is gone, see :class:`streams.pingstream.RedisPingSource` — and XGROUP DELCONSUMER of
consumers idle ``consumer_forget_s`` with nothing left pending),
the stage list in stream order, then one MULTI/EXEC holding every write the stages queued (live CAS, track,
patrol, alerts), the dead letters, the counters and the XACK — so a batch is either fully applied and
acknowledged or not at all (and then read again).  Between batches: the status sweep and the coalesced push.

Run several processors under different names; they share the work through the consumer group and the live
state in Redis.  ``run`` survives Redis going away: it tries again every ≤ ``redis_retry_cap_s`` and resumes where it
stopped (its client, :func:`streams.pingstream.make_redis`, retries once after 50 ms and fails fast otherwise).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import threading
import time
from collections import Counter

import redis

from streams import metrics
from streams.emitter import Coalescer, NullEmitter, emit_alerts
from streams.metrics import STAT_BUFFERED, STAT_CONTACTS, STAT_DEAD, STAT_DROPPED, STAT_PROCESSED
from streams.pingstream import RedisPingSource
from streams.pipeline import build_stages, describe
from streams.stages import Stage
from streams.stages.alerts import queue_alerts
from streams.stages.model import Batch, Ping
from streams.sweep import Sweeper

log = logging.getLogger(__name__)
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)
FIRST_RETRY_S = 0.05  # the first wait after Redis went away; doubled up to settings.redis_retry_cap_s


def _id_key(entry) -> tuple[int, int]:
    ms, _, seq = entry[0].partition(b"-")
    return int(ms), int(seq or 0)


class Processor:
    def __init__(
        self,
        redis_client,
        district,
        roster,
        settings,
        emitter=None,
        name: str | None = None,
        *,
        stages: list[Stage] | None = None,
    ):
        self.client, self.roster, self.settings = redis_client, roster, settings
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.emitter = emitter or NullEmitter()
        self.source = RedisPingSource(redis_client, settings, self.name)
        self.stages = stages if stages is not None else build_stages(redis_client, district, settings)
        self.coalescer = Coalescer(redis_client, settings, roster.street_codes, self.emitter)
        self.sweeper = Sweeper(redis_client, settings, roster)
        self._next_claim = self._next_beat = 0.0
        self._ready = False
        self.totals: Counter[str] = Counter()  # this process: processed, dropped:rule, dead:stage
        log.info("processor %s: %s", self.name, describe(self.stages))

    def process_once(self, block_ms: int | None = None) -> int:
        """Read and process one batch (blocking up to ``block_ms``), then sweep and push if due; entries read."""
        if not self._ready:
            self.source.ensure_group()
            self._ready = True
        now = time.time()
        if now >= self._next_beat:  # run() also beats from a thread, so that a long batch never looks like a death
            self._next_beat = now + self.settings.heartbeat_ttl_s / 3
            self.source.beat()
        claimed = []
        if now >= self._next_claim:
            self._next_claim = now + self.settings.claim_interval_s
            claimed = self.source.claim()
            self.source.forget_idle_consumers()
        entries = claimed + self.source.read(block_ms=self._block_ms(block_ms), wait=not claimed)
        if claimed:  # a dead consumer's older entries first (stream order per worker), each entry once
            entries = sorted({e[0]: e for e in entries}.values(), key=_id_key)
        n = self.process_entries(entries) if entries else 0
        self.housekeeping()
        return n

    def _block_ms(self, block_ms: int | None) -> int:
        """How long a read may wait: no longer than until rows held back by a push window can go out."""
        block = self.settings.block_ms if block_ms is None else block_ms
        wake = self.coalescer.wake_in_s
        return block if wake is None else max(1, min(block, math.ceil(wake * 1000)))

    def process_entries(self, entries) -> int:
        pings = [Ping(eid, fields.get(b"p")) for eid, fields in entries]
        pipe = self.client.pipeline(transaction=True)
        batch = Batch(pings, self.settings, self.roster, now=time.time(), pipe=pipe)
        for stage in self.stages:
            stage(batch)
        self._commit(batch, [e[0] for e in entries])
        emit_alerts(self.emitter, batch.alerts)
        done = time.time()
        observe = metrics.PROCESSING_LATENCY.observe
        alive = [p for p in batch.pings if p.alive]
        for p in alive[:: max(1, len(alive) // 50)]:  # a sample of ~50 per batch: observing is ~3 µs a ping
            observe(max(done - p.rx, 0.0))
        return len(entries)

    def _commit(self, batch: Batch, ids: list[bytes]) -> None:
        pipe, s = batch.pipe, self.settings
        queue_alerts(pipe, s, batch.alerts)
        for ping, stage, reason in batch.dead:
            self.source.dead_letter(pipe, ping.id, ping.raw, stage, reason)
        stats = Counter({STAT_PROCESSED: sum(p.alive for p in batch.pings), STAT_CONTACTS: batch.contacts,
                         STAT_BUFFERED: batch.buffered})
        stats.update({STAT_DROPPED + rule: n for rule, n in batch.dropped.items()})
        stats.update(Counter(STAT_DEAD + stage for _, stage, _ in batch.dead))
        for field, n in stats.items():
            if n:
                pipe.hincrby(s.key("stats"), field, n)
        self.totals.update(stats)
        self.source.ack(pipe, ids)
        pipe.execute()
        for done in batch.after_commit:
            done()

    def housekeeping(self, now: float | None = None) -> None:
        """The status sweep (one processor at a time) and the coalesced ``positions`` push."""
        alerts = self.sweeper.maybe_run(now)
        if alerts:
            emit_alerts(self.emitter, alerts)
        self.coalescer.flush()

    def run(self, stop_event: threading.Event | None = None) -> None:
        """Process until ``stop_event`` is set; Redis outages are waited out with a short backoff (``FIRST_RETRY_S``
        doubling up to ``settings.redis_retry_cap_s``, so that pings are read again within that of Redis coming back)."""
        stop = stop_event or threading.Event()
        beating = threading.Event()
        if self.settings.heartbeat_ttl_s:
            threading.Thread(target=self._beat_until, args=(beating, stop), name=f"{self.name}-heartbeat",
                             daemon=True).start()
        try:
            self._run(stop)
        finally:
            beating.set()
            with contextlib.suppress(redis.RedisError):  # Redis gone: the heartbeat expires by itself
                self.source.retire()

    def _beat_until(self, done: threading.Event, stop: threading.Event) -> None:
        """Refresh the heartbeat every third of its TTL while the process lives (frozen or killed: it lapses)."""
        period = self.settings.heartbeat_ttl_s / 3
        while not (done.is_set() or stop.is_set()):
            with contextlib.suppress(redis.RedisError):  # Redis down: nobody can claim anything meanwhile either
                self.source.beat()
            done.wait(period)

    def _run(self, stop: threading.Event) -> None:
        cap = self.settings.redis_retry_cap_s
        backoff, lost = FIRST_RETRY_S, False
        while not stop.is_set():
            try:
                self.process_once()
                if lost:
                    log.warning("processor %s: Redis back, reading again", self.name)
                backoff, lost = FIRST_RETRY_S, False
            except UNAVAILABLE as e:
                if not lost:  # once per outage, not at every try
                    log.warning("processor %s: Redis unavailable (%s); retrying every ≤ %.2f s", self.name, e, cap)
                lost = True
                self.source.reread_pending()  # what we were given but did not ack is ours to redo
                self._ready = False
                stop.wait(min(backoff, cap))
                backoff = min(backoff * 2, cap)
            except Exception:  # noqa: BLE001 - a processor keeps going; the batch stays pending and is re-read
                log.exception("processor %s: batch failed", self.name)
                self.source.reread_pending()
                stop.wait(1.0)
