"""Mount the ticket HTTP APIs on a Flask app: the internal ``/api/v1`` and Open311 GeoReport v2.

The composition root calls :func:`register`; this package never parses tokens itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import flask

from tickets.domain.actors import Actor
from tickets.domain.errors import TicketError
from tickets.service import TicketService
from tickets.settings import TicketSettings, load_settings
from tickets.store.sql import SqlTicketStore


@dataclass
class WebContext:
    """What the blueprints share: the service, the authenticator and readable names for codes."""

    service: TicketService
    authenticate: Callable[[str], Actor | None]
    open311_key: str | None
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # names[level][code] = name

    def actor(self) -> Actor:
        """The caller, from ``Authorization: Bearer <token>``; 401 without a known token."""
        header = flask.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TicketError(401, "unauthenticated", "send 'Authorization: Bearer <token>'.")
        actor = self.authenticate(token.strip())
        if actor is None:
            raise TicketError(401, "unauthenticated", "the bearer token is not known.")
        return actor


def _names(service: TicketService) -> dict[str, dict[str, str]]:
    g = service.district.grids
    w = service.district.workers
    return {
        "street": dict(zip(g["street_code"], g["street_name"], strict=True)),
        "community": dict(zip(g["community_code"], g["community_name"], strict=True)),
        "grid": dict(zip(g["code"], g["name"], strict=True)),
        "category": {c.code: c.name for c in service.catalog.categories.values()},
        "major": {c.major_code: c.major_name for c in service.catalog.categories.values()},
        "department": {d.code: d.name for d in service.catalog.departments.values()},
        "worker": dict(zip(w["worker_id"], w["name"], strict=True)) if len(w) else {},
        "source": {"worker_patrol": "网格员巡查", "hotline_12345": "12345热线", "resident_app": "居民App",
                   "video": "视频监控"},
        "district": {"district": service.district.name},
    }


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
    from dashboard.api import open311
    from dashboard.api import ticket_metrics as metrics_api
    from dashboard.api import tickets as api

    service = service or TicketService(store, district, settings or load_settings())
    ctx = WebContext(service, authenticate, open311_key)
    ctx.names = _names(service)
    app.register_blueprint(api.blueprint(ctx))
    app.register_blueprint(metrics_api.blueprint(ctx))
    app.register_blueprint(open311.blueprint(ctx))
    return service
