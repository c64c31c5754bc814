"""``gridpulse serve``: the web process (the screens, Socket.IO ``/live``, ingest, the HTTP APIs)."""

from __future__ import annotations

import threading
from pathlib import Path

import typer

from dashboard.commands.common import (
    access_settings,
    check_redis,
    fail,
    load_district,
    stream_settings,
    ticket_store,
    wait_for_signal,
)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8050, help="Web port: the map, Socket.IO, HTTP APIs and ingest."),
    osmand_port: int | None = typer.Option(None, help="Also serve the OsmAnd protocol at / on this port (e.g. 5055)."),
    district: Path | None = typer.Option(None, help="District file (.gpkg); default GRIDPULSE_DISTRICT."),
    server_kind: str | None = typer.Option(None, "--server",
                                           help="gevent (greenlets, fastest) or threading (werkzeug threads); "
                                                "default GRIDPULSE_WEB_SERVER, else gevent."),
) -> None:
    """The web process: the live map at /, Socket.IO /live, ingest and the HTTP APIs."""
    from dashboard.app import create_app
    from dashboard.auth import TokenConfigError, TokenRegistry
    from dashboard.serving import gevent_patched, web_server
    from dashboard.ticket_setup import ticket_extension
    from streams.pingstream import make_redis

    access = access_settings()
    server_kind = server_kind or access.web_server
    if server_kind not in ("gevent", "threading"):
        raise fail(f"--server must be gevent or threading, not {server_kind!r}")
    try:
        tokens = TokenRegistry.from_env()
    except TokenConfigError as exc:
        raise fail(f"Token configuration: {exc}") from exc
    if not tokens.has_admin:
        raise fail("GRIDPULSE_ADMIN_TOKEN is not set: `gridpulse serve` will not start without an admin token.\n"
                   "Set it to a long random string (e.g. `export GRIDPULSE_ADMIN_TOKEN=$(python -c "
                   "'import secrets; print(secrets.token_urlsafe(18))')`), or run `gridpulse demo`, which makes one.")
    d = load_district(district)
    if server_kind == "gevent" and not gevent_patched():
        raise fail("--server gevent needs the process patched at start: run it as `gridpulse serve` "
                   "(or `python -m dashboard.cli serve`), or pass --server threading.")
    settings = stream_settings()
    client = make_redis(settings)
    check_redis(client, settings.redis_url)
    store, ticket_cfg = ticket_store()
    server, _ = create_app(district=d, redis_client=client, settings=settings, tokens=tokens, async_mode=server_kind,
                           extensions=[ticket_extension(store, open311_key=access.open311_key or None,
                                                        settings=ticket_cfg)])
    web = server.extensions["gridpulse"].start()
    http = web_server(server, host, port).start()
    osmand = _osmand(d, client, settings, host, osmand_port) if osmand_port else None
    typer.echo(f"GridPulse serving {d.city}{d.name} ({len(d.grids)} grids) on {http.url}/ with {server_kind}  (Ctrl-C stops)")
    try:
        wait_for_signal(threading.Event())
    finally:
        for s in (osmand, http, web):
            if s is not None:
                s.stop()


def _osmand(district, client, settings, host: str, port: int):
    from dashboard.serving import web_server
    from streams.ingest import make_osmand_app
    from streams.roster import Roster

    osmand = web_server(make_osmand_app(redis_client=client, roster=Roster.from_district(district), settings=settings),
                        host, port).start()
    typer.echo(f"OsmAnd / Traccar Client protocol on http://{host}:{osmand.port}/")
    return osmand
