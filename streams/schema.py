"""Pydantic models of the batch API ``POST /api/v1/pings``.

Request: ``{"pings": [PingIn, ...]}`` (at most ``batch_max_pings``); each item is validated on its own so one
bad item is rejected with its index and reason while the others are accepted.
Response (202): ``{"accepted": int, "rejected": [{"index": int, "error": code, "reason": sentence}]}``.

Examples
--------
>>> p = PingIn.model_validate({"worker_id": "W1", "lat": 39.1, "lon": 117.3, "ts": "2024-05-01T08:00:00+08:00"})
>>> fix_time(p.ts)
1714521600.0
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class PingIn(BaseModel):
    """One ping of the batch API.  Validation runs in pydantic's core (no Python validators: it is the hot path);
    :func:`fix_time` then turns ``ts`` into unix seconds."""

    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)

    worker_id: str | None = Field(None, min_length=1, max_length=64)
    device_id: str | None = Field(None, min_length=1, max_length=64)
    lat: float
    lon: float
    ts: float | datetime = Field(description="fix time: ISO 8601 (a zone-less time is UTC) or unix s (or ms)")
    accuracy_m: float | None = Field(None, ge=0)
    speed_kmh: float | None = Field(None, ge=0)
    heading: float | None = None
    battery: float | None = Field(None, ge=0, le=100, description="percent")
    sos: bool = False


def fix_time(ts: float | datetime) -> float:
    """Unix seconds of a validated ``ts``: zone-less datetimes are UTC, integers ≥ 2**31 are milliseconds."""
    if isinstance(ts, datetime):
        return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp()
    if ts < 0:
        raise ValueError("ts: must not be negative")
    return ts / 1000.0 if ts >= 2**31 else ts


class Rejected(BaseModel):
    index: int
    error: str
    reason: str


class BatchResult(BaseModel):
    accepted: int
    rejected: list[Rejected] = []


def validation_reason(error: ValidationError) -> tuple[str, str]:
    """(machine-readable code, a sentence) for the first problem of a failed item."""
    first = error.errors(include_url=False)[0]
    field = str(first["loc"][0]) if first.get("loc") else "item"
    if first["type"] == "missing":
        return "missing_field", f"{field}: field required"
    if field == "ts":  # a union: pydantic's first message would only speak of numbers
        return "bad_ts", f"ts {first.get('input')!r}: expected unix seconds (or ms) or ISO 8601"
    return f"bad_{field}", f"{field}: {first['msg']}"
