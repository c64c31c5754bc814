"""``gridpulse district …``: build a realistic district offline, show its figures, import and audit grid files."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from dashboard.commands import district_io

app = typer.Typer(help="District files: build, info, import, audit.", no_args_is_help=True)

BUILD_STEPS = 4  # the steps geo.build.build_district reports through ``progress``


@app.command()
def build(
    district: str = typer.Option("东丽区", "--district", help="District name, e.g. 东丽区."),
    city: str = typer.Option("天津市", "--city", help="City the district belongs to, e.g. 天津市."),
    out: Path = typer.Option(..., "--out", help="The district file to write (.gpkg)."),
    grids: int | None = typer.Option(None, "--grids", min=1, help="Comprehensive grids (default: the district's table row)."),
    exclusive: int | None = typer.Option(None, "--exclusive", min=0, help="Exclusive grids (专属网格)."),
    streets: int | None = typer.Option(None, "--streets", min=1, help="Streets (街道)."),
    communities: int | None = typer.Option(None, "--communities", min=1, help="Communities (社区)."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same district."),
) -> None:
    """Build DISTRICT of CITY from its real outline and split it into streets, communities and grids."""
    from geo.build import build_district
    from geo.district import save_district
    from geo.outline import OutlineNotFound

    if out.suffix.lower() != ".gpkg":
        raise typer.BadParameter("the district file must end in .gpkg", param_hint="--out")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(f"building {city}{district}", total=BUILD_STEPS + 1)

        def step(what: str) -> None:
            bar.update(task, description=what, advance=1)

        try:
            built = build_district(district, city, grids=grids, exclusive=exclusive, streets=streets,
                                   communities=communities, seed=seed, progress=step)
        except OutlineNotFound as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except ValueError as exc:  # counts that cannot make a district, e.g. more streets than grids
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        step("writing")
        out.parent.mkdir(parents=True, exist_ok=True)
        save_district(built, out)
    _print_summary(built.summary(), f"wrote {out}")


@app.command()
def info(
    path: Path = typer.Argument(..., help="A district file (.gpkg)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
) -> None:
    """Print a district file's figures: streets, communities, grids, area, households."""
    from geo.district import load_district

    if not path.is_file():
        typer.echo(f"error: no such file: {path}", err=True)
        raise typer.Exit(2)
    try:
        summary = load_district(path).summary()
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear sentence
        typer.echo(f"error: {path} is not a GridPulse district file ({exc})", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(summary, str(path))


def _print_summary(summary: dict, title: str) -> None:
    typer.echo(title)
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        typer.echo(f"  {key:<{width}}  {value}")


district_io.register(app)
