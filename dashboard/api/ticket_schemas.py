"""The internal ticket API's contract as pydantic models: what a request may carry and what an answer holds.

Request models parse input (:mod:`dashboard.api.params`); response models describe the answers for the OpenAPI document
(``/api/v1/openapi.json``). Limits are hard caps on the wire; the service checks the configurable ones
(``max_description_chars``) and the ones that need the catalog or the map.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dashboard.api.schemas import DAY
from tickets.domain.states import ACTIONS, Source, State, Tier

LONG_TEXT = 20_000  # above any sensible max_description_chars; the service applies the configured limit


class _In(BaseModel):
    # clients send fields of their own (Open311 attribute[…], form buttons): ignored, never stored
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, str_max_length=LONG_TEXT)


class TicketIn(_In):
    """``POST /api/v1/tickets``: a multipart form (with photos under ``photo``/``photos``/``media``) or JSON."""

    category: str = Field(min_length=1, max_length=8, pattern=r"^[0-9]+$", description="minor category code")
    lon: float = Field(ge=-180, le=180, description="WGS-84 longitude")
    lat: float = Field(ge=-90, le=90, description="WGS-84 latitude")
    description: str = Field("", max_length=LONG_TEXT)
    source: Source | None = Field(None, description="defaults to worker_patrol for a worker, else hotline_12345")
    address: str | None = Field(None, max_length=255)
    public: bool | None = Field(None, description="shown on Open311's public reads; default: only a resident_app "
                                                  "report is")


class ActionIn(_In):
    """``POST /api/v1/tickets/<id>/actions``: JSON, or a multipart form when photos go with it."""

    action: str = Field(min_length=1, max_length=32, description=f"one of {', '.join(ACTIONS)}")
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="the version read; 409 if it moved on")
    expected_state: State | None = Field(None, description="the state read; 409 if it moved on")
    note: str | None = Field(None, max_length=LONG_TEXT)
    department: str | None = Field(None, min_length=1, max_length=16, description="dispatch only: a department code")
    extension_hours: float | None = Field(None, gt=0, le=2000, description="working hours (extend only)")


class TicketQuery(_In):
    """``GET /api/v1/tickets``: filters (comma-separated or repeated: every value counts), period, paging."""

    street: str | None = None
    community: str | None = None
    grid: str | None = None
    category: str | None = None
    department: str | None = None
    source: str | None = None
    state: str | None = Field(None, description=f"any of {', '.join(State)}",
                              json_schema_extra={"pattern": f"^({'|'.join(State)})(,({'|'.join(State)}))*$"})
    tier: Tier | None = None
    light: Literal["green", "yellow", "red"] | None = None
    from_: str | None = Field(None, alias="from", description="first day YYYY-MM-DD (local)", json_schema_extra=DAY)
    to: str | None = Field(None, description="last day YYYY-MM-DD (local), inclusive", json_schema_extra=DAY)
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=10_000, description="at most max_page_size (500)")


class DepartmentsQuery(_In):
    tier: Tier | None = None
    category: str | None = Field(None, max_length=8)
    ticket: str | None = Field(None, max_length=24, description="id or number: the departments it can go to")


class Error(BaseModel):
    """Every refusal of the JSON APIs (4xx, and 5xx on a fault): a machine code and a sentence for a person."""

    error: str = Field(description="machine-readable code, e.g. outside_district")
    message: str = Field(description="one sentence saying what is wrong")


class HistoryItem(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    from_tier: str | None
    to_tier: str
    department: str | None
    actor: str
    role: str
    on_behalf_of: str | None
    at: datetime
    note: str | None
    photos: list[str] = Field(description="photo URLs")


class TicketOut(BaseModel):
    """A ticket as the API shows it. ``lon``/``lat``/``grid_code``… are null for an unlocated report."""

    id: int
    number: str
    version: int
    category_code: str
    major_code: str
    source: str
    description: str
    lon: float | None
    lat: float | None
    address: str | None
    located: bool = Field(description="false: reported by address only; the district center places it")
    public: bool = Field(description="shown on Open311's public reads (GET /open311/v2/requests)")
    grid_code: str | None
    community_code: str | None
    street_code: str | None
    grid_worker_id: str | None
    tier: Tier
    department: str | None
    state: State
    state_zh: str
    light: Literal["green", "yellow", "red"] | None
    reporter_name: str | None
    reporter_role: str | None
    reported_at: datetime
    registered_at: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    voided_at: datetime | None
    updated_at: datetime
    self_handled: bool
    step: str | None
    step_due_at: datetime | None
    step_warn_at: datetime | None
    handle_due_at: datetime | None
    close_due_at: datetime | None
    suspended_at: datetime | None
    closed_on_time: bool | None
    handled_on_time: bool | None
    pending_request: str | None
    rework_count: int
    return_count: int
    extension_count: int
    suspension_count: int
    escalation_count: int
    parent_id: int | None
    category_name: str | None = None
    department_name: str | None = None
    street_name: str | None = None
    community_name: str | None = None
    allowed_actions: list[str]
    history: list[HistoryItem] | None = Field(None, description="on a single ticket, oldest first")


class TicketPage(BaseModel):
    items: list[TicketOut]
    page: int
    page_size: int
    total: int


class DepartmentOut(BaseModel):
    code: str
    name: str
    name_en: str
    tier: Tier
    majors: list[str]


class Departments(BaseModel):
    departments: list[DepartmentOut]


class MetricsQuery(_In):
    """``GET /api/v1/metrics`` and ``/series``, ``/rankings``, ``/funnel``, ``/departments``: the period and the
    filters (a street, department or worker token is held to its own scope: 403 beyond it)."""

    from_: str | None = Field(None, alias="from", description="first local day YYYY-MM-DD; default to − 29 days",
                              json_schema_extra=DAY)
    to: str | None = Field(None, description="last local day YYYY-MM-DD, inclusive; default today",
                           json_schema_extra=DAY)
    level: Literal["district", "street", "community", "grid", "category", "major", "department", "source",
                   "tier", "worker"] | None = Field(None, description="summary only; default district")
    by: Literal["day", "hour"] | None = Field(None, description="series only; default day")
    of: Literal["streets", "communities", "grids", "departments", "workers"] | None = Field(
        None, description="rankings only; default streets")
    street: str | None = None
    community: str | None = None
    grid: str | None = None
    category: str | None = None
    major: str | None = None
    department: str | None = None
    source: str | None = None
    tier: Literal["community", "street", "district"] | None = None


class _MetricsEnvelope(BaseModel):
    """What every metrics answer carries: the period, the filters applied and every figure's definition."""

    model_config = ConfigDict(extra="allow")

    from_: str = Field(alias="from")
    to: str
    tz: str
    as_of: str
    filters: dict[str, str]
    definitions: dict[str, str]


class MetricsOut(_MetricsEnvelope):
    """The metrics envelope with one row per key."""

    rows: list[dict]


class FunnelOut(_MetricsEnvelope):
    """``GET /api/v1/metrics/funnel``: received → registered → dispatched → handled → closed for the selection."""

    stages: list[dict]
