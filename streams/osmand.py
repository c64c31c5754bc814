"""The OsmAnd / Traccar Client HTTP protocol: query string, form and JSON bodies → one normalized fix.

Query and form parameters (as Traccar's ``OsmAndProtocolDecoder`` reads them): ``id`` or ``deviceid``;
``lat`` and ``lon`` or ``location=lat,lon``; ``timestamp``; ``speed`` in **knots**; ``bearing`` or ``heading``;
``altitude``; ``accuracy`` (m); ``hdop``; ``batt`` (%); ``alarm=sos`` or ``sos=1``.

JSON (the Traccar Client / background-geolocation body)::

    {"device_id": "...", "location": {"timestamp": ISO, "coords": {"latitude", "longitude", "speed" (m/s),
     "heading", "accuracy", "altitude"}, "battery": {"level": 0-1}, "is_moving": bool, "event": "sos"?}}

Timestamps: unix seconds, unix milliseconds (any integer ≥ 2**31 is taken as ms, like Traccar), decimals,
ISO 8601 with a zone (``Z`` or ``+08:00``), and ``yyyy-MM-dd HH:mm:ss``.  A time **without a zone** (that form,
or ISO without an offset) is taken as **UTC**, as Traccar does on a UTC server; phones send UTC.
A missing timestamp means "now" (the receive time).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime

KNOT_KMH = 1.852
MS_KMH = 3.6


class ProtocolError(ValueError):
    """Bad input: ``code`` is machine-readable, the message is a sentence for people."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def as_dict(self) -> dict:
        return {"error": self.code, "message": self.message}


def parse_timestamp(value, now: float) -> float:
    """Unix seconds (UTC) from any accepted timestamp form; ``None``/empty → ``now``."""
    if value is None or value == "":
        return now
    if isinstance(value, bool):
        raise ProtocolError("bad_timestamp", f"timestamp {value!r} is not a time")
    if isinstance(value, int | float):
        return _from_number(float(value), value)
    text = str(value).strip()
    if text.isdigit():
        return _from_number(float(int(text)), value)
    try:
        return _from_number(float(text), value)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text)  # ISO 8601 and "yyyy-MM-dd HH:mm:ss" alike (Python ≥ 3.11)
    except ValueError:
        raise ProtocolError("bad_timestamp", f"timestamp {text!r} is not unix s/ms or ISO 8601") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)  # zone-less: UTC, like Traccar
    return dt.timestamp()


def _from_number(x: float, raw) -> float:
    if not math.isfinite(x) or x < 0:
        raise ProtocolError("bad_timestamp", f"timestamp {raw!r} is not a time")
    return x / 1000.0 if x >= 2**31 else x


def _num(params: Mapping, *names: str, scale: float = 1.0) -> float | None:
    for name in names:
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        try:
            x = float(raw)
        except (TypeError, ValueError):
            raise ProtocolError(f"bad_{names[0]}", f"{name}={raw!r} is not a number") from None
        if not math.isfinite(x):
            raise ProtocolError(f"bad_{names[0]}", f"{name}={raw!r} is not a finite number")
        return x * scale
    return None


def _truthy(raw) -> bool:
    return str(raw).strip().lower() in ("1", "true", "yes", "on", "sos")


def parse_query(params: Mapping, now: float) -> dict:
    """A query-string or form ping → ``{"d", "lon", "lat", "ts", "acc", "spd", "hdg", "bat", "sos"}``."""
    device = params.get("id") or params.get("deviceid")
    if not device:
        raise ProtocolError("missing_device", "no device id: send id= or deviceid=")
    lat, lon = _num(params, "lat"), _num(params, "lon")
    if (lat is None or lon is None) and params.get("location"):
        parts = str(params["location"]).split(",")
        if len(parts) != 2:
            raise ProtocolError("bad_location", f"location={params['location']!r} is not 'lat,lon'")
        lat, lon = _num({"lat": parts[0]}, "lat"), _num({"lon": parts[1]}, "lon")
    if lat is None or lon is None:
        raise ProtocolError("missing_position", "no position: send lat= and lon= or location=lat,lon")
    acc = _num(params, "accuracy")
    if acc is None and (hdop := _num(params, "hdop")) is not None:
        acc = hdop * 5.0  # a rough radius from HDOP (≈ 5 m per unit) when the app sends no accuracy
    return {
        "d": str(device),
        "lon": lon,
        "lat": lat,
        "ts": parse_timestamp(params.get("timestamp"), now),
        "acc": acc,
        "spd": _num(params, "speed", scale=KNOT_KMH),
        "hdg": _num(params, "bearing", "heading"),
        "bat": _num(params, "batt"),
        "sos": str(params.get("alarm", "")).lower() == "sos" or _truthy(params.get("sos", "")),
    }


def parse_json(body, now: float) -> dict:
    """A Traccar Client JSON body → the same normalized fix as :func:`parse_query` (speed m/s → km/h)."""
    if not isinstance(body, dict):
        raise ProtocolError("bad_json", "the JSON body must be an object")
    device = body.get("device_id") or body.get("id") or body.get("deviceid")
    if not device:
        raise ProtocolError("missing_device", "no device_id in the JSON body")
    loc = body.get("location")
    if isinstance(loc, list):  # some apps send a list of buffered locations: take the last
        loc = loc[-1] if loc else None
    if not isinstance(loc, dict) or not isinstance(loc.get("coords"), dict):
        raise ProtocolError("missing_position", "no location.coords object in the JSON body")
    coords = loc["coords"]
    lat, lon = _num(coords, "latitude"), _num(coords, "longitude")
    if lat is None or lon is None:
        raise ProtocolError("missing_position", "location.coords needs latitude and longitude")
    battery = body.get("battery") or loc.get("battery") or {}
    level = _num(battery, "level") if isinstance(battery, dict) else None
    spd = _num(coords, "speed", scale=MS_KMH)
    event = str(loc.get("event") or body.get("event") or "").lower()
    return {
        "d": str(device),
        "lon": lon,
        "lat": lat,
        "ts": parse_timestamp(loc.get("timestamp"), now),
        "acc": _num(coords, "accuracy"),
        "spd": spd if spd is None or spd >= 0 else None,  # -1 means "unknown" on iOS
        "hdg": _num(coords, "heading"),
        "bat": None if level is None or level < 0 else round(level * 100, 1),
        "sos": event == "sos" or bool(loc.get("sos") or body.get("sos")),
    }
