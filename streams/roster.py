"""The worker roster: device id → worker → home grid (and so street and community).

The district file carries one worker per grid (一格一员); a roster CSV with the columns of
``geo.district.WORKER_COLUMNS`` can replace it.  Home grids must exist in the district.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True, slots=True)
class Worker:
    worker_id: str
    name: str
    device_id: str
    home_grid: str
    street_code: str
    community_code: str


class Roster:
    """Look-ups by device and by worker id, and the street rooms.

    Examples
    --------
    >>> from tests.conftest import make_box_district
    >>> r = Roster.from_district(make_box_district())
    >>> r.by_device("860000000000000").home_grid
    '120110001001001'
    """

    def __init__(self, workers: list[Worker], street_names: dict[str, str] | None = None):
        self.workers = list(workers)
        self._by_worker = {w.worker_id: w for w in self.workers}
        self._by_device = {w.device_id: w for w in self.workers if w.device_id}
        if len(self._by_worker) != len(self.workers):
            raise ValueError("roster has duplicate worker_id values")
        self.street_names = dict(street_names or {})

    @classmethod
    def from_district(cls, district) -> Roster:
        return cls._from_frame(district.workers, district)

    @classmethod
    def from_csv(cls, path: str | Path, district) -> Roster:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = {"worker_id", "name", "device_id", "home_grid"} - set(frame.columns)
        if missing:
            raise ValueError(f"roster {path}: missing column(s) {sorted(missing)}")
        return cls._from_frame(frame, district)

    @classmethod
    def _from_frame(cls, frame: pd.DataFrame, district) -> Roster:
        grids = district.grids.set_index("code")
        workers, unknown = [], []
        for row in frame.itertuples(index=False):
            home = str(row.home_grid)
            if home not in grids.index:
                unknown.append(home)
                continue
            g = grids.loc[home]
            workers.append(
                Worker(
                    worker_id=str(row.worker_id),
                    name=str(row.name),
                    device_id=str(row.device_id),
                    home_grid=home,
                    street_code=str(g["street_code"]),
                    community_code=str(g["community_code"]),
                )
            )
        if unknown:
            raise ValueError(f"roster: {len(unknown)} home grid(s) not in the district, e.g. {unknown[:3]}")
        names = dict(zip(district.grids["street_code"], district.grids["street_name"], strict=True))
        return cls(workers, names)

    def by_device(self, device_id: str) -> Worker | None:
        return self._by_device.get(device_id)

    def by_worker(self, worker_id: str) -> Worker | None:
        return self._by_worker.get(worker_id)

    def in_street(self, street_code: str) -> list[Worker]:
        return [w for w in self.workers if w.street_code == street_code]

    @property
    def street_codes(self) -> list[str]:
        return sorted({w.street_code for w in self.workers} | set(self.street_names))

    def __len__(self) -> int:
        return len(self.workers)
