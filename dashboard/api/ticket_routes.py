"""Mount the ticket HTTP APIs on a Flask app: the internal ``/api/v1`` and Open311 GeoReport v2.

The composition root calls :func:`register`; the ticket package never parses tokens itself.
"""

from __future__ import annotations

from collections.abc import Callable

import flask

from dashboard.api import bodies, open311, ticket_metrics, tickets
from dashboard.api.ticket_context import EXTENSION, TicketContext, names_of
from tickets.domain.actors import Actor
from tickets.service import TicketService
from tickets.settings import TicketSettings, load_settings
from tickets.store.sql import SqlTicketStore

FORM_MARGIN_BYTES = 1 << 20  # the text fields and multipart boundaries beside a request's photos


def register(app: flask.Flask, *, store: SqlTicketStore, district, authenticate: Callable[[str], Actor | None],
             open311_key: str | None, settings: TicketSettings | None = None,
             service: TicketService | None = None) -> TicketService:
    """Register ``/api/v1/tickets…``, ``/api/v1/metrics…``, ``/api/v1/departments`` and ``/open311/v2/…``.

    Parameters
    ----------
    app : the Flask app.
    store : the ticket store (already migrated).
    district : the district the tickets belong to.
    authenticate : bearer token → :class:`Actor` (None when unknown).
    open311_key : the ``api_key`` Open311 clients must send to post; None disables posting.
    settings : package settings (:func:`load_settings` when omitted).
    service : a ready service (tests inject one with a fake clock).

    Returns
    -------
    TicketService
        The service behind the routes, for the caller's simulator or sweeps.
    """
    service = service or TicketService(store, district, settings or load_settings())
    app.extensions[EXTENSION] = TicketContext(service, authenticate, open311_key, names_of(service))
    app.register_blueprint(tickets.blueprint())
    app.register_blueprint(ticket_metrics.blueprint())
    app.register_blueprint(open311.blueprint())
    # a report or an action may carry its photos: room for all of them and the form around them
    uploads = service.settings.max_photos * service.settings.max_photo_bytes + FORM_MARGIN_BYTES
    for endpoint in ("tickets_api.create", "tickets_api.act", "open311.post_request"):
        bodies.allow(app, endpoint, uploads)
    return service
