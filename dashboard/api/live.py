"""The live state over HTTP, scoped by token: ``GET /api/v1/live[?street=CODE]`` (admin: the district or a street;
a street token: its street), the same rows the ``/live`` Socket.IO namespace sends as its snapshot."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.api import errors
from dashboard.api.access import caller, street_scope, web


def live():
    street = street_scope(caller())
    workers = web().reader.snapshot(street)
    return jsonify({"street": street, "count": len(workers), "workers": workers})


def blueprint(retry_after_s: int = 5) -> Blueprint:
    bp = Blueprint("live_api", __name__)
    errors.install(bp, retry_after_s=retry_after_s)
    bp.get("/api/v1/live")(live)
    return bp
