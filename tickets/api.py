"""The internal ticket API, ``/api/v1``: report, list, read, act; departments (metrics: ``metrics_api``).

Every refusal is JSON ``{"error": {"code", "message"}}`` with its 4xx status, and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import flask
from sqlalchemy import and_

from tickets import metrics, views
from tickets.errors import TicketError, bad_request
from tickets.models import tickets
from tickets.params import json_response as _json
from tickets.params import parse_day
from tickets.params import parse_int as _int
from tickets.photos import Upload
from tickets.service import NewTicket
from tickets.states import State, Tier

C = tickets.c
PHOTO_FIELDS = ("photo", "photos", "photos[]", "media")


def read_uploads(limit_bytes: int) -> list[Upload]:
    """Uploaded files under any of the photo field names; reads at most ``limit_bytes + 1`` of each."""
    out = []
    for name in PHOTO_FIELDS:
        for f in flask.request.files.getlist(name):
            out.append(Upload(f.filename or name, f.stream.read(limit_bytes + 1)))
    return out


def _body() -> dict:
    if flask.request.mimetype == "application/json":
        data = flask.request.get_json(silent=True)
        if not isinstance(data, dict):
            raise bad_request("bad_json", "the body is not a JSON object.")
        return data
    return flask.request.form.to_dict()


def blueprint(ctx) -> flask.Blueprint:
    bp = flask.Blueprint("tickets_api", __name__, url_prefix="/api/v1")
    svc = ctx.service

    @bp.errorhandler(TicketError)
    def _refused(exc: TicketError):
        return _json(exc.to_dict(), exc.status)

    def view(t: dict, actor, *, full: bool = False) -> dict:
        now = svc.clock()
        names = {"category_name": ctx.names["category"].get(t["category_code"]),
                 "department_name": ctx.names["department"].get(t["department"]),
                 "street_name": ctx.names["street"].get(t["street_code"]),
                 "community_name": ctx.names["community"].get(t["community_code"])}
        out = views.ticket_json(t, light=svc.deadlines.light(t, now), names=names)
        out["allowed_actions"] = svc.allowed(t, actor)
        if full:
            out["history"] = views.history_json(svc.store.history(t["id"]),
                                                lambda pid: flask.url_for("tickets_api.photo", photo_id=pid))
        return out

    @bp.post("/tickets")
    def create():
        actor = ctx.actor()
        body = _body()
        for key in ("category", "lon", "lat"):
            if body.get(key) in (None, ""):
                raise bad_request(f"missing_{key}", f"'{key}' is required.")
        new = NewTicket(category=str(body["category"]), lon=body["lon"], lat=body["lat"],
                        description=str(body.get("description") or ""), source=body.get("source") or None,
                        address=body.get("address"), photos=read_uploads(svc.settings.max_photo_bytes))
        return _json(view(svc.create(new, actor), actor, full=True), 201)

    @bp.get("/tickets")
    def listing():
        actor = ctx.actor()
        a = flask.request.args
        where = _scope(actor)
        for key, col in (("street", C.street_code), ("community", C.community_code), ("grid", C.grid_code),
                         ("category", C.category_code), ("department", C.department), ("source", C.source)):
            if a.get(key):
                where.append(col.in_(a[key].split(",")))
        if a.get("state"):
            states = a["state"].split(",")
            bad = [s for s in states if s not in set(State)]
            if bad:
                raise bad_request("bad_state", f"unknown state(s) {', '.join(bad)}.")
            where.append(C.state.in_(states))
        if a.get("tier"):
            if a["tier"] not in set(Tier):
                raise bad_request("bad_tier", f"tier must be one of {', '.join(Tier)}.")
            where.append(C.tier == a["tier"])
        if a.get("light"):
            where.append(_light_clause(a["light"], svc.clock()))
        start, end = parse_day(a.get("from"), "from"), parse_day(a.get("to"), "to")
        if start or end:
            a_utc, b_utc = metrics.Period(start or date(2000, 1, 1), end or date(2100, 1, 1)).utc
            where += [C.reported_at >= a_utc, C.reported_at < b_utc]
        page = _int(a.get("page"), "page", 1, 1, 10**6)
        size = _int(a.get("page_size"), "page_size", 50, 1, svc.settings.max_page_size)
        rows, total = svc.store.list(where, offset=(page - 1) * size, limit=size)
        return _json({"items": [view(t, actor) for t in rows], "page": page, "page_size": size, "total": total})

    def _scope(actor) -> list:
        # what each role may see: its street, its department's tickets, its grid; the district sees all
        if actor.role == "street":
            return [C.street_code == actor.street_code]
        if actor.role == "department":
            return [C.department == actor.department]
        if actor.role == "worker":
            return [C.grid_code == (svc.worker_grid(actor.worker_id or "") or "-")]
        return []

    @bp.get("/tickets/<ref>")
    def one(ref: str):
        actor = ctx.actor()
        return _json(view(svc.get(ref), actor, full=True))

    @bp.post("/tickets/<ref>/actions")
    def act(ref: str):
        actor = ctx.actor()
        body = _body()
        if not body.get("action"):
            raise bad_request("missing_action", "'action' is required.")
        version = body.get("version")
        if version not in (None, ""):
            version = _int(version, "version", 0, 1, 2**31)
        hours = body.get("extension_hours")
        if isinstance(hours, str) and hours:
            try:
                hours = float(hours)
            except ValueError:
                raise bad_request("bad_extension", "extension_hours must be a number.") from None
        t = svc.act(ref, str(body["action"]), actor, note=body.get("note"), department=body.get("department"),
                    expected_state=body.get("expected_state") or None, version=version or None,
                    photos=read_uploads(svc.settings.max_photo_bytes), extension_hours=hours or None)
        return _json(view(t, actor, full=True))

    @bp.get("/photos/<int:photo_id>")
    def photo(photo_id: int):
        ctx.actor()
        row = svc.store.photo(photo_id)
        if row is None or not svc.photos.path(row["path"]).exists():
            raise TicketError(404, "unknown_photo", f"there is no photo {photo_id}.")
        return flask.send_file(svc.photos.path(row["path"]).resolve(), mimetype=row["content_type"])

    @bp.get("/departments")
    def departments():
        ctx.actor()
        tier, category = flask.request.args.get("tier"), flask.request.args.get("category")
        if flask.request.args.get("ticket"):
            t = svc.get(flask.request.args["ticket"])
            tier, category = t["tier"], t["category_code"]
        if tier and tier not in set(Tier):
            raise bad_request("bad_tier", f"tier must be one of {', '.join(Tier)}.")
        deps = svc.catalog.departments_for(tier, category)
        return _json({"departments": [{"code": d.code, "name": d.name, "name_en": d.name_en, "tier": d.tier.value,
                                       "majors": list(d.majors)} for d in deps]})

    return bp


def _light_clause(light: str, now: datetime = None):
    now = now or datetime.now(UTC)
    if light == "red":
        return C.step_due_at < now
    if light == "yellow":
        return and_(C.step_warn_at <= now, C.step_due_at >= now)
    if light == "green":
        return and_(C.step_due_at >= now, C.step_warn_at > now)
    raise bad_request("bad_light", "light must be green, yellow or red.")
