"""Wire the ticket closed loop into the web process: token → actor, the APIs, and its chores (the outbox relay and
the deadline sweep; the ticket push).

``tickets/`` never parses tokens; the web process knows its callers as :class:`dashboard.auth.Principal` and hands
the ticket package an :class:`tickets.domain.actors.Actor` for each. ``admin`` (``GRIDPULSE_ADMIN_TOKEN``) is the district
center; street, worker and department tokens keep their role.

>>> server, socketio = create_app(district=d, extensions=[ticket_extension(store, open311_key=None)])  # doctest: +SKIP
>>> server.extensions["gridpulse"].start()  # doctest: +SKIP   (its chores among the others)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dashboard.auth import Principal
from dashboard.background import Background
from tickets.domain.actors import Actor

log = logging.getLogger(__name__)

ROLE_OF = {"admin": "district", "street": "street", "worker": "worker", "department": "department"}


def actor_for(principal: Principal | None) -> Actor | None:
    """The ticket actor behind a web principal (None stays None: the API answers 401)."""
    if principal is None:
        return None
    return Actor(role=ROLE_OF[principal.role], name=principal.name or principal.role, worker_id=principal.worker_id,
                 street_code=principal.street_code, department=principal.department)


def ticket_settings(**explicit):
    """Ticket settings (the SQLite store and the photos under ``GRIDPULSE_VAR_DIR`` unless set)."""
    from tickets.settings import load_settings

    return load_settings(**explicit)


def open_store(settings):
    """The ticket store of ``settings``, migrated to the newest schema."""
    from tickets.store.sql import SqlTicketStore

    store = SqlTicketStore(settings.database_url)
    store.migrate()
    return store


@dataclass
class TicketChores:
    """What :func:`ticket_extension` adds to the web process's chores (``ctx.ticket_chores``)."""

    background: TicketBackground
    push: Any  # dashboard.push.tickets.TicketPush


def ticket_extension(store, *, open311_key: str | None, settings=None) -> Callable:
    """A ``create_app`` extension mounting ``/api/v1/tickets…``, ``/api/v1/metrics``, ``/api/v1/departments`` and
    ``/open311/v2/``; the service ends up in ``server.extensions["tickets"]``. With Redis, it adds the ticket chores
    (outbox relay and sweep; the ticket push) to ``ctx.chores`` and mounts ``/api/v1/tickets/events``; the demo
    sets ``ctx.ticket_chores.background.flow``."""

    def extend(ctx) -> None:
        from dashboard.api import ticket_routes as web

        def authenticate(token: str) -> Actor | None:
            return actor_for(ctx.tokens.principal(token))

        service = web.register(ctx.server, store=store, district=ctx.district, authenticate=authenticate,
                               open311_key=open311_key, settings=settings)
        ctx.server.extensions["tickets"] = service
        if ctx.redis_client is not None:
            from dashboard.api import ticket_events

            ctx.ticket_chores = _chores(ctx, store, service)
            ctx.chores += [ctx.ticket_chores.background, ctx.ticket_chores.push]
            # the events the push sends, read again by a screen back from a gap: needs the stream and the store
            ctx.server.register_blueprint(ticket_events.blueprint(getattr(ctx.settings, "retry_after_s", 5)))

    return extend


def _chores(ctx, store, service) -> TicketChores:
    from dashboard.push.tickets import TicketPush, socketio_emit

    stream = ctx.settings.key("ticket-events")
    return TicketChores(TicketBackground(store, service, ctx.redis_client, stream=stream),
                        TicketPush(ctx.redis_client, service, socketio_emit(ctx.socketio), stream=stream))


def service_of(server):
    """The ticket service a :func:`ticket_extension` registered on ``server``."""
    return server.extensions["tickets"]


class TicketBackground:
    """The web process's ticket chores in one :class:`Background` loop: drain the outbox to Redis, sweep deadlines
    (督办/超期).

    ``flow`` (the demo's :class:`tickets.simulate.TicketFlow`) is stepped on the same beat, so new tickets and
    their progress keep arriving.
    """

    def __init__(self, store, service, redis_client, *, stream: str, interval_s: float = 1.0,
                 sweep_every_s: float = 60.0, flow=None):
        from tickets.store.outbox import OutboxRelay

        self.relay = OutboxRelay(store, redis_client, stream=stream, maxlen=service.settings.outbox_maxlen,
                                 batch=service.settings.outbox_batch)
        self.service, self.flow = service, flow
        self.interval_s, self.sweep_every_s = interval_s, sweep_every_s
        self.ready = threading.Event()  # set when the flow may start (the demo's backfill is done)
        self.ready.set()
        self._warmed = False
        self._last_sweep = 0.0
        self.loop = Background("tickets", self._round, interval_s=interval_s, final=self.relay.drain_once)

    def start(self) -> TicketBackground:
        self.loop.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self.loop.stop(timeout_s)  # its final round drains what the last beat wrote to Redis

    def _warm(self) -> None:
        """Fill the metrics' month cache once the store is ready, so that the first screens are quick too."""
        from tickets import metrics

        t0 = time.monotonic()
        svc = self.service
        try:
            n = metrics.warm(svc.store.engine, datetime.now(svc.calendar.tz).date(), tz=svc.settings.timezone)
            log.info("metrics cache warmed: %d queries in %.1f s", n, time.monotonic() - t0)
        except Exception:  # a cold cache is slower, never wrong
            log.exception("warming the metrics cache failed")

    def _round(self) -> None:
        if not self._warmed and self.ready.is_set():
            self._warm()
            self._warmed = True
        if self.flow is not None and self.ready.is_set():
            self.flow.step(datetime.now(UTC))  # sweeps too
        elif (now := datetime.now(UTC).timestamp()) - self._last_sweep >= self.sweep_every_s:
            self.service.sweep()
            self._last_sweep = now
        self.relay.drain_once()
