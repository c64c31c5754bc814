"""``gridpulse tickets …``: migrate the ticket store, backfill history, print metrics, manage the metrics rollup."""

from __future__ import annotations

import time
from datetime import date, timedelta

import orjson
import typer

app = typer.Typer(help="The ticket closed loop: store, history, metrics.", no_args_is_help=True)

DistrictOpt = typer.Option(None, "--district", help="district .gpkg (default: $GRIDPULSE_DISTRICT)")
DatabaseOpt = typer.Option(None, "--database", help="SQLAlchemy URL (default: $GRIDPULSE_DATABASE_URL)")


def _url(database: str | None) -> str:
    from dashboard.ticket_setup import ticket_settings

    return ticket_settings(database_url=database).database_url


def _district(path: str | None):
    from dashboard.settings import AccessSettings
    from geo.district import load_district

    path = path or AccessSettings.from_env().district
    if not path:
        raise typer.BadParameter("give --district PATH or set GRIDPULSE_DISTRICT to a district .gpkg")
    return load_district(path)


@app.command()
def migrate(database: str = DatabaseOpt) -> None:
    """Create or upgrade the ticket tables."""
    from dashboard.ticket_setup import open_store, ticket_settings

    settings = ticket_settings(database_url=database)
    open_store(settings)
    typer.echo(f"ticket store at {settings.database_url} is up to date")


@app.command()
def backfill(days: int = typer.Option(90, min=1, max=3660, help="days of history"),
             seed: int = typer.Option(0, help="random seed"), district: str = DistrictOpt,
             database: str = DatabaseOpt) -> None:
    """Write field-like ticket history (bulk inserts)."""
    from dashboard.ticket_setup import open_store, ticket_settings
    from tickets.simulate import backfill as run

    store = open_store(ticket_settings(database_url=database))
    t0 = time.perf_counter()
    n = run(store, _district(district), days=days, seed=seed)
    typer.echo(f"{n:,} tickets over {days} days in {time.perf_counter() - t0:.1f} s")


@app.command()
def metrics(
    from_: str = typer.Option(None, "--from", help="first day YYYY-MM-DD (default: 30 days ago)"),
    to: str = typer.Option(None, "--to", help="last day YYYY-MM-DD (default: today)"),
    level: str = typer.Option("district", help="district|street|community|grid|category|department|source|tier"),
    street: str = typer.Option(None), category: str = typer.Option(None), department: str = typer.Option(None),
    tier: str = typer.Option(None), source: str = typer.Option(None),
    as_json: bool = typer.Option(False, "--json", help="print JSON rows"),
    database: str = DatabaseOpt,
) -> None:
    """Print closure-loop metrics for a period (both closure rates, labelled)."""
    from tickets import metrics as m
    from tickets.store.sql import make_engine

    end = date.fromisoformat(to) if to else date.today()
    start = date.fromisoformat(from_) if from_ else end - timedelta(days=29)
    if level not in m.LEVELS:
        raise typer.BadParameter(f"level must be one of {', '.join(m.LEVELS)}")
    filters = {k: v for k, v in {"street": street, "category": category, "department": department, "tier": tier,
                                 "source": source}.items() if v}
    engine = make_engine(_url(database))
    rows = m.summary(engine, m.Period(start, end), level, **filters)
    if as_json:
        typer.echo(orjson.dumps({"rows": rows, "definitions": m.DEFINITIONS}, option=orjson.OPT_INDENT_2).decode())
        return
    typer.echo(f"{start} .. {end}  level={level}")
    typer.echo(f"{'key':<16}{'received':>9}{'closed':>8}{'due':>7}{'结案率':>8}{'按期':>8}{'办结率':>8}{'overdue':>8}")

    def pct(x):
        return f"{100 * x:.2f}%" if x is not None else "-"

    for r in rows:
        typer.echo(f"{str(r['key']):<16}{r['received']:>9}{r['closed']:>8}{r['due_to_close']:>7}"
                   f"{pct(r['closure_rate']):>9}{pct(r['on_time_closure_rate']):>9}"
                   f"{pct(r['press_closure_rate']):>9}{r['overdue_now']:>8}")
    typer.echo("结案率 = closed / due to close (standard); 办结率 = closed / received (press figure); "
               "按期 = closed on time / due to close")


@app.command()
def rollup(clear: bool = typer.Option(False, "--clear", help="forget every stored month partial"),
           database: str = DatabaseOpt) -> None:
    """Count (or clear) the month partials the web processes share in ``metrics_rollup``.

    Clearing is always safe: partials are recomputed on demand (the first five-year step then takes seconds).
    """
    from tickets.metrics import rollup_table
    from tickets.store.sql import make_engine
    from tickets.store.sql import migrate as upgrade

    engine = make_engine(_url(database))
    upgrade(engine)
    if clear:
        typer.echo(f"{rollup_table.clear(engine):,} month partials dropped")
    typer.echo(f"{rollup_table.count(engine):,} month partials stored")
