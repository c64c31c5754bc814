"""Shapes of the live path's HTTP answers and query strings, for the OpenAPI document (``dashboard/api/openapi.py``).

The batch ingest's own models (:class:`streams.schema.PingIn`, :class:`streams.schema.BatchResult`) are used as
they are; the read-only live-state APIs (:mod:`dashboard.api.live`, :mod:`dashboard.api.workers`, :mod:`dashboard.api.patrol`) answers plain dicts, described here. Objects allow
more fields than they list, so a field added on the live path does not break the document.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from streams.schema import PingIn

# A local day as the APIs read it: YYYY-MM-DD between 1970 and 2999 (dashboard.api.params.MIN_DAY, MAX_DAY).
DAY = {"format": "date", "pattern": "^(19[7-9][0-9]|2[0-9]{3})-"}
CLOCK = {"pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}  # HH:MM or HH:MM:SS
W3C = {"format": "date-time", "pattern": "^(19[7-9][0-9]|2[0-9]{3})-"}  # an Open311 datetime, 1970 to 2999


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PingBatch(BaseModel):
    """``POST /api/v1/pings``: up to ``batch_max_pings`` pings; each is validated on its own."""

    pings: list[PingIn | Any] = Field(description="each item is read on its own as a PingIn: one that is not is "
                                                  "listed under rejected, beside the accepted ones")


# what streams.osmand.parse_timestamp reads: epoch seconds or ms (a fraction allowed), or an ISO 8601 date or
# date-time with "T" or a space, seconds, fraction and zone optional
OSMAND_TIME = (r"^([0-9]{1,13}(\.[0-9]{1,6})?|(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
               r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?)$")


class OsmAndQuery(BaseModel):
    """The OsmAnd / Traccar Client protocol: query string (GET) or form (POST); Traccar's JSON body also works."""

    id: str | None = Field(None, description="device id (or deviceid)")
    deviceid: str | None = None
    lat: float | None = None
    lon: float | None = None
    location: str | None = Field(None, description="'lat,lon' instead of lat and lon", json_schema_extra={
        "pattern": r"^ *-?[0-9]+(\.[0-9]+)? *, *-?[0-9]+(\.[0-9]+)? *$"})
    timestamp: str | None = Field(None, description="unix seconds or milliseconds, or ISO 8601 (zone-less: UTC)",
                                  json_schema_extra={"pattern": OSMAND_TIME})
    speed: float | None = Field(None, description="knots")
    bearing: float | None = None
    heading: float | None = None
    altitude: float | None = None
    accuracy: float | None = Field(None, description="metres")
    hdop: float | None = None
    batt: float | None = Field(None, description="percent")
    charge: bool | None = None
    alarm: str | None = Field(None, description="sos raises an alert")


class LiveQuery(BaseModel):
    street: str | None = Field(None, description="admin only: one street; a street token sees its own")
    worker: str | None = Field(None, description="that worker's row only (404 unknown, 403 outside the caller's street)")


class DayQuery(BaseModel):
    date: str | None = Field(None, description="local day YYYY-MM-DD; default today (Asia/Shanghai)",
                             json_schema_extra=DAY)


class PatrolQuery(DayQuery):
    street: str | None = None


class LiveWorker(_Open):
    id: str
    name: str | None = None
    lon: float | None = None
    lat: float | None = None
    grid: str | None = None
    street: str | None = None
    status: str | None = None
    ts: float | None = None
    attrs: dict | None = Field(None, description="the phone's attribute map of its last fix or heartbeat (≤ 16 keys)")


class LiveSnapshot(_Open):
    street: str | None
    count: int
    workers: list[LiveWorker]


class RosterWorker(_Open):
    worker_id: str
    name: str
    device_id: str | None = None
    home_grid: str
    street_code: str
    community_code: str


class Roster(_Open):
    count: int
    workers: list[RosterWorker]


class Track(_Open):
    """A GeoJSON Feature: the day's LineString with the fix times in ``properties`` (``times``, ``count``) and the
    day's changes of the phone's attribute map (``attributes``: ``[[ts, {map}], ...]``)."""

    type: Literal["Feature"]
    geometry: dict | None
    properties: dict


class Patrol(_Open):
    date: str
    street: str | None
    grids: list[dict]
    workers: list[dict]


class Health(_Open):
    ok: bool
    redis: bool | None = Field(description="Redis answered; null: this process uses none")
    sql: bool | None = Field(None, description="the ticket store answered; null: this process has none")


# -- the street supervisor's APIs (dashboard/api/tracks.py, coverage.py, alerts.py) ------------------------------
class TracksQuery(BaseModel):
    street: str | None = Field(None, description="admin: required; a street token: its own street")
    date: str | None = Field(None, description="local day YYYY-MM-DD; default today", json_schema_extra=DAY)
    from_: str | None = Field(None, alias="from", description="HH:MM, default 00:00", json_schema_extra=CLOCK)
    to: str | None = Field(None, description="HH:MM, default 23:59:59", json_schema_extra=CLOCK)
    worker: str | None = Field(None, description="comma-separated worker ids (default: every worker of the street)")
    format: Literal["json", "bin"] | None = Field(None, description="bin: a JSON header and int32 arrays")


class Tracks(_Open):
    date: str
    street: str
    workers: list[dict]


class PeriodQuery(BaseModel):
    street: str | None = Field(None, description="admin: required; a street token: its own street")
    period: Literal["today", "7d", "month"] | None = None
    from_: str | None = Field(None, alias="from", description="first day YYYY-MM-DD (instead of period)",
                              json_schema_extra=DAY)
    to: str | None = Field(None, description="last day YYYY-MM-DD", json_schema_extra=DAY)
    lang: str | None = Field(None, description="exports: en for English headers")


class Coverage(_Open):
    grids: list[dict]
    workers: list[dict]


class AlertsQuery(DayQuery):
    street: str | None = None


class Alerts(_Open):
    date: str
    count: int
    unacknowledged: int
    alerts: list[dict]


class AckIn(BaseModel):
    """``POST /api/v1/alerts/ack``: alert ids as ``streams.contract.alert_id`` spells them."""

    ids: list[str] = Field(min_length=1, max_length=500)


class AckOut(_Open):
    acknowledged: list[str]
    by: str
    at: float


class AcksQuery(BaseModel):
    ids: str | None = Field(None, description="comma-separated alert ids")


class Acks(_Open):
    acks: dict[str, dict]


# -- the ticket events of a gap (dashboard/api/ticket_events.py) ----------------------------------------------------
class TicketEventsQuery(BaseModel):
    since: float = Field(ge=0, allow_inf_nan=False, description="epoch seconds: events at or after this time")
    street: str | None = Field(None, description="admin: one street (default the district); a street token: its own")
    limit: int = Field(200, ge=1, le=500, description="the newest this many events")


class TicketEvents(_Open):
    """The ``tickets`` push's shape: rows in the order of ``f`` (streams.contract.TICKET_FIELDS), oldest first."""

    t: int = Field(description="server time of the answer, epoch ms")
    f: list[str]
    rows: list[list]
    since: float
    street: str | None
    more: bool = Field(description="older events at or after since were left out (limit or read bound)")
