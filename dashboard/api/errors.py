"""The one error type of the HTTP APIs and the one helper that answers it.

A handler raises :class:`ApiError` (or the ticket domain raises :class:`tickets.domain.errors.TicketError`, a refusal of
the same shape); :func:`install` makes a blueprint answer both, HTTP errors, an unreachable Redis or SQL store (503
with ``Retry-After``, also when another layer wrapped the error) and unexpected faults as
``{"error": code, "message": sentence}``; :func:`dashboard.api.openapi.register` does the same 503 for the whole app
(Dash's callbacks and pages, ``/healthz``).

>>> raise ApiError(404, "not_found", "没有该网格员 (no worker 'W9')")  # doctest: +SKIP
"""

from __future__ import annotations

import logging

import flask
import orjson
import redis
import sqlalchemy.exc as sa
from werkzeug.exceptions import HTTPException

from tickets.domain.errors import TicketError

log = logging.getLogger(__name__)
JSON_TYPE = "application/json; charset=utf-8"
# Redis down or still loading: the live state cannot be read now, but will be (503 + Retry-After, never a 500).
UNAVAILABLE = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)
# The SQL store unreachable, its connection lost, its pool exhausted or (SQLite) locked by a writer: the same.
SQL_UNAVAILABLE = (sa.OperationalError, sa.DisconnectionError, sa.TimeoutError, sa.InterfaceError)


class ApiError(Exception):
    """A refused request: HTTP ``status``, a machine-readable ``error`` code and a ``message`` for a person."""

    def __init__(self, status: int, error: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers

    def to_dict(self) -> dict:
        return {"error": self.error, "message": self.message}


def json_response(data, status: int = 200, headers: dict | None = None) -> flask.Response:
    """``data`` as JSON (orjson: datetimes as ISO 8601, non-string keys allowed), ``charset=utf-8`` declared."""
    return flask.Response(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status=status,
                          content_type=JSON_TYPE, headers=headers)


def json_error(status: int, error: str, message: str, headers: dict | None = None) -> flask.Response:
    """The documented error shape as a response."""
    return json_response({"error": error, "message": message}, status, headers)


def unavailable(exc: BaseException) -> str | None:
    """``"redis"`` or ``"sql"`` when ``exc``, or an error it was raised from (``__cause__``/``__context__``: a
    layer that wrapped it), says that store cannot be reached now; else ``None``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, UNAVAILABLE):
            return "redis"
        if isinstance(exc, SQL_UNAVAILABLE) or (isinstance(exc, sa.DBAPIError) and exc.connection_invalidated):
            return "sql"
        exc = exc.__cause__ or exc.__context__
    return None


UNAVAILABLE_MESSAGE = {
    "redis": "实时数据暂不可用，请稍后重试 (live state unreachable; retry later)",
    "sql": "工单库暂不可用，请稍后重试 (ticket store unreachable; retry later)",
}


def log_unavailable(store: str, exc: BaseException) -> None:
    """One warning line, no traceback: the outage is not this request's fault."""
    log.warning("%s %s: %s unreachable, answering 503: %s", flask.request.method, flask.request.path, store,
                (str(exc).splitlines() or [type(exc).__name__])[0])


def unavailable_response(store: str, exc: BaseException, retry_after_s: int = 5) -> flask.Response:
    """503 + ``Retry-After`` in the JSON error shape, logged."""
    log_unavailable(store, exc)
    return json_error(503, "unavailable", UNAVAILABLE_MESSAGE[store], {"Retry-After": str(retry_after_s)})


def error_response(exc: Exception, *, retry_after_s: int = 5) -> flask.Response:
    """Any exception as the JSON error shape: a refusal keeps its status, an HTTP error its code, an unreachable
    Redis or SQL store is a 503 with ``Retry-After``, anything else a logged 500."""
    if isinstance(exc, ApiError):
        return json_error(exc.status, exc.error, exc.message, exc.headers)
    if isinstance(exc, TicketError):
        return json_error(exc.status, exc.code, exc.message)
    if store := unavailable(exc):
        return unavailable_response(store, exc, retry_after_s)
    if isinstance(exc, HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        allow = getattr(exc, "valid_methods", None)
        return json_error(exc.code or 500, code, exc.description or exc.name,
                          {"Allow": ", ".join(allow)} if allow else None)
    log.exception("unexpected fault on %s %s", flask.request.method, flask.request.path)
    return json_error(500, "internal", "the server failed on this request; it is logged.")


def install(bp: flask.Blueprint | flask.Flask, *, retry_after_s: int = 5) -> None:
    """Make every error raised under ``bp`` answer in the JSON error shape."""
    bp.register_error_handler(Exception, lambda exc: error_response(exc, retry_after_s=retry_after_s))


def api_blueprint(name: str, import_name: str, routes, *, retry_after_s: int = 5,
                  url_prefix: str | None = None) -> flask.Blueprint:
    """A blueprint of module-level handlers: ``routes`` = ``[(method, rule, handler), ...]``, every error answered
    in the JSON shape (:func:`install`)."""
    bp = flask.Blueprint(name, import_name, url_prefix=url_prefix)
    install(bp, retry_after_s=retry_after_s)
    for method, rule, handler in routes:
        bp.add_url_rule(rule, view_func=handler, methods=[method])
    return bp
