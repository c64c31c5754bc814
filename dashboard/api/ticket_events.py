"""Recent ticket events of a scope: what the ``tickets`` pushes of a gap brought, for a screen that was away.

``GET /api/v1/tickets/events?since=<epoch s>[&street=CODE][&limit=N]``
    → ``{t, f: TICKET_FIELDS, rows, since, street, more}``: the newest ``limit`` (default 200, at most 500) ticket
    events at or after ``since`` (the event's own time, the ``ts`` of a row), oldest first, in the push's row shape
    (:func:`dashboard.push.tickets.rows_now`: each row carries its ticket's light and open flag *now*).
    ``more``: older events at or after ``since`` were left out (the limit, or the :data:`SCAN_MAX` entries read).
    A street token sees its street's events; the admin the district's, or one street's with ``?street=``.

The events are read from the ticket-event stream (``{p}:ticket-events``, written by the outbox relay) newest first.
Not by a stream id made from ``since``: an entry's id is Redis's clock when the relay sent it, ``since`` the ticket
service's clock when the event happened; they differ by the relay's delay (minutes after a Redis outage) and by
any skew between the two hosts. The stream holds the events about in time order, so the reading stops at the first
event older than ``since`` by :data:`ORDER_SLACK_S`.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

from flask import Blueprint

from dashboard.api import params
from dashboard.api.access import caller, street_scope, web
from dashboard.api.errors import api_blueprint, json_response
from dashboard.api.schemas import TicketEventsQuery
from dashboard.push.tickets import decode, rows_now
from streams.contract import TICKET_FIELDS

SCAN_MAX = 5000  # stream entries read at most for one answer (a street's events are about 1 in 11 of them)
PAGE = 500  # entries per XREVRANGE
# How far an older event may sit after a newer one in the stream: transactions commit (and the relay sends them)
# nearly, not exactly, in the order of their times.
ORDER_SLACK_S = 60


def events():
    street = street_scope(caller(), known=True)
    q = params.query(TicketEventsQuery)
    ctx = web()
    found, more = read_since(ctx.redis_client, ctx.settings.key("ticket-events"), q.since, street, q.limit)
    now = datetime.now(UTC)
    rows = rows_now(ctx.server.extensions["tickets"].store.engine, found, now) if found else []
    return json_response({"t": int(now.timestamp() * 1000), "f": TICKET_FIELDS, "rows": rows, "since": q.since,
                          "street": street, "more": more})


def read_since(client, stream: str, since_s: float, street: str | None, limit: int) -> tuple[list[dict], bool]:
    """(the newest ``limit`` events of ``street`` (None: all) at or after ``since_s``, oldest first; whether any
    such event was left out). Repeats of an event (the outbox delivers at least once) count once."""
    found: list[dict] = []
    seen: OrderedDict = OrderedDict()
    top, read = "+", 0
    while read < SCAN_MAX:
        entries = client.xrevrange(stream, max=top, min="-", count=PAGE)
        read += len(entries)
        for e in decode(entries, seen):
            at = _ts(e)
            if at is None:
                continue
            if at < since_s - ORDER_SLACK_S:
                return found[::-1], False
            if at < since_s or (street and e.get("street_code") != street):
                continue
            if len(found) == limit:
                return found[::-1], True
            found.append(e)
        if len(entries) < PAGE:
            return found[::-1], False
        top = "(" + entries[-1][0].decode()
    return found[::-1], True


def _ts(event: dict) -> float | None:
    try:
        return datetime.fromisoformat(event["at"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


ROUTES = [("GET", "/api/v1/tickets/events", events)]


def blueprint(retry_after_s: int = 5) -> Blueprint:
    return api_blueprint("ticket_events_api", __name__, ROUTES, retry_after_s=retry_after_s)
