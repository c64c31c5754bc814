"""Stages after the filters: locate, ordering, motion, status, alerts, and per-ping crash isolation."""

from __future__ import annotations

import orjson
import pytest

from geo.locate import GridLocator
from streams.stages import BatchStage, PingStage
from streams.stages._util import live_entry
from streams.stages.alerts import RaiseAlerts
from streams.stages.locate import LocateGrid
from streams.stages.model import Ping
from streams.stages.motion import DetectMotion, LinkPrevious
from streams.stages.push import PushChanges
from streams.stages.status import UpdateStatus, status_of
from tests.conftest import ORIGIN_LAT, ORIGIN_LON, STEP_DEG
from tests.streams.helpers import make_settings
from tests.streams.stagekit import T0, ping, run, stored

W = "W120110001001001"  # home: the north-west box (lon 117.30–117.31, lat 39.09–39.10)
EDGE_LON = ORIGIN_LON + STEP_DEG  # the edge shared by the first two columns


@pytest.fixture(params=["district", "fine-cells"])
def locate(request, district):
    if request.param == "district":
        return LocateGrid.from_district(district)
    grids = district.grids  # geo's locator with 5 m cells: more boundary cells, the same answers
    return LocateGrid(GridLocator.from_grids(grids, cell_m=5.0), grids["code"], grids["street_code"])


def codes_around(district, lon, lat):
    """Codes of every grid whose closed polygon holds the point."""
    from shapely.geometry import Point

    return set(district.grids.loc[district.grids.covers(Point(lon, lat)), "code"])


@pytest.mark.parametrize(
    ("lon", "lat", "n_candidates"),
    [
        pytest.param(ORIGIN_LON + 0.005, ORIGIN_LAT - 0.005, 1, id="inside"),
        pytest.param(EDGE_LON, ORIGIN_LAT - 0.005, 2, id="on-a-shared-edge"),
        pytest.param(EDGE_LON, ORIGIN_LAT - STEP_DEG, 4, id="on-a-shared-corner"),
        pytest.param(ORIGIN_LON, ORIGIN_LAT - 0.005, 1, id="on-the-district-outline"),
    ],
)
def test_locate_puts_each_point_in_exactly_one_of_its_grids(locate, district, roster, lon, lat, n_candidates):
    s = make_settings()
    a, b = ping(W, lon=lon, lat=lat), ping(W, lon=lon, lat=lat, ts=T0 + 1)
    run([locate], [a, b], s, roster)
    candidates = codes_around(district, lon, lat)
    assert len(candidates) == n_candidates
    assert a.grid in candidates and a.grid == b.grid  # one grid, the same every time
    assert a.street == a.grid[:9]


def test_locate_outside_the_district(locate, roster):
    s = make_settings()
    p = ping(W, lon=118.0, lat=39.0)
    run([locate], [p], s, roster)
    assert p.grid is None and p.street is None and p.outside


def test_locate_marks_outside_own_grid(locate, roster):
    s = make_settings()
    home, away = ping(W), ping(W, lon=EDGE_LON + 0.005, ts=T0 + 1)
    run([locate], [home, away], s, roster)
    assert (home.outside, away.outside) == (False, True)


def test_late_fix_is_linked_but_marked_late(roster):
    s = make_settings()
    newer, late, next_ = ping(W, ts=T0), ping(W, ts=T0 - 30), ping(W, ts=T0 + 5)
    run([LinkPrevious()], [newer, late, next_], s, roster, state={W: stored(W, ts=T0 - 60)})
    assert newer.prev.ts == T0 - 60 and not newer.late
    assert late.late and late.prev is newer
    assert next_.prev is newer and not next_.late


@pytest.mark.parametrize(
    ("kwargs", "moving"),
    [
        pytest.param({"spd": 5.0}, True, id="reported-walking"),
        pytest.param({"spd": 0.5}, False, id="reported-still"),
        pytest.param({"lon": 117.30512}, True, id="derived-10m-in-5s"),
        pytest.param({"lon": 117.305012}, False, id="jitter-1m"),
        pytest.param({"ts": T0 - 10, "lon": 117.306}, False, id="late"),
    ],
)
def test_detect_motion(roster, kwargs, moving):
    s = make_settings()
    p = ping(W, **{"ts": T0 + 5, **kwargs})
    run([LinkPrevious(), DetectMotion(s.moving_speed_kmh, s.min_move_m)], [p], s, roster, state={W: stored(W, ts=T0)})
    assert p.moving is moving


def _motion(pings, roster, state, idle_after_s=1800):
    s = make_settings()
    run([LinkPrevious(), DetectMotion(s.moving_speed_kmh, s.min_move_m, idle_after_s)], pings, s, roster, state=state)


def test_idle_after_being_still_long_enough(roster):
    """Still since the stored fix's ``_still_since``: idle once that is ``idle_after_s`` ago, not a second earlier."""
    still = {W: stored(W, ts=T0, moving=False, _still_since=T0 - 1790)}
    early, late = ping(W, ts=T0 + 5, spd=0.0), ping(W, ts=T0 + 10, spd=0.0)
    _motion([early, late], roster, still)
    assert (early.still_since, late.still_since) == (T0 - 1790, T0 - 1790)
    assert early.idle is False and late.idle is True


def test_moving_resets_idle_and_the_still_clock(roster):
    idle = {W: stored(W, ts=T0, moving=False, _still_since=T0 - 4000, idle=True)}
    walk, stop = ping(W, ts=T0 + 5, spd=4.0), ping(W, ts=T0 + 10, spd=0.0)
    _motion([walk, stop], roster, idle)
    assert walk.idle is False and walk.still_since is None
    assert stop.idle is False and stop.still_since == T0 + 10


def test_a_late_fix_leaves_the_still_clock_alone_and_idle_can_be_off(roster):
    state = {W: stored(W, ts=T0, moving=False, _still_since=T0 - 4000)}
    late = ping(W, ts=T0 - 30, spd=0.0)
    _motion([late], roster, state)
    assert late.late and late.still_since is None and late.idle is False
    off = ping(W, ts=T0 + 5, spd=0.0)
    _motion([off], roster, state, idle_after_s=0)
    assert off.still_since == T0 - 4000 and off.idle is False


@pytest.mark.parametrize(("age", "status"), [(0, "online"), (119, "online"), (120, "stale"), (599, "stale"), (600, "offline")])
def test_status_by_age(roster, age, status):
    s = make_settings()
    assert status_of(age, s.stale_after_s, s.offline_after_s) == status
    p = ping(W, ts=T0 - age)
    run([UpdateStatus(s.stale_after_s, s.offline_after_s)], [p], s, roster, now=T0)
    assert p.status == status


def _alerts(pings, roster, state, outside_alert_s=600):
    s = make_settings()
    batch = run([LinkPrevious(), RaiseAlerts(outside_alert_s)], pings, s, roster, state=state)
    return [a["kind"] for a in batch.alerts], batch


def test_outside_own_grid_alert_fires_once_after_the_limit(roster):
    out = dict(outside=True, grid="120110002001001")
    pings = [ping(W, ts=T0 + k * 200, **out) for k in range(5)]  # 0, 200, ..., 800 s outside
    kinds, batch = _alerts(pings, roster, {})
    assert kinds == ["outside_grid"]
    assert [p.outside_alerted for p in pings] == [False, False, False, True, True]
    assert batch.alerts[0]["w"] == W and batch.alerts[0]["grid"] == "120110002001001" and batch.alerts[0]["message"]


def test_outside_since_carries_over_from_the_stored_state(roster):
    state = {W: stored(W, ts=T0 - 60, outside=True, _outside_since=T0 - 700)}
    kinds, _ = _alerts([ping(W, outside=True)], roster, state)
    assert kinds == ["outside_grid"]


def test_back_inside_resets_the_excursion(roster):
    state = {W: stored(W, ts=T0 - 60, outside=True, _outside_since=T0 - 700, _outside_alerted=True)}
    p = ping(W, outside=False)
    kinds, _ = _alerts([p], roster, state)
    assert kinds == [] and p.outside_since is None and not p.outside_alerted


@pytest.mark.parametrize("spelling", ["current", "before-issue-13"])
def test_private_fields_of_a_stored_entry_are_read_in_either_spelling(spelling):
    names = ("_outside_since", "_outside_alerted", "_still_since")
    if spelling == "before-issue-13":
        names = ("_os", "_oa", "_ss")
    p = stored(W, ts=T0 - 60, outside=True, **dict(zip(names, (T0 - 700, True, T0 - 300), strict=True)))
    assert (p.outside_since, p.outside_alerted, p.still_since) == (T0 - 700, True, T0 - 300)



def test_the_stored_entry_keeps_the_private_fields_for_the_next_batch():
    fix = ping(W, outside=True, outside_since=T0 - 700, outside_alerted=True, still_since=T0 - 300)
    back = Ping.from_live(orjson.loads(orjson.dumps(live_entry(fix, None))))
    assert (back.outside_since, back.outside_alerted, back.still_since) == (T0 - 700, True, T0 - 300)


def test_sos_once_and_back_online(roster):
    state = {W: stored(W, ts=T0 - 900, status="offline")}
    a, b = ping(W, sos=True), ping(W, ts=T0 + 5, sos=True)
    kinds, _ = _alerts([a, b], roster, state)
    assert kinds == ["sos", "back_online"]


def test_late_fix_raises_nothing_and_pushes_nothing(roster):
    s = make_settings()
    late = ping(W, ts=T0 - 120, sos=True, outside=True)
    batch = run([LinkPrevious(), RaiseAlerts(1), PushChanges()], [late], s, roster, state={W: stored(W, ts=T0)})
    assert batch.alerts == [] and batch.rows == {}


class _Explodes(PingStage):
    def handle(self, ping, batch):
        if ping.ts == T0 + 1:
            raise ZeroDivisionError("boom")


class _ExplodesInBulk(BatchStage):
    def handle_batch(self, pings, batch):
        if any(p.ts == T0 + 1 for p in pings):
            raise ValueError("poison in the batch")
        for p in pings:
            p.grid = "done"


@pytest.mark.parametrize("stage", [_Explodes(), _ExplodesInBulk()], ids=["ping-stage", "batch-stage"])
def test_a_stage_that_raises_dead_letters_only_that_ping(roster, stage):
    s = make_settings()
    pings = [ping(W, ts=T0 + k) for k in range(4)]
    batch = run([stage], pings, s, roster)
    assert [p.alive for p in pings] == [True, False, True, True]
    ((dead, stage_name, reason),) = batch.dead
    assert dead is pings[1] and stage_name == type(stage).__name__ and "Error" in reason
    if isinstance(stage, BatchStage):
        assert [p.grid for p in pings] == ["done", None, "done", "done"]
