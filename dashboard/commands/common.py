"""What the process commands share: failing with one sentence, the district, settings, Redis, the ticket store,
and waiting for Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer


def fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def access_settings():
    from dashboard.settings import AccessSettings, SettingsError

    try:
        return AccessSettings.from_env()
    except SettingsError as exc:
        raise fail(str(exc)) from exc


def district_path(path: Path | None) -> Path:
    chosen = path or access_settings().district
    if chosen is None:
        raise fail("No district: pass --district PATH or set GRIDPULSE_DISTRICT (build one with `gridpulse district`, "
                   "or run `gridpulse demo`).")
    if not chosen.exists():
        raise fail(f"District file not found: {chosen}")
    return chosen


def load_district(path: Path | None):
    from geo.district import load_district as load

    try:
        return load(district_path(path))
    except ValueError as exc:
        raise fail(str(exc)) from exc


def stream_settings(**overrides):
    from streams.settings import SettingsError, StreamSettings

    try:
        return StreamSettings.from_env(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise fail(str(exc)) from exc


def wait_for_signal(stop: threading.Event) -> None:
    """Block until Ctrl-C / SIGTERM (or ``stop`` set elsewhere)."""
    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop.wait(0.5):
        pass


def check_redis(client, url: str) -> None:
    import redis

    try:
        client.ping()
    except redis.RedisError as exc:
        raise fail(f"Cannot reach Redis at {url}: {exc}. Set GRIDPULSE_REDIS_URL, or use `gridpulse demo`.") from exc


def ticket_store():
    """The migrated ticket store and its settings (``GRIDPULSE_DATABASE_URL``, else SQLite under var/)."""
    from dashboard.ticket_setup import open_store, ticket_settings
    from tickets.settings import SettingsError

    try:
        cfg = ticket_settings()
        return open_store(cfg), cfg
    except SettingsError as exc:
        raise fail(f"Ticket settings: {exc}") from exc
    except Exception as exc:  # an unreachable or unusable database: one sentence, not a traceback
        raise fail(f"Cannot open the ticket store: {exc}") from exc


def make_processor(client, district, settings, name: str):
    from streams.emitter import SocketIOEmitter
    from streams.processor import Processor
    from streams.roster import Roster

    return Processor(client, district, Roster.from_district(district), settings, SocketIOEmitter(settings), name)
