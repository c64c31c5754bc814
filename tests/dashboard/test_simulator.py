"""The patrol model: stays in its own grid mostly, walks at a plausible speed, visits homes ~3 h, deterministic."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from streams.simulation.model import PatrolModel, SimSettings, local_sim_start
from streams.simulation.sender import HttpSender

T0 = 1_714_521_600.0  # 2024-05-01 08:00 Asia/Shanghai


def _day(district, seed=3, speedup=60.0, hours=10.0, tick_s=1.0, **kw):
    """Run a simulated day starting 08:00 local; returns the model and every ping sent."""
    m = PatrolModel(district, district.workers, SimSettings(seed=seed, speedup=speedup, **kw), start=T0, sim_start=T0)
    pings = []
    for k in range(1, int(hours * 3600 / speedup / tick_s) + 1):
        pings.extend(m.tick(T0 + k * tick_s))
    return m, pings


@pytest.fixture(scope="module")
def big_district():
    from tests.conftest import make_box_district

    return make_box_district(nx=6, ny=5)  # 30 grids of about 870 m × 1,110 m


@pytest.fixture(scope="module")
def day(big_district):
    return _day(big_district)


def test_same_seed_same_day_other_seed_other_day(box_district):
    _, a = _day(box_district, seed=5, hours=2)
    _, b = _day(box_district, seed=5, hours=2)
    _, c = _day(box_district, seed=6, hours=2)
    assert a == b and len(a) > 100
    assert a != c


def test_workers_stay_mostly_in_their_own_grid(big_district):
    m = PatrolModel(big_district, big_district.workers, SimSettings(seed=2, speedup=60), start=T0, sim_start=T0)
    geoms = np.asarray(big_district.grids.geometry.values)
    inside = []
    for k in range(1, 600):
        m.tick(T0 + k)
        if k % 20 == 0:
            lonlat = m.lonlat()
            inside.append(shapely.contains_xy(geoms[m.home], lonlat[:, 0], lonlat[:, 1]).mean())
    assert 0.8 <= np.mean(inside) < 1.0  # mostly home, sometimes visiting a neighbouring grid


def test_walking_speed_is_plausible(big_district):
    speedup = 10.0
    ten = T0 + 2 * 3600  # 10:00, on shift
    m = PatrolModel(big_district, big_district.workers, SimSettings(seed=4, speedup=speedup), start=T0, sim_start=ten)
    before = m.pos.copy()
    m.tick(T0 + 1.0)  # 10 simulated seconds
    step = np.hypot(*(m.pos - before).T) / speedup
    walking = step > 0
    assert walking.mean() >= 0.3  # about half are on a household visit or a pause at any time
    assert np.all(step <= 1.2 * 1.15 + 1e-9)  # never faster than the fastest walker
    assert 0.9 <= np.median(step[walking]) <= 1.4


def test_home_visits_take_about_three_hours(day):
    m, _ = day
    on_shift = m.shift_s > 8 * 3600
    hours = m.visit_s[on_shift] / 3600
    assert 2.0 <= np.median(hours) <= 4.0


def test_no_pings_off_shift_and_half_still_out_at_six(big_district):
    m = PatrolModel(big_district, big_district.workers, SimSettings(seed=1), start=T0, sim_start=T0)
    assert not m.on_shift(T0 - 3600).any()  # 07:00
    assert m.on_shift(T0 + 2 * 3600).all()  # 10:00
    share_at_six = m.on_shift(T0 + 10 * 3600).mean()  # 18:00
    assert 0.2 <= share_at_six <= 0.8


def test_pings_carry_noise_bad_fixes_and_gaps(day, big_district):
    m, pings = day
    zero = sum(p["lon"] == 0 for p in pings) / len(pings)
    assert 0.002 < zero < 0.02
    keys = [(p["device_id"], p["ts"]) for p in pings]
    assert len(keys) - len(set(keys)) > 0  # exact duplicates are sent
    assert all(5 * 0.8 <= p["accuracy_m"] <= 15 * 1.5 for p in pings)
    # each phone pings every 5 wall seconds: 10 h at ×60 = 600 wall s → at most 120 pings per phone (+ duplicates)
    per_device = np.bincount(np.unique([p["device_id"] for p in pings], return_inverse=True)[1])
    assert per_device.max() <= 130
    assert per_device.min() < 120 * 0.97  # silences and shift edges make gaps
    assert {p["device_id"] for p in pings} == set(big_district.workers["device_id"])


def test_local_sim_start():
    assert local_sim_start(None) is None
    assert local_sim_start("08:00", now=T0 + 5000) == T0


class _Resp:
    def __init__(self, status, headers=None, body=None):
        self.status_code, self.headers, self._body, self.text = status, headers or {}, body or {}, ""

    def json(self):
        return self._body


def test_sender_honours_retry_after_then_gives_up():
    sender = HttpSender("http://x", ingest_key="k" * 10, max_retries=2)
    waits = []
    sender.stop.wait = lambda s: waits.append(s) or False
    answers = iter([_Resp(503, {"Retry-After": "2"}), _Resp(503, {"Retry-After": "7"}), _Resp(503)])
    assert sender._with_retries(lambda: next(answers), 10) is None
    assert waits == [2.0, 7.0]
    assert sender.stats.failed == 10 and sender.stats.retries == 2


def test_sender_retries_until_accepted():
    sender = HttpSender("http://x", ingest_key="k" * 10, max_retries=3)
    sender.stop.wait = lambda s: False
    answers = iter([_Resp(503, {"Retry-After": "1"}), _Resp(202, body={"accepted": 3, "rejected": []})])
    sender._session = lambda: type("S", (), {"post": lambda self, *a, **k: next(answers)})()
    sender._post_batch([{"device_id": "1"}] * 3)
    assert sender.stats.accepted == 3 and sender.stats.retries == 1 and sender.stats.failed == 0


@pytest.mark.parametrize("kwargs", [{"interval_s": 0}, {"pause_share": 1.0}, {"visit_min_s": 3000, "visit_max_s": 600}, {"shift_start_h": 18}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        SimSettings(**kwargs)
