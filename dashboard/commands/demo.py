"""``gridpulse demo``: everything in one process on embedded defaults: an embedded Redis (unless
``GRIDPULSE_REDIS_URL``), SQLite under ``var/``, a generated district, a processor, the simulator and the web server.
Ctrl-C stops all of it, the last started first."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import typer

from dashboard.commands.common import (
    access_settings,
    check_redis,
    make_processor,
    stream_settings,
    ticket_store,
    wait_for_signal,
)

log = logging.getLogger(__name__)


def demo(
    district: str = typer.Option("东丽区", help="District name (built once and cached under var/districts/)."),
    city: str = typer.Option("天津市", help="City of the district."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8050, help="Web port."),
    workers: int | None = typer.Option(None, min=1, help="Simulate only the first N workers (default: all)."),
    interval_s: float = typer.Option(5.0, min=0.1, help="Wall seconds between two pings of one phone."),
    speedup: float = typer.Option(1.0, min=0.01, help="Simulated seconds per wall second."),
    clock: str | None = typer.Option(None, help="Simulated clock start (HH:MM); default the real local time (at night "
                                     "nobody is on shift, as in the district)."),
    ticket_speed: float = typer.Option(1.0, min=0.0, help="Ticket flow speed: 60 plays an hour of tickets a minute; 0 stops it."),
) -> None:
    """Everything in one command: embedded Redis, the district, a processor, the simulator and the web server."""
    started = time.monotonic()
    stops: list[Callable[[], object]] = []  # run in reverse order at exit
    stop = threading.Event()
    try:
        run = _start(stops, stop, district=district, city=city, host=host, port=port, ticket_speed=ticket_speed)
        model = _simulate(run, stops, stop, workers=workers, interval_s=interval_s, speedup=speedup, clock=clock)
        _backfill_street_day(run["district"], run["settings"], run["client"], run["street"][0])
        _print_urls(run, model, time.monotonic() - started)
        wait_for_signal(stop)
    finally:
        stop.set()
        typer.echo("Stopping…")
        for fn in reversed(stops):
            try:
                fn()
            except Exception:  # keep stopping the rest
                log.exception("while stopping")
        typer.echo("Stopped.")


def _start(stops: list, stop: threading.Event, *, district: str, city: str, host: str, port: int,
           ticket_speed: float) -> dict:
    """Redis, the district, the web process with its chores, and a processor; their stops appended to ``stops``."""
    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry, generate_token
    from dashboard.commands.embedded_redis import embedded_redis
    from dashboard.serving import WebServer
    from dashboard.ticket_setup import ticket_extension
    from geo.build import cached_district_path
    from geo.district import load_district
    from geo.paths import var_dir
    from geo.settings import is_set
    from streams.pingstream import make_redis

    access = access_settings()
    base_settings = stream_settings()
    keys = {"admin": access.admin_token or generate_token(), "ingest": base_settings.ingest_key or generate_token(),
            "open311": access.open311_key or generate_token(), "admin_generated": not access.admin_token}
    redis_url = base_settings.redis_url if is_set("redis_url") else None
    if not redis_url:
        redis_url, stop_redis = embedded_redis(var_dir() / "redis")
        stops.append(stop_redis)
    typer.echo(f"Redis: {redis_url}")
    typer.echo(f"District: {city}{district} (building on first run, cached after)…")
    d = load_district(cached_district_path(district, city))
    # a demo runs for hours: keep the stream (and memory) bounded
    settings = stream_settings(redis_url=redis_url, ingest_key=keys["ingest"],
                               stream_maxlen=base_settings.stream_maxlen or 500_000)
    client = make_redis(settings)
    check_redis(client, redis_url)
    tokens = TokenRegistry.from_env(admin=keys["admin"])
    street = _demo_street_token(tokens, d, access.street_tokens)
    store, ticket_cfg = ticket_store()
    server, _ = create_app(district=d, redis_client=client, settings=settings, tokens=tokens,
                           extensions=[ticket_extension(store, open311_key=keys["open311"], settings=ticket_cfg)])
    web = server.extensions["gridpulse"]
    _demo_tickets(store, d, web.ticket_chores.background, ticket_speed)
    stops.append(web.start().stop)
    http = WebServer(server, host, port).start()
    stops.append(http.stop)
    proc = make_processor(client, d, settings, f"demo-{os.getpid()}")
    proc_thread = threading.Thread(target=proc.run, args=(stop,), name="processor", daemon=True)
    proc_thread.start()
    stops.append(lambda: proc_thread.join(10))
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{http.port}"
    return {"district": d, "settings": settings, "client": client, "street": street, "keys": keys, "base": base,
            "ticket_cfg": ticket_cfg}


def _simulate(run: dict, stops: list, stop: threading.Event, *, workers, interval_s: float, speedup: float,
              clock: str | None):
    """The simulated workers, sending batches to the web process; returns the patrol model."""
    from dashboard.commands.simulate import make_simulation
    from streams.simulation.loop import run as run_simulation

    if clock is None and not _on_shift_now(run["settings"]):
        typer.echo("Outside the 08:30–17:30 shift: few or no workers are online now, as in the district "
                   "(--clock HH:MM plays a chosen time of day).")
    model, sender = make_simulation(run["district"], url=run["base"], workers=workers, interval_s=interval_s,
                                    speedup=speedup, protocol="batch", seed=1, clock=clock,
                                    ingest_key=run["keys"]["ingest"], threads=4, stop=stop)
    thread = threading.Thread(target=run_simulation, args=(model, sender, stop), kwargs={"report_every_s": 30.0},
                              name="simulator", daemon=True)
    thread.start()
    stops.append(lambda: (thread.join(10), sender.close()))
    return model


def _print_urls(run: dict, model, ready_s: float) -> None:
    d, base, keys = run["district"], run["base"], run["keys"]
    street_code, street_name, street_token = run["street"]
    admin = keys["admin"]
    typer.secho(f"\nGridPulse demo: {d.city}{d.name}, {len(d.grids)} grids, {model.n} simulated workers "
                f"(ready in {ready_s:.1f}s)", fg=typer.colors.GREEN)
    typer.secho(f"  Live map:     {base}/?token={admin}", bold=True)
    typer.echo(f"  Admin token:  {admin}" + ("  (generated)" if keys["admin_generated"] else ""))
    typer.secho(f"  Street screen ({street_name}): {base}/street?token={street_token}", bold=True)
    typer.echo(f"  Any street (admin): {base}/street?token={admin}&street={street_code}")
    typer.echo(f"  Manager:      {base}/manage?token={admin}   (drill-down, exports, report)")
    typer.echo(f"  Ingest key:   {keys['ingest']}   Open311 api_key: {keys['open311']}")
    typer.echo(f"  Tickets:      {base}/api/v1/tickets   Open311: {base}/open311/v2/discovery.json"
               f"   Store: {run['ticket_cfg'].database_url}")
    typer.echo(f"  OsmAnd:       {base}/ingest/osmand   Metrics: {base}/metrics (admin token)")
    typer.echo("Ctrl-C stops everything.\n")


def _demo_street_token(tokens, district, configured: str) -> tuple[str, str, str]:
    """A street supervisor's token for the demo: the first configured one, else one made for the first street."""
    from dashboard.auth import Principal, generate_token, parse_street_tokens

    names = dict(zip(district.streets["street_code"], district.streets["street_name"], strict=True))
    for code, token in parse_street_tokens(configured).items():
        if code in names:
            return code, names[code], token
    code = next(iter(names))
    token = generate_token()
    tokens.add(token, Principal("street", name=f"{names[code]}督导员", street_code=code))
    return code, names[code], token


def _backfill_street_day(district, settings, client, street_code: str) -> None:
    """Today so far (08:00 to now, at most 19:00, when the last shifts have ended) of one street, simulated in fast
    time and written as tracks and patrol figures in the background, so that its supervisor can replay the day at
    once and, in the evening, sees the whole day's visits.  Skipped when the street already has a track today (a
    restarted demo)."""
    from geo.locate import GridLocator
    from streams.history import simulate_tracks, write_history

    tz = ZoneInfo(settings.timezone)
    now = datetime.now(tz)
    start = now.replace(hour=8, minute=0, second=0, microsecond=0)
    end = min(now, now.replace(hour=19, minute=0, second=0, microsecond=0))
    workers = district.workers[district.workers["home_grid"].str.startswith(street_code)]
    if end <= start + timedelta(minutes=30) or workers.empty:
        return
    if client.exists(settings.key("track", now.date().isoformat(), workers["worker_id"].iloc[0])):
        return

    def fill() -> None:
        t0 = time.monotonic()
        try:
            tracks = simulate_tracks(district, workers, start=start.timestamp(), end=end.timestamp(), seed=7)
            n = write_history(client, settings, GridLocator.from_grids(district.grids), tracks)
            typer.echo(f"Street {street_code}: today backfilled ({n:,} fixes of {len(tracks)} workers, "
                       f"{start:%H:%M}–{end:%H:%M}) in {time.monotonic() - t0:.0f}s")
        except Exception:
            log.exception("street morning backfill failed")

    threading.Thread(target=fill, name="street-backfill", daemon=True).start()



def _demo_tickets(store, district, background, speed: float) -> None:
    """The demo's tickets: 90 days of history on first start (in the background), then a live flow stepped by the
    ticket chores once the history is in."""
    from tickets.simulate import TicketFlow, backfill

    if speed > 0:
        background.flow = TicketFlow(store, district, seed=1, speed=speed, service=background.service)
    foreign = _foreign_tickets(store, district)
    if foreign:
        typer.secho(f"The ticket store holds tickets of another district ({foreign}); set GRIDPULSE_DATABASE_URL "
                    "or GRIDPULSE_VAR_DIR to keep each district's tickets apart.", fg=typer.colors.YELLOW)
    if store.max_id() != 0:
        return
    background.ready.clear()

    def fill() -> None:
        t0 = time.monotonic()
        try:
            n = backfill(store, district, days=90, seed=1)
            typer.echo(f"Tickets: backfilled {n:,} tickets over 90 days in {time.monotonic() - t0:.0f}s")
        except Exception:
            log.exception("ticket backfill failed; the live flow starts on an empty store")
        background.ready.set()

    typer.echo("Tickets: backfilling 90 days of history in the background (about 20 s)…")
    threading.Thread(target=fill, name="ticket-backfill", daemon=True).start()


def _foreign_tickets(store, district) -> str | None:
    """The grid code of a ticket from another district, if the store holds one."""
    from sqlalchemy import select

    from tickets.store.models import tickets as T

    with store.engine.connect() as conn:
        code = conn.execute(select(T.c.grid_code).where(T.c.grid_code.is_not(None)).limit(1)).scalar()
    return code if code and not str(code).startswith(district.admin_code) else None


def _on_shift_now(settings) -> bool:
    now = datetime.now(ZoneInfo(settings.timezone)).time()
    return settings.shift_start <= now < settings.shift_end

def _on_shift_now(settings) -> bool:
    now = datetime.now(ZoneInfo(settings.timezone)).time()
    return settings.shift_start <= now < settings.shift_end
