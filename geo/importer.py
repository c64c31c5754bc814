"""Read a district's grid file as the field hands it over: GeoJSON, GeoPackage, Shapefile (also zipped), any CRS.

The user's columns are mapped onto :data:`geo.district.GRID_COLUMNS` by an explicit :class:`FieldMap`,
else by case-insensitive guesses from the names such files use (``WGBM``/网格编码 for the code, ...).
Missing ``street_code``/``community_code`` are cut from the 15-digit code, ``grid_type`` defaults to
comprehensive (全科网格) and counts to 0. Missing names stay blank, for the audit to report. A file
with no code column (or only blank codes) is refused; a few blank codes are left for the audit, which
says where those grids are.

Geometry comes back in WGS-84, 2-D; a one-part MultiPolygon becomes a Polygon. Grids that really are in
several pieces stay MultiPolygon and null or non-polygon rows are kept: :mod:`geo.audit` reports them
(``multi_part``, ``bad_geometry``) with the grid and the place, which a refusal here could not.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from geo._audit_checks import as_text
from geo.audit import implied_outline
from geo.district import COUNT_COLUMNS, GRID_COLUMNS, WORKER_COLUMNS, District

NO_CRS = "the file has no coordinate reference system; re-export it with one or pass --crs EPSG:xxxx"
_READ_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.FeatureError,
    OSError,
    ValueError,
)
_DATA_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")

# ours → names seen in the field's files, tried in order (lower-case); Shapefile cuts names to 10 characters
_GUESSES = {
    "code": [
        "code",
        "grid_code",
        "gridcode",
        "wgbm",
        "wgbh",
        "wgdm",
        "网格编码",
        "网格编号",
        "网格代码",
        "编码",
    ],
    "name": ["name", "grid_name", "gridname", "wgmc", "网格名称", "网格名", "名称"],
    "street_code": ["street_code", "street_cod", "streetcode", "jdbm", "jddm", "街道编码", "街道代码"],
    "street_name": ["street_name", "street_nam", "street", "jdmc", "jd", "街道名称", "所属街道", "街道"],
    "community_code": ["community_code", "communityc", "sqbm", "sqdm", "社区编码", "社区代码"],
    "community_name": ["community_name", "community", "sqmc", "sq", "社区名称", "所属社区", "社区"],
    "grid_type": ["grid_type", "gridtype", "wglx", "网格类型", "类型", "type"],
    "households": ["households", "hs", "hushu", "户数", "总户数"],
    "residents": ["residents", "population", "rks", "rk", "人口", "人口数", "常住人口"],
    "floating": ["floating", "ldrk", "流动人口"],
    "special_groups": ["special_groups", "special_gr", "tsrq", "特殊人群"],
}
_GRID_TYPES = {
    "": "comprehensive",
    "comprehensive": "comprehensive",
    "全科": "comprehensive",
    "全科网格": "comprehensive",
    "综合": "comprehensive",
    "综合网格": "comprehensive",
    "exclusive": "exclusive",
    "专属": "exclusive",
    "专属网格": "exclusive",
}


class GridFileError(Exception):
    """A grid file that cannot be imported; ``str(error)`` is a sentence for the user."""


@dataclass(frozen=True)
class FieldMap:
    """The user's column name for each of ours; ``None`` means guess it."""

    code: str | None = None
    name: str | None = None
    street_code: str | None = None
    street_name: str | None = None
    community_code: str | None = None
    community_name: str | None = None
    grid_type: str | None = None
    households: str | None = None
    residents: str | None = None
    floating: str | None = None
    special_groups: str | None = None

    @classmethod
    def from_pairs(cls, pairs: list[str]) -> FieldMap:
        """Parse ``["code=WGBM", "name=WGMC"]`` (the ``--field`` options); ValueError on a bad pair."""
        known = [f.name for f in fields(cls)]
        mapping = {}
        for pair in pairs:
            ours, sep, theirs = pair.partition("=")
            if not sep or ours.strip() not in known or not theirs.strip():
                raise ValueError(
                    f"bad field mapping {pair!r}: use OURS=THEIRS with OURS one of {', '.join(known)}"
                )
            mapping[ours.strip()] = theirs.strip()
        return cls(**mapping)


def _source(path: Path, layer: str | None) -> tuple[str, str | None]:
    """What pyogrio should open; a zip is looked into so its data file may sit in a folder."""
    if not path.exists():
        raise GridFileError(f"file not found: {path}")
    if path.suffix.lower() != ".zip":
        return str(path), layer
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise GridFileError(f"{path} is not a readable zip archive ({exc})") from None
    data = [n for n in names if n.lower().endswith(_DATA_SUFFIXES) and not n.startswith("__MACOSX")]
    if layer is not None and len(data) > 1:  # several Shapefiles: --layer names one by its stem
        data = [n for n in data if Path(n).stem == layer] or data
    if len(data) != 1:
        found = ", ".join(data) or "no Shapefile, GeoPackage or GeoJSON"
        raise GridFileError(f"{path} holds {found}; zip exactly one grid file or choose one with --layer")
    return f"/vsizip/{path.resolve()}/{data[0]}", layer


def _pick_layer(src: str, layer: str | None, shown: Path) -> str | None:
    layers = pyogrio.list_layers(src)
    names = [str(n) for n, _ in layers]
    if layer is not None or len(names) <= 1:
        if layer is not None and layer not in names:
            raise GridFileError(f"{shown} has no layer {layer!r}; its layers are: {', '.join(names)}")
        return layer
    if "grids" in names:  # a GridPulse district file
        return "grids"
    polygonal = [str(n) for n, kind in layers if kind and "polygon" in str(kind).lower()]
    if len(polygonal) == 1:
        return polygonal[0]
    raise GridFileError(f"{shown} has {len(names)} layers ({', '.join(names)}); choose one with --layer")


def _read(path: Path, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    src, layer = _source(path, layer)
    try:
        layer = _pick_layer(src, layer, path)
        frame = pyogrio.read_dataframe(src, layer=layer, encoding=encoding)
    except _READ_ERRORS as exc:
        raise GridFileError(
            f"could not read {path}: it is corrupt or not a GeoJSON, GeoPackage or Shapefile ({exc})"
        ) from None
    if len(frame) == 0:
        raise GridFileError(f"{path} is empty: it has no features")
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise GridFileError(f"{path} has no geometry: grids must be polygons")
    return frame


def _to_wgs84(frame: gpd.GeoDataFrame, crs, path: Path) -> gpd.GeoDataFrame:
    if crs is not None:
        try:
            frame = frame.set_crs(crs, allow_override=True)  # the user knows better than a wrong .prj
        except (CRSError, ValueError, TypeError) as exc:
            raise GridFileError(f"unknown coordinate reference system {crs!r} ({exc})") from None
    elif frame.crs is None:
        raise GridFileError(NO_CRS)
    frame = frame.to_crs("EPSG:4326")
    x0, y0, x1, y1 = frame.total_bounds
    if not (np.isfinite([x0, y0, x1, y1]).all() and -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise GridFileError(
            f"{path}: coordinates fall outside the globe in {frame.crs.to_string()} "
            f"(bounds {x0:.6g}, {y0:.6g}, {x1:.6g}, {y1:.6g}); its CRS is probably wrong: pass --crs"
        )
    return frame


def _geometry(frame: gpd.GeoDataFrame, path: Path) -> np.ndarray:
    geoms = shapely.force_2d(np.asarray(frame.geometry.array, dtype=object))
    kinds = shapely.get_type_id(geoms)
    if not np.isin(kinds, (3, 6)).any():
        found = sorted({g.geom_type for g in geoms if g is not None})
        raise GridFileError(f"{path} holds {', '.join(found)} features, not polygons: grids must be polygons")
    single = np.flatnonzero((kinds == 6) & (shapely.get_num_geometries(geoms) == 1))
    geoms[single] = shapely.get_geometry(geoms[single], 0)
    return geoms


def _resolve(columns, fields_: FieldMap | None) -> dict[str, str]:
    """ours → the file's column: explicit first, then the first unused guess."""
    lower = {str(c).strip().lower(): c for c in columns if c != "geometry"}
    chosen = {}
    for ours in GRID_COLUMNS:
        theirs = getattr(fields_, ours) if fields_ else None
        if theirs is not None:
            if theirs.strip().lower() not in lower:
                raise GridFileError(
                    f"column {theirs!r} (given for {ours}) is not in the file; "
                    f"its columns are: {', '.join(lower.values())}"
                )
            chosen[ours] = lower[theirs.strip().lower()]
    for ours in GRID_COLUMNS:
        guess = next(
            (lower[g] for g in _GUESSES[ours] if g in lower and lower[g] not in chosen.values()), None
        )
        if ours not in chosen and guess is not None:
            chosen[ours] = guess
    return chosen


def _attributes(frame: pd.DataFrame, fields_: FieldMap | None, path: Path) -> pd.DataFrame:
    cols = _resolve(frame.columns, fields_)
    out = pd.DataFrame(index=range(len(frame)))
    text = {ours: as_text(frame[col]).reset_index(drop=True) for ours, col in cols.items()}
    if "code" not in text or (text["code"] == "").all():
        columns = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise GridFileError(
            f"{path} has no grid codes: map the code column with --field code=COLUMN "
            f"(its columns are: {columns})"
        )
    out["code"] = text["code"]
    out["name"] = text.get("name", "")
    out["street_code"] = text.get("street_code", out["code"].str[:9])
    out["street_name"] = text.get("street_name", "")
    out["community_code"] = text.get("community_code", out["code"].str[:12])
    out["community_name"] = text.get("community_name", "")
    kinds = text.get("grid_type", pd.Series("", index=out.index)).str.lower()
    unknown = sorted(set(kinds) - set(_GRID_TYPES))
    if unknown:
        raise GridFileError(
            f"column {cols['grid_type']!r} has unknown grid types {unknown[:5]}: "
            f"use comprehensive/全科网格 or exclusive/专属网格"
        )
    out["grid_type"] = kinds.map(_GRID_TYPES)
    for ours in COUNT_COLUMNS:
        numbers = (
            pd.to_numeric(frame[cols[ours]], errors="coerce").reset_index(drop=True)
            if ours in cols
            else pd.Series(0, index=out.index)
        )
        bad = numbers.isna() & (text.get(ours, pd.Series("", index=out.index)) != "")
        if bad.any():
            raise GridFileError(
                f"column {cols[ours]!r} ({ours}) has non-numeric values, e.g. {text[ours][bad].iloc[0]!r}"
            )
        out[ours] = numbers.fillna(0).round().astype("int64")
    return out


def read_grid_file(
    src: str | Path,
    fields: FieldMap | None = None,
    *,
    layer: str | None = None,
    crs=None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a grid file into :data:`~geo.district.GRID_COLUMNS` + geometry in EPSG:4326.

    Parameters
    ----------
    src : str or Path
        A GeoJSON, GeoPackage, Shapefile or a ``.zip`` holding one of them.
    fields : FieldMap, optional
        The file's column for each of ours; unset ones are guessed.
    layer : str, optional
        The layer of a multi-layer file (or the Shapefile's name in a zip of several).
    crs : optional
        Overrides the file's CRS (or supplies a missing one), e.g. ``"EPSG:4549"``.
    encoding : str, optional
        Of a Shapefile's attributes when it has no ``.cpg`` (often ``"GBK"`` for Chinese files).

    Raises
    ------
    GridFileError
        With a sentence for the user: not found, unreadable, empty, not polygons, no CRS, no codes.

    Examples
    --------
    >>> grids = read_grid_file("dongli_grids.zip", FieldMap(code="WGBM"))  # doctest: +SKIP
    """
    path = Path(src)
    frame = _to_wgs84(_read(path, layer, encoding), crs, path)
    geoms = _geometry(frame, path)
    return gpd.GeoDataFrame(_attributes(frame, fields, path), geometry=geoms, crs="EPSG:4326")


def import_district(
    src: str | Path,
    *,
    fields: FieldMap | None = None,
    admin_code: str | None = None,
    name: str | None = None,
    city: str | None = None,
    layer: str | None = None,
    crs=None,
    encoding: str | None = None,
    outline: BaseGeometry | None = None,
) -> District:
    """Read a grid file into a :class:`~geo.district.District` (no workers yet).

    ``admin_code`` defaults to the most common 6-digit prefix of the codes, ``name`` to the file's stem
    and ``outline`` to :func:`geo.audit.implied_outline` of the grids (their union, holes filled, so a
    blind spot inside the district is reported as a gap rather than cut out of it).
    """
    grids = read_grid_file(src, fields, layer=layer, crs=crs, encoding=encoding)
    if admin_code is None:
        prefixes = grids["code"][grids["code"].str.fullmatch(r"\d{15}")].str[:6]
        admin_code = str(prefixes.mode().iloc[0]) if len(prefixes) else ""
    return District(
        admin_code=admin_code,
        name=name if name is not None else Path(src).stem,
        city=city or "",
        outline=outline if outline is not None else implied_outline(grids.geometry.array),
        grids=grids,
        workers=pd.DataFrame(columns=WORKER_COLUMNS),
    )
