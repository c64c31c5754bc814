"""LocateGrid: which grid each fix is in, for the whole batch in one bulk locator call.

The locator is the district's own (``district.locator``, a :class:`geo.locate.GridLocator`:
``locate(lon_arr, lat_arr) -> int64 row, -1 outside``): a point on an edge shared by two grids goes to the grid
with the lower row (deterministic, one grid only).
"""

from __future__ import annotations

import numpy as np

from streams.stages import BatchStage
from streams.stages.model import Batch


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
        return cls(district.locator, grids["code"], grids["street_code"])

    def handle_batch(self, pings, batch: Batch) -> None:
        lon, lat = batch.columns(pings, "lon", "lat")
        rows = np.asarray(self.locator.locate(lon, lat), dtype=np.int64)
        codes, streets = self.codes[rows].tolist(), self.streets[rows].tolist()
        roster = batch.roster
        for ping, code, street in zip(pings, codes, streets, strict=True):
            ping.grid, ping.street = code, street
            worker = roster.by_worker(ping.w)
            ping.outside = worker is not None and code != worker.home_grid
