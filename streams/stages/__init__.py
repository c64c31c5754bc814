"""The processing stages: small callables over a batch of pings, run in order (Traccar's handler list).

A stage subclasses :class:`PingStage` (``handle(ping, batch)`` per ping, in stream order, returning a drop rule
or ``None``) or :class:`BatchStage` (``handle_batch(pings, batch)`` on all surviving pings at once, for numpy or
one Redis call).  A filtered ping stops there and is counted per rule.  A stage that raises is caught per ping:
that ping is dead-lettered with the stage and reason and the rest go on (a batch stage that raises is re-run one
ping at a time to find the culprit).  Redis connection errors are *not* caught: the batch is then not
acknowledged and is read again when Redis returns.
"""

from __future__ import annotations

import logging

import redis

from streams.stages.model import Batch, Ping

log = logging.getLogger(__name__)
# Infrastructure failures abort the whole batch (no ack, retried) instead of dead-lettering good pings.
_INFRA = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)

__all__ = ["Batch", "BatchStage", "Ping", "PingStage", "Stage"]


class Stage:
    """Base of every stage; ``name`` (the class name) is what dead letters and logs record."""

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, batch: Batch) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.name}()"


class PingStage(Stage):
    def handle(self, ping: Ping, batch: Batch) -> str | None:
        raise NotImplementedError

    def begin(self, batch: Batch) -> None:
        """Reset any per-batch running state (e.g. each worker's last fix seen by this filter)."""

    def __call__(self, batch: Batch) -> None:
        self.begin(batch)
        for ping in batch.alive():
            try:
                rule = self.handle(ping, batch)
            except _INFRA:
                raise
            except Exception as e:  # noqa: BLE001 - one bad ping must not stop the stream
                batch.kill(ping, self.name, e)
                continue
            if rule is not None:
                batch.drop(ping, rule)


class BatchStage(Stage):
    def handle_batch(self, pings: list[Ping], batch: Batch) -> None:
        raise NotImplementedError

    def __call__(self, batch: Batch) -> None:
        pings = batch.alive()
        if not pings:
            return
        try:
            self.handle_batch(pings, batch)
            return
        except _INFRA:
            raise
        except Exception:  # noqa: BLE001
            if len(pings) == 1:
                pass  # fall through: the culprit is known
            else:
                log.info("%s failed on a batch of %d; retrying one ping at a time", self.name, len(pings))
        for ping in pings:
            if not ping.alive:
                continue
            try:
                self.handle_batch([ping], batch)
            except _INFRA:
                raise
            except Exception as e:  # noqa: BLE001
                batch.kill(ping, self.name, e)
