"""Worker alerts of a day and their acknowledgement.

``GET  /api/v1/alerts?street=CODE[&date=YYYY-MM-DD]``   the day's alerts with their acknowledgement
``POST /api/v1/alerts/ack``  ``{"ids": [...]}``          acknowledge; pushes ``ack`` to the district and street rooms
``GET  /api/v1/alerts/acks?ids=a,b``                    acknowledgements of given alert ids (for the wall's feed),
                                                        held to the caller's street like the list
"""

from __future__ import annotations

import time

import orjson
from flask import Blueprint, jsonify, request

from dashboard.api.access import caller, street_scope, web
from dashboard.api.days import day_arg, day_start
from dashboard.api.errors import ApiError, api_blueprint
from streams.contract import DISTRICT_ROOM, EV_ACK, NAMESPACE, room_for

MAX_IDS = 500


def alerts():
    street = street_scope(caller(), known=True)
    day = day_arg()
    since = day_start(day)
    items = [a for a in web().alert_log.recent(street, since_ts=since, limit=500) if a["ts"] < since + 86400]
    return jsonify({"date": day.isoformat(), "street": street, "count": len(items),
                    "unacknowledged": sum(1 for a in items if a["ack"] is None), "alerts": items})


def ack():
    p = caller()
    street = street_scope(p, known=True)
    try:  # orjson: a native recursion limit (Flask's get_json recursed into a RecursionError)
        body = orjson.loads(request.get_data(cache=True) or b"null")
    except orjson.JSONDecodeError:
        body = None
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids) or len(ids) > MAX_IDS:
        raise ApiError(400, "bad_ids", "请求体须为 {\"ids\": [告警编号, ...]} (body must be {\"ids\": [alert id, ...]})")
    by = p.name or p.role
    now = time.time()
    ctx = web()
    done = ctx.alert_log.ack(ids, by=by, street_code=street, now=now)
    if done:
        msg = {"ids": done, "by": by, "at": round(now, 3), "street": street}
        for room in {DISTRICT_ROOM, room_for(street)} if street else {DISTRICT_ROOM}:
            ctx.socketio.emit(EV_ACK, msg, namespace=NAMESPACE, to=room)
    return jsonify({"acknowledged": done, "by": by, "at": round(now, 3)})


def acks():
    street = street_scope(caller(), known=True)
    ids = [i for i in (request.args.get("ids") or "").split(",") if i][:MAX_IDS]
    return jsonify({"acks": web().alert_log.acks(ids, street)})


ROUTES = [
    ("GET", "/api/v1/alerts", alerts),
    ("POST", "/api/v1/alerts/ack", ack),
    ("GET", "/api/v1/alerts/acks", acks),
]


def blueprint(retry_after_s: int = 5) -> Blueprint:
    return api_blueprint("alerts_api", __name__, ROUTES, retry_after_s=retry_after_s)
