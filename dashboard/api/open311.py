"""Open311 GeoReport v2 at ``/open311/v2``: discovery, services, service definitions and requests.

Every endpoint answers ``.json`` and ``.xml`` (``; charset=utf-8``); errors are a list of ``{code, description}``
(400, 403 or 404); codes and ids are strings; ``page``/``page_size`` is the widely used paging extension.
Spec: https://wiki.open311.org/GeoReport_v2

As clients use it (FixMyStreet's ``Open311.pm``, the PyPI clients):

- ``api_key`` is read from the form or, failing that, the query string; compared in constant time.
- A report needs one location: ``lat`` + ``long``; or an ``address_id`` that is a grid code (placed at a point
  inside the grid); or an ``address_string`` alone, kept as an *unlocated* ticket (no point, no grid) that starts
  at the district tier, where the district center reads the address and places it. An ``address_id`` that is no
  grid code (FixMyStreet's ``#NOTPINPOINTED#``) counts only with an ``address_string``.
- ``media_url`` must be http or https (several may be sent; the first is kept).
- ``attribute[code]`` values are kept as sent and shown again as ``attributes`` (``{code: value}``); a multivalue
  attribute (``attribute[lanes][]=1&attribute[lanes][]=2``, or ``attribute[lanes]`` repeated) is a list. Photos may
  be uploaded under ``media``, ``photo``, ``photos[]`` or FixMyStreet's ``photo1``, ``photo2`` ….
- Public reads (``GET requests``, ``GET requests/<id>``) show only *public* tickets: those reported by residents
  (through this API or the residents' app) unless flagged otherwise. Tickets the grid made itself (worker patrol,
  hotline entries, video) are internal; a caller with ``Authorization: Bearer <token>`` of the ticket API also
  sees the internal tickets in its view (:mod:`tickets.visibility`).
- ``GET requests`` without parameters: the newest 1,000 of the last 90 days; ``page_size`` defaults to and is
  capped at 1,000 (above: 400). ``status``, ``service_code`` and ``service_request_id`` may be repeated or
  comma-separated, and every value counts; any other parameter given twice is a 400.
"""

from __future__ import annotations

import hmac
import logging
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import flask
import orjson
from pydantic import ValidationError
from sqlalchemy import and_, or_, true
from werkzeug.exceptions import HTTPException

from dashboard.api.errors import UNAVAILABLE_MESSAGE, ApiError, json_response, log_unavailable, unavailable
from dashboard.api.open311_schemas import RequestsQuery, ServiceRequestIn, web_url
from dashboard.api.params import MAX_DAY, MIN_DAY, query, read_uploads, refusal, split
from dashboard.api.ticket_context import context
from tickets.domain.actors import PUBLIC
from tickets.domain.errors import TicketError
from tickets.domain.states import FINAL_STATES, OPEN311_STATUS, OPEN_STATES, STATE_NAMES_ZH, Source
from tickets.service import NewTicket, check_text
from tickets.store.models import tickets
from tickets.visibility import clauses, sees

log = logging.getLogger(__name__)
C = tickets.c
PREFIX = "/open311/v2"
FMT = "<any(json,xml):fmt>"
REPEATABLE = frozenset({"service_request_id", "service_code", "status"})
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")  # attribute[code] or attribute[code][]
MAX_ATTRIBUTES, MAX_ATTRIBUTE_VALUES = 50, 50
XML_ITEM = {"services": "service", "service_requests": "request", "errors": "error", "endpoints": "endpoint",
            "formats": "format", "attributes": "attribute", "values": "value", "keywords": "keyword"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def _xml(root: str, data) -> bytes:
    def fill(el, value):
        if el.tag == "attributes" and isinstance(value, dict):  # codes are data, not XML names
            value = [{"code": k, "value": v} if isinstance(v, str) else {"code": k, "values": v}
                     for k, v in value.items()]
        if isinstance(value, dict):
            for k, v in value.items():
                fill(ET.SubElement(el, k), v)
        elif isinstance(value, list):
            for v in value:
                fill(ET.SubElement(el, XML_ITEM.get(el.tag, "item")), v)
        elif value is not None:
            el.text = str(value).lower() if isinstance(value, bool) else str(value)

    el = ET.Element(root)
    fill(el, data)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(el, encoding="utf-8", xml_declaration=False)


def respond(fmt: str, root: str, data, status: int = 200) -> flask.Response:
    if fmt == "xml":
        return flask.Response(_xml(root, data), status=status, content_type="text/xml; charset=utf-8")
    return json_response(data, status)


def _w3c(value: str | None, name: str, tz) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace(" ", "+"))  # a raw '+' in a query arrives as ' '
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C datetime such as 2024-11-01T00:00:00+08:00") from None
    if not MIN_DAY.year <= dt.year <= MAX_DAY.year:
        raise Open311Error(400, f"{name} must fall between {MIN_DAY.year} and {MAX_DAY.year}")
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt


def blueprint() -> flask.Blueprint:
    """The routes of ``/open311/v2``, answering errors in GeoReport's list shape."""
    bp = flask.Blueprint("open311", __name__, url_prefix=PREFIX)
    bp.register_error_handler(Open311Error, _open311_error)
    bp.register_error_handler(TicketError, _refused)
    bp.register_error_handler(ApiError, _refused)
    bp.register_error_handler(Exception, fault)
    bp.get(f"/discovery.{FMT}")(discovery)
    bp.get(f"/services.{FMT}")(services)
    bp.get(f"/services/<code>.{FMT}")(definition)
    bp.post(f"/requests.{FMT}")(post_request)
    bp.get(f"/requests.{FMT}")(get_requests)
    bp.get(f"/requests/<rid>.{FMT}")(get_request)
    bp.route("/<path:rest>", methods=["GET", "POST"])(unknown)
    return bp


def _error(status: int, description: str, headers: dict | None = None) -> flask.Response:
    fmt = (flask.request.view_args or {}).get("fmt") or ("xml" if flask.request.path.endswith(".xml") else "json")
    answer = respond(fmt, "errors", [{"code": status, "description": description}], status)
    answer.headers.update(headers or {})
    return answer


def _open311_error(exc: Open311Error) -> flask.Response:
    return _error(exc.status, exc.description)


def _refused(exc: TicketError | ApiError) -> flask.Response:
    # Open311 knows 400, 403 and 404: an oversized or mistyped photo is a 400 here
    return _error(exc.status if exc.status in (400, 403, 404) else 400, exc.message)


def fault(exc: Exception, retry_after_s: int = 5) -> flask.Response:
    """Any other error in GeoReport's list shape: an unreachable store 503 + ``Retry-After``, a logged 500."""
    if store := unavailable(exc):
        log_unavailable(store, exc)
        return _error(503, UNAVAILABLE_MESSAGE[store], {"Retry-After": str(retry_after_s)})
    if isinstance(exc, HTTPException):
        return _error(exc.code or 500, exc.description or exc.name)
    log.exception("unexpected fault on %s %s", flask.request.method, flask.request.path)
    return _error(500, "the server failed on this request; it is logged")


def _service_json(cat) -> dict:
    return {"service_code": cat.code, "service_name": cat.name, "description": cat.name_en,
            "metadata": False, "type": "realtime", "keywords": cat.major_name_en.lower(),
            "group": cat.major_name}


def _request_json(t: dict) -> dict:
    ctx = context()
    tz = ctx.service.calendar.tz
    dep = ctx.names["department"].get(t["department"])
    notes = STATE_NAMES_ZH[t["state"]] + (f" · {dep}" if dep and t["state"] not in FINAL_STATES else "")
    expected = t["close_due_at"] or t["step_due_at"]
    return {
        "service_request_id": t["number"], "status": OPEN311_STATUS[t["state"]], "status_notes": notes,
        "service_name": ctx.names["category"].get(t["category_code"]), "service_code": t["category_code"],
        "description": t["description"], "agency_responsible": dep, "service_notice": None,
        "requested_datetime": t["reported_at"].astimezone(tz).isoformat(),
        "updated_datetime": t["updated_at"].astimezone(tz).isoformat(),
        "expected_datetime": expected.astimezone(tz).isoformat() if expected else None,
        "address": t["address"] or ctx.names["grid"].get(t["grid_code"]), "address_id": t["grid_code"],
        "zipcode": None, "lat": t["lat"], "long": t["lon"], "media_url": web_url(t["media_url"]),
        "attributes": orjson.loads(t["attributes"]) if t.get("attributes") else {},
    }


def discovery(fmt):
    base = flask.request.url_root.rstrip("/") + PREFIX + "/"
    data = {"changeset": "2024-11-22T00:00:00+08:00", "contact": f"{context().service.district.name} 网格化管理中心",
            "key_service": "api_key from the district grid management center",
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                           "changeset": "2024-11-22T00:00:00+08:00", "type": "production",
                           "formats": ["text/xml", "application/json"]}]}
    return respond(fmt, "discovery", data)


def services(fmt):
    return respond(fmt, "services", [_service_json(c) for c in context().service.catalog.categories.values()])


def definition(code, fmt):
    if code not in context().service.catalog.categories:
        raise Open311Error(404, f"service_code {code} not found")
    return respond(fmt, "service_definition", {"service_code": code, "attributes": []})


def post_request(fmt):
    ctx = context()
    svc = ctx.service
    if ctx.open311_key is None:
        raise Open311Error(403, "posting service requests is disabled on this server")
    key = flask.request.form.get("api_key") or flask.request.args.get("api_key") or ""
    if not hmac.compare_digest(key.encode(), ctx.open311_key.encode()):
        raise Open311Error(403, "api_key is missing or invalid")
    f = _form()
    if f.service_code not in svc.catalog.categories:
        raise Open311Error(404, f"service_code {f.service_code} not found")
    lon, lat, address = _locate(f)
    media = [web_url(u) for u in flask.request.form.getlist("media_url") if u]
    if None in media:
        raise Open311Error(400, "media_url must be an http or https URL")
    attributes = _attributes(flask.request.form)
    contact = {k: getattr(f, k) for k in ("email", "first_name", "last_name", "phone", "device_id", "account_id")
               if getattr(f, k)}
    name = " ".join(p for p in (f.first_name, f.last_name) if p) or "resident"
    new = NewTicket(category=f.service_code, lon=lon, lat=lat, description=f.description or "",
                    source=Source.RESIDENT_APP, address=address,
                    contact=orjson.dumps(contact).decode() if contact else None,
                    media_url=media[0] if media else None, reporter_name=name[:64], reporter_role="public",
                    photos=read_uploads(svc.settings.max_photo_bytes), public=True,
                    attributes=orjson.dumps(attributes).decode() if attributes else None)
    t = svc.create(new, PUBLIC)
    # GeoReport v2 documents only 200 for success; clients check for it
    return respond(fmt, "service_requests", [{"service_request_id": t["number"], "service_notice": None,
                                              "account_id": f.account_id}])


def _locate(f: ServiceRequestIn) -> tuple[float | None, float | None, str | None]:
    """(lon, lat, address) of a report: a point, a grid's point, or (None, None, address) when unlocated."""
    svc = context().service
    if (f.lat is None) != (f.long is None):
        raise Open311Error(400, "lat and long go together: send both, or an address_string or address_id")
    if f.lat is not None:
        return f.long, f.lat, f.address_string
    point = svc.grid_point(f.address_id) if f.address_id else None
    if point is not None:
        return point[0], point[1], f.address_string
    if f.address_string and f.address_string.strip():
        return None, None, f.address_string.strip()
    if f.address_id:
        raise Open311Error(400, f"address_id {f.address_id} is not a grid code of {svc.district.name}; "
                                "send lat and long or an address_string")
    raise Open311Error(400, "a location is required: lat and long, address_string or address_id")


def get_requests(fmt):
    svc = context().service
    a = query(RequestsQuery, REPEATABLE)
    ids = split(a.service_request_id)
    filters = _request_filters(a, svc)  # read even with ids, so a malformed status or date is refused either way
    where = [C.number.in_(ids)] if ids else filters  # the spec: with ids, the rest is ignored
    where.append(_readable())
    rows, _ = svc.store.list(where, offset=(a.page - 1) * a.page_size, limit=a.page_size)
    return respond(fmt, "service_requests", [_request_json(t) for t in rows])


def _request_filters(a: RequestsQuery, svc) -> list:
    """The WHERE clauses of ``GET requests`` by service code, period (default: the last 90 days) and status."""
    tz = svc.calendar.tz
    where = []
    if codes := split(a.service_code):
        where.append(C.category_code.in_(codes))
    start, end = _w3c(a.start_date, "start_date", tz), _w3c(a.end_date, "end_date", tz)
    span = timedelta(days=svc.settings.open311_max_span_days)
    if start and end and end < start:
        raise Open311Error(400, "end_date is before start_date")
    if start and end and end - start > span:
        raise Open311Error(400, f"start_date to end_date spans more than {span.days} days")
    end = end or (start + span if start else svc.clock())
    start = start or end - span
    where += [C.reported_at >= start, C.reported_at <= end]
    if statuses := set(split(a.status)):
        if not statuses <= {"open", "closed"}:
            raise Open311Error(400, "status must be open, closed or open,closed")
        if statuses == {"open"}:
            where.append(C.state.in_([s.value for s in OPEN_STATES]))
        elif statuses == {"closed"}:
            where.append(C.state.in_([s.value for s in FINAL_STATES]))
    return where


def get_request(rid, fmt):
    ctx = context()
    t = ctx.service.store.get_by_number(rid)
    actor = _reader()
    if t is None or not (t["public"] or (actor is not None and sees(actor, t, ctx.service.worker_grid))):
        raise Open311Error(404, f"service_request_id {rid} not found")
    return respond(fmt, "service_requests", [_request_json(t)])


def _reader():
    """The ticket API actor behind a ``Authorization: Bearer`` header, None without one (a public read); 403 for
    an unknown token."""
    if not flask.request.headers.get("Authorization"):
        return None
    try:
        return context().actor()
    except ApiError:
        raise Open311Error(403, "the bearer token is not known") from None


def _readable():
    """The SQL condition of what this read may list: public tickets, and with a token the ones in its view."""
    actor = _reader()
    if actor is None:
        return C.public.is_(True)
    mine = clauses(actor, context().service.worker_grid)
    return or_(C.public.is_(True), and_(true(), *mine))


def _attributes(form) -> dict[str, str | list[str]]:
    """``attribute[code]`` fields as ``{code: value}``; a value sent several times, or as ``attribute[code][]``,
    is a list of them in order."""
    out: dict[str, str | list[str]] = {}
    for key in form:
        if key is None or not (m := ATTRIBUTE.match(key)):
            continue
        values = [v for v in form.getlist(key) if v != ""]
        if len(values) > MAX_ATTRIBUTE_VALUES:
            raise Open311Error(400, f"{key} is sent {len(values)} times; at most {MAX_ATTRIBUTE_VALUES} values")
        if any(len(v) > 4000 for v in values):
            raise Open311Error(400, f"a value of {key} is longer than 4000 characters")
        for v in (key, *values):
            check_text(key, v)
        code, many = m.group(1), m.group(2) is not None or len(values) > 1
        if values:
            prior = out.get(code, [])
            out[code] = [*([prior] if isinstance(prior, str) else prior), *values] if (many or prior) else values[0]
    if len(out) > MAX_ATTRIBUTES:
        raise Open311Error(400, f"{len(out)} attributes; at most {MAX_ATTRIBUTES}")
    return out


def unknown(rest):
    raise Open311Error(404, f"no Open311 endpoint /{rest}; formats are .json and .xml")


def _form() -> ServiceRequestIn:
    """The posted fields (``media_url`` may repeat; it is read on its own); 400 with the first problem."""
    form = flask.request.form
    fields = {}
    for key in form:
        if key is None or ATTRIBUTE.match(key):
            continue  # read on their own (:func:`_attributes`); a part whose name does not decode names no field
        values = form.getlist(key)
        if key != "media_url" and len(set(values)) > 1:
            raise Open311Error(400, f"{key} is sent {len(values)} times with different values")
        if key != "media_url" and values[0] != "":
            fields[key] = values[0]
    first_media = next((u for u in form.getlist("media_url") if u), None)
    if first_media:
        fields["media_url"] = first_media
    try:
        return ServiceRequestIn.model_validate_strings(fields)
    except ValidationError as exc:
        raise Open311Error(400, refusal(exc).message.rstrip(".")) from None
