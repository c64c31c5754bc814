"""The roster and one worker's day over HTTP.

``GET /api/v1/workers``                               the roster (admin)
``GET /api/v1/workers/<id>/track?date=YYYY-MM-DD``    one worker's daily track, GeoJSON with timestamps
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from dashboard.api.access import admin, caller, web
from dashboard.api.days import day_arg
from dashboard.api.errors import ApiError, api_blueprint


def workers():
    admin()
    rows = [worker_dict(w) for w in web().roster.workers]
    return jsonify({"count": len(rows), "workers": rows})


def track(worker_id: str):
    p = caller()
    ctx = web()
    try:
        worker = ctx.roster.by_worker(worker_id)
    except KeyError:
        worker = None
    if worker is None:
        raise ApiError(404, "not_found", f"没有该网格员 (no worker {worker_id!r})")
    allowed = p.is_admin or p.can_see_street(worker.street_code) or (p.role == "worker" and p.worker_id == worker_id)
    if not allowed:
        raise ApiError(403, "forbidden", f"无权查看网格员 {worker_id} 的轨迹 (not in your scope)")
    return jsonify(ctx.reader.track(worker_id, day_arg().isoformat()))


def worker_dict(w) -> dict:
    return {"worker_id": w.worker_id, "name": w.name, "device_id": w.device_id, "home_grid": w.home_grid,
            "street_code": w.street_code, "community_code": w.community_code}


ROUTES = [
    ("GET", "/api/v1/workers", workers),
    ("GET", "/api/v1/workers/<worker_id>/track", track),
]


def blueprint(retry_after_s: int = 5) -> Blueprint:
    return api_blueprint("workers_api", __name__, ROUTES, retry_after_s=retry_after_s)
