"""The composition root of the web process: Flask server + Dash + Flask-SocketIO + every HTTP blueprint and every
background chore, created here and nowhere else.

>>> server, socketio = create_app(district=load_district(path))  # doctest: +SKIP
>>> web = server.extensions["gridpulse"]; web.start()  # doctest: +SKIP   (the chores: pushes, prefetch, tickets)
>>> socketio.run(server, port=8050); web.stop()  # doctest: +SKIP

The seam for later features is ``extensions``: callables ``ext(ctx: WebContext)`` run after the live path is wired;
an extension registers its blueprints on ``ctx.server`` and adds its chores to ``ctx.chores`` (e.g. the ticket loop,
:func:`dashboard.ticket_setup.ticket_extension`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dash
from flask import Flask, jsonify
from flask_socketio import SocketIO

from dashboard.api import alerts, bodies, coverage, live, openapi, patrol, prometheus, tracks, workers
from dashboard.auth import TokenRegistry
from dashboard.push.namespace import LiveNamespace
from dashboard.push.queue import PromptRedisManager
from dashboard.push.visits import TrackPrefetch, visits_push
from dashboard.screens import mount as mount_screens
from dashboard.screens.access import install_token_cookie
from dashboard.settings import WebSettings
from geo.district import District

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent / "assets"
# Threading + simple-websocket: no monkey-patching; the demo, tests and benches run it under werkzeug in threads.
# `gridpulse serve` runs gevent (a monkey-patched process, see dashboard/cli.py): five times the OsmAnd requests/s.
ASYNC_MODE = "threading"
_FROM_SETTINGS: Any = object()
# The read APIs of the live path and the street screen, each a module with ``blueprint(retry_after_s)``.
API_MODULES = (live, workers, patrol, prometheus, tracks, coverage, alerts)


@dataclass
class WebContext:
    """The wired pieces of the web process: what an extension, a handler or a screen reads."""

    server: Flask
    socketio: SocketIO
    dash_app: dash.Dash
    district: District
    tokens: TokenRegistry
    redis_client: Any
    settings: Any  # streams.settings.StreamSettings
    web_settings: WebSettings
    roster: Any
    reader: Any  # streams.live.LiveReader
    metrics_registry: Any = None
    chores: list = field(default_factory=list)  # each with start() and stop(); started by start()
    prefetch: TrackPrefetch | None = None
    ticket_chores: Any = None  # dashboard.ticket_setup.TicketChores, with a ticket store and Redis

    def authenticate(self, request):
        """``authenticate(flask.request) -> Principal | None`` (bearer token or ?token=)."""
        return self.tokens.authenticate(request)

    @functools.cached_property
    def visits(self):
        """The :class:`streams.visits.VisitReader` (built once: the grid locator takes a moment)."""
        from geo.locate import GridLocator
        from streams.visits import VisitReader

        return VisitReader(self.redis_client, self.settings, self.roster, GridLocator.from_grids(self.district.grids))

    @functools.cached_property
    def alert_log(self):
        from streams.alertlog import AlertLog

        return AlertLog(self.redis_client, self.settings)

    def want_tracks(self, street: str) -> None:
        """Ask the prefetch chore to parse a street's tracks of today (a street page opened)."""
        if self.prefetch is not None:
            self.prefetch.want(street)

    def start(self) -> WebContext:
        """Start every background chore (the demo and ``gridpulse serve`` do; tests start what they need)."""
        for chore in self.chores:
            chore.start()
        return self

    def stop(self) -> None:
        """Stop every chore, the last started first."""
        for chore in reversed(self.chores):
            chore.stop()


Extension = Callable[[WebContext], None]


def create_app(
    *,
    district: District,
    redis_client=None,
    settings=None,
    tokens: TokenRegistry | None = None,
    web_settings: WebSettings | None = None,
    roster=None,
    reader=None,
    message_queue: str | None = _FROM_SETTINGS,
    ingest: bool = True,
    metrics_registry=None,
    extensions: Sequence[Extension] = (),
    async_mode: str = ASYNC_MODE,
) -> tuple[Flask, SocketIO]:
    """Build the web process. Every dependency has a default from settings; tests inject fakes.

    ``message_queue`` defaults to ``settings.redis_url`` (the processors emit into it; listened to by
    :class:`dashboard.push.queue.PromptRedisManager`); ``None`` = this process only.
    ``async_mode`` is ``"threading"`` or, in a gevent-patched process, ``"gevent"``. Nothing is started: call
    ``server.extensions["gridpulse"].start()`` for the background chores, and ``.stop()`` at shutdown.
    """
    settings = settings if settings is not None else _stream_settings()
    tokens = tokens if tokens is not None else TokenRegistry.from_env()
    web_settings = web_settings or WebSettings.from_env()
    redis_client, roster, reader = _live_parts(district, settings, redis_client, roster, reader, ingest)
    if message_queue is _FROM_SETTINGS:
        message_queue = settings.redis_url

    server = _flask()
    registry, gauge = _metrics(metrics_registry, redis_client, settings)
    namespace = LiveNamespace(tokens=tokens, reader=reader, connected_gauge=gauge)
    queue = {} if not message_queue else {"client_manager": PromptRedisManager(
        message_queue, channel=f"{settings.key_prefix}:socketio", on_resubscribe=namespace.resend_snapshots,
        retry_cap_s=settings.redis_retry_cap_s, connect_timeout_s=settings.redis_timeout_s)}
    socketio = SocketIO(server, async_mode=async_mode, logger=False, engineio_logger=False, **queue)
    socketio.on_namespace(namespace)
    dash_app = _make_dash(server, district)
    bodies.install(server, max_body_bytes=web_settings.max_body_bytes, max_json_depth=web_settings.max_json_depth,
                   dash_prefix=dash_app.config.requests_pathname_prefix)
    ctx = WebContext(server, socketio, dash_app, district, tokens, redis_client, settings, web_settings, roster,
                     reader, metrics_registry=registry)
    server.extensions["gridpulse"] = ctx
    _register_apis(ctx, ingest)
    install_token_cookie(server, tokens)
    if redis_client is not None:
        ctx.prefetch = TrackPrefetch(ctx)
        ctx.chores.append(ctx.prefetch)
        if web_settings.visits_push_s:
            ctx.chores.append(visits_push(ctx))
    for ext in extensions:
        ext(ctx)
    return server, socketio


def _live_parts(district, settings, redis_client, roster, reader, ingest: bool):
    """(redis client, roster, live-state reader): the given ones, or made from settings."""
    if redis_client is None and (ingest or reader is None):
        from streams.pingstream import make_redis

        redis_client = make_redis(settings)
    if roster is None:
        from streams.roster import Roster

        roster = Roster.from_district(district)
    if reader is None:
        from streams.live import LiveReader

        reader = LiveReader(redis_client, roster, settings)
    return redis_client, roster, reader


def _flask() -> Flask:
    server = Flask("gridpulse")
    server.config["JSON_AS_ASCII"] = False
    server.json.ensure_ascii = False
    return server


def _metrics(registry, redis_client, settings):
    """(the registry ``/metrics`` serves, the connected-clients gauge or None)."""
    if registry is not None:
        return registry, None
    from streams import metrics

    if redis_client is not None:
        # Every processor's figures in one scrape. A second key prefix in one process (tests) keeps the first.
        with contextlib.suppress(ValueError):
            metrics.register_redis_collector(redis_client, settings)
    return metrics.REGISTRY, metrics.CONNECTED_CLIENTS


def _register_apis(ctx: WebContext, ingest: bool) -> None:
    server, retry_after_s = ctx.server, getattr(ctx.settings, "retry_after_s", 5)
    if ingest:
        from streams.ingest import make_ingest_blueprint

        server.register_blueprint(make_ingest_blueprint(redis_client=ctx.redis_client, roster=ctx.roster,
                                                        settings=ctx.settings))
        # the batch reads and caps its own body (batch_max_bytes; one byte more tells it the body is too large)
        bodies.allow(server, "ingest.pings", ctx.settings.batch_max_bytes + 1, check_json=False)
    for module in API_MODULES:
        server.register_blueprint(module.blueprint(retry_after_s))
    _add_health(server, ctx.redis_client, retry_after_s)
    openapi.register(server, retry_after_s)


def _make_dash(server: Flask, district: District) -> dash.Dash:
    """Dash with pages: each screen registers its page, callbacks and routes (``dashboard/screens/``).

    The layouts are functions of the request (caller, language, street), so the top-level ``/_dash-layout`` holds
    no district data; a page's content is served only to a caller with a valid token.
    """
    app = dash.Dash(
        "gridpulse",
        server=server,
        assets_folder=str(ASSETS),
        title=f"{district.name}网格化管理中心 · GridPulse",
        update_title=None,
        serve_locally=True,
        use_pages=True,
        pages_folder="",
        suppress_callback_exceptions=True,  # page layouts are built per request; their ids are not all known up front
    )
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">')
    mount_screens(app)
    return app


def _add_health(server: Flask, redis_client, retry_after_s: int) -> None:
    @server.get("/healthz")
    def healthz():
        """200 when Redis and the ticket store (if any) answer; else 503 + ``Retry-After`` (``None``: not used)."""
        redis_ok = _reachable(lambda: redis_client.ping()) if redis_client is not None else None
        service = server.extensions.get("tickets")
        sql_ok = _reachable(service.store.ping) if service is not None else None
        ok = redis_ok is not False and sql_ok is not False
        return (jsonify({"ok": ok, "redis": redis_ok, "sql": sql_ok}), 200 if ok else 503,
                {} if ok else {"Retry-After": str(retry_after_s)})


def _reachable(ping) -> bool:
    try:
        ping()
        return True
    except Exception as exc:  # noqa: BLE001 - any failure to answer is "not reachable"
        log.warning("healthz: %s", (str(exc).splitlines() or [type(exc).__name__])[0])
        return False


def _stream_settings():
    from streams.settings import StreamSettings

    return StreamSettings.from_env()
