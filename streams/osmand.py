"""The OsmAnd / Traccar Client HTTP protocol: query string, form and JSON bodies → one normalized fix.

Query and form parameters (as Traccar's ``OsmAndProtocolDecoder`` reads them): ``id`` or ``deviceid``;
``lat`` and ``lon`` or ``location=lat,lon``; ``timestamp``; ``speed`` in **knots**; ``bearing`` or ``heading``;
``altitude``; ``accuracy`` (m); ``hdop`` (kept as HDOP, never turned into metres); ``batt`` (%); ``alarm=sos`` or
``sos=1``.  A request with no position at all (a heartbeat ``id, timestamp, batt, charge``, or ``cell=…&wifi=…``
only) is a *contact*: it updates the last contact and battery, and the last known position stays.

JSON (the Traccar Client / background-geolocation body)::

    {"device_id": "...", "location": {"timestamp": ISO, "coords": {"latitude", "longitude", "speed" (m/s),
     "heading", "accuracy", "altitude"}, "battery": {"level": 0-1, "is_charging"}, "is_moving": bool,
     "event": "…", "alarm": "sos"?, "extras": {"alarm": "sos"?}}}

``location`` without ``coords`` is a contact.  Negative speed, heading and accuracy (``-1`` on phones) and
battery level ``-1`` mean unknown.  Out-of-range readings are dropped by :func:`drop_bad_readings` (the fix stays);
an out-of-range latitude or longitude is refused (400).

Timestamps: unix seconds, unix milliseconds (any integer ≥ 2**31 is taken as ms, like Traccar), decimals,
ISO 8601 with a zone (``Z`` or ``+08:00``), and ``yyyy-MM-dd HH:mm:ss``.  A time **without a zone** (that form,
or ISO without an offset) is taken as **UTC**, as Traccar does on a UTC server; phones send UTC.
A missing timestamp means "now" (the receive time).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime

from streams.schema import MAX_SPEED_KMH
from streams.stages.model import CONTACT  # the "k" of a stream entry without a position

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
        if isinstance(raw, bool):  # JSON true/false: float() would read it as 1.0/0.0
            raise ProtocolError(f"bad_{names[0]}", f"{name}={raw!r} is not a number")
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


def _unknown_if_negative(x: float | None) -> float | None:
    return None if x is None or x < 0 else x  # -1 is "unknown" for speed, heading and accuracy on phones


def _sos(value) -> bool:
    return str(value or "").strip().lower() == "sos"


def _position(lat: float | None, lon: float | None) -> None:
    if lat is not None and not -90 <= lat <= 90:
        raise ProtocolError("bad_lat", f"lat={lat} is out of range: latitude must be in [-90, 90]")
    if lon is not None and not -180 <= lon <= 180:
        raise ProtocolError("bad_lon", f"lon={lon} is out of range: longitude must be in [-180, 180]")


def parse_query(params: Mapping, now: float) -> dict:
    """A query-string or form ping → ``{"d", "lon", "lat", "ts", "acc", "hdop", "spd", "hdg", "bat", "sos"}``;
    or, with no position at all (a heartbeat, or cell/wifi only), a contact ``{"k": "contact", "d", "ts", "bat"}``.
    """
    device = params.get("id") or params.get("deviceid")
    if not device:
        raise ProtocolError("missing_device", "no device id: send id= or deviceid=")
    lat, lon = _num(params, "lat"), _num(params, "lon")
    if (lat is None or lon is None) and params.get("location"):
        parts = str(params["location"]).split(",")
        if len(parts) != 2:
            raise ProtocolError("bad_location", f"location={params['location']!r} is not 'lat,lon'")
        lat, lon = _num({"lat": parts[0]}, "lat"), _num({"lon": parts[1]}, "lon")
    ts = parse_timestamp(params.get("timestamp"), now)
    bat = _num(params, "batt")
    if lat is None and lon is None:  # Traccar keeps the last known position: a contact, never an invented fix
        return {"k": CONTACT, "d": str(device), "ts": ts, "bat": bat}
    if lat is None or lon is None:
        raise ProtocolError("missing_position", "half a position: send both lat= and lon=, or location=lat,lon")
    _position(lat, lon)
    return {
        "d": str(device),
        "lon": lon,
        "lat": lat,
        "ts": ts,
        "acc": _unknown_if_negative(_num(params, "accuracy")),
        "hdop": _num(params, "hdop"),  # dilution of precision, unitless: kept as such, never turned into metres
        "spd": _unknown_if_negative(_num(params, "speed", scale=KNOT_KMH)),
        "hdg": _unknown_if_negative(_num(params, "bearing", "heading")),
        "bat": bat,
        "sos": _sos(params.get("alarm")) or _truthy(params.get("sos", "")),
    }


def parse_json(body, now: float) -> dict:
    """A Traccar Client JSON body → the same normalized fix as :func:`parse_query` (speed m/s → km/h, battery
    level 0–1 → %); a ``location`` without ``coords`` is a contact (heartbeat), as Traccar reads it."""
    if not isinstance(body, dict):
        raise ProtocolError("bad_json", "the JSON body must be an object")
    device = body.get("device_id") or body.get("id") or body.get("deviceid")
    if not device or isinstance(device, dict | list):
        raise ProtocolError("missing_device", "no device_id in the JSON body")
    loc = body.get("location")
    if isinstance(loc, list):  # some apps send a list of buffered locations: take the last
        loc = loc[-1] if loc else None
    if not isinstance(loc, dict):
        raise ProtocolError("missing_position", "no location object in the JSON body")
    battery = body.get("battery") or loc.get("battery") or {}
    level = _num(battery, "level") if isinstance(battery, dict) else None
    bat = None if level is None or level < 0 else round(level * 100, 1)  # level -1: unknown
    ts = parse_timestamp(loc.get("timestamp"), now)
    coords = loc.get("coords")
    if coords is None:
        return {"k": CONTACT, "d": str(device), "ts": ts, "bat": bat}
    if not isinstance(coords, dict):
        raise ProtocolError("missing_position", "location.coords must be an object")
    lat, lon = _num(coords, "latitude"), _num(coords, "longitude")
    if lat is None or lon is None:
        raise ProtocolError("missing_position", "location.coords needs latitude and longitude")
    _position(lat, lon)
    extras = loc.get("extras") if isinstance(loc.get("extras"), dict) else {}
    # Traccar: location.alarm, else location.extras.alarm ("sos" from the app's SOS button); or an "sos" event
    alarm = loc.get("alarm") if loc.get("alarm") is not None else extras.get("alarm")
    event = loc.get("event") or body.get("event")
    return {
        "d": str(device),
        "lon": lon,
        "lat": lat,
        "ts": ts,
        "acc": _unknown_if_negative(_num(coords, "accuracy")),
        "spd": _unknown_if_negative(_num(coords, "speed", scale=MS_KMH)),
        "hdg": _unknown_if_negative(_num(coords, "heading")),
        "bat": bat,
        "sos": _sos(alarm) or _sos(event) or _truthy(loc.get("sos", "")) or _truthy(body.get("sos", "")),
    }


# A reading outside these bounds is dropped (set unknown) and counted; the fix itself is kept.
_READING_OK = {
    "bat": lambda x: 0 <= x <= 100,
    "hdg": lambda x: 0 <= x < 360,
    "spd": lambda x: 0 <= x <= MAX_SPEED_KMH,
    "acc": lambda x: x >= 0,
}


def drop_bad_readings(fix: dict) -> list[str]:
    """Set every out-of-range device reading of a parsed fix or contact to ``None``; the fields dropped.

    A phone re-sends a refused request at the head of its queue, so a bad battery or heading reading must not
    cost the fix (or block the phone): the reading goes, the position stays.
    """
    dropped = []
    for name, ok in _READING_OK.items():
        x = fix.get(name)
        if x is not None and not ok(x):
            fix[name] = None
            dropped.append(name)
    return dropped
