"""The push contract: the one home of the Socket.IO namespace, event names, rooms and row fields.

Everything that speaks to browsers takes these names from here: the processors' emitter and push stage, the web
process's Socket.IO handlers, and each screen's page config (:func:`browser_contract`), from which the browser code
reads them; the browser keeps no copy.

Rooms::

    district            the district center's view (every worker, every ticket)
    street:{code}       one street's view (its supervisor, or an admin who narrowed to it)

Messages (server → browser)::

    snapshot   {t, street, f: SNAPSHOT_FIELDS, rows}    every worker in scope, on connect and on subscribe
    positions  {t, f: POSITION_FIELDS, rows}            only the workers whose live state changed (a fix, a
                                                        heartbeat, the status sweep); t = Redis ms; at most
                                                        push_max_per_s a second per room
    alerts     [{kind, w, name, grid, street, ts, message}, ...]
    tickets    {t, f: TICKET_FIELDS, rows}              ticket events from the ticket store's outbox
    visits     {t, date, street, f: VISIT_FIELDS, rows} a street's worker-day visit figures (street rooms only)
    ack        {ids, by, at, street}                    alerts acknowledged (ids: :func:`alert_id`); a feed
                                                        drops them from its unread count
    error      {error, message}
"""

from __future__ import annotations

NAMESPACE = "/live"
DISTRICT_ROOM = "district"
STREET_ROOM_PREFIX = "street:"

EV_SNAPSHOT = "snapshot"
EV_POSITIONS = "positions"
EV_ALERTS = "alerts"
EV_TICKETS = "tickets"
EV_ERROR = "error"
EV_VISITS = "visits"
EV_ACK = "ack"
EV_SUBSCRIBE = "subscribe"  # browser → server: {"street": code | None}

# positions row: one worker's newest live state, every field a screen shows (streams.stages.push.position_row
# builds it from this list): fix lon/lat (WGS-84, 5 decimals ≈ 1 m), status, moving 1/0, grid code, fix ts (unix s),
# idle 1/0, spd (km/h, 1 decimal), bat (%, integer), sos 1/0, acc (accuracy radius, m, integer), hdg (heading,
# degrees 0-359, integer), outside (own grid) 1/0; null where unknown.
POSITION_FIELDS = ["id", "lon", "lat", "status", "moving", "grid", "ts", "idle", "spd", "bat", "sos", "acc", "hdg",
                   "outside"]
# snapshot row: what streams.live.LiveReader.snapshot returns for each worker in scope; ``seen`` is the last
# contact (a fix or a heartbeat without one, unix s), from which the status is derived
SNAPSHOT_FIELDS = ["id", "name", "lon", "lat", "status", "moving", "grid", "street", "ts", "outside", "sos", "spd", "bat",
                   "idle", "acc", "hdg", "seen"]
# tickets row: one ticket event (dashboard.push.tickets builds it from the outbox stream)
TICKET_FIELDS = ["id", "no", "event", "state", "light", "lon", "lat", "grid", "street", "category", "ts", "open",
                 "overdue"]

# visits row: one worker's figures of the day (streams.visits.VisitReader.day builds them)
VISIT_FIELDS = ["id", "visits", "visit_minutes_home", "visit_minutes", "patrol_minutes", "patrol_minutes_home",
                "distance_m", "grids_entered", "below_target"]


def alert_id(alert: dict) -> str:
    """The stable id of an alert, spelled the same in the browser: ``kind:w:ts`` with ts to 3 decimals
    (JS: ``a.kind + ":" + a.w + ":" + a.ts.toFixed(3)``)."""
    return f"{alert.get('kind')}:{alert.get('w')}:{float(alert.get('ts') or 0):.3f}"


def room_for(street_code: str | None) -> str:
    """The room of one street, or the district's for ``None``."""
    return f"{STREET_ROOM_PREFIX}{street_code}" if street_code else DISTRICT_ROOM


def rooms_of(streets) -> list[str]:
    """Every room of a district: the district's, then one per street."""
    return [DISTRICT_ROOM, *(room_for(s) for s in streets)]


def browser_contract() -> dict:
    """What the page config hands to the browser code (JSON-ready)."""
    return {
        "namespace": NAMESPACE,
        "events": {"snapshot": EV_SNAPSHOT, "positions": EV_POSITIONS, "alerts": EV_ALERTS, "tickets": EV_TICKETS,
                   "error": EV_ERROR, "subscribe": EV_SUBSCRIBE, "visits": EV_VISITS, "ack": EV_ACK},
        "rooms": {"district": DISTRICT_ROOM, "street_prefix": STREET_ROOM_PREFIX},
        "fields": {"positions": POSITION_FIELDS, "snapshot": SNAPSHOT_FIELDS, "tickets": TICKET_FIELDS,
                   "visits": VISIT_FIELDS},
        "alert_id": "kind:w:ts.toFixed(3)",
    }
