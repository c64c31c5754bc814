"""Visits over tracks in Redis: the parse cache, per worker-day figures joined with patrol, coverage over days."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from geo.locate import GridLocator
from geo.measure import metres_per_degree
from streams.patrol import SEP, patrol_keys
from streams.tracks import TrackStore, decode, encode, write_track
from streams.visits import VisitReader

TZ = ZoneInfo("Asia/Shanghai")


def _day_start(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=TZ).timestamp()


def _centre(district, grid):
    c = district.grids.set_index("code").loc[grid, "geometry"].representative_point()
    return c.x, c.y


def _visit_track(t0, lon, lat, visit_min, walk_min=10, period_s=5.0, seed=1):
    """Walk ``walk_min`` minutes east at 1 m/s, then a visit of ``visit_min`` minutes, 8 m of noise."""
    rng = np.random.default_rng(seed)
    kx, ky = metres_per_degree(lat)
    n_walk, n_stay = int(walk_min * 60 / period_s), int(visit_min * 60 / period_s)
    x = np.concatenate([np.arange(n_walk) * period_s * 1.0, np.full(n_stay, n_walk * period_s)])
    t = t0 + np.arange(n_walk + n_stay) * period_s
    x = x + rng.normal(0, 8, x.size)
    y = rng.normal(0, 8, x.size)
    return np.column_stack([t, lon - 0.003 + x / kx, lat + y / ky])


@pytest.fixture
def reader(client, settings, roster, district):
    return VisitReader(client, settings, roster, GridLocator.from_grids(district.grids))


def test_track_store_caches_and_reads_only_the_tail(client, settings):
    store = TrackStore(client, settings)
    day = "2026-03-02"
    a = _visit_track(_day_start(day) + 9 * 3600, 117.305, 39.095, 20)
    pipe = client.pipeline()
    write_track(pipe, settings, day, "W1", a[:100])
    pipe.execute()
    first = store.read(day, ["W1", "nobody"])
    assert len(first["W1"]) == 100 and len(first["nobody"]) == 0
    assert client.exists(settings.key("trackc", day, "W1"))
    pipe = client.pipeline()
    write_track(pipe, settings, day, "W1", a[100:])
    pipe.execute()
    assert np.allclose(store.read(day, ["W1"])["W1"], a, atol=1e-6)
    # a late fix inside the cached part: the worker is parsed again in full, in time order
    late = np.array([[a[50, 0] + 1.0, a[50, 1], a[50, 2]]])
    pipe = client.pipeline()
    write_track(pipe, settings, day, "W1", late)
    pipe.execute()
    again = store.read(day, ["W1"])["W1"]
    assert len(again) == len(a) + 1 and np.all(np.diff(again[:, 0]) > 0)
    window = store.read(day, ["W1"], a[10, 0], a[19, 0])["W1"]
    assert len(window) == 10


def test_encode_round_trip():
    a = _visit_track(1_772_000_000.0, 117.305, 39.095, 6)
    enc = encode(a, 1_772_000_000.0)
    assert enc["x"].dtype.kind == "i" and list(enc["t"]) == [0, 1, 5, len(a) - 1]  # one run of 5-s steps
    back = decode(enc, 1_772_000_000.0)
    assert np.allclose(back[:, 1:], a[:, 1:], atol=1e-5) and np.allclose(back[:, 0], a[:, 0], atol=0.5)


def test_day_figures_join_stays_with_patrol(client, settings, reader, district, roster, midday):
    day = "2026-03-02"  # a past day at midday (2026-06-10): its figures are stored
    w_in, w_out = roster.in_street(roster.workers[0].street_code)[:2]
    lon, lat = _centre(district, w_in.home_grid)
    pipe = client.pipeline()
    write_track(pipe, settings, day, w_in.worker_id, _visit_track(_day_start(day) + 9 * 3600, lon, lat, 30))
    # the second worker visits inside the first worker's grid: a stay, but not in the own grid
    write_track(pipe, settings, day, w_out.worker_id, _visit_track(_day_start(day) + 10 * 3600, lon, lat, 12, seed=2))
    wkey, gkey = patrol_keys(settings, day)
    pipe.hset(wkey, mapping={f"{w_in.worker_id}{SEP}{w_in.home_grid}": 2400.0,
                             f"{w_out.worker_id}{SEP}{w_in.home_grid}": 1320.0})
    pipe.hset(gkey, mapping={w_in.home_grid: 3720.0})
    pipe.execute()
    fig = reader.day(day, w_in.street_code, with_stays=True)
    rows = {w["id"]: w for w in fig["workers"]}
    a, b = rows[w_in.worker_id], rows[w_out.worker_id]
    assert a["visits"] == 1 and 29 <= a["visit_minutes_home"] <= 32 and a["below_target"]
    assert a["stays"][0]["grid"] == w_in.home_grid and a["stays"][0]["own"]
    assert 500 <= a["distance_m"] <= 700  # 600 m walked; the visit's jitter is not distance
    assert a["patrol_minutes"] == 40.0 and a["grids_entered"] == [w_in.home_grid]
    assert b["visits"] == 1 and b["visit_minutes_home"] == 0 and b["visit_minutes"] >= 11
    grid = {g["grid"]: g for g in fig["grids"]}[w_in.home_grid]
    assert grid["visit_minutes"] >= 40 and grid["visited"]
    assert "stay" in fig["definitions"] and "visit_minutes_home" in fig["definitions"]
    # a past day's figures are stored and survive the track's expiry
    client.delete(settings.key("track", day, w_in.worker_id), settings.key("trackc", day, w_in.worker_id))
    again = {w["id"]: w for w in reader.day(day, w_in.street_code)["workers"]}
    assert again[w_in.worker_id]["visits"] == 1


def test_coverage_counts_days_visited_and_workers_below_target(client, settings, reader, roster):
    first = date(2026, 3, 2)
    w = roster.workers[0]
    for k in (0, 2):
        day = (first + timedelta(days=k)).isoformat()
        client.hset(patrol_keys(settings, day)[0], f"{w.worker_id}{SEP}{w.home_grid}", 600.0)
    cov = reader.coverage(w.street_code, first, first + timedelta(days=2))
    grids = {g["grid"]: g for g in cov["grids"]}
    assert grids[w.home_grid]["days_visited"] == 2 and grids[w.home_grid]["days"] == 3
    others = [g for g in grids if g != w.home_grid]
    assert others and set(others) <= set(cov["not_visited"]) and w.home_grid not in cov["not_visited"]
    row = {x["id"]: x for x in cov["workers"]}[w.worker_id]
    assert row["days_active"] == 2 and row["below_target_days"] == 2 and w.worker_id in cov["below_target"]
    assert all(g["street"] == w.street_code for g in cov["grids"])


def test_a_simulated_morning_written_as_history_reads_back_as_visits(client, settings, reader, district, roster):
    from streams.history import simulate_tracks, write_history

    day = "2026-03-03"
    start = _day_start(day) + 8 * 3600
    street = roster.workers[0].street_code
    mine = district.workers[district.workers["home_grid"].isin([w.home_grid for w in roster.in_street(street)])]
    tracks = simulate_tracks(district, mine, start=start, end=start + 4 * 3600)
    n = write_history(client, settings, reader.locator, tracks)
    assert n == sum(len(a) for a in tracks.values()) > 3 * 2000
    fig = reader.day(day, street)
    rows = {w["id"]: w for w in fig["workers"]}
    for wid, a in tracks.items():
        row = rows[wid]
        span_min = (a[-1, 0] - a[0, 0]) / 60
        assert 0.9 * span_min <= row["patrol_minutes"] <= span_min + 1  # fixes every 5 s: all of it is patrol
        assert row["visits"] >= 2 and 0 < row["visit_minutes_home"] <= row["patrol_minutes_home"]
        assert row["distance_m"] > 1000
