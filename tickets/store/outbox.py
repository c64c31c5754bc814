"""The outbox relay: moves ticket events from the SQL ``outbox`` table to a Redis stream.

Events are written in the same transaction as the ticket change, so SQL never waits on Redis;
the relay XADDs them in id order and deletes them only after Redis accepted them. If Redis is
down the rows simply wait; after a crash between XADD and DELETE an event is sent twice, so
every entry carries ``event_id`` (the outbox id) for consumers to drop repeats (at-least-once).
"""

from __future__ import annotations

import logging
import threading

import redis
from sqlalchemy import delete, select

from tickets.store.models import outbox

log = logging.getLogger(__name__)


class OutboxRelay:
    """Drain ``outbox`` into ``stream``.

    Parameters
    ----------
    store_or_engine : a :class:`tickets.store.sql.SqlTicketStore` or an Engine.
    redis_client : a redis-py client.
    stream : the Redis stream key.
    batch : rows per round trip.
    maxlen : approximate stream length kept (``XADD MAXLEN ~``).

    Examples
    --------
    >>> relay = OutboxRelay(store, redis.Redis(), stream="gp:ticket-events")  # doctest: +SKIP
    >>> relay.drain_once()  # doctest: +SKIP
    3
    """

    def __init__(self, store_or_engine, redis_client, stream: str = "gp:ticket-events", batch: int = 500,
                 maxlen: int = 100_000):
        self.engine = getattr(store_or_engine, "engine", store_or_engine)
        self.redis, self.stream, self.batch, self.maxlen = redis_client, stream, batch, maxlen
        self.sent = 0
        self.failures = 0

    def drain_once(self) -> int:
        """Send every waiting event (batch by batch); return how many were sent. Never raises on Redis errors."""
        total = 0
        while True:
            n = self._send_batch()
            total += n
            if n < self.batch:
                return total

    def _send_batch(self) -> int:
        with self.engine.begin() as conn:
            stmt = select(outbox.c.id, outbox.c.payload).order_by(outbox.c.id).limit(self.batch)
            if conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)  # several relays never send one row twice at once
            rows = conn.execute(stmt).all()
            if not rows:
                return 0
            pipe = self.redis.pipeline(transaction=False)
            for oid, payload in rows:
                pipe.xadd(self.stream, {"event_id": str(oid), "event": payload}, maxlen=self.maxlen,
                          approximate=True)
            try:
                pipe.execute()
            except redis.RedisError as exc:
                self.failures += 1
                log.warning("ticket events wait in the outbox: Redis refused (%s)", exc)
                return 0  # nothing deleted: the rows are sent on a later round
            conn.execute(delete(outbox).where(outbox.c.id.in_([oid for oid, _ in rows])))
        self.sent += len(rows)
        return len(rows)

    def pending(self) -> int:
        from sqlalchemy import func

        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())

    def run(self, stop_event: threading.Event, interval_s: float = 0.5) -> None:
        """Drain every ``interval_s`` until ``stop_event`` is set (run it in a thread)."""
        while not stop_event.is_set():
            try:
                self.drain_once()
            except Exception:  # a SQL hiccup must not kill the relay thread; the rows wait for the next round
                log.exception("outbox relay round failed")
            stop_event.wait(interval_s)
