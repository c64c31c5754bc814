"""The district model: grid polygons, their 4-level hierarchy and the worker roster, stored as one GeoPackage.

A district file (``.gpkg``) holds these layers, all in WGS-84 (EPSG:4326):

``grids`` (polygons), one row per grid::

    code            15-digit str: admin(6) + street(3) + community(3) + grid(3)
    name            str, e.g. "万新街道·成林社区第3网格"
    street_code     9-digit str: admin(6) + street(3)
    street_name     str
    community_code  12-digit str: admin(6) + street(3) + community(3)
    community_name  str
    grid_type       "comprehensive" (全科网格) or "exclusive" (专属网格)
    households, residents, floating, special_groups   int

``outline`` (one polygon): the district boundary, with ``admin_code``, ``name``, ``city``.
``workers`` (table): ``worker_id``, ``name``, ``device_id``, ``home_grid`` (a grid code), ``phone``.
Streets and communities are not stored: they are dissolved from the grids on load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from shapely.geometry.base import BaseGeometry

GRID_COLUMNS = [
    "code",
    "name",
    "street_code",
    "street_name",
    "community_code",
    "community_name",
    "grid_type",
    "households",
    "residents",
    "floating",
    "special_groups",
]
COUNT_COLUMNS = ["households", "residents", "floating", "special_groups"]
WORKER_COLUMNS = ["worker_id", "name", "device_id", "home_grid", "phone"]


@dataclass(eq=False)
class District:
    """One district: its outline, its grids (with hierarchy) and its worker roster.

    Examples
    --------
    >>> d = load_district("var/districts/120110-seed1.gpkg")  # doctest: +SKIP
    >>> d.grids.loc[0, "code"][:6]  # doctest: +SKIP
    '120110'
    """

    admin_code: str
    name: str
    city: str
    outline: BaseGeometry
    grids: gpd.GeoDataFrame
    workers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WORKER_COLUMNS))

    @cached_property
    def streets(self) -> gpd.GeoDataFrame:
        """One row per street: ``street_code``, ``street_name``, counts and the dissolved polygon."""
        return _dissolve(self.grids, ["street_code", "street_name"])

    @cached_property
    def communities(self) -> gpd.GeoDataFrame:
        """One row per community, with its street."""
        return _dissolve(self.grids, ["community_code", "community_name", "street_code", "street_name"])

    @cached_property
    def locator(self):
        """The point → grid index for this district (built once, on first use)."""
        from geo.locate import GridLocator

        return GridLocator.from_grids(self.grids)

    def summary(self) -> dict:
        """The figures ``gridpulse district info --json`` prints."""
        from geo.measure import area_km2

        grids = self.grids
        return {
            "admin_code": self.admin_code,
            "name": self.name,
            "city": self.city,
            "streets": int(grids["street_code"].nunique()),
            "communities": int(grids["community_code"].nunique()),
            "grids": int(len(grids)),
            "exclusive_grids": int((grids["grid_type"] == "exclusive").sum()),
            "area_km2": round(area_km2(self.outline), 2),
            "households": int(grids["households"].sum()),
            "residents": int(grids["residents"].sum()),
            "floating": int(grids["floating"].sum()),
            "special_groups": int(grids["special_groups"].sum()),
            "workers": int(len(self.workers)),
        }


def _dissolve(grids: gpd.GeoDataFrame, keys: list[str]) -> gpd.GeoDataFrame:
    sums = {c: "sum" for c in COUNT_COLUMNS}
    out = grids[[*keys, *COUNT_COLUMNS, "geometry"]].dissolve(by=keys, aggfunc=sums, sort=True).reset_index()
    out["grids"] = grids.groupby(keys[0]).size().reindex(out[keys[0]]).to_numpy()
    return out


def save_district(district: District, path: str | Path) -> Path:
    """Write ``district`` to a GeoPackage at ``path`` (replacing it) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    grids = district.grids[[*GRID_COLUMNS, "geometry"]]
    pyogrio.write_dataframe(grids, tmp, layer="grids")
    outline = gpd.GeoDataFrame(
        {"admin_code": [district.admin_code], "name": [district.name], "city": [district.city]},
        geometry=[district.outline],
        crs="EPSG:4326",
    )
    pyogrio.write_dataframe(outline, tmp, layer="outline")
    workers = district.workers.reindex(columns=WORKER_COLUMNS)
    pyogrio.write_dataframe(pd.DataFrame(workers), tmp, layer="workers")
    tmp.replace(path)  # atomic: a reader never sees a half-written district
    return path


def load_district(path: str | Path) -> District:
    """Read a district file written by :func:`save_district`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"district file not found: {path}")
    layers = {name for name, _ in pyogrio.list_layers(path)}
    missing = {"grids", "outline"} - layers
    if missing:
        raise ValueError(f"{path} is not a GridPulse district file: missing layer(s) {sorted(missing)}")
    grids = pyogrio.read_dataframe(path, layer="grids")
    for col in COUNT_COLUMNS:
        grids[col] = grids[col].astype("int64")
    outline = pyogrio.read_dataframe(path, layer="outline")
    workers = (
        pd.DataFrame(pyogrio.read_dataframe(path, layer="workers", read_geometry=False))
        if "workers" in layers
        else pd.DataFrame(columns=WORKER_COLUMNS)
    )
    row = outline.iloc[0]
    return District(
        admin_code=str(row["admin_code"]),
        name=str(row["name"]),
        city=str(row["city"]),
        outline=row.geometry,
        grids=grids,
        workers=workers.astype(str),
    )
