"""Read-only HTTP API of the live path, scoped by token.

``GET /api/v1/live[?street=CODE]``                    the snapshot (admin: district or a street; street token: its street)
``GET /api/v1/workers``                               the roster (admin)
``GET /api/v1/workers/<id>/track?date=YYYY-MM-DD``    one worker's daily track, GeoJSON with timestamps
``GET /api/v1/patrol?date=YYYY-MM-DD[&street=CODE]``  per-grid and per-worker patrol figures (with a street, or
                                                      ``visits=1``: visits and distance too, see streams.visits)
``GET /metrics``                                      Prometheus text: admin token, or a client address in
                                                      ``GRIDPULSE_METRICS_ALLOW`` (e.g. ``127.0.0.1/32,10.0.0.0/8``)

Errors are JSON ``{"error": code, "message": sentence}`` with 400/401/403/404, and 503 with ``Retry-After`` while
Redis (the live state) cannot be reached.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from zoneinfo import ZoneInfo

import redis
from flask import Blueprint, Response, jsonify, request

from dashboard.auth import Principal, TokenRegistry

SHANGHAI = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)
_UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def make_live_blueprint(*, tokens: TokenRegistry, reader, roster, metrics_registry=None, retry_after_s: int = 5,
                        metrics_allow=()) -> Blueprint:
    """``metrics_allow``: networks (``ipaddress`` networks or strings) whose clients may read ``/metrics``
    without a token; everyone else needs the admin token."""
    bp = Blueprint("live_api", __name__)
    allowed = [ipaddress.ip_network(n, strict=False) if isinstance(n, str) else n for n in metrics_allow]

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return jsonify({"error": exc.error, "message": exc.message}), exc.status

    @bp.errorhandler(redis.ConnectionError)
    @bp.errorhandler(redis.TimeoutError)
    @bp.errorhandler(redis.BusyLoadingError)
    def _unavailable(exc):
        log.warning("live API: Redis unreachable, answering 503: %s", exc)
        body = {"error": "unavailable", "message": "实时数据暂不可用，请稍后重试 (live state unreachable; retry later)"}
        return jsonify(body), 503, {"Retry-After": str(retry_after_s)}

    def principal() -> Principal:
        found = tokens.authenticate(request)
        if found is None:
            raise ApiError(401, "unauthorized", "缺少或无效的令牌：请用 Authorization: Bearer <token> (missing or invalid token)")
        return found

    def scope(p: Principal) -> str | None:
        try:
            return p.scope_street(request.args.get("street") or None)
        except PermissionError as exc:
            raise ApiError(403, "forbidden", str(exc)) from exc

    @bp.get("/api/v1/live")
    def live():
        street = scope(principal())
        workers = reader.snapshot(street)
        return jsonify({"street": street, "count": len(workers), "workers": workers})

    @bp.get("/api/v1/workers")
    def workers():
        p = principal()
        if not p.is_admin:
            raise ApiError(403, "forbidden", "只有管理员令牌可以查看全区名册 (admin token required)")
        rows = [_worker_dict(w) for w in roster.workers]
        return jsonify({"count": len(rows), "workers": rows})

    @bp.get("/api/v1/workers/<worker_id>/track")
    def track(worker_id: str):
        p = principal()
        worker = _find_worker(roster, worker_id)
        if worker is None:
            raise ApiError(404, "not_found", f"没有该网格员 (no worker {worker_id!r})")
        allowed = p.is_admin or p.can_see_street(worker.street_code) or (p.role == "worker" and p.worker_id == worker_id)
        if not allowed:
            raise ApiError(403, "forbidden", f"无权查看网格员 {worker_id} 的轨迹 (not in your scope)")
        return jsonify(reader.track(worker_id, _date_arg().isoformat()))

    @bp.get("/api/v1/patrol")
    def patrol():
        street = scope(principal())
        day = _date_arg().isoformat()  # the local (Asia/Shanghai) day, as the track and patrol keys spell it
        if street is not None or request.args.get("visits") == "1":  # visits: per street, or asked for
            from dashboard.street_api import patrol_with_visits

            if (data := patrol_with_visits(day, street)) is not None:
                return jsonify({"date": day, "street": street, **data})
        return jsonify({"date": day, "street": street, **reader.patrol(day, street)})

    def may_read_metrics() -> bool:
        if allowed and request.remote_addr:
            try:
                addr = ipaddress.ip_address(request.remote_addr)
            except ValueError:
                addr = None
            if addr is not None and any(addr in net for net in allowed):
                return True
        p = tokens.authenticate(request)
        return p is not None and p.is_admin

    @bp.get("/metrics")
    def metrics():
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        if not may_read_metrics():
            raise ApiError(401, "unauthorized", "指标需要管理员令牌或受信任的网络 (metrics need the admin token or an "
                                                "address in GRIDPULSE_METRICS_ALLOW)")
        registry = metrics_registry
        if registry is None:
            from streams.metrics import REGISTRY as registry
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

    return bp


def today_shanghai() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def _date_arg() -> dt.date:
    raw = request.args.get("date")
    if not raw:
        return today_shanghai()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError(400, "bad_date", f"date 须为 YYYY-MM-DD 格式 (date must be YYYY-MM-DD), got {raw!r}") from exc


def _find_worker(roster, worker_id: str):
    try:
        return roster.by_worker(worker_id)
    except KeyError:
        return None


def _worker_dict(w) -> dict:
    return {
        "worker_id": w.worker_id,
        "name": w.name,
        "device_id": w.device_id,
        "home_grid": w.home_grid,
        "street_code": w.street_code,
        "community_code": w.community_code,
    }
