"""``gridpulse district import`` and ``gridpulse district audit``: bring a grid file in, and check one.

Mounted by :mod:`dashboard.commands.district` through :func:`register`. Exit codes, for scripts:
0 clean (or written with ``--force``), 1 the audit found problems (nothing written by ``import``),
2 the file could not be read (message on stderr, nothing written).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import typer

from geo.audit import AuditReport, audit_district, audit_grids
from geo.district import District, load_district, save_district
from geo.importer import FieldMap, GridFileError, import_district, read_grid_file

EXIT_CLEAN, EXIT_FINDINGS, EXIT_BAD_FILE = 0, 1, 2

_SLIVER = typer.Option(
    1.0, "--sliver-m2", min=0, help="Ignore overlaps (and parts beyond the outline) up to this many m²."
)
_GAP = typer.Option(1.0, "--gap-m2", min=0, help="Ignore uncovered pieces up to this many m².")
_JSON = typer.Option(False, "--json", help="Print the report as JSON on stdout.")
_LAYER = typer.Option(
    None, "--layer", help="Layer of a multi-layer file, or the Shapefile's name in a zip of several."
)
_CRS = typer.Option(None, "--crs", help="The file's CRS when it has none or a wrong one, e.g. EPSG:4549.")
_ENCODING = typer.Option(
    None, "--encoding", help="Shapefile attribute encoding when it has no .cpg, e.g. GBK."
)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_FILE)


def _is_district_file(path: Path) -> bool:
    """A GridPulse district GeoPackage (``grids`` and ``outline`` layers), not a bare grid file."""
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return False
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except (pyogrio.errors.DataSourceError, OSError):
        return False  # the importer will say what is wrong with it
    return {"grids", "outline"} <= layers


def import_command(
    src: Path = typer.Argument(..., help="GeoJSON, GeoPackage, Shapefile or a zipped Shapefile."),
    out: Path = typer.Option(..., "--out", help="The district file to write (.gpkg)."),
    layer: str | None = _LAYER,
    crs: str | None = _CRS,
    encoding: str | None = _ENCODING,
    admin_code: str | None = typer.Option(
        None, "--admin-code", help="6-digit admin code (default: from the codes)."
    ),
    name: str | None = typer.Option(
        None, "--name", help="District name, e.g. 东丽区 (default: the file name)."
    ),
    city: str | None = typer.Option(None, "--city", help="City name, e.g. 天津市."),
    field: list[str] = typer.Option(
        [], "--field", help="OURS=THEIRS column mapping, e.g. code=WGBM; repeatable."
    ),
    sliver_m2: float = _SLIVER,
    gap_m2: float = _GAP,
    as_json: bool = _JSON,
    force: bool = typer.Option(False, "--force", help="Write the district even if the audit finds problems."),
) -> None:
    """Read a grid file, map its columns, audit it, and write the district only if the audit is clean."""
    if out.suffix.lower() != ".gpkg":
        raise typer.BadParameter("the district file must end in .gpkg", param_hint="--out")
    try:
        fields = FieldMap.from_pairs(field) if field else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--field") from None
    try:
        district = import_district(src, fields=fields, admin_code=admin_code, name=name, city=city, layer=layer,
                                   crs=crs, encoding=encoding)
    except GridFileError as exc:
        raise _fail(str(exc)) from None
    report = audit_district(district, sliver_m2=sliver_m2, gap_m2=gap_m2)
    _write_if_clean(district, report, src, out, force=force, as_json=as_json)


def _write_if_clean(district, report, src: Path, out: Path, *, force: bool, as_json: bool) -> None:
    """Write the district when the audit is clean (or forced), report, and exit with the audit's code."""
    written = report.ok or force
    if written:
        save_district(district, out)
    if as_json:
        payload = {"source": str(src), "out": str(out), "written": written, "district": district.summary(),
                   "audit": report.to_dict()}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        typer.echo(report.to_text())
    if written:
        typer.echo(f"wrote {out} ({len(district.grids)} grids)", err=True)
        raise typer.Exit(EXIT_CLEAN)
    typer.echo(f"not written: the audit found {len(report.findings)} problem(s); "
               "fix the file, or pass --force to write it anyway", err=True)
    raise typer.Exit(EXIT_FINDINGS)


def _audit_path(path: Path, layer, crs, encoding, sliver_m2: float, gap_m2: float) -> AuditReport:
    if _is_district_file(path):
        try:
            district: District = load_district(path)
        except (ValueError, OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            raise GridFileError(f"could not read district file {path} ({exc})") from None
        return audit_district(district, sliver_m2=sliver_m2, gap_m2=gap_m2)
    grids = read_grid_file(path, layer=layer, crs=crs, encoding=encoding)
    return audit_grids(grids, sliver_m2=sliver_m2, gap_m2=gap_m2)


def audit_command(
    path: Path = typer.Argument(..., help="A district .gpkg, or any grid file `district import` reads."),
    as_json: bool = _JSON,
    sliver_m2: float = _SLIVER,
    gap_m2: float = _GAP,
    layer: str | None = _LAYER,
    crs: str | None = _CRS,
    encoding: str | None = _ENCODING,
) -> None:
    """Audit grids: no blind spots, no overlaps (不留盲区、避免重叠), sound codes. Exit 0 clean, 1 problems, 2 bad file."""
    try:
        report = _audit_path(path, layer, crs, encoding, sliver_m2, gap_m2)
    except GridFileError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps({"path": str(path), **report.to_dict()}, ensure_ascii=False, indent=2))
    else:
        typer.echo(report.to_text())
    raise typer.Exit(EXIT_CLEAN if report.ok else EXIT_FINDINGS)


def register(app: typer.Typer) -> None:
    """Add the ``import`` and ``audit`` commands to ``app`` (the ``gridpulse district`` group)."""
    app.command("import")(import_command)
    app.command("audit")(audit_command)
