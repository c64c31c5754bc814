"""``gridpulse simulate``: play the roster's workers walking their patrols, sending pings to a web process."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from dashboard.commands.common import fail, load_district, stream_settings


def simulate(
    url: str = typer.Option("http://127.0.0.1:8050", help="The web process to send pings to."),
    workers: int | None = typer.Option(None, min=1, help="Play only the first N workers of the roster."),
    interval_s: float = typer.Option(5.0, min=0.05, help="Wall seconds between two pings of one phone."),
    speedup: float = typer.Option(1.0, min=0.01, help="Simulated seconds per wall second."),
    protocol: str = typer.Option("batch", help="batch (POST /api/v1/pings, ingest key) or osmand (one GET per ping)."),
    district: Path | None = typer.Option(None, help="District file (.gpkg); default GRIDPULSE_DISTRICT."),
    seed: int = typer.Option(1, help="Random seed: the same seed plays the same day."),
    clock: str | None = typer.Option(None, help="Start the simulated clock at this local time (HH:MM); default now."),
    ingest_key: str | None = typer.Option(None, help="Bearer key of the batch API; default GRIDPULSE_INGEST_KEY."),
    threads: int = typer.Option(8, min=1, help="Sender threads (osmand)."),
    duration_s: float | None = typer.Option(None, help="Stop after this many wall seconds."),
) -> None:
    """Play the roster's workers walking their patrols and send their pings over HTTP."""
    d = load_district(district)
    stop = threading.Event()
    key = ingest_key if ingest_key is not None else stream_settings().ingest_key
    try:
        model, sender = make_simulation(d, url=url, workers=workers, interval_s=interval_s, speedup=speedup,
                                        protocol=protocol, seed=seed, clock=clock, ingest_key=key or "",
                                        threads=threads, stop=stop)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    from streams.simulation.loop import run

    typer.echo(f"Simulating {model.n} workers → {url} ({protocol}, every {interval_s:g}s, ×{speedup:g}); Ctrl-C stops")
    thread = threading.Thread(target=run, args=(model, sender, stop),
                              kwargs={"report_every_s": 10.0, "duration_s": duration_s}, name="simulator", daemon=True)
    thread.start()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while thread.is_alive():
        thread.join(0.5)
    sender.close()
    typer.echo(f"Sent: {sender.stats.as_dict()}")


def make_simulation(district, *, url, workers, interval_s, speedup, protocol, seed, clock, ingest_key, threads, stop):
    """(the patrol model, the HTTP sender) of a simulation of ``district``'s roster (or its first ``workers``)."""
    from streams.simulation.model import PatrolModel, SimSettings, local_sim_start
    from streams.simulation.sender import HttpSender

    roster = district.workers
    if workers is not None:
        if workers > len(roster):
            raise ValueError(f"--workers {workers}: the roster has only {len(roster)} workers")
        roster = roster.iloc[:workers]
    from geo.settings import GeoSettings, resolve

    settings = SimSettings(interval_s=interval_s, speedup=speedup, seed=seed, timezone=resolve(GeoSettings).timezone)
    model = PatrolModel(district, roster, settings, sim_start=local_sim_start(clock, settings.timezone))
    sender = HttpSender(url, protocol=protocol, ingest_key=ingest_key, threads=threads, stop_event=stop)
    return model, sender
