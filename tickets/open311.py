"""Open311 GeoReport v2 at ``/open311/v2``: discovery, services, service definitions and requests.

Every endpoint answers ``.json`` and ``.xml``; errors are a list of ``{code, description}``
(400, 403 or 404); codes and ids are strings; ``page``/``page_size`` is the widely used paging extension.
Spec: https://wiki.open311.org/GeoReport_v2
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import flask
import orjson

from tickets.actors import PUBLIC
from tickets.api import read_uploads
from tickets.errors import TicketError
from tickets.models import tickets
from tickets.service import NewTicket
from tickets.states import FINAL_STATES, OPEN311_STATUS, OPEN_STATES, STATE_NAMES_ZH, Source

C = tickets.c
XML_ITEM = {"services": "service", "service_requests": "request", "errors": "error", "endpoints": "endpoint",
            "formats": "format", "attributes": "attribute", "values": "value", "keywords": "keyword"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def _xml(root: str, data) -> bytes:
    def fill(el, value):
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
        return flask.Response(_xml(root, data), status=status, mimetype="text/xml")
    return flask.Response(orjson.dumps(data), status=status, mimetype="application/json")


def _w3c(value: str | None, name: str, tz) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace(" ", "+"))  # a raw '+' in a query arrives as ' '
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C datetime such as 2024-11-01T00:00:00+08:00") from None
    return dt.replace(tzinfo=tz) if dt.tzinfo is None else dt


def blueprint(ctx) -> flask.Blueprint:
    bp = flask.Blueprint("open311", __name__, url_prefix="/open311/v2")
    svc = ctx.service
    tz = svc.calendar.tz
    fmt_rule = "<any(json,xml):fmt>"

    def error(status: int, description: str) -> flask.Response:
        fmt = (flask.request.view_args or {}).get("fmt") or ("xml" if flask.request.path.endswith(".xml") else "json")
        return respond(fmt, "errors", [{"code": status, "description": description}], status)

    @bp.errorhandler(Open311Error)
    def _err(exc: Open311Error):
        return error(exc.status, exc.description)

    @bp.errorhandler(TicketError)
    def _refused(exc: TicketError):
        # Open311 knows 400, 403 and 404: an oversized or mistyped photo is a 400 here
        return error(exc.status if exc.status in (400, 403, 404) else 400, exc.message)

    def service_json(cat) -> dict:
        return {"service_code": cat.code, "service_name": cat.name, "description": cat.name_en,
                "metadata": False, "type": "realtime", "keywords": cat.major_name_en.lower(),
                "group": cat.major_name}

    def request_json(t: dict) -> dict:
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
            "zipcode": None, "lat": t["lat"], "long": t["lon"], "media_url": t["media_url"],
        }

    @bp.get(f"/discovery.{fmt_rule}")
    def discovery(fmt):
        base = flask.request.url_root.rstrip("/") + bp.url_prefix + "/"
        data = {"changeset": "2024-11-22T00:00:00+08:00", "contact": f"{svc.district.name} 网格化管理中心",
                "key_service": "api_key from the district grid management center",
                "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                               "changeset": "2024-11-22T00:00:00+08:00", "type": "production",
                               "formats": ["text/xml", "application/json"]}]}
        return respond(fmt, "discovery", data)

    @bp.get(f"/services.{fmt_rule}")
    def services(fmt):
        return respond(fmt, "services", [service_json(c) for c in svc.catalog.categories.values()])

    @bp.get(f"/services/<code>.{fmt_rule}")
    def definition(code, fmt):
        if code not in svc.catalog.categories:
            raise Open311Error(404, f"service_code {code} not found")
        return respond(fmt, "service_definition", {"service_code": code, "attributes": []})

    @bp.post(f"/requests.{fmt_rule}")
    def post_request(fmt):
        f = flask.request.form
        if ctx.open311_key is None:
            raise Open311Error(403, "posting service requests is disabled on this server")
        if f.get("api_key") != ctx.open311_key:
            raise Open311Error(403, "api_key is missing or invalid")
        code = f.get("service_code")
        if not code:
            raise Open311Error(400, "service_code is required")
        if code not in svc.catalog.categories:
            raise Open311Error(404, f"service_code {code} not found")
        if not f.get("lat") or not f.get("long"):
            raise Open311Error(400, "lat and long are required (this server does not geocode addresses)")
        contact = {k: f[k] for k in ("email", "first_name", "last_name", "phone", "device_id", "account_id")
                   if f.get(k)}
        name = " ".join(p for p in (f.get("first_name"), f.get("last_name")) if p) or "resident"
        new = NewTicket(category=code, lon=f["long"], lat=f["lat"], description=f.get("description") or "",
                        source=Source.RESIDENT_APP, address=f.get("address_string") or None,
                        contact=orjson.dumps(contact).decode() if contact else None,
                        media_url=f.get("media_url") or None, reporter_name=name[:64], reporter_role="public",
                        photos=read_uploads(svc.settings.max_photo_bytes))
        t = svc.create(new, PUBLIC)
        # GeoReport v2 documents only 200 for success; clients check for it
        return respond(fmt, "service_requests", [{"service_request_id": t["number"], "service_notice": None,
                                                  "account_id": f.get("account_id")}])

    @bp.get(f"/requests.{fmt_rule}")
    def get_requests(fmt):
        a = flask.request.args
        where = []
        if a.get("service_request_id"):
            ids = [s.strip() for s in a["service_request_id"].split(",") if s.strip()]
            where.append(C.number.in_(ids))  # the spec: other parameters are ignored
        else:
            if a.get("service_code"):
                where.append(C.category_code.in_(a["service_code"].split(",")))
            start, end = _w3c(a.get("start_date"), "start_date", tz), _w3c(a.get("end_date"), "end_date", tz)
            span = timedelta(days=svc.settings.open311_max_span_days)
            if start and end and end < start:
                raise Open311Error(400, "end_date is before start_date")
            if start and end and end - start > span:
                raise Open311Error(400, f"start_date to end_date spans more than {span.days} days")
            end = end or (start + span if start else svc.clock())
            start = start or end - span
            where += [C.reported_at >= start, C.reported_at <= end]
            if a.get("status"):
                statuses = set(a["status"].split(","))
                if not statuses <= {"open", "closed"}:
                    raise Open311Error(400, "status must be open, closed or open,closed")
                if statuses == {"open"}:
                    where.append(C.state.in_([s.value for s in OPEN_STATES]))
                elif statuses == {"closed"}:
                    where.append(C.state.in_([s.value for s in FINAL_STATES]))
        page, size = _page(a, svc.settings.max_page_size)
        rows, _ = svc.store.list(where, offset=(page - 1) * size, limit=size)
        return respond(fmt, "service_requests", [request_json(t) for t in rows])

    @bp.get(f"/requests/<rid>.{fmt_rule}")
    def get_request(rid, fmt):
        t = svc.store.get_by_number(rid)
        if t is None:
            raise Open311Error(404, f"service_request_id {rid} not found")
        return respond(fmt, "service_requests", [request_json(t)])

    @bp.route("/<path:rest>", methods=["GET", "POST"])
    def unknown(rest):
        raise Open311Error(404, f"no Open311 endpoint /{rest}; formats are .json and .xml")

    return bp


def _page(a, max_size: int) -> tuple[int, int]:
    try:
        page = int(a.get("page") or 1)
        size = int(a.get("page_size") or 100)
    except ValueError:
        raise Open311Error(400, "page and page_size must be integers") from None
    if page < 1 or not 1 <= size <= max_size:
        raise Open311Error(400, f"page must be >= 1 and page_size between 1 and {max_size}")
    return page, size


