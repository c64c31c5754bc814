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

``location`` may also be an array (the background-geolocation app's ``batchSync``: every buffered location in one
request), and the whole body may be an array of such objects (Traccar Client's ``uploadJson``): every element is
a fix (or a contact) of its own, so :func:`parse_json` returns a list.  ``location`` without ``coords`` is a
contact.  Negative speed, heading and accuracy (``-1`` on phones) and battery level ``-1`` mean unknown.
Out-of-range readings are dropped by :func:`drop_bad_readings` (the fix stays).  A fix that can be no real
position (latitude or longitude out of range, a time before 2000 or far ahead) is named by :func:`impossible`:
ingest answers 200 and discards it, as Traccar does, so the phone's queue moves on.

Attributes (Traccar keeps them with the position): what the request carries beyond the fields above —
``driverUniqueId``, ``charge``, ``ignition``, ``altitude``, the JSON ``event``, ``activity``, ``mock``,
``is_moving``, ``odometer``, ``uuid`` and every ``extras`` key — is kept in the fix's ``"a"`` map, bounded by
:func:`bounded_attrs` (at most 16 keys, scalar values, strings cut at 64 characters, 1 KB in all).

Timestamps: unix seconds, unix milliseconds (any integer ≥ 2**31 is taken as ms, like Traccar), decimals,
ISO 8601 with a zone (``Z`` or ``+08:00``), and ``yyyy-MM-dd HH:mm:ss``.  A time **without a zone** (that form,
or ISO without an offset) is taken as **UTC**, as Traccar does on a UTC server; phones send UTC.
A missing timestamp means "now" (the receive time).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime

import orjson

from streams.schema import MAX_SPEED_KMH, check_fix_time
from streams.stages.model import CONTACT  # the "k" of a stream entry without a position

KNOT_KMH = 1.852
MS_KMH = 3.6
MAX_ATTRS = 16  # keys of a fix's attribute map
MAX_ATTR_CHARS = 64  # a string value is cut here (a key at half of it)
MAX_ATTRS_BYTES = 1024  # the attribute map as JSON
# query parameters read into fields: everything else a phone sends is an attribute
_QUERY_FIELDS = frozenset({"id", "deviceid", "lat", "lon", "location", "timestamp", "speed", "bearing", "heading",
                           "accuracy", "hdop", "batt", "alarm", "sos", "cell", "wifi"})
# JSON location keys read into fields or named attributes; other scalar keys are attributes as they are
_JSON_FIELDS = frozenset({"coords", "timestamp", "battery", "alarm", "sos", "extras", "activity", "device_id", "id",
                          "deviceid", "location"})


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


def impossible(fix: dict, now: float, max_future_s: float) -> tuple[str, str] | None:
    """``(code, sentence)`` if a parsed fix can be no real position — latitude or longitude out of range, a time
    before 2000 (a phone with no clock) or more than ``max_future_s`` ahead — else ``None`` (contacts too)."""
    lat, lon = fix.get("lat"), fix.get("lon")
    if lat is not None and not -90 <= lat <= 90:
        return "bad_lat", f"lat={lat} is out of range: latitude must be in [-90, 90]"
    if lon is not None and not -180 <= lon <= 180:
        return "bad_lon", f"lon={lon} is out of range: longitude must be in [-180, 180]"
    return check_fix_time(fix["ts"], now, max_future_s)


def _attr_value(v):
    if isinstance(v, str):
        return v[:MAX_ATTR_CHARS]
    if isinstance(v, bool) or (isinstance(v, int | float) and math.isfinite(v)):
        return v
    return None  # objects, arrays, null, NaN: not kept


def bounded_attrs(pairs) -> dict:
    """The first attributes of ``(name, value)`` pairs that fit: scalar values only (a string cut at
    ``MAX_ATTR_CHARS``), at most ``MAX_ATTRS`` keys and ``MAX_ATTRS_BYTES`` of JSON; the first of a repeated name wins.
    """
    out: dict = {}
    size = 2  # "{}"
    for name, raw in pairs:
        key = str(name)[: MAX_ATTR_CHARS // 2]
        if len(out) >= MAX_ATTRS or key in out or (value := _attr_value(raw)) is None:
            continue
        cost = len(orjson.dumps({key: value}))  # '{"k":v}': the braces pay for the comma
        if size + cost - 1 > MAX_ATTRS_BYTES:
            continue
        out[key] = value
        size += cost - 1
    return out


def _query_attr(raw):
    text = str(raw)
    low = text.strip().lower()
    return {"true": True, "false": False}.get(low, text)  # charge=true, ignition=false: booleans, as Traccar


def _query_attrs(params: Mapping) -> dict:
    return bounded_attrs((k, _query_attr(params.get(k))) for k in params if k not in _QUERY_FIELDS)


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
    attrs = _query_attrs(params)
    if lat is None and lon is None:  # Traccar keeps the last known position: a contact, never an invented fix
        return {"k": CONTACT, "d": str(device), "ts": ts, "bat": bat, "a": attrs}
    if lat is None or lon is None:
        raise ProtocolError("missing_position", "half a position: send both lat= and lon=, or location=lat,lon")
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
        "a": attrs,
    }


def parse_json(body, now: float) -> list[dict]:
    """A Traccar Client JSON body → a list of normalized fixes as :func:`parse_query` makes them (speed m/s → km/h,
    battery level 0–1 → %), one per location: ``location`` may be an object or an array, and the body an array of
    such objects.  A ``location`` without ``coords`` is a contact (heartbeat), as Traccar reads it."""
    if isinstance(body, list):  # Traccar Client's uploadJson: an array of OsmAnd JSON objects
        if not body or not all(isinstance(item, dict) for item in body):
            raise ProtocolError("bad_json", "a JSON array body must hold one or more location objects")
        return [fix for item in body for fix in parse_json(item, now)]
    if not isinstance(body, dict):
        raise ProtocolError("bad_json", "the JSON body must be an object or an array of objects")
    device = body.get("device_id") or body.get("id") or body.get("deviceid")
    if not device or isinstance(device, dict | list):
        raise ProtocolError("missing_device", "no device_id in the JSON body")
    loc = body.get("location")
    locations = loc if isinstance(loc, list) else [loc]  # batchSync: every buffered location, oldest first
    if not locations or not all(isinstance(x, dict) for x in locations):
        raise ProtocolError("missing_position", "no location object in the JSON body")
    return [_json_location(str(device), body, x, now) for x in locations]


def _json_attrs(body: dict, loc: dict, coords: dict, battery) -> dict:
    activity = loc.get("activity")
    extras = loc.get("extras") if isinstance(loc.get("extras"), dict) else {}
    named = [("event", loc.get("event") or body.get("event")),
             ("activity", activity.get("type") if isinstance(activity, dict) else activity),
             ("charge", battery.get("is_charging") if isinstance(battery, dict) else None),
             ("altitude", coords.get("altitude"))]  # fmt: skip
    rest = [(k, v) for k, v in loc.items() if k not in _JSON_FIELDS]
    rest += [(k, v) for k, v in body.items() if k not in _JSON_FIELDS]
    return bounded_attrs([*named, *extras.items(), *rest])


def _json_location(device: str, body: dict, loc: dict, now: float) -> dict:
    battery = loc.get("battery") or body.get("battery") or {}
    level = _num(battery, "level") if isinstance(battery, dict) else None
    bat = None if level is None or level < 0 else round(level * 100, 1)  # level -1: unknown
    ts = parse_timestamp(loc.get("timestamp"), now)
    coords = loc.get("coords")
    if coords is None:
        return {"k": CONTACT, "d": device, "ts": ts, "bat": bat, "a": _json_attrs(body, loc, {}, battery)}
    if not isinstance(coords, dict):
        raise ProtocolError("missing_position", "location.coords must be an object")
    lat, lon = _num(coords, "latitude"), _num(coords, "longitude")
    if lat is None or lon is None:
        raise ProtocolError("missing_position", "location.coords needs latitude and longitude")
    extras = loc.get("extras") if isinstance(loc.get("extras"), dict) else {}
    # Traccar: location.alarm, else location.extras.alarm ("sos" from the app's SOS button); or an "sos" event
    alarm = loc.get("alarm") if loc.get("alarm") is not None else extras.get("alarm")
    event = loc.get("event") or body.get("event")
    return {
        "d": device,
        "lon": lon,
        "lat": lat,
        "ts": ts,
        "acc": _unknown_if_negative(_num(coords, "accuracy")),
        "spd": _unknown_if_negative(_num(coords, "speed", scale=MS_KMH)),
        "hdg": _unknown_if_negative(_num(coords, "heading")),
        "bat": bat,
        "sos": _sos(alarm) or _sos(event) or _truthy(loc.get("sos", "")) or _truthy(body.get("sos", "")),
        "a": _json_attrs(body, loc, coords, battery),
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
