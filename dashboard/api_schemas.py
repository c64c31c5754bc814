"""Shapes of the live path's HTTP answers and query strings, for the OpenAPI document (``dashboard/openapi.py``).

The batch ingest's own models (:class:`streams.schema.PingIn`, :class:`streams.schema.BatchResult`) are used as
they are; the read-only live API (:mod:`dashboard.live_api`) answers plain dicts, described here. Objects allow
more fields than they list, so a field added on the live path does not break the document.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from streams.schema import PingIn


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PingBatch(BaseModel):
    """``POST /api/v1/pings``: up to ``batch_max_pings`` pings; each is validated on its own."""

    pings: list[PingIn]


class OsmAndQuery(BaseModel):
    """The OsmAnd / Traccar Client protocol: query string (GET) or form (POST); Traccar's JSON body also works."""

    id: str | None = Field(None, description="device id (or deviceid)")
    deviceid: str | None = None
    lat: float | None = None
    lon: float | None = None
    location: str | None = Field(None, description="'lat,lon' instead of lat and lon")
    timestamp: str | None = Field(None, description="unix s or ms, or ISO 8601")
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


class DayQuery(BaseModel):
    date: str | None = Field(None, description="local day YYYY-MM-DD; default today (Asia/Shanghai)")


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
    """A GeoJSON Feature: the day's LineString with the fix times in ``properties``."""

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
    redis: bool | None
