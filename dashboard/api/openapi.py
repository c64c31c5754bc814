"""The HTTP API's contract: an OpenAPI 3.1 document built from the pydantic models, and its error shape enforced.

:func:`register` serves the document at ``/api/v1/openapi.json`` and answers every error under ``/api/`` as JSON
``{"error": code, "message": sentence}`` (an unknown route, a wrong method, an unexpected fault), so what the
document promises holds for routes no blueprint handles. The document is generated: the operations table below
names each route's query, body and answer models, and the JSON Schemas come from the models themselves
(:mod:`dashboard.api.ticket_schemas`, :mod:`dashboard.api.open311_schemas`, :mod:`streams.schema`, :mod:`dashboard.api.schemas`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound, RequestURITooLarge

from dashboard.api import open311
from dashboard.api import open311_schemas as o311
from dashboard.api import schemas as live
from dashboard.api import ticket_schemas as t
from dashboard.api.errors import ApiError, error_response, unavailable
from streams.schema import BatchResult

log = logging.getLogger(__name__)
REF = "#/components/schemas/{model}"
JSON = "application/json"
ERRORS = {400: "bad input", 401: "no or unknown token", 403: "outside the caller's scope", 404: "not found",
          405: "method not allowed (Allow names the allowed ones)", 409: "not allowed now (the sentence says why)",
          413: "body too large", 414: "query string longer than MAX_QUERY_BYTES",
          415: "unsupported media type (or not a supported image)",
          503: "Redis or the ticket store unreachable now; retry after Retry-After seconds"}
# The longest query string answered (bytes, as sent, percent-encoded): below the request-line limits of the servers
# in front (gevent's pywsgi 8,192, werkzeug's 65,536), so an over-long one is refused in the JSON error shape here
# rather than by the server with an empty body.
MAX_QUERY_BYTES = 4096
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "required": True,
                               "schema": {"type": "string", "pattern": "^[0-9]+$"}}}


@dataclass(frozen=True)
class Op:
    """One operation: where, who, what it reads and what it answers (``answers[status] = model or None``)."""

    method: str
    path: str
    summary: str
    tag: str
    answers: dict[int, type[BaseModel] | None]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    forms: tuple[str, ...] = ()  # form media types the body is also accepted as
    security: str | None = "bearer"
    errors: tuple[int, ...] = (400, 401)
    params: dict[str, dict] = field(default_factory=dict)  # path parameters: name -> JSON Schema
    content: tuple[str, ...] = (JSON,)  # media types of the success answers
    photos: bool = False  # multipart may carry photos
    stores: bool = True  # reads Redis or the ticket store: 503 + Retry-After while it is unreachable

    def statuses(self) -> tuple[int, ...]:
        """Every error status the operation can answer: its own, and those of any route (405, 414, 503), a path
        the router cannot match (404), a body (413, 415)."""
        extra = {405, 414} | ({404} if self.params else set()) | ({413, 415} if self.body else set())
        return tuple(sorted(set(self.errors) | extra | ({503} if self.stores else set())))


REF_PARAM = {"ref": {"type": "string", "description": "ticket id or 21-digit number"}}
FMT = {"format": {"type": "string", "enum": ["json", "xml"]}}
FORM = ("multipart/form-data",)

OPS = (
    Op("post", "/api/v1/tickets", "Report a ticket (with photos)", "tickets", {201: t.TicketOut}, body=t.TicketIn,
       forms=FORM, photos=True, errors=(400, 401, 403, 409, 413, 415)),
    Op("get", "/api/v1/tickets", "List tickets in the caller's view", "tickets", {200: t.TicketPage},
       query=t.TicketQuery),
    Op("get", "/api/v1/tickets/{ref}", "One ticket with its history and allowed actions", "tickets",
       {200: t.TicketOut}, errors=(401, 404), params=REF_PARAM),
    Op("post", "/api/v1/tickets/{ref}/actions", "Take an action on a ticket", "tickets", {200: t.TicketOut},
       body=t.ActionIn, forms=FORM, photos=True, errors=(400, 401, 404, 409, 413, 415), params=REF_PARAM),
    Op("get", "/api/v1/photos/{photo_id}", "A photo of a ticket the caller sees", "tickets", {200: None},
       errors=(401, 404), params={"photo_id": {"type": "integer", "minimum": 0}}, content=("image/*",)),
    Op("get", "/api/v1/departments", "Departments a ticket can be dispatched to", "tickets", {200: t.Departments},
       query=t.DepartmentsQuery, errors=(400, 401, 404)),
    Op("get", "/api/v1/metrics", "Closure-loop figures by level", "metrics", {200: t.MetricsOut},
       query=t.MetricsQuery, errors=(400, 401, 403)),
    Op("get", "/api/v1/metrics/series", "Figures by day or hour", "metrics", {200: t.MetricsOut},
       query=t.MetricsQuery, errors=(400, 401, 403)),
    Op("get", "/api/v1/metrics/rankings", "Rankings with a composite score", "metrics", {200: t.MetricsOut},
       query=t.MetricsQuery, errors=(400, 401, 403)),
    Op("get", "/api/v1/metrics/funnel", "The closed-loop funnel of the selection", "metrics", {200: t.FunnelOut},
       query=t.MetricsQuery, errors=(400, 401, 403)),
    Op("get", "/api/v1/metrics/departments", "Department performance", "metrics", {200: t.MetricsOut},
       query=t.MetricsQuery, errors=(400, 401, 403)),
    Op("post", "/api/v1/pings", "Batch ingest of pings", "live", {202: BatchResult}, body=live.PingBatch,
       security="ingest", errors=(400, 401, 413)),
    Op("get", "/ingest/osmand", "OsmAnd / Traccar Client ping (query string)", "live", {200: None},
       query=live.OsmAndQuery, security=None, errors=(400,), content=("text/plain",)),
    Op("post", "/ingest/osmand", "OsmAnd / Traccar Client ping (form)", "live", {200: None},
       body=live.OsmAndQuery, forms=("application/x-www-form-urlencoded",), security=None, errors=(400, 404),
       content=("text/plain",)),
    Op("get", "/api/v1/live", "The live snapshot, scoped by token", "live", {200: live.LiveSnapshot},
       query=live.LiveQuery, errors=(401, 403, 404)),
    Op("get", "/api/v1/workers", "The roster (admin)", "live", {200: live.Roster}, errors=(401, 403)),
    Op("get", "/api/v1/workers/{worker_id}/track", "A worker's track of a day (GeoJSON)", "live",
       {200: live.Track}, query=live.DayQuery, errors=(400, 401, 403, 404),
       params={"worker_id": {"type": "string"}}),
    Op("get", "/api/v1/patrol", "Patrol minutes per grid and worker", "live", {200: live.Patrol},
       query=live.PatrolQuery, errors=(400, 401, 403)),
    Op("get", "/api/v1/tracks", "Every worker's fixes of a street in a time window, delta-encoded", "street",
       {200: live.Tracks}, query=live.TracksQuery, errors=(400, 401, 403, 404),
       content=(JSON, "application/octet-stream")),
    Op("get", "/api/v1/coverage", "Days visited per grid, grids not visited, workers below target", "street",
       {200: live.Coverage}, query=live.PeriodQuery, errors=(400, 401, 403, 404)),
    Op("get", "/api/v1/export/{table}.{fmt}", "The worker or coverage table as CSV or XLSX", "street", {200: None},
       query=live.PeriodQuery, errors=(400, 401, 403, 404), content=("text/csv", XLSX),
       params={"table": {"type": "string", "enum": ["workers", "coverage"]},
               "fmt": {"type": "string", "enum": ["csv", "xlsx"]}}),
    Op("get", "/api/v1/alerts", "A day's alerts with their acknowledgement", "street", {200: live.Alerts},
       query=live.AlertsQuery, errors=(400, 401, 403, 404)),
    Op("post", "/api/v1/alerts/ack", "Acknowledge alerts (pushes ack to the rooms)", "street", {200: live.AckOut},
       body=live.AckIn, errors=(400, 401, 403, 413)),
    Op("get", "/api/v1/alerts/acks", "Acknowledgements of given alert ids", "street", {200: live.Acks},
       query=live.AcksQuery, errors=(401, 403, 404)),
    Op("get", "/api/v1/tickets/events", "Ticket events since a time, as the tickets push sends them", "street",
       {200: live.TicketEvents}, query=live.TicketEventsQuery, errors=(400, 401, 403, 404)),
    Op("get", "/healthz", "Redis and the ticket store reachable", "operations", {200: live.Health, 503: live.Health},
       security=None, errors=()),
    Op("get", "/open311/v2/discovery.{format}", "GeoReport v2 discovery", "open311", {200: o311.Discovery},
       security=None, errors=(404,), params=FMT),
    Op("get", "/open311/v2/services.{format}", "Service list (categories)", "open311", {200: o311.Service},
       security=None, errors=(404,), params=FMT),
    Op("get", "/open311/v2/services/{service_code}.{format}", "Service definition", "open311",
       {200: o311.ServiceDefinition}, security=None, errors=(404,),
       params={"service_code": {"type": "string"}, **FMT}),
    Op("post", "/open311/v2/requests.{format}", "Post a service request", "open311",
       {200: o311.ServiceRequestCreated}, body=o311.ServiceRequestIn,
       forms=("application/x-www-form-urlencoded", "multipart/form-data"), photos=True, security=None,
       errors=(400, 403, 404, 413), params=FMT),
    Op("get", "/open311/v2/requests.{format}", "Service requests (newest 1,000 of the last 90 days)", "open311",
       {200: o311.ServiceRequest}, query=o311.RequestsQuery, security=None, errors=(400, 404), params=FMT),
    Op("get", "/open311/v2/requests/{service_request_id}.{format}", "One service request", "open311",
       {200: o311.ServiceRequest}, security=None, errors=(404,),
       params={"service_request_id": {"type": "string"}, **FMT}),
)
LISTS = {("/open311/v2/services.{format}", 200), ("/open311/v2/requests.{format}", 200),
         ("/open311/v2/requests/{service_request_id}.{format}", 200)}  # GeoReport v2 answers lists


def build_document(ops=OPS, *, title: str = "GridPulse API", version: str = "1") -> dict:
    """The OpenAPI 3.1 document of ``ops``, with every model's JSON Schema under ``components.schemas``."""
    models = {m for op in ops for m in (op.query, op.body, *op.answers.values()) if m is not None}
    models |= {t.Error, o311.Open311ErrorItem}
    keyed = [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)]
    refs, defs = models_json_schema(keyed, ref_template=REF, by_alias=True)
    schemas = dict(defs.get("$defs", {}))
    schemas["Open311Errors"] = {"type": "array", "items": {"$ref": REF.format(model="Open311ErrorItem")},
                                "description": "GeoReport v2 errors: a list of {code, description}"}
    paths: dict[str, dict] = {}
    for op in ops:
        paths.setdefault(op.path, {})[op.method] = _operation(op, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Every JSON API answers a refusal as {\"error\": code, \"message\": sentence} "
                                "(component Error); Open311 answers its own list of {code, description}. "
                                f"A query string over {MAX_QUERY_BYTES} bytes is a 414, a body over its cap a 413, "
                                "an unreachable Redis or ticket store a 503 with Retry-After."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "admin, street, worker or "
                                                                               "department token"},
                "ingest": {"type": "http", "scheme": "bearer", "description": "GRIDPULSE_INGEST_KEY"},
            },
        },
    }


def _operation(op: Op, refs: dict, schemas: dict) -> dict:
    open311 = op.path.startswith("/open311/")
    out: dict = {"summary": op.summary, "tags": [op.tag], "operationId": f"{op.method}_{_slug(op.path)}",
                 "parameters": [{"name": n, "in": "path", "required": True, "schema": s} for n, s in op.params.items()],
                 "responses": {}}
    if op.security:
        out["security"] = [{op.security: []}]
    if op.query is not None:
        schema = schemas.get(op.query.__name__) or refs[(op.query, "validation")]
        required = set(schema.get("required", ()))
        for name, prop in schema.get("properties", {}).items():
            out["parameters"].append({"name": name, "in": "query", "required": name in required,
                                      "schema": _plain(prop, name not in required), "description": prop.get("description", "")})
    if op.body is not None:
        ref = {"$ref": REF.format(model=op.body.__name__)}
        content = {} if open311 else {JSON: {"schema": ref}}
        for form in op.forms:
            schema = ref = {"$ref": REF.format(model=_form_model(op.body.__name__, schemas))}
            if op.photos and form == "multipart/form-data":
                photo = {"type": "array", "items": {"type": "string", "format": "binary"}}
                schema = {"allOf": [ref, {"type": "object", "properties": {"photos": photo, "media": photo}}]}
            content[form] = {"schema": schema}
        out["requestBody"] = {"required": True, "content": content}
    for status, model in op.answers.items():
        out["responses"][str(status)] = _answer(op, status, model, open311)
    for status in op.statuses():
        out["responses"].setdefault(str(status), _refusal(status, open311))
    return out


def _refusal(status: int, open311: bool) -> dict:
    """An error answer: the JSON error shape, or GeoReport's list (JSON or XML); 503 carries ``Retry-After``."""
    if open311:
        content = {JSON: {"schema": {"$ref": REF.format(model="Open311Errors")}}, "text/xml": {"schema": {}}}
    else:
        content = {JSON: {"schema": {"$ref": REF.format(model="Error")}}}
    answer = {"description": ERRORS[status], "content": content}
    if status == 503:
        answer["headers"] = RETRY_AFTER
    return answer


def _answer(op: Op, status: int, model, open311: bool) -> dict:
    if model is None:
        return {"description": "OK", "content": {media: {"schema": {}} for media in op.content}}
    schema = {"$ref": REF.format(model=model.__name__)}
    if (op.path, status) in LISTS:
        schema = {"type": "array", "items": schema}
    content = {JSON: {"schema": schema}}
    content.update({media: {"schema": {}} for media in op.content if media != JSON})
    if open311:
        content["text/xml"] = {"schema": {}}
    answer = {"description": "OK", "content": content}
    if status == 503:
        answer["headers"] = RETRY_AFTER
    return answer


def _plain(prop: dict, optional: bool) -> dict:
    """A query parameter's schema: optional is "not required" (a query has no null), documentation kept beside it."""
    prop = {k: v for k, v in prop.items() if k not in ("description", "title", "default")}
    branches = [b for b in prop.pop("anyOf", ()) if b.get("type") != "null"]
    if len(branches) == 1:
        prop.update(branches[0])
    elif branches:
        prop["anyOf"] = branches
    if "enum" in prop and optional:
        prop["enum"] = [*prop["enum"], ""]  # an empty value is no value: the default (dashboard.api.params.query)
    elif optional and prop.get("type") == "string" and ("pattern" in prop or "format" in prop):
        prop = {"anyOf": [prop, {"type": "string", "maxLength": 0}]}  # a date or datetime, or empty: the default
    return prop


def _form_model(name: str, schemas: dict) -> str:
    """The component of ``name`` sent as a form: each field a value or absent, never null (a form has no null; a
    JSON body may send null for "unset")."""
    form = f"{name}Form"
    if form not in schemas:
        model = dict(schemas[name])
        model["properties"] = {k: _plain(dict(v, description=v.get("description", "")), False) | (
            {"description": v["description"]} if "description" in v else {}) for k, v in model["properties"].items()}
        schemas[form] = model
    return form


def _slug(path: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in path).strip("_")


def register(server: flask.Flask, retry_after_s: int = 5) -> None:
    """Serve ``/api/v1/openapi.json``, refuse a query string over :data:`MAX_QUERY_BYTES` (414), answer every error
    under ``/api/`` and ``/ingest/`` in the JSON error shape (under ``/open311/`` in GeoReport's), and an unreachable
    Redis or SQL store anywhere as 503 + ``Retry-After``."""
    documents: list[dict] = []

    @server.get("/api/v1/openapi.json")
    def openapi_document():
        if not documents:  # built on first read, once the ticket extension has registered its settings
            documents.append(_with_settings(build_document(), server))
        return flask.jsonify(documents[0])

    # Dash answers any unknown path with its page (200 HTML); under /api/ an unknown path is a JSON 404. GET only:
    # another method on a known path stays a 405 naming the allowed ones.
    @server.get("/api/<path:rest>")
    def unknown_api_path(rest):
        raise NotFound(f"no API endpoint /api/{rest}; see /api/v1/openapi.json")

    @server.before_request
    def refuse_long_query():
        if len(flask.request.query_string) > MAX_QUERY_BYTES:
            raise RequestURITooLarge(f"the query string is {len(flask.request.query_string)} bytes; "
                                     f"at most {MAX_QUERY_BYTES}.")

    server.register_error_handler(Exception, lambda exc: _error_answer(exc, retry_after_s))


def _with_settings(document: dict, server: flask.Flask) -> dict:
    """The configured limits stated where the models cannot know them: the ticket list's ``max_page_size``."""
    service = server.extensions.get("tickets")
    if service is not None and "/api/v1/tickets" in document["paths"]:
        for param in document["paths"]["/api/v1/tickets"]["get"]["parameters"]:
            if param["name"] == "page_size":
                param["schema"]["maximum"] = service.settings.max_page_size
    return document


def _error_answer(exc: Exception, retry_after_s: int):
    """What no blueprint answered (a path the router cannot match, Dash's routes): JSON under ``/api/`` and
    ``/ingest/``, GeoReport's
    list under ``/open311/``, a store outage anywhere 503 + ``Retry-After`` (a Dash callback or page load too);
    elsewhere Flask's own pages, and a bad Dash asset path is a 404, not a 500."""
    from dash.exceptions import DependencyException

    if isinstance(exc, DependencyException):  # e.g. /_dash-component-suites/..%2F..: not a registered asset
        exc = NotFound("no such asset")
    if flask.request.path.startswith(open311.PREFIX + "/"):
        return open311.fault(exc, retry_after_s)
    if flask.request.path.startswith(("/api/", "/ingest/")) or isinstance(exc, ApiError) or unavailable(exc):
        return error_response(exc, retry_after_s=retry_after_s)  # a refused body anywhere (Dash's too), or an outage
    if isinstance(exc, HTTPException):
        return exc
    log.exception("unexpected fault on %s %s", flask.request.method, flask.request.path)
    return InternalServerError()
