"""``GET /api/v1/patrol?date=YYYY-MM-DD[&street=CODE][&visits=1]``: per-grid and per-worker patrol figures of a
local day; with a street, or ``visits=1``, visits and distance too (:meth:`streams.visits.VisitReader.day`)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.api.access import caller, street_scope, web
from dashboard.api.days import day_arg
from dashboard.api.errors import api_blueprint


def patrol():
    street = street_scope(caller())
    day = day_arg().isoformat()  # the local day, as the track and patrol keys spell it
    ctx = web()
    if (street is not None or request.args.get("visits") == "1") and ctx.redis_client is not None:
        return jsonify({"date": day, "street": street, **ctx.visits.day(day, street)})
    return jsonify({"date": day, "street": street, **ctx.reader.patrol(day, street)})


ROUTES = [
    ("GET", "/api/v1/patrol", patrol),
]


def blueprint(retry_after_s: int = 5) -> Blueprint:
    return api_blueprint("patrol_api", __name__, ROUTES, retry_after_s=retry_after_s)
