"""The patrol model: a district's grid workers walking their patrols, and the pings their phones send.

:class:`PatrolModel` is pure and vectorised with numpy (1,147 or 20,000 workers per tick):

- each worker starts from a random point of their own grid and walks at about 1.2 m/s between random points inside
  it; at some arrivals in the own grid they make a household visit (入户) of 10–40 minutes, and now and then they
  pause for 1–3 minutes (a word with a resident, a notice board).  Each worker has a daily visit target: 3–4 hours for most,
  1–2.5 hours for a share of "short" workers (so the street screen has someone below the 3-hour mark); the chance
  of a visit at an arrival follows what is left of the target and of the shift, so the visits spread over the day
  and at any on-shift minute about half of the online workers are moving;
- now and then a trip to a neighbouring grid (no visits there), then back home;
- shifts 08:30–17:30 Asia/Shanghai, each worker starting ±10 min and ending −10…+70 min around it (near 6 pm
  about half are still out, as on Dongli's wall screen); off shift the phone sends nothing;
- some phones go silent for a while (about 3 % at any time, ~10 min each);
- GPS noise of 5–15 m per phone, and a small share of bad fixes: (0, 0), kilometre jumps, exact duplicates.

The simulated clock runs ``speedup`` times faster than the wall clock; pings carry the wall-clock time (so that the
pipeline's future/age filters accept them) and the phones ping every ``interval_s`` wall seconds.
Everything is deterministic for a given ``seed`` and sequence of tick times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import shapely

WALK, VISIT, PAUSE = 0, 1, 2
_POOL = 48  # candidate patrol points per grid


@dataclass(frozen=True)
class SimSettings:
    """Units in the names; times of day are local (``timezone``)."""

    interval_s: float = 5.0  # wall seconds between two pings of one phone
    speedup: float = 1.0  # simulated seconds per wall second
    walk_speed_mps: float = 1.2
    visit_target_min_h: float = 3.0  # daily home-visit target of a normal worker: uniform in [min, max] hours
    visit_target_max_h: float = 4.0
    short_share: float = 0.15  # share of workers who fall short of 3 h
    short_target_min_h: float = 1.0
    short_target_max_h: float = 2.5
    visit_min_s: float = 600.0  # one household visit: uniform 10–40 minutes (simulated seconds)
    visit_max_s: float = 2400.0
    pause_share: float = 0.14  # share of the shift spent in short pauses (not visits: under the 5-minute stay)
    pause_min_s: float = 60.0
    pause_max_s: float = 180.0  # with the walk in and out, a pause stays under the 5-minute stay threshold
    neighbour_trip_prob: float = 0.05  # chance that the next patrol target lies in a neighbouring grid
    shift_start_h: float = 8.5
    shift_end_h: float = 17.5
    silent_share: float = 0.03  # share of on-shift phones silent at any time
    silent_mean_s: float = 600.0  # mean silence (simulated seconds)
    noise_min_m: float = 5.0
    noise_max_m: float = 15.0
    bad_fix_share: float = 0.01  # zero coordinates, jumps and duplicates, in equal parts
    sos_per_ping: float = 1e-5
    timezone: str = "Asia/Shanghai"
    seed: int = 1

    def __post_init__(self):
        for name in ("interval_s", "speedup", "walk_speed_mps", "visit_min_s", "pause_min_s", "silent_mean_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"simulator setting {name} must be > 0, got {getattr(self, name)!r}")
        for name in ("short_share", "pause_share", "neighbour_trip_prob", "silent_share", "bad_fix_share"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"simulator setting {name} must be in [0, 1), got {getattr(self, name)!r}")
        if not (self.visit_min_s <= self.visit_max_s and self.pause_min_s <= self.pause_max_s
                and 0 <= self.visit_target_min_h <= self.visit_target_max_h
                and 0 <= self.short_target_min_h <= self.short_target_max_h):
            raise ValueError("simulator ranges need min ≤ max (visit_*_s, pause_*_s, *target_*_h)")
        if self.visit_target_max_h >= self.shift_end_h - self.shift_start_h:
            raise ValueError("visit_target_max_h must be shorter than the shift")
        if not 0 <= self.shift_start_h < self.shift_end_h <= 24:
            raise ValueError("shift_start_h < shift_end_h, both within 0–24")


class PatrolModel:
    """The positions and phones of ``workers`` (rows with ``worker_id``, ``device_id``, ``home_grid``) in ``district``.

    Examples
    --------
    >>> m = PatrolModel(district, district.workers, SimSettings(seed=7), start=1_700_000_000.0)  # doctest: +SKIP
    >>> pings = m.tick(1_700_000_005.0)  # doctest: +SKIP
    """

    def __init__(self, district, workers, settings: SimSettings | None = None, *, start: float | None = None,
                 sim_start: float | None = None):
        self.s = settings or SimSettings()
        self.rng = np.random.default_rng(self.s.seed)
        self.tz = ZoneInfo(self.s.timezone)
        self.real_start = time.time() if start is None else float(start)
        self.sim_start = self.real_start if sim_start is None else float(sim_start)
        self._grids(district)
        self._workers(workers)

    # -- set-up ------------------------------------------------------------------------------------------------
    def _grids(self, district) -> None:
        grids = district.grids
        self.grid_codes = np.asarray(grids["code"], dtype=object)
        geoms = np.asarray(grids.geometry.values, dtype=object)
        minx, miny, maxx, maxy = district.outline.bounds
        # A local metric plane (equirectangular about the district's middle): metres are what people walk.
        self.lon0, self.lat0 = (minx + maxx) / 2, (miny + maxy) / 2
        self.kx = 111_320.0 * np.cos(np.radians(self.lat0))
        self.ky = 110_574.0
        self.pool = np.stack([self._sample_inside(g, _POOL) for g in geoms])  # (G, K, 2) metres
        area_m2 = shapely.area(geoms) * self.kx * self.ky
        # Mean distance between two random points of a square of side a is ≈ 0.52 a.
        self.leg_s = 0.52 * np.sqrt(area_m2) / self.s.walk_speed_mps
        s = self.s
        visit_share = (s.visit_target_min_h + s.visit_target_max_h) / 2 / (s.shift_end_h - s.shift_start_h)
        walk_share = max(0.05, 1 - visit_share - s.pause_share)
        pause_mean_s = (s.pause_min_s + s.pause_max_s) / 2
        # pauses take pause_share of the shift: they start at random while walking (a rate per walking second)
        self.pause_rate = s.pause_share / walk_share / pause_mean_s
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        keep = left != right
        self.neighbours = [right[keep & (left == i)] for i in range(len(geoms))]

    def _sample_inside(self, geom, k: int) -> np.ndarray:
        gx0, gy0, gx1, gy1 = geom.bounds
        found = np.empty((0, 2))
        for _ in range(50):
            xs = self.rng.uniform(gx0, gx1, 4 * k)
            ys = self.rng.uniform(gy0, gy1, 4 * k)
            inside = shapely.contains_xy(geom, xs, ys)
            found = np.vstack([found, np.column_stack([xs[inside], ys[inside]])])
            if len(found) >= k:
                break
        if len(found) == 0:  # a degenerate sliver: patrol its representative point
            p = shapely.point_on_surface(geom)
            found = np.array([[p.x, p.y]])
        found = found[np.resize(np.arange(len(found)), k)][:k]
        return np.column_stack([(found[:, 0] - self.lon0) * self.kx, (found[:, 1] - self.lat0) * self.ky])

    def _workers(self, workers) -> None:
        rng, s = self.rng, self.s
        index = {code: i for i, code in enumerate(self.grid_codes)}
        self.worker_ids = np.asarray(workers["worker_id"], dtype=object)
        self.device_ids = np.asarray(workers["device_id"], dtype=object)
        missing = [g for g in workers["home_grid"] if g not in index]
        if missing:
            raise ValueError(f"{len(missing)} worker home grid(s) not in the district, e.g. {missing[:3]}")
        n = len(self.worker_ids)
        self.n = n
        self.home = np.array([index[g] for g in workers["home_grid"]], dtype=np.int64)
        self.grid = self.home.copy()  # the grid of the current target (home, or a neighbour on a trip)
        self.pos = self.pool[self.home, rng.integers(0, _POOL, n)].copy()
        self.target = self.pool[self.home, rng.integers(0, _POOL, n)].copy()
        self.speed = s.walk_speed_mps * rng.uniform(0.85, 1.15, n)
        self.mode = np.full(n, WALK, dtype=np.int8)
        self.visit_until = np.zeros(n)  # end of the current visit or pause (simulated unix s)
        short = rng.random(n) < s.short_share
        self.visit_target_s = 3600 * np.where(short, rng.uniform(s.short_target_min_h, s.short_target_max_h, n),
                                              rng.uniform(s.visit_target_min_h, s.visit_target_max_h, n))
        self.silent_until = np.zeros(n)
        self.shift_start_s = np.clip(s.shift_start_h * 3600 + rng.normal(0, 600, n), 0, 86_399)
        self.shift_end_s = np.clip(s.shift_end_h * 3600 + rng.uniform(-600, 4200, n), 0, 86_399)
        self.noise_m = rng.uniform(s.noise_min_m, s.noise_max_m, n)
        self.battery = rng.uniform(55, 100, n)
        self.next_ping = self.real_start + rng.uniform(0, s.interval_s, n)
        self.last_fix: list[dict | None] = [None] * n  # for duplicate bad fixes
        self.sim_now = self.sim_start
        self.visit_s = np.zeros(n)  # simulated seconds spent on home visits while on shift (for tests and stats)
        self.shift_s = np.zeros(n)
        self._day = None  # the local day the visit counters belong to
        self._was_on = np.zeros(n, dtype=bool)  # on shift at the previous tick

    # -- the clock ---------------------------------------------------------------------------------------------
    def sim_time(self, real_now: float) -> float:
        return self.sim_start + (real_now - self.real_start) * self.s.speedup

    def on_shift(self, sim_now: float) -> np.ndarray:
        local = datetime.fromtimestamp(sim_now, self.tz)
        tod = local.hour * 3600 + local.minute * 60 + local.second
        return (tod >= self.shift_start_s) & (tod < self.shift_end_s)

    # -- one tick ----------------------------------------------------------------------------------------------
    def tick(self, real_now: float) -> list[dict]:
        """Advance to ``real_now`` (wall seconds) and return the pings that phones send now (batch-API dicts)."""
        sim_now = self.sim_time(real_now)
        dt = max(0.0, sim_now - self.sim_now)
        self.sim_now = sim_now
        shift = self.on_shift(sim_now)
        self._advance(sim_now, dt, shift)
        self._silences(sim_now, dt, shift)
        due = (self.next_ping <= real_now) & shift & (self.silent_until <= sim_now)
        # Off-shift and silent phones skip their slot rather than bursting later.
        late = self.next_ping <= real_now
        self.next_ping[late] += self.s.interval_s * np.ceil((real_now - self.next_ping[late]) / self.s.interval_s + 1e-9)
        return self._pings(np.flatnonzero(due), real_now)

    def _advance(self, sim_now: float, dt: float, shift: np.ndarray) -> None:
        if dt <= 0:
            return
        rng = self.rng
        local = datetime.fromtimestamp(sim_now, self.tz)
        if local.date() != self._day:  # a new day: new targets met from zero
            self._day = local.date()
            self.visit_s[:] = 0
            self.shift_s[:] = 0
        tod = local.hour * 3600 + local.minute * 60 + local.second
        self._start_shifts(shift, sim_now)
        self.shift_s[shift] += dt
        visiting = shift & (self.mode == VISIT)
        self.visit_s[visiting] += np.minimum(dt, np.maximum(0, self.visit_until[visiting] - (sim_now - dt)))
        done = shift & (self.mode != WALK) & (self.visit_until <= sim_now)
        self.mode[done] = WALK
        walking = shift & (self.mode == WALK)
        stop = np.flatnonzero(walking & (rng.random(self.n) < 1 - np.exp(-self.pause_rate * dt)))
        if len(stop):
            self.mode[stop] = PAUSE
            self.visit_until[stop] = sim_now + rng.uniform(self.s.pause_min_s, self.s.pause_max_s, len(stop))
            walking[stop] = False
        delta = self.target - self.pos
        dist = np.hypot(delta[:, 0], delta[:, 1])
        step = self.speed * dt
        arrive = walking & (dist <= step)
        move = walking & ~arrive
        self.pos[move] += delta[move] * (step[move] / dist[move])[:, None]
        self.pos[arrive] = self.target[arrive]
        idx = np.flatnonzero(arrive)
        if len(idx) == 0:
            return
        # At an arrival in the own grid: a household visit, with the chance that meets what is left of the day's
        # target over the arrivals left in the shift.  Then a new target.
        s = self.s
        need_s = np.maximum(0.0, self.visit_target_s[idx] - self.visit_s[idx])
        left_s = np.maximum(1.0, self.shift_end_s[idx] - tod)
        visit_mean_s = (s.visit_min_s + s.visit_max_s) / 2
        walk_left_s = np.maximum(self.leg_s[self.home[idx]], (left_s - need_s) * (1 - s.pause_share))
        # 1.2: a little ahead of an even pace, so visits do not bunch up in the afternoon
        p_visit = np.clip(1.2 * need_s / visit_mean_s * self.leg_s[self.home[idx]] / walk_left_s, 0, 1)
        at_home = self.grid[idx] == self.home[idx]
        draw = rng.random(len(idx))
        v = idx[at_home & (draw < p_visit) & (need_s > 0)]
        self.mode[v] = VISIT
        self.visit_until[v] = sim_now + rng.uniform(s.visit_min_s, s.visit_max_s, len(v))
        self._new_targets(idx)

    def _start_shifts(self, shift: np.ndarray, sim_now: float) -> None:
        """Workers coming on shift start in the day's steady mix (some already at a household or pausing), so
        that the share moving is about half from the first minute, not everyone walking at once."""
        new = np.flatnonzero(shift & ~self._was_on)
        self._was_on = shift.copy()
        if len(new) == 0:
            return
        s, rng = self.s, self.rng
        visit_share = (s.visit_target_min_h + s.visit_target_max_h) / 2 / (s.shift_end_h - s.shift_start_h)
        draw = rng.random(len(new))
        at_home = self.grid[new] == self.home[new]
        v = new[at_home & (draw < visit_share)]
        p = new[(draw >= visit_share) & (draw < visit_share + s.pause_share)]
        self.mode[v] = VISIT
        self.visit_until[v] = sim_now + rng.uniform(0, s.visit_max_s, len(v))
        self.mode[p] = PAUSE
        self.visit_until[p] = sim_now + rng.uniform(0, s.pause_max_s, len(p))

    def _new_targets(self, idx: np.ndarray) -> None:
        rng = self.rng
        away = self.grid[idx] != self.home[idx]
        trip = ~away & (rng.random(len(idx)) < self.s.neighbour_trip_prob)
        grid = self.home[idx].copy()  # away workers go back home
        for k in np.flatnonzero(trip):
            options = self.neighbours[self.home[idx[k]]]
            if len(options):
                grid[k] = options[rng.integers(0, len(options))]
        self.grid[idx] = grid
        self.target[idx] = self.pool[grid, rng.integers(0, _POOL, len(idx))]

    def _silences(self, sim_now: float, dt: float, shift: np.ndarray) -> None:
        share = self.s.silent_share
        if share <= 0 or dt <= 0:
            return
        # Hazard so that the steady-state silent share is `share`: rate × mean = share / (1 − share).
        hazard = share / (1 - share) / self.s.silent_mean_s
        talking = shift & (self.silent_until <= sim_now)
        start = talking & (self.rng.random(self.n) < 1 - np.exp(-hazard * dt))
        k = int(start.sum())
        self.silent_until[start] = sim_now + self.rng.exponential(self.s.silent_mean_s, k)

    def _pings(self, idx: np.ndarray, real_now: float) -> list[dict]:
        rng, s = self.rng, self.s
        k = len(idx)
        if k == 0:
            return []
        noise = rng.normal(0, 1, (k, 2)) * self.noise_m[idx, None]
        xy = self.pos[idx] + noise
        lon = self.lon0 + xy[:, 0] / self.kx
        lat = self.lat0 + xy[:, 1] / self.ky
        walking = self.mode[idx] == WALK
        speed_kmh = np.where(walking, self.speed[idx] * s.speedup * 3.6, 0.0) + np.abs(rng.normal(0, 0.3, k))
        d = self.target[idx] - self.pos[idx]
        heading = (np.degrees(np.arctan2(d[:, 0], d[:, 1])) + 360) % 360
        accuracy = self.noise_m[idx] * rng.uniform(0.8, 1.5, k)
        self.battery[idx] = np.maximum(5, self.battery[idx] - 0.002 * s.interval_s * s.speedup / 60)
        bad = rng.random(k)
        third = s.bad_fix_share / 3
        jump_dir = rng.uniform(0, 2 * np.pi, k)
        jump_m = rng.uniform(3_000, 8_000, k)
        sos = rng.random(k) < s.sos_per_ping
        out = []
        for j, i in enumerate(idx):
            if bad[j] < third and self.last_fix[i] is not None:
                out.append(dict(self.last_fix[i]))  # an exact duplicate of the previous fix
                continue
            ping = {
                "device_id": self.device_ids[i],
                "lon": round(float(lon[j]), 7),
                "lat": round(float(lat[j]), 7),
                "ts": round(real_now, 3),
                "accuracy_m": round(float(accuracy[j]), 1),
                "speed_kmh": round(float(speed_kmh[j]), 2),
                "heading": round(float(heading[j]), 1),
                "battery": round(float(self.battery[i]), 1),
            }
            if sos[j]:
                ping["sos"] = True
            if bad[j] < 2 * third:
                if bad[j] < third:  # no previous fix to duplicate: a zero fix instead
                    ping["lon"] = ping["lat"] = 0.0
                else:
                    ping["lon"] += float(np.cos(jump_dir[j]) * jump_m[j] / self.kx)
                    ping["lat"] += float(np.sin(jump_dir[j]) * jump_m[j] / self.ky)
            elif bad[j] < 3 * third:
                ping["lon"] = ping["lat"] = 0.0
            else:
                self.last_fix[i] = ping
            out.append(ping)
        return out

    # -- views for tests and the demo --------------------------------------------------------------------------
    def lonlat(self) -> np.ndarray:
        """True (noise-free) positions, (n, 2) lon/lat."""
        return np.column_stack([self.lon0 + self.pos[:, 0] / self.kx, self.lat0 + self.pos[:, 1] / self.ky])


def local_sim_start(clock: str | None, tz: str = "Asia/Shanghai", now: float | None = None) -> float | None:
    """``"09:00"`` → today's 09:00 in ``tz`` as unix seconds (``None`` = run on the real clock)."""
    if not clock:
        return None
    hh, _, mm = clock.partition(":")
    zone = ZoneInfo(tz)
    today = datetime.fromtimestamp(time.time() if now is None else now, zone)
    return (today.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(hours=int(hh), minutes=int(mm or 0))).timestamp()
