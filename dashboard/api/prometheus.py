"""``GET /metrics``: Prometheus text of every processor's and this process's figures; for the admin token, or a
client address in ``GRIDPULSE_METRICS_ALLOW`` (e.g. ``127.0.0.1/32,10.0.0.0/8``: the TCP peer's address)."""

from __future__ import annotations

import ipaddress

from flask import Blueprint, Response, request

from dashboard.api.access import web
from dashboard.api.errors import ApiError, api_blueprint


def may_read_metrics() -> bool:
    ctx = web()
    allowed = ctx.web_settings.metrics_networks
    if allowed and request.remote_addr:
        try:
            addr = ipaddress.ip_address(request.remote_addr)
        except ValueError:
            addr = None
        if addr is not None and any(addr in net for net in allowed):
            return True
    p = ctx.tokens.authenticate(request)
    return p is not None and p.is_admin


def metrics():
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    if not may_read_metrics():
        raise ApiError(401, "unauthorized", "指标需要管理员令牌或受信任的网络 (metrics need the admin token or an "
                                            "address in GRIDPULSE_METRICS_ALLOW)")
    return Response(generate_latest(web().metrics_registry), content_type=CONTENT_TYPE_LATEST)


ROUTES = [
    ("GET", "/metrics", metrics),
]


def blueprint(retry_after_s: int = 5) -> Blueprint:
    return api_blueprint("prometheus", __name__, ROUTES, retry_after_s=retry_after_s)
