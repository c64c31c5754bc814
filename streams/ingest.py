"""HTTP ingest: the OsmAnd/Traccar Client protocol and the batch API, as a Flask blueprint or a standalone app.

Routes of :func:`make_ingest_blueprint`: ``/ingest/osmand`` (GET query, POST form, POST JSON) and
``POST /api/v1/pings`` (bearer ingest key; see :mod:`streams.schema`).  :func:`make_osmand_app` serves the
OsmAnd protocol at ``/`` on its own port, so an unmodified phone app pointed at ``http://HOST:5055`` works.

Answers: 200 (OsmAnd accepted, empty body; a heartbeat with no position is accepted too; every fix of a JSON
array or a ``location`` array is written), 202 (batch: accepted count and each rejected item with its index and
reason), 400 with ``{"error": code, "message": sentence}`` for bad input (batch: out-of-range position, fix time
before 2000 or more than ``max_future_s`` ahead; OsmAnd: a malformed request), 400 (query/form) or 404 (JSON) for
an unknown device as Traccar does, 401, 413, 415 (batch body not JSON), and 503 with ``Retry-After`` when Redis is
unreachable — never a 500, never a silent drop.  An OsmAnd fix that can be no real position (the same bounds) is
answered 200 — Traccar Client retries a refused position at the head of its queue forever — discarded and
counted by reason (``gridpulse_fixes_discarded``).  An OsmAnd reading out of range (battery 500 %, bearing 720°)
is dropped from the ping and counted (``gridpulse_readings_dropped``); every refusal is counted by reason
(``gridpulse_pings_rejected``).
"""

from __future__ import annotations

import hmac
import logging
import time

import orjson
import redis
from flask import Blueprint, Flask, Response, request
from pydantic import ValidationError

from streams import metrics
from streams.osmand import ProtocolError, drop_bad_readings, impossible, parse_json, parse_query
from streams.pingstream import RedisPingSink
from streams.roster import Roster
from streams.schema import NUMBER_FIELDS, PingIn, check_fix_time, fix_time, validation_reason
from streams.settings import StreamSettings

log = logging.getLogger(__name__)
_UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)


def _json(status: int, body, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json", headers=headers)


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    metrics.PINGS_REJECTED.labels(code).inc()
    return _json(status, {"error": code, "message": message}, headers)


class _Ingest:
    def __init__(self, redis_client, roster: Roster, settings: StreamSettings):
        self.sink = RedisPingSink(redis_client, settings)
        self.roster, self.settings = roster, settings
        self._accepted_osmand = metrics.PINGS_ACCEPTED.labels("osmand")
        self._accepted_batch = metrics.PINGS_ACCEPTED.labels("batch")

    def _write(self, pings: list[dict]) -> Response | None:
        """Write to the stream; a 503 response if Redis cannot be reached."""
        try:
            self.sink.write(pings)
        except _UNAVAILABLE as e:
            metrics.INGEST_UNAVAILABLE.inc()
            log.warning("ingest: Redis unreachable, answering 503: %s", e)
            retry = {"Retry-After": str(self.settings.retry_after_s)}
            return _json(503, {"error": "unavailable", "message": "the ping store is unreachable; retry later"}, retry)
        return None

    def osmand(self, path: str = "") -> Response:  # noqa: ARG002 - any path, like Traccar's OsmAnd port
        now = time.time()
        is_json = request.mimetype == "application/json"
        try:
            if is_json:
                try:
                    body = orjson.loads(request.get_data(cache=False))
                except orjson.JSONDecodeError as e:
                    raise ProtocolError("bad_json", f"the body is not valid JSON: {e}") from None
                fixes = parse_json(body, now)
            else:
                fixes = [parse_query(request.values, now)]
        except ProtocolError as e:
            return _error(e.status, e.code, e.message)
        pings = []
        for fix in fixes:
            worker = self.roster.by_device(fix["d"])
            if worker is None:  # Traccar: 400 for query/form, 404 for JSON; nothing of the request is kept
                return _error(404 if is_json else 400, "unknown_device", f"device {fix['d']!r} is not on the roster")
            if (reason := impossible(fix, now, self.settings.max_future_s)) is not None:
                # no real position: answered 200 all the same (a refused fix blocks the phone's queue), and counted
                metrics.FIXES_DISCARDED.labels(reason[0]).inc()
                continue
            for field in drop_bad_readings(fix):
                metrics.READINGS_DROPPED.labels(field).inc()
            fix["w"], fix["rx"], fix["src"] = worker.worker_id, now, "osmand"
            if not fix.get("a"):
                fix.pop("a", None)  # no attributes: no bytes spent on an empty map in the stream
            pings.append(fix)
        if (failed := self._write(pings)) is not None:
            return failed
        self._accepted_osmand.inc(len(pings))
        return Response(status=200, mimetype="text/plain")  # an empty 200, as Traccar answers

    def batch(self) -> Response:
        key = self.settings.ingest_key
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not key or not hmac.compare_digest(token.encode(), key.encode()):
            return _error(401, "unauthorized", "send Authorization: Bearer <ingest key>")
        if not _is_json(request.mimetype):
            return _error(415, "unsupported_media_type",
                          f"the body must be JSON sent as Content-Type: application/json, not {request.mimetype or 'none'!r}")
        limit = self.settings.batch_max_bytes
        if request.content_length is not None and request.content_length > limit:
            return _error(413, "too_large", f"the body is larger than {limit} bytes")
        data = request.stream.read(limit + 1)
        if len(data) > limit:
            return _error(413, "too_large", f"the body is larger than {limit} bytes")
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError as e:
            return _error(400, "bad_json", f"the body is not valid JSON: {e}")
        items = body.get("pings") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return _error(400, "bad_request", 'the body must be {"pings": [...]}')
        if len(items) > self.settings.batch_max_pings:
            return _error(413, "too_many", f"{len(items)} pings: at most {self.settings.batch_max_pings} per request")
        now = time.time()
        pings, rejected = [], []
        for i, item in enumerate(items):
            ping, error = self._item(item, now)
            if ping is None:
                rejected.append({"index": i, "error": error[0], "reason": error[1]})
                metrics.PINGS_REJECTED.labels(error[0]).inc()
            else:
                pings.append(ping)
        if (failed := self._write(pings)) is not None:
            return failed
        self._accepted_batch.inc(len(pings))
        return _json(202, {"accepted": len(pings), "rejected": rejected})

    def _item(self, item, now: float) -> tuple[dict | None, tuple[str, str] | None]:
        if not isinstance(item, dict):
            return None, ("bad_item", "each ping must be a JSON object")
        for name in NUMBER_FIELDS:  # pydantic's lax float takes true/false as 1.0/0.0: a phone bug, not a position
            if isinstance(item.get(name), bool):
                return None, (f"bad_{name}", f"{name} must be a number, not {str(item[name]).lower()}")
        try:
            p = PingIn.model_validate(item)
        except ValidationError as e:
            return None, validation_reason(e)
        if not p.worker_id and not p.device_id:
            return None, ("missing_field", "worker_id or device_id is required")
        try:
            ts = fix_time(p.ts)
        except ValueError as e:
            return None, ("bad_ts", str(e))
        if (bad_time := check_fix_time(ts, now, self.settings.max_future_s)) is not None:
            return None, bad_time
        worker = self.roster.by_worker(p.worker_id) if p.worker_id else self.roster.by_device(p.device_id)
        if worker is None:
            who = f"worker {p.worker_id!r}" if p.worker_id else f"device {p.device_id!r}"
            return None, ("unknown_worker", f"{who} is not on the roster")
        return {
            "w": worker.worker_id,
            "d": worker.device_id,
            "lon": p.lon,
            "lat": p.lat,
            "ts": ts,
            "rx": now,
            "acc": p.accuracy_m,
            "spd": p.speed_kmh,
            "hdg": p.heading,
            "bat": p.battery,
            "sos": p.sos,
            "src": "batch",
        }, None


def make_ingest_blueprint(*, redis_client, roster: Roster, settings: StreamSettings) -> Blueprint:
    """``/ingest/osmand`` and ``/api/v1/pings`` for the web app (``gridpulse serve``)."""
    ingest = _Ingest(redis_client, roster, settings)
    bp = Blueprint("ingest", __name__)
    bp.add_url_rule("/ingest/osmand", "osmand", ingest.osmand, methods=["GET", "POST"])
    bp.add_url_rule("/api/v1/pings", "pings", ingest.batch, methods=["POST"])
    return bp


def make_osmand_app(*, redis_client, roster: Roster, settings: StreamSettings) -> Flask:
    """The OsmAnd protocol alone on its own port (``gridpulse serve --osmand-port 5055``), at any path: Traccar's
    OsmAnd port reads ``POST /path?id=…`` like ``/?id=…``, and phones are set up with whatever URL people typed."""
    ingest = _Ingest(redis_client, roster, settings)
    app = Flask("gridpulse-osmand")
    app.add_url_rule("/", "osmand", ingest.osmand, methods=["GET", "POST"])
    app.add_url_rule("/<path:path>", "osmand_any", ingest.osmand, methods=["GET", "POST"])
    return app
