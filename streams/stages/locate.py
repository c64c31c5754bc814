"""LocateGrid: which grid each fix is in, for the whole batch in one bulk locator call.

The locator is the district's (``district.locator``: ``locate(lon_arr, lat_arr) -> int64 row, -1 outside``,
from ``geo.locate``).  Until that module exists :class:`StrTreeLocator` stands in with the same signature: a
point on an edge shared by two grids goes to the grid with the lower row (deterministic, one grid only).
"""

from __future__ import annotations

import numpy as np
import shapely

from streams.stages import BatchStage
from streams.stages.model import Batch


class StrTreeLocator:
    """Point → grid row by an STRtree ``intersects`` query (boundary points included, lowest row wins)."""

    def __init__(self, geometries):
        self.tree = shapely.STRtree(np.asarray(geometries))
        self.n = len(self.tree.geometries)

    def locate(self, lon, lat) -> np.ndarray:
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        out = np.full(lon.shape, -1, dtype=np.int64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return out
        points = shapely.points(lon[ok], lat[ok])
        pt_idx, grid_idx = self.tree.query(points, predicate="intersects")
        best = np.full(len(points), self.n, dtype=np.int64)
        np.minimum.at(best, pt_idx, grid_idx)
        best[best == self.n] = -1
        out[ok] = best
        return out


def district_locator(district):
    """The district's bulk locator, or the STRtree stand-in if ``geo.locate`` is not there yet."""
    try:
        return district.locator
    except (ImportError, AttributeError):
        return StrTreeLocator(district.grids.geometry.values)


class LocateGrid(BatchStage):
    """Sets ``grid`` (code or ``None`` outside the district), ``street`` and ``outside`` (not in own grid)."""

    def __init__(self, locator, grid_codes, street_codes):
        self.locator = locator
        # Object arrays with a trailing None so that row -1 (outside) maps to None.
        self.codes = np.array([*map(str, grid_codes), None], dtype=object)
        self.streets = np.array([*map(str, street_codes), None], dtype=object)

    @classmethod
    def from_district(cls, district) -> LocateGrid:
        grids = district.grids
        return cls(district_locator(district), grids["code"], grids["street_code"])

    def handle_batch(self, pings, batch: Batch) -> None:
        lon, lat = batch.columns(pings, "lon", "lat")
        rows = np.asarray(self.locator.locate(lon, lat), dtype=np.int64)
        codes, streets = self.codes[rows].tolist(), self.streets[rows].tolist()
        roster = batch.roster
        for ping, code, street in zip(pings, codes, streets, strict=True):
            ping.grid, ping.street = code, street
            worker = roster.by_worker(ping.w)
            ping.outside = worker is not None and code != worker.home_grid
