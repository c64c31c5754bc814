"""The internal ticket API, ``/api/v1``: report, list, read, act; departments; photos.

Every refusal is JSON ``{"error": code, "message": sentence}`` with its 4xx status, and changes nothing; an
unexpected fault is a JSON 500 in the same shape (logged with its traceback), both by :mod:`dashboard.api.errors`.
Inputs are read through the pydantic models of :mod:`dashboard.api.ticket_schemas`; what each role sees is
:mod:`tickets.visibility`. The handlers are module-level; they reach the service through
:func:`dashboard.api.ticket_context.context`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import flask
from sqlalchemy import and_

from dashboard.api import params, ticket_json
from dashboard.api.errors import ApiError, api_blueprint, json_response
from dashboard.api.params import MAX_DAY, MIN_DAY, parse_day, read_uploads, split
from dashboard.api.ticket_context import TicketContext, context
from dashboard.api.ticket_schemas import ActionIn, DepartmentsQuery, TicketIn, TicketQuery
from tickets import metrics
from tickets.domain.errors import TicketError
from tickets.domain.states import State
from tickets.service import NewTicket
from tickets.store import imagefile
from tickets.store.models import tickets
from tickets.visibility import clauses

log = logging.getLogger(__name__)
C = tickets.c
LIST_FILTERS = {"street": C.street_code, "community": C.community_code, "grid": C.grid_code,
                "category": C.category_code, "department": C.department, "source": C.source}
REPEATABLE = frozenset({*LIST_FILTERS, "state"})



def create():
    ctx = context()
    svc, actor = ctx.service, ctx.actor()
    body = params.body(TicketIn, codes={"lon": "bad_coordinates", "lat": "bad_coordinates",
                                        "source": "unknown_source"})
    new = NewTicket(category=body.category, lon=body.lon, lat=body.lat, description=body.description,
                    source=body.source, address=body.address, photos=read_uploads(svc.settings.max_photo_bytes),
                    public=body.public)
    return json_response(_view(ctx, svc.create(new, actor), actor, full=True), 201)


def listing():
    ctx = context()
    svc, actor = ctx.service, ctx.actor()
    q = params.query(TicketQuery, REPEATABLE)
    where = clauses(actor, svc.worker_grid)
    for key, col in LIST_FILTERS.items():
        if values := split(getattr(q, key)):
            where.append(col.in_(values))
    if states := split(q.state):
        bad = [s for s in states if s not in set(State)]
        if bad:
            raise ApiError(400, "bad_state", f"unknown state(s) {', '.join(bad)}.")
        where.append(C.state.in_(states))
    if q.tier:
        where.append(C.tier == q.tier.value)
    if q.light:
        where.append(_light_clause(q.light, svc.clock()))
    start, end = parse_day(q.from_, "from"), parse_day(q.to, "to")
    if start or end:
        a_utc, b_utc = metrics.Period(start or MIN_DAY, end or MAX_DAY, svc.settings.timezone).utc
        where += [C.reported_at >= a_utc, C.reported_at < b_utc]
    if q.page_size > svc.settings.max_page_size:
        raise ApiError(400, "bad_page_size", f"page_size must be at most {svc.settings.max_page_size}.")
    rows, total = svc.store.list(where, offset=(q.page - 1) * q.page_size, limit=q.page_size)
    return json_response({"items": [_view(ctx, t, actor) for t in rows], "page": q.page, "page_size": q.page_size,
                          "total": total})


def one(ref: str):
    ctx = context()
    actor = ctx.actor()
    return json_response(_view(ctx, ctx.service.get_for(ref, actor), actor, full=True))


def act(ref: str):
    ctx = context()
    svc, actor = ctx.service, ctx.actor()
    body = params.body(ActionIn)
    svc.get_for(ref, actor)  # outside the caller's view: 404, before any other judgement
    t = svc.act(ref, body.action, actor, note=body.note, department=body.department,
                expected_state=body.expected_state.value if body.expected_state else None, version=body.version,
                photos=read_uploads(svc.settings.max_photo_bytes), extension_hours=body.extension_hours)
    return json_response(_view(ctx, t, actor, full=True))


def photo(photo_id: int):
    ctx = context()
    svc, actor = ctx.service, ctx.actor()
    row = svc.store.photo(photo_id) if photo_id < 2**62 else None
    path = svc.photos.path(row["path"]) if row else None
    if row is None or not path.exists():
        raise ApiError(404, "unknown_photo", f"there is no photo {photo_id}.")
    try:
        svc.get_for(row["ticket_id"], actor)  # a photo is seen by whoever sees its ticket
    except TicketError:
        raise ApiError(404, "unknown_photo", f"there is no photo {photo_id}.") from None
    return _photo_response(path.resolve())


def departments():
    ctx = context()
    svc, actor = ctx.service, ctx.actor()
    q = params.query(DepartmentsQuery)
    tier, category = q.tier, q.category
    if q.ticket:
        t = svc.get_for(q.ticket, actor)
        tier, category = t["tier"], t["category_code"]
    deps = svc.catalog.departments_for(tier, category)
    return json_response({"departments": [{"code": d.code, "name": d.name, "name_en": d.name_en,
                                           "tier": d.tier.value, "majors": list(d.majors)} for d in deps]})


def _view(ctx: TicketContext, t: dict, actor, *, full: bool = False) -> dict:
    """A ticket as the caller sees it: readable names, its light, the actions it may take (and its history)."""
    svc = ctx.service
    names = {"category_name": ctx.names["category"].get(t["category_code"]),
             "department_name": ctx.names["department"].get(t["department"]),
             "street_name": ctx.names["street"].get(t["street_code"]),
             "community_name": ctx.names["community"].get(t["community_code"])}
    out = ticket_json.ticket_json(t, light=svc.deadlines.light(t, svc.clock()), names=names)
    out["allowed_actions"] = svc.allowed(t, actor)
    if full:
        out["history"] = ticket_json.history_json(svc.store.history(t["id"]),
                                                  lambda pid: flask.url_for("tickets_api.photo", photo_id=pid))
    return out


def _photo_response(path) -> flask.Response:
    """A stored photo, inline only when it is a well-formed image; never sniffed into anything else."""
    with path.open("rb") as fh:
        data = fh.read()
    found = imagefile.kind(data)
    resp = flask.Response(data, content_type=found[0] if found else "application/octet-stream")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, max-age=86400"
    resp.headers["Content-Disposition"] = f"inline; filename={path.name}" if found else "attachment"
    return resp


def _light_clause(light: str, now: datetime = None):
    now = now or datetime.now(UTC)
    if light == "red":
        return C.step_due_at < now
    if light == "yellow":
        return and_(C.step_warn_at <= now, C.step_due_at >= now)
    if light == "green":
        return and_(C.step_due_at >= now, C.step_warn_at > now)
    raise ApiError(400, "bad_light", "light must be green, yellow or red.")


ROUTES = [
    ("POST", "/tickets", create),
    ("GET", "/tickets", listing),
    ("GET", "/tickets/<ref>", one),
    ("POST", "/tickets/<ref>/actions", act),
    ("GET", "/photos/<int:photo_id>", photo),
    ("GET", "/departments", departments),
]


def blueprint() -> flask.Blueprint:
    """The routes of ``/api/v1`` tickets, photos and departments, answering errors in the JSON shape."""
    return api_blueprint("tickets_api", __name__, ROUTES, url_prefix="/api/v1")
