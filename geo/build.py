"""Build a realistic district offline: real outline → grids → communities → streets, with codes, counts and a roster.

``build_district`` is a short driver over the steps in :mod:`geo.partition`, :mod:`geo.hierarchy` and :mod:`geo.naming`.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import hierarchy, naming, partition
from geo.district import District, load_district, save_district
from geo.measure import area_km2
from geo.outline import find_outline
from geo.paths import data_dir, var_dir

BUILD_VERSION = 2  # bump when the algorithm changes, so cached districts are rebuilt


@dataclass(frozen=True)
class DistrictSpec:
    """How many of everything a district gets. Known districts come from ``data/districts.csv``."""

    district: str
    city: str
    streets: int
    communities: int
    grids: int  # comprehensive grids (全科网格)
    exclusive: int  # exclusive grids (专属网格)
    residents: int
    floating_share: float
    street_names: tuple[str, ...] = ()

    def validate(self) -> None:
        if not 1 <= self.streets <= 999:
            raise ValueError(f"streets must be 1–999, got {self.streets}")
        if not self.streets <= self.communities <= 999 * self.streets:
            raise ValueError(f"communities must be between streets ({self.streets}) and 999 per street, got {self.communities}")
        total = self.grids + self.exclusive
        if self.grids < 1 or self.exclusive < 0 or total < self.communities:
            raise ValueError(f"need at least one grid per community: {total} grids for {self.communities} communities")
        if total > 999 * self.communities:
            raise ValueError("at most 999 grids per community fit the 3-digit grid code")


def district_spec(district: str, city: str, area_km2_: float, **overrides) -> DistrictSpec:
    """The spec for ``district``: the table's row when known, else defaults scaled from Dongli by area; ``overrides`` win."""
    row = _known().get((district, city))
    if row is None:
        grids = max(20, round(area_km2_ * 1147 / 477))
        row = DistrictSpec(district, city, streets=max(2, round(grids / 104)), communities=max(3, round(grids / 12)),
                           grids=grids, exclusive=0, residents=grids * 750, floating_share=0.25)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    spec = replace(row, **overrides)
    if len(spec.street_names) != spec.streets:
        spec = replace(spec, street_names=())
    spec.validate()
    return spec


def _known() -> dict[tuple[str, str], DistrictSpec]:
    with open(data_dir() / "districts.csv", encoding="utf-8") as f:
        return {
            (r["district"], r["city"]): DistrictSpec(
                r["district"], r["city"], int(r["streets"]), int(r["communities"]), int(r["grids"]), int(r["exclusive"]),
                int(r["residents"]), float(r["floating_share"]), tuple(r["street_names"].split("|")),
            )
            for r in csv.DictReader(f)
        }


def build_district(
    district: str = "东丽区",
    city: str = "天津市",
    *,
    grids: int | None = None,
    exclusive: int | None = None,
    streets: int | None = None,
    communities: int | None = None,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> District:
    """Build ``district`` of ``city`` from its real outline; deterministic for a given ``seed``.

    Examples
    --------
    >>> d = build_district("东丽区", "天津市", seed=1)  # doctest: +SKIP
    >>> d.summary()["grids"], d.summary()["streets"]  # doctest: +SKIP
    (1147, 11)
    """
    step = progress or (lambda _: None)
    outline = find_outline(district, city)
    spec = district_spec(district, city, area_km2(outline.geometry), grids=grids, exclusive=exclusive,
                         streets=streets, communities=communities)
    rng = np.random.default_rng([seed, int(outline.admin_code)])

    step("sampling population")
    plane = partition.LocalPlane.about(outline.geometry)
    outline_m = shapely.transform(outline.geometry, plane.to_m)
    total = spec.grids + spec.exclusive
    people = partition.sample_density(outline_m, max(40 * total, 40_000), rng, towns=max(3, spec.streets))

    step("drawing grids")
    labels = partition.kmeans(people, total, rng)
    sites_m = _sites(people, labels, total, outline_m)
    sites_deg = plane.to_deg(sites_m)
    cells = partition.heal_parts(partition.voronoi_cells(outline.geometry, plane, sites_m), sites_deg)
    weight = np.bincount(labels, minlength=total).astype(float)  # sampled people per cell

    step("grouping streets and communities")
    adj = hierarchy.adjacency(cells)
    centroids_m = plane.to_m(shapely.get_coordinates(shapely.centroid(cells)))
    street_of = hierarchy.make_contiguous(partition.kmeans(centroids_m, spec.streets, rng), adj)
    community_of = _communities(centroids_m, street_of, spec, rng, adj)

    step("numbering and counting")
    grids_gdf = _frame(outline.admin_code, spec, cells, centroids_m, street_of, community_of, weight, rng)
    workers = _roster(grids_gdf, rng)
    return District(outline.admin_code, district, city, outline.geometry, grids_gdf, workers)


def _sites(people: np.ndarray, labels: np.ndarray, k: int, outline_m) -> np.ndarray:
    """Each cluster's mean, pulled onto its nearest member if the mean falls outside a concave outline."""
    counts = np.bincount(labels, minlength=k)
    sites = np.column_stack([np.bincount(labels, weights=people[:, d], minlength=k) / counts for d in (0, 1)])
    outside = ~shapely.contains_xy(outline_m, sites[:, 0], sites[:, 1])
    for c in np.flatnonzero(outside):
        members = people[labels == c]
        sites[c] = members[np.argmin(((members - sites[c]) ** 2).sum(axis=1))]
    return sites


def _communities(centroids_m, street_of, spec: DistrictSpec, rng, adj) -> np.ndarray:
    """Split each street into communities in proportion to its grids; total = spec.communities."""
    streets = np.unique(street_of)
    sizes = np.array([(street_of == s).sum() for s in streets])
    share = spec.communities * sizes / sizes.sum()
    per = np.maximum(1, np.floor(share).astype(int))
    for s in np.argsort(per - share)[: spec.communities - per.sum()]:  # largest remainders get the rest
        per[s] += 1
    community_of = np.empty(len(street_of), dtype=np.int64)
    base = 0
    for s, n in zip(streets, np.minimum(per, sizes), strict=True):
        members = np.flatnonzero(street_of == s)
        community_of[members] = base + partition.kmeans(centroids_m[members], int(n), rng)
        base += int(n)
    return hierarchy.make_contiguous(community_of, adj, allowed=lambda cell, g: street_of[community_of == g][0] == street_of[cell])


def _frame(admin, spec, cells, centroids_m, street_of, community_of, weight, rng) -> gpd.GeoDataFrame:
    x, y = centroids_m[:, 0], centroids_m[:, 1]
    cell_band = np.sqrt(np.median(shapely.area(cells)) * 1.2e10)  # about one grid's width, in metres

    # Streets, then communities, then grids: numbered west → east, north → south.
    street_rank = hierarchy.dense_rank(street_of, hierarchy.reading_order(x, y, cell_band * 8))
    order = np.lexsort((hierarchy.reading_order(x, y, cell_band * 3).argsort(), street_rank))
    community_rank = hierarchy.dense_rank(community_of, order)
    names = naming.community_names(int(community_rank.max()) + 1, rng)
    street_names = spec.street_names or tuple(f"第{k + 1}" for k in range(spec.streets))

    n = len(cells)
    exclusive = np.zeros(n, dtype=bool)
    if spec.exclusive:  # parks, campuses, rivers, hills: mostly the big, thinly peopled cells
        area = shapely.area(cells)
        p = area**2 / (area**2).sum()
        exclusive[rng.choice(n, size=spec.exclusive, replace=False, p=p)] = True

    rows = []
    grid_no: dict[int, int] = {}
    for idx in hierarchy.reading_order(x, y, cell_band):
        s, c = street_rank[idx], community_rank[idx]
        street_code = f"{admin}{s + 1:03d}"
        community_code = f"{street_code}{_local_no(community_rank, street_rank, s, c):03d}"
        grid_no[c] = grid_no.get(c, 0) + 1
        street_name = street_names[s] if street_names[s].endswith(("街道", "镇", "乡")) else street_names[s] + "街道"
        kind = naming.exclusive_kind(rng) if exclusive[idx] else None
        name = f"{names[c]}{kind}专属网格" if kind else f"{names[c]}第{grid_no[c]}网格"
        rows.append((f"{community_code}{grid_no[c]:03d}", name, street_code, street_name, community_code, names[c],
                     "exclusive" if kind else "comprehensive", idx))
    frame = pd.DataFrame(rows, columns=["code", "name", "street_code", "street_name", "community_code",
                                        "community_name", "grid_type", "cell"]).sort_values("code", ignore_index=True)
    _counts(frame, spec, weight / shapely.area(cells), rng)
    return gpd.GeoDataFrame(frame.drop(columns="cell"), geometry=list(cells[frame["cell"]]), crs="EPSG:4326")


def _local_no(community_rank, street_rank, s, c) -> int:
    """1-based number of community ``c`` within street ``s``."""
    return int(np.unique(community_rank[street_rank == s]).searchsorted(c)) + 1


def _counts(frame: pd.DataFrame, spec: DistrictSpec, density, rng) -> None:
    """300–400 households per comprehensive grid (more where denser), residents scaled to the district's total.

    ``density`` is sampled people per unit area of each cell (indexed by ``frame["cell"]``).
    """
    comprehensive = (frame["grid_type"] == "comprehensive").to_numpy()
    dens = density[frame["cell"]]
    rank = dens.argsort().argsort() / max(len(dens) - 1, 1)
    households = np.where(comprehensive, np.round(300 + 100 * np.clip(rank + rng.normal(0, 0.15, len(rank)), 0, 1)), 0)
    per_household = spec.residents / max(households.sum(), 1)
    residents = np.round(households * per_household * rng.uniform(0.9, 1.1, len(frame)))
    residents = np.where(comprehensive, residents, rng.integers(0, 120, len(frame)))  # staff dormitories, guards
    frame["households"] = households.astype(np.int64)
    frame["residents"] = residents.astype(np.int64)
    frame["floating"] = np.round(residents * spec.floating_share * rng.uniform(0.6, 1.4, len(frame))).astype(np.int64)
    frame["special_groups"] = rng.binomial(residents.astype(np.int64), 0.015).astype(np.int64)


def _roster(grids: gpd.GeoDataFrame, rng) -> pd.DataFrame:
    """One full-time worker per grid (一格一员)."""
    n = len(grids)
    return pd.DataFrame({
        "worker_id": ["W" + c for c in grids["code"]],
        "name": naming.person_names(n, rng),
        "device_id": naming.device_ids(n, rng),
        "home_grid": list(grids["code"]),
        "phone": naming.phone_numbers(n, rng),
    })


def cached_district_path(district: str = "东丽区", city: str = "天津市", *, seed: int = 1, progress=None, **counts) -> Path:
    """Build once and cache under ``var/districts/``; later calls return the cached file (a second run starts in seconds)."""
    key = repr((BUILD_VERSION, district, city, seed, sorted((k, v) for k, v in counts.items() if v is not None)))
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    path = var_dir() / "districts" / f"{find_outline(district, city).admin_code}-{digest}.gpkg"
    if not path.exists():
        save_district(build_district(district, city, seed=seed, progress=progress, **counts), path)
    return path


def cached_district(district: str = "东丽区", city: str = "天津市", **kwargs) -> District:
    return load_district(cached_district_path(district, city, **kwargs))
