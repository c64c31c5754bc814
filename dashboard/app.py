"""The composition root of the web process: Flask server + Dash + Flask-SocketIO + every HTTP blueprint.

>>> server, socketio = create_app(district=load_district(path))  # doctest: +SKIP
>>> socketio.run(server, port=8050)  # doctest: +SKIP

The seam for later features is ``extensions``: callables ``ext(ctx: WebContext)`` run after the live path is wired, e.g.
the tickets API::

    create_app(district=d, extensions=[
        lambda ctx: dashboard.api.ticket_routes.register(ctx.server, store=store, district=ctx.district,
                                         authenticate=ctx.authenticate, open311_key=key),
    ])
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dash
from flask import Flask, jsonify
from flask_socketio import SocketIO

from dashboard import openapi
from dashboard.auth import TokenRegistry
from dashboard.live_api import make_live_blueprint
from dashboard.live_socket import LiveNamespace
from dashboard.screens import mount as mount_screens
from dashboard.screens.access import install_token_cookie
from dashboard.settings import WebSettings
from geo.district import District

ASSETS = Path(__file__).resolve().parent / "assets"
# Threading + simple-websocket: no monkey-patching; the demo, tests and benches run it under werkzeug in threads.
# `gridpulse serve` runs gevent (a monkey-patched process, see dashboard/cli.py): five times the OsmAnd requests/s.
ASYNC_MODE = "threading"
_FROM_SETTINGS: Any = object()


@dataclass
class WebContext:
    """What an extension gets: the wired pieces of the web process."""

    server: Flask
    socketio: SocketIO
    dash_app: dash.Dash
    district: District
    tokens: TokenRegistry
    redis_client: Any
    settings: Any  # streams.settings.StreamSettings
    web_settings: WebSettings
    roster: Any
    reader: Any

    def authenticate(self, request):
        """``authenticate(flask.request) -> Principal | None`` (bearer token or ?token=)."""
        return self.tokens.authenticate(request)


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

    ``message_queue`` defaults to ``settings.redis_url`` (the processors emit into it); ``None`` = this process only.
    ``async_mode`` is ``"threading"`` or, in a gevent-patched process, ``"gevent"``.
    """
    settings = settings if settings is not None else _stream_settings()
    tokens = tokens if tokens is not None else TokenRegistry.from_env()
    web_settings = web_settings or WebSettings.from_env()
    if redis_client is None and (ingest or reader is None):
        from streams.pingstream import make_redis

        redis_client = make_redis(settings)
    if roster is None:
        from streams.roster import Roster

        roster = Roster.from_district(district)
    if reader is None:
        from streams.live import LiveReader

        reader = LiveReader(redis_client, roster, settings)
    if message_queue is _FROM_SETTINGS:
        message_queue = settings.redis_url

    server = Flask("gridpulse")
    server.config["JSON_AS_ASCII"] = False
    server.json.ensure_ascii = False
    socketio = SocketIO(
        server,
        async_mode=async_mode,
        message_queue=message_queue,
        channel=f"{settings.key_prefix}:socketio",
        logger=False,
        engineio_logger=False,
    )
    registry, gauge = metrics_registry, None
    if registry is None:
        from streams import metrics

        registry, gauge = metrics.REGISTRY, metrics.CONNECTED_CLIENTS
        if redis_client is not None:
            # Every processor's figures in one scrape. A second key prefix in one process (tests) keeps the first.
            with contextlib.suppress(ValueError):
                metrics.register_redis_collector(redis_client, settings)
    socketio.on_namespace(LiveNamespace(tokens=tokens, reader=reader, connected_gauge=gauge))

    if ingest:
        from streams.ingest import make_ingest_blueprint

        server.register_blueprint(make_ingest_blueprint(redis_client=redis_client, roster=roster, settings=settings))
    server.register_blueprint(make_live_blueprint(tokens=tokens, reader=reader, roster=roster, metrics_registry=registry,
                                                  retry_after_s=getattr(settings, "retry_after_s", 5),
                                                  metrics_allow=web_settings.metrics_networks))
    _add_health(server, redis_client)
    openapi.register(server)

    dash_app = _make_dash(server, district)
    install_token_cookie(server, tokens)
    ctx = WebContext(server, socketio, dash_app, district, tokens, redis_client, settings, web_settings, roster, reader)
    server.extensions["gridpulse"] = ctx
    for ext in extensions:
        ext(ctx)
    return server, socketio


def _make_dash(server: Flask, district: District) -> dash.Dash:
    """Dash with pages: each screen registers its page and callbacks (``dashboard/screens/``).

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


def _add_health(server: Flask, redis_client) -> None:
    @server.get("/healthz")
    def healthz():
        try:
            ok = bool(redis_client.ping()) if redis_client is not None else None
        except Exception:
            ok = False
        return jsonify({"ok": ok is not False, "redis": ok}), (200 if ok is not False else 503)


def _stream_settings():
    from streams.settings import StreamSettings

    return StreamSettings.from_env()
