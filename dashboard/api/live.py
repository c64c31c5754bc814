"""The live state over HTTP, scoped by token: ``GET /api/v1/live[?street=CODE]`` (admin: the district or a street;
a street token: its street), the same rows the ``/live`` Socket.IO namespace sends as its snapshot."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.api.access import caller, street_scope, web
from dashboard.api.errors import api_blueprint


def live():
    street = street_scope(caller())
    workers = web().reader.snapshot(street)
    return jsonify({"street": street, "count": len(workers), "workers": workers})


ROUTES = [
    ("GET", "/api/v1/live", live),
]


def blueprint(retry_after_s: int = 5) -> Blueprint:
    return api_blueprint("live_api", __name__, ROUTES, retry_after_s=retry_after_s)
