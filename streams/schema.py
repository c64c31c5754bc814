"""Pydantic models of the batch API ``POST /api/v1/pings``.

Request: ``{"pings": [PingIn, ...]}`` (at most ``batch_max_pings``); each item is validated on its own so one
bad item is rejected with its index and reason while the others are accepted.
Response (202): ``{"accepted": int, "rejected": [{"index": int, "error": code, "reason": sentence}]}``.

Bounds (the same for the OsmAnd protocol, :mod:`streams.osmand`): latitude in [−90, 90], longitude in
[−180, 180], fix time from 2000-01-01 up to ``max_future_s`` after receipt (:func:`check_fix_time`), speed in
[0, 400] km/h, accuracy ≥ 0 m, heading in [0, 360) degrees or null for unknown, battery 0–100 %; every number
finite.

Examples
--------
>>> p = PingIn.model_validate({"worker_id": "W1", "lat": 39.1, "lon": 117.3, "ts": "2024-05-01T08:00:00+08:00"})
>>> fix_time(p.ts)
1714521600.0
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MIN_FIX_TS = 946_684_800.0  # 2000-01-01T00:00:00Z: anything older is a phone with no clock, not a fix
MAX_SPEED_KMH = 400.0  # above any vehicle a grid worker rides (high-speed rail is ~350 km/h)
# the number fields of a ping, where JSON true/false is refused (pydantic's lax float would read 1.0/0.0)
NUMBER_FIELDS = ("lat", "lon", "ts", "accuracy_m", "speed_kmh", "heading", "battery")


class PingIn(BaseModel):
    """One ping of the batch API.  Validation runs in pydantic's core (no Python validators: it is the hot path);
    :func:`fix_time` then turns ``ts`` into unix seconds."""

    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)

    worker_id: str | None = Field(None, min_length=1, max_length=64)
    device_id: str | None = Field(None, min_length=1, max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    ts: float | datetime = Field(description="fix time: ISO 8601 (a zone-less time is UTC) or unix s (or ms)")
    accuracy_m: float | None = Field(None, ge=0, description="accuracy radius, m")
    speed_kmh: float | None = Field(None, ge=0, le=MAX_SPEED_KMH)
    heading: float | None = Field(None, ge=0, lt=360, description="degrees clockwise from north; null: unknown")
    battery: float | None = Field(None, ge=0, le=100, description="percent")
    sos: bool = False


def fix_time(ts: float | datetime) -> float:
    """Unix seconds of a validated ``ts``: zone-less datetimes are UTC, integers ≥ 2**31 are milliseconds."""
    if isinstance(ts, datetime):
        return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp()
    if ts < 0:
        raise ValueError("ts: must not be negative")
    return ts / 1000.0 if ts >= 2**31 else ts


def check_fix_time(ts: float, now: float, max_future_s: float) -> tuple[str, str] | None:
    """``(code, sentence)`` if a fix time is impossible: before 2000, or more than ``max_future_s`` after
    ``now`` (a wrong phone clock; 0 = no limit); ``None`` if it is plausible."""
    if ts < MIN_FIX_TS:
        return "old_ts", f"fix time {ts:.0f} is before 2000-01-01: the phone's clock is not set"
    if max_future_s and ts > now + max_future_s:
        return "future_ts", f"fix time is {ts - now:.0f} s in the future (at most {max_future_s:.0f} s allowed)"
    return None


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
