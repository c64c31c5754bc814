"""HTTP API of the street supervisor's screen, scoped like ``/api/v1/live`` (a street token: its street only).

``GET  /api/v1/tracks?street=CODE&date=YYYY-MM-DD&from=HH:MM&to=HH:MM[&worker=ID,...][&format=bin]``
      every worker's fixes in the window, delta-encoded integers (see :func:`streams.tracks.encode`) + stays;
      ``format=bin``: the same as a JSON header and int32 arrays (:func:`binary_tracks`, what the replay loads)
``GET  /api/v1/coverage?street=CODE&period=today|7d|month`` (or ``from=&to=`` dates)
      days visited per grid, grids not visited, workers below the visit target
``GET  /api/v1/export/<workers|coverage>.<csv|xlsx>?street=CODE&period=...``   the same tables as files
``GET  /api/v1/alerts?street=CODE[&date=YYYY-MM-DD]``   the day's alerts with their acknowledgement
``POST /api/v1/alerts/ack``  ``{"ids": [...]}``          acknowledge; pushes ``ack`` to the district and street rooms
``GET  /api/v1/alerts/acks?ids=a,b``                    acknowledgements of given alert ids (for the wall's feed)

Errors: JSON ``{"error", "message"}`` with 400/401/403/404.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from flask import Blueprint, Response, current_app, jsonify, request

from dashboard import exports
from dashboard.live_api import ApiError, today_shanghai
from streams.contract import DISTRICT_ROOM, EV_ACK, NAMESPACE, room_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_PERIOD_DAYS = 62
MAX_TRACK_WORKERS = 400


def visit_reader(ctx):
    """The web process's :class:`streams.visits.VisitReader` (built once: the grid locator takes a moment)."""
    reader = ctx.server.extensions.get("gridpulse.visits")
    if reader is None:
        from geo.locate import GridLocator
        from streams.visits import VisitReader

        reader = VisitReader(ctx.redis_client, ctx.settings, ctx.roster, GridLocator.from_grids(ctx.district.grids))
        ctx.server.extensions["gridpulse.visits"] = reader
    return reader


def alert_log(ctx):
    from streams.alertlog import AlertLog

    return AlertLog(ctx.redis_client, ctx.settings)


def period_bounds(period: str | None, first: str | None = None, last: str | None = None,
                  today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """``today`` | ``7d`` | ``month`` (1st to today), or explicit dates; raises ApiError 400 otherwise."""
    today = today or today_shanghai()
    if first or last:
        try:
            a, b = dt.date.fromisoformat(first or last), dt.date.fromisoformat(last or first)
        except ValueError as exc:
            raise ApiError(400, "bad_date", "from/to 须为 YYYY-MM-DD (from/to must be YYYY-MM-DD)") from exc
        if b < a or (b - a).days >= MAX_PERIOD_DAYS:
            raise ApiError(400, "bad_period", f"期间须为 1–{MAX_PERIOD_DAYS} 天 (a period of 1–{MAX_PERIOD_DAYS} days)")
        return a, b
    if period in (None, "", "today"):
        return today, today
    if period == "7d":
        return today - dt.timedelta(days=6), today
    if period == "month":
        return today.replace(day=1), today
    raise ApiError(400, "bad_period", f"period 须为 today、7d 或 month (period must be today, 7d or month), got {period!r}")


def _clock(raw: str | None, default: dt.time) -> dt.time:
    if not raw:
        return default
    try:
        return dt.time.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError(400, "bad_time", f"时间须为 HH:MM (time must be HH:MM), got {raw!r}") from exc


def make_street_blueprint() -> Blueprint:
    bp = Blueprint("street_api", __name__)

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return jsonify({"error": exc.error, "message": exc.message}), exc.status

    def ctx():
        return current_app.extensions["gridpulse"]

    def caller():
        p = ctx().tokens.authenticate(request)
        if p is None:
            raise ApiError(401, "unauthorized", "缺少或无效的令牌 (missing or invalid token)")
        return p

    def street_scope(p, *, required: bool = True) -> str | None:
        try:
            street = p.scope_street(request.args.get("street") or None)
        except PermissionError as exc:
            raise ApiError(403, "forbidden", str(exc)) from exc
        if required and street is None:
            raise ApiError(400, "street_required", "请指定街道 ?street=CODE (choose a street with ?street=CODE)")
        if street is not None and street not in set(ctx().district.streets["street_code"]):
            raise ApiError(404, "not_found", f"没有该街道 (no street {street!r})")
        return street

    def day_arg() -> dt.date:
        raw = request.args.get("date")
        try:
            return dt.date.fromisoformat(raw) if raw else today_shanghai()
        except ValueError as exc:
            raise ApiError(400, "bad_date", f"date 须为 YYYY-MM-DD (date must be YYYY-MM-DD), got {raw!r}") from exc

    @bp.get("/api/v1/tracks")
    def tracks():
        street = street_scope(caller())
        day = day_arg()
        t_from, t_to = _clock(request.args.get("from"), dt.time(0, 0)), _clock(request.args.get("to"), dt.time(23, 59, 59))
        start = dt.datetime.combine(day, dt.time(0, 0), SHANGHAI)
        t0 = dt.datetime.combine(day, t_from, SHANGHAI).timestamp()
        t1 = dt.datetime.combine(day, t_to, SHANGHAI).timestamp()
        if t1 <= t0:
            raise ApiError(400, "bad_window", "to 须晚于 from (to must be after from)")
        workers = ctx().roster.in_street(street)
        wanted = request.args.get("worker")
        if wanted:
            ids = set(wanted.split(","))
            workers = [w for w in workers if w.worker_id in ids]
        workers = workers[:MAX_TRACK_WORKERS]
        body = encoded_tracks(visit_reader(ctx()), workers, day.isoformat(), t0, t1)
        body.update({"date": day.isoformat(), "street": street, "from": t_from.strftime("%H:%M"),
                     "to": t_to.strftime("%H:%M"), "day_start": start.timestamp()})
        if request.args.get("format") == "bin":
            return Response(binary_tracks(body), mimetype="application/octet-stream")
        return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), mimetype="application/json")

    @bp.get("/api/v1/coverage")
    def coverage():
        street = street_scope(caller())
        first, last = period_bounds(request.args.get("period"), request.args.get("from"), request.args.get("to"))
        return Response(orjson.dumps(visit_reader(ctx()).coverage(street, first, last)), mimetype="application/json")

    @bp.get("/api/v1/export/<table>.<fmt>")
    def export(table: str, fmt: str):
        street = street_scope(caller())
        if table not in exports.TABLES or fmt not in ("csv", "xlsx"):
            raise ApiError(404, "not_found", "可导出 workers 或 coverage，格式 csv 或 xlsx (workers|coverage . csv|xlsx)")
        first, last = period_bounds(request.args.get("period"), request.args.get("from"), request.args.get("to"))
        cov = visit_reader(ctx()).coverage(street, first, last)
        rows, cols = exports.table_rows(table, cov), exports.TABLES[table]
        lang = "en" if (request.args.get("lang") or "").startswith("en") else "zh-CN"
        name = f"{table}-{street}-{first.isoformat()}_{last.isoformat()}.{fmt}"
        if fmt == "csv":
            data, mime = exports.to_csv(cols, rows, lang), "text/csv; charset=utf-8"
        else:
            data = exports.to_xlsx(cols, rows, title=table, lang=lang)
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @bp.get("/api/v1/alerts")
    def alerts():
        street = street_scope(caller(), required=False)
        day = day_arg()
        since = dt.datetime.combine(day, dt.time(0, 0), SHANGHAI).timestamp()
        items = [a for a in alert_log(ctx()).recent(street, since_ts=since, limit=500) if a["ts"] < since + 86400]
        return jsonify({"date": day.isoformat(), "street": street, "count": len(items),
                        "unacknowledged": sum(1 for a in items if a["ack"] is None), "alerts": items})

    @bp.post("/api/v1/alerts/ack")
    def ack():
        p = caller()
        street = street_scope(p, required=False)
        body = request.get_json(silent=True)
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids) or len(ids) > 500:
            raise ApiError(400, "bad_ids", "请求体须为 {\"ids\": [告警编号, ...]} (body must be {\"ids\": [alert id, ...]})")
        by = p.name or p.role
        now = time.time()
        done = alert_log(ctx()).ack(ids, by=by, street_code=street, now=now)
        if done:
            msg = {"ids": done, "by": by, "at": round(now, 3), "street": street}
            sio = ctx().socketio
            for room in {DISTRICT_ROOM, room_for(street)} if street else {DISTRICT_ROOM}:
                sio.emit(EV_ACK, msg, namespace=NAMESPACE, to=room)
        return jsonify({"acknowledged": done, "by": by, "at": round(now, 3)})

    @bp.get("/api/v1/alerts/acks")
    def acks():
        caller()
        ids = [i for i in (request.args.get("ids") or "").split(",") if i][:500]
        return jsonify({"acks": alert_log(ctx()).acks(ids)})

    return bp


def encoded_tracks(reader, workers, day: str, t0: float, t1: float) -> dict:
    """``{"origin", "encoding", "workers": [{id, name, home, n, t, x, y, stays}]}`` for the window ``t0..t1``
    (arrays as :func:`streams.tracks.encode` makes them).

    Tracks are read for the whole day (the parse cache holds whole days) and cut to the window; stays come from
    the whole day too (remembered per track extent), so a stay across the window's edge keeps its true times.
    """
    from streams.tracks import encode

    arrays = reader.tracks.read(day, [w.worker_id for w in workers])
    out = []
    for w in workers:
        a = arrays.get(w.worker_id)
        if a is None or not len(a):
            out.append({"id": w.worker_id, "name": w.name, "home": w.home_grid, "n": 0, "t": [], "x": [], "y": [],
                        "stays": []})
            continue
        stays = [s for s in reader.cached_stays(w.worker_id, a, w.home_grid) if s["end"] >= t0 and s["start"] <= t1]
        cut = a[np.searchsorted(a[:, 0], t0, "left") : np.searchsorted(a[:, 0], t1, "right")]
        enc = encode(cut, t0)
        out.append({"id": w.worker_id, "name": w.name, "home": w.home_grid, "n": len(cut), **enc,
                    "stays": [[round(s["start"] - t0), round(s["end"] - t0), round(s["lon"] * 1e5),
                               round(s["lat"] * 1e5), s["own"]] for s in stays]})
    return {"origin": t0, "end": t1, "encoding": "x/y: lon/lat in 1e-5 deg, delta-encoded (running sum decodes); "
            "t: seconds after origin, delta-encoded then run-length pairs [delta, count, ...]; "
            "stays: [start s, end s, x, y, inside own grid]", "workers": out}


def binary_tracks(body: dict) -> bytes:
    """The same answer for ``format=bin``: no JSON number parsing in the browser, arrays used in place.

    Layout (little-endian): uint32 header length H; H bytes of UTF-8 JSON (the answer with each worker's ``t``, ``x``,
    ``y`` replaced by ``runs`` = number of run-length pairs); zero padding to a multiple of 4; then per worker, in
    header order, int32 ``t`` pairs (2 × runs), int32 ``x`` (n), int32 ``y`` (n).
    """
    arrays, meta = [], []
    for w in body["workers"]:
        t, x, y = (np.asarray(w[k], dtype=np.int32) for k in ("t", "x", "y"))
        arrays += [t, x, y]
        meta.append({k: v for k, v in w.items() if k not in ("t", "x", "y")} | {"runs": len(t) // 2})
    head = orjson.dumps({k: v for k, v in body.items() if k != "workers"} | {"workers": meta})
    pad = (-(4 + len(head))) % 4
    parts = [np.uint32(len(head) + pad).tobytes(), head, b" " * pad]  # JSON tolerates trailing spaces
    return b"".join(parts) + (np.concatenate(arrays).astype("<i4").tobytes() if arrays else b"")


def patrol_with_visits(day: str, street: str | None) -> dict | None:
    """``/api/v1/patrol`` with visit figures (:meth:`streams.visits.VisitReader.day`); None without Redis."""
    ctx = current_app.extensions.get("gridpulse")
    if ctx is None or ctx.redis_client is None:
        return None
    return visit_reader(ctx).day(day, street)
