"""Open311 GeoReport v2 as pydantic models: the fields a client may send and the shapes it gets back.

Field limits follow the spec where it has them (a description of at most 4,000 characters) and the ticket store
where it does not (an address of 255). ``lat``/``long``, ``address_string`` and ``address_id`` are each optional:
the spec asks for any one of them (see :func:`dashboard.api.open311._locate`).
Spec: https://wiki.open311.org/GeoReport_v2
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from dashboard.api.schemas import W3C

MAX_PAGE_SIZE = 1000  # the spec's default list size is also the largest page


class _In(BaseModel):
    # clients send jurisdiction_id, deviceid … of their own: ignored (attribute[…] is read on its own)
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, str_max_length=4000)


class ServiceRequestIn(_In):
    """``POST requests``: a form (``application/x-www-form-urlencoded`` or multipart with ``media``). Other fields
    (``attribute[code]``, a client's own) are read as single strings; a field sent twice with different values is
    refused."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": {"type": "string"}})

    api_key: str | None = Field(None, description="also accepted in the query string")
    service_code: str = Field(min_length=1, max_length=32)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_string: str | None = Field(None, max_length=255, description="kept as the address; alone: unlocated")
    address_id: str | None = Field(None, max_length=64, description="a grid code: the ticket is placed in the grid")
    email: str | None = Field(None, max_length=254, pattern=r"^[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+$")
    device_id: str | None = Field(None, max_length=64)
    account_id: str | None = Field(None, max_length=64)
    first_name: str | None = Field(None, max_length=64)
    last_name: str | None = Field(None, max_length=64)
    phone: str | None = Field(None, max_length=32, pattern=r"^[0-9+()\- .]+$")
    description: str | None = Field(None, max_length=4000)
    media_url: str | None = Field(None, max_length=1024, description="http or https only")


class RequestsQuery(_In):
    """``GET requests``: without parameters, the newest first 1,000 of the last 90 days."""

    service_request_id: str | None = Field(None, description="comma-separated or repeated; other filters ignored")
    service_code: str | None = Field(None, description="comma-separated or repeated: any of them")
    status: str | None = Field(None, description="open, closed, or both (comma-separated or repeated)",
                               json_schema_extra={"pattern": "^(open|closed)(,(open|closed))*$"})
    start_date: str | None = Field(None, max_length=40, description="W3C datetime; default end_date − 90 days",
                                   json_schema_extra=W3C)
    end_date: str | None = Field(None, max_length=40, description="W3C datetime; default now", json_schema_extra=W3C)
    page: int = Field(1, ge=1, le=1_000_000, description="paging extension")
    page_size: int = Field(MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="paging extension")


def web_url(value: str | None) -> str | None:
    """``value`` if it is an http(s) URL with a host, else None (never a ``javascript:`` or ``file:`` link)."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


class Open311ErrorItem(BaseModel):
    """GeoReport v2's error shape: the response is a list of these (``<errors><error>`` in XML)."""

    code: int
    description: str


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[dict]


class ServiceRequest(BaseModel):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None = Field(description="the grid code; null for an unlocated report")
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    attributes: dict[str, str | list[str]] = Field(
        description="attribute[code] values as posted; a list where the attribute was multivalue (in XML: "
                    "<attribute><code/><value/> or <values><value/>…</values></attribute>)")


class ServiceRequestCreated(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]
