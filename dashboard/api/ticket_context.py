"""What the ticket APIs of one app share, and how a handler reaches it: :func:`context` (``current_app``).

:func:`dashboard.api.ticket_routes.register` puts a :class:`TicketContext` in ``app.extensions``; the handlers are
module-level functions that read it per request, as Flask's own examples do, so a test can call any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import flask

from dashboard.api.errors import ApiError
from tickets.domain.actors import Actor
from tickets.service import TicketService

EXTENSION = "gridpulse.tickets"  # app.extensions[EXTENSION] = TicketContext


@dataclass
class TicketContext:
    """The service, the authenticator and readable names for codes."""

    service: TicketService
    authenticate: Callable[[str], Actor | None]
    open311_key: str | None
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # names[level][code] = name

    def actor(self) -> Actor:
        """The caller, from ``Authorization: Bearer <token>``; 401 without a known token."""
        header = flask.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthenticated", "send 'Authorization: Bearer <token>'.")
        actor = self.authenticate(token.strip())
        if actor is None:
            raise ApiError(401, "unauthenticated", "the bearer token is not known.")
        return actor


def context() -> TicketContext:
    """The ticket context of the app serving this request."""
    return flask.current_app.extensions[EXTENSION]


def names_of(service: TicketService) -> dict[str, dict[str, str]]:
    """``names[level][code] = name`` for every level, category, department, worker and source."""
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
