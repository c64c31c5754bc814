"""Split an outline into cells of roughly equal population: density-weighted k-means, then Voronoi, clipped.

All the geometry work happens in a local metric plane (an equirectangular projection about the outline's centre),
so that cells are round rather than stretched east-west; cells are mapped back to lon/lat before clipping, so the
outline is never distorted by a round trip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPoint
from shapely.geometry.base import BaseGeometry

from geo.measure import metres_per_degree


@dataclass(frozen=True)
class LocalPlane:
    """lon/lat ↔ metres about (lon0, lat0)."""

    lon0: float
    lat0: float

    @classmethod
    def about(cls, geom: BaseGeometry) -> LocalPlane:
        c = geom.centroid
        return cls(c.x, c.y)

    @property
    def _scale(self) -> tuple[float, float]:
        return metres_per_degree(self.lat0)

    def to_m(self, coords: np.ndarray) -> np.ndarray:
        mx, my = self._scale
        return (coords - (self.lon0, self.lat0)) * (mx, my)

    def to_deg(self, coords: np.ndarray) -> np.ndarray:
        mx, my = self._scale
        return coords / (mx, my) + (self.lon0, self.lat0)


def sample_density(outline_m: BaseGeometry, n: int, rng: np.random.Generator, towns: int) -> np.ndarray:
    """``n`` points inside ``outline_m`` drawn from a population density: a few towns plus a thin rural base.

    Each town is a Gaussian of 1.2–3.5 km; 12% of people live spread evenly. This makes grids small where
    people live densely and large at the edges, as the field draws them.
    """
    minx, miny, maxx, maxy = outline_m.bounds
    centres = _uniform_inside(outline_m, towns, rng, (minx, miny, maxx, maxy))
    sigmas = rng.uniform(1200, 3500, towns)
    weights = rng.dirichlet(np.full(towns, 2.0))
    n_base = int(n * 0.12)
    picks = rng.choice(towns, size=n - n_base, p=weights)
    # Draw generously, keep the ones inside; loop until we have enough (concave outlines lose many).
    out = [_uniform_inside(outline_m, n_base, rng, (minx, miny, maxx, maxy))]
    need = picks
    while need.size:
        pts = centres[need] + rng.normal(size=(need.size, 2)) * sigmas[need, None]
        inside = shapely.contains_xy(outline_m, pts[:, 0], pts[:, 1])
        out.append(pts[inside])
        need = need[~inside]
    return np.concatenate(out)


def _uniform_inside(outline_m, n, rng, bounds) -> np.ndarray:
    minx, miny, maxx, maxy = bounds
    got: list[np.ndarray] = []
    count = 0
    shapely.prepare(outline_m)
    while count < n:
        pts = rng.uniform((minx, miny), (maxx, maxy), size=(max(2 * (n - count), 64), 2))
        pts = pts[shapely.contains_xy(outline_m, pts[:, 0], pts[:, 1])]
        got.append(pts)
        count += len(pts)
    return np.concatenate(got)[:n]


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 10) -> np.ndarray:
    """Lloyd's k-means on 2-D points; returns the cluster of each point (0..k-1), every cluster non-empty.

    Nearest-centre assignment uses shapely's STRtree, which keeps this at O(n log k) without scipy.
    """
    if k > len(points):
        raise ValueError(f"cannot make {k} clusters from {len(points)} points")
    centres = points[rng.choice(len(points), size=k, replace=False)]
    labels = np.zeros(len(points), dtype=np.int64)
    pts = shapely.points(points)
    for _ in range(iterations):
        labels = _nearest(pts, centres)
        counts = np.bincount(labels, minlength=k)
        empty = np.flatnonzero(counts == 0)
        sums_x = np.bincount(labels, weights=points[:, 0], minlength=k)
        sums_y = np.bincount(labels, weights=points[:, 1], minlength=k)
        nz = counts > 0
        centres[nz] = np.column_stack([sums_x[nz] / counts[nz], sums_y[nz] / counts[nz]])
        if empty.size:  # reseed an empty cluster at a random point so every cluster survives
            centres[empty] = points[rng.choice(len(points), size=empty.size, replace=False)]
    labels = _nearest(pts, centres)
    missing = np.setdiff1d(np.arange(k), labels)
    for c in missing:  # a reseeded centre that won nothing: give it the point nearest to it
        labels[np.argmin(((points - centres[c]) ** 2).sum(axis=1))] = c
    return labels


def _nearest(pts: np.ndarray, centres: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(shapely.points(centres))
    src, dst = tree.query_nearest(pts, all_matches=False)
    labels = np.empty(len(pts), dtype=np.int64)
    labels[src] = dst
    return labels


def voronoi_cells(outline: BaseGeometry, plane: LocalPlane, sites_m: np.ndarray) -> np.ndarray:
    """One polygon per site (same order): its Voronoi cell, mapped back to lon/lat and clipped to ``outline``.

    A clipped cell can come out in several parts where the outline is concave; :func:`heal_parts` fixes that.
    """
    minx, miny = sites_m.min(axis=0) - 50_000
    maxx, maxy = sites_m.max(axis=0) + 50_000
    env = shapely.box(minx, miny, maxx, maxy)
    cells = shapely.voronoi_polygons(MultiPoint(sites_m), extend_to=env, ordered=True)
    cells_deg = shapely.transform(np.asarray(cells.geoms), plane.to_deg)
    return shapely.intersection(cells_deg, outline)


def heal_parts(cells: np.ndarray, sites_deg: np.ndarray) -> np.ndarray:
    """Make every cell a single polygon: the part holding its site stays, stray parts join the neighbour
    that shares the longest border with them. Cells stay a partition (no gaps, no overlaps)."""
    cells = cells.copy()
    strays: list[BaseGeometry] = []
    for i, cell in enumerate(cells):
        parts = [g for g in getattr(cell, "geoms", [cell]) if g.geom_type == "Polygon" and not g.is_empty]
        if len(parts) <= 1:
            cells[i] = parts[0] if parts else cell
            continue
        site = shapely.points(sites_deg[i])
        keep = min(range(len(parts)), key=lambda j: parts[j].distance(site) - parts[j].area * 1e-9)
        cells[i] = parts[keep]
        strays.extend(p for j, p in enumerate(parts) if j != keep)
    for stray in sorted(strays, key=lambda g: -g.area):
        tree = shapely.STRtree(cells)
        cand = tree.query(stray, predicate="intersects")
        shared = shapely.length(shapely.intersection(shapely.boundary(cells[cand]), stray.boundary))
        target = cand[int(np.argmax(shared))]
        merged = shapely.union(cells[target], stray)
        cells[target] = merged if merged.geom_type == "Polygon" else shapely.union_all([cells[target], stray])
    return cells
