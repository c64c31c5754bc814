"""Shared fixtures: a tiny box district (geopandas-style 2×2 box grids, scaled up to 3×3) for every package's tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import geopandas as gpd
import pandas as pd
import pytest
import time_machine
from shapely.geometry import box
from shapely.ops import unary_union

from geo.district import District

# A 3×3 block of 0.01° boxes near Dongli (about 870 m × 1,110 m each).
# Street 001 holds the west column, street 002 the other two; each street has communities by row pairs.
ORIGIN_LON, ORIGIN_LAT, STEP_DEG = 117.30, 39.10, 0.01


def make_box_district(nx: int = 3, ny: int = 3, admin_code: str = "120110") -> District:
    rows = []
    for j in range(ny):  # north to south
        for i in range(nx):  # west to east
            street = 1 if i == 0 else 2
            community = 1 if j < 2 else 2
            street_code = f"{admin_code}{street:03d}"
            community_code = f"{street_code}{community:03d}"
            grid_no = sum(1 for r in rows if r["community_code"] == community_code) + 1
            # Rounded so neighbouring boxes share their edges exactly (39.1 - 0.02 is not 39.08 in floats).
            lon0 = round(ORIGIN_LON + i * STEP_DEG, 10)
            lat1 = round(ORIGIN_LAT - j * STEP_DEG, 10)
            lon1, lat0 = round(lon0 + STEP_DEG, 10), round(lat1 - STEP_DEG, 10)
            rows.append(
                {
                    "code": f"{community_code}{grid_no:03d}",
                    "name": f"测试{street}街道·{community}社区第{grid_no}网格",
                    "street_code": street_code,
                    "street_name": f"测试{street}街道",
                    "community_code": community_code,
                    "community_name": f"测试{street}-{community}社区",
                    "grid_type": "comprehensive",
                    "households": 350,
                    "residents": 800,
                    "floating": 120,
                    "special_groups": 6,
                    "geometry": box(lon0, lat0, lon1, lat1),
                }
            )
    grids = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    workers = pd.DataFrame(
        {
            "worker_id": [f"W{c}" for c in grids["code"]],
            "name": [f"格格{k}" for k in range(len(grids))],
            "device_id": [f"{860000000000000 + k}" for k in range(len(grids))],
            "home_grid": list(grids["code"]),
            "phone": [f"1380000{k:04d}" for k in range(len(grids))],
        }
    )
    return District(
        admin_code=admin_code,
        name="测试区",
        city="测试市",
        outline=unary_union(list(grids.geometry)),
        grids=grids,
        workers=workers,
    )


# A working Wednesday mid-morning in the district (inside the shift, no holiday near): for tests where "today"
# matters, so that an instant a minute or an hour before the test's "now" is on the same local day.
MIDDAY = datetime(2026, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def midday():
    """The clock travelled to :data:`MIDDAY`, ticking (threads and servers see time pass); yields the instant."""
    with time_machine.travel(MIDDAY, tick=True):
        yield MIDDAY


@pytest.fixture
def box_district() -> District:
    """9 box grids in 2 streets and 4 communities, one worker per grid."""
    return make_box_district()


_clock_key = pytest.StashKey[datetime]()

# --clock-at: the whole run with the clock set to one instant (see the Makefile's test-midnight).
CLOCK_AT = "--clock-at"


def pytest_addoption(parser):
    parser.addoption(
        CLOCK_AT, metavar="ISO", default=None,
        help="run each test (its fixtures too) with the clock travelled to this aware instant, ticking from it, "
             "e.g. 2026-12-01T00:00:30+08:00; tests marked real_clock keep the real clock")  # fmt: skip


def pytest_configure(config):
    raw = config.getoption(CLOCK_AT)
    if raw:
        try:
            at = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise pytest.UsageError(f"{CLOCK_AT}: not an ISO date-time: {raw!r}") from exc
        if at.tzinfo is None:
            raise pytest.UsageError(f"{CLOCK_AT}: give an offset (e.g. +08:00), got {raw!r}")
        config.stash[_clock_key] = at


def pytest_report_header(config):
    at = config.stash.get(_clock_key, None)
    return f"clock at {at.isoformat()} (ticking; real_clock tests excepted)" if at else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    # Around setup, call and teardown alike, so fixtures that read "now" see the same day as the test.
    # Each test starts again at the instant: every one of them runs in the first seconds of the day.
    at = item.config.stash.get(_clock_key, None)
    if at is None or item.get_closest_marker("real_clock"):
        return (yield)
    with time_machine.travel(at, tick=True):
        return (yield)
