"""``gridpulse process``: one pipeline consumer of the ping stream (run several: one consumer group)."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import typer

from dashboard.commands.common import (
    check_redis,
    load_district,
    make_processor,
    stream_settings,
    wait_for_signal,
)


def process(
    name: str | None = typer.Option(None, help="Consumer name in the group (default host-pid); run several."),
    district: Path | None = typer.Option(None, help="District file (.gpkg); default GRIDPULSE_DISTRICT."),
) -> None:
    """One pipeline consumer: reads the ping stream, updates live state and tracks, pushes to browsers."""
    from streams.pingstream import make_redis

    d = load_district(district)
    settings = stream_settings()
    client = make_redis(settings)
    check_redis(client, settings.redis_url)
    stop = threading.Event()
    proc = make_processor(client, d, settings, name or f"{socket.gethostname()}-{os.getpid()}")
    thread = threading.Thread(target=proc.run, args=(stop,), name="processor", daemon=True)
    thread.start()
    typer.echo(f"Processor {proc.name} consuming {settings.key('pings')} (Ctrl-C stops)")
    wait_for_signal(stop)
    thread.join(10)
