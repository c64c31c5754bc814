"""The live state over HTTP, scoped by token: ``GET /api/v1/live[?street=CODE][&worker=ID]`` (admin: the district
or a street; a street token: its street), the same rows the ``/live`` Socket.IO namespace sends as its snapshot,
with each worker's phone attributes (``attrs``).  ``?worker=ID``: that worker's row only (one HMGET: what the
wall's hover asks for); 404 for a worker not on the roster, 403 for one outside the caller's street."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from dashboard.api.access import caller, street_scope, web
from dashboard.api.errors import ApiError, api_blueprint


def live():
    street = street_scope(caller())
    worker_id = request.args.get("worker") or None
    if worker_id is not None:
        worker = web().roster.by_worker(worker_id)
        if worker is None:
            raise ApiError(404, "not_found", f"没有该网格员 (no worker {worker_id!r})")
        if street is not None and worker.street_code != street:
            raise ApiError(403, "forbidden", f"无权查看网格员 {worker_id} (not in street {street})")
    workers = web().reader.snapshot(street, worker_id=worker_id)
    return jsonify({"street": street, "count": len(workers), "workers": workers})


ROUTES = [
    ("GET", "/api/v1/live", live),
]


def blueprint(retry_after_s: int = 5) -> Blueprint:
    return api_blueprint("live_api", __name__, ROUTES, retry_after_s=retry_after_s)
