"""A simulated past: worker-days played by the patrol model in fast time and written straight into the daily
tracks and patrol hashes, as the pipeline would have written them.

The demo uses it to give one street its morning (so a supervisor can replay it at once); the replay bench and the
browser tests seed their tracks with it.  Fixes are the model's clean pings (no bad fixes: the pipeline would have
dropped them), patrol time is accounted as :class:`streams.stages.patrol.AccountPatrol` does (gaps up to
``patrol_gap_s`` credited to the grid of the fix that started them).

Examples
--------
>>> tracks = simulate_tracks(district, district.workers, start=t0, end=t0 + 4 * 3600)  # doctest: +SKIP
>>> write_history(client, settings, locator, tracks)  # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from streams.patrol import OUTSIDE, SEP, patrol_keys
from streams.simulation.model import PatrolModel, SimSettings
from streams.tracks import write_track


def simulate_tracks(district, workers, *, start: float, end: float, interval_s: float = 5.0, seed: int = 1,
                    tick_s: float | None = None) -> dict[str, np.ndarray]:
    """``{worker_id: (n, 3) array of t, lon, lat}`` of ``workers`` (rows with worker_id, device_id, home_grid)
    between unix times ``start`` and ``end``, one fix per ``interval_s`` while on shift."""
    settings = SimSettings(interval_s=interval_s, seed=seed, bad_fix_share=0.0, sos_per_ping=0.0)
    model = PatrolModel(district, workers, settings, start=start, sim_start=start)
    by_device: dict[str, list] = defaultdict(list)
    step = tick_s or interval_s
    for now in np.arange(start + step, end + 1e-9, step):
        for p in model.tick(float(now)):
            by_device[p["device_id"]].append((p["ts"], p["lon"], p["lat"]))
    out = {}
    for wid, dev in zip(model.worker_ids, model.device_ids, strict=True):
        rows = by_device.get(dev)
        out[wid] = np.array(rows, dtype=np.float64) if rows else np.empty((0, 3))
    return out


def write_history(client, settings, locator, tracks: dict[str, np.ndarray]) -> int:
    """Write ``tracks`` into the daily track sets and patrol hashes (split by local day); returns fixes written."""
    tz = ZoneInfo(settings.timezone)
    ttl = int((max(settings.patrol_days, settings.track_days) + 1) * 86400)
    written = 0
    pipe = client.pipeline(transaction=False)
    # per_day[day][(worker, grid)] = seconds; grid_s[day][grid] = worker-seconds
    per_day: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    grid_s: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for wid, a in tracks.items():
        if not len(a):
            continue
        offset = datetime.fromtimestamp(a[0, 0], tz).utcoffset().total_seconds()  # zones of China: no DST
        day_no = np.floor((a[:, 0] + offset) / 86400).astype(np.int64)
        names = {n: datetime.fromtimestamp(n * 86400 - offset + 3600, tz).date().isoformat() for n in np.unique(day_no)}
        day_of = np.array([names[n] for n in day_no], dtype=object)
        grids = locator.locate_codes(a[:, 1], a[:, 2])
        for day in np.unique(day_of):
            sel = day_of == day
            write_track(pipe, settings, str(day), wid, a[sel])
        dt = np.diff(a[:, 0])
        for k in range(len(a)):
            g = grids[k] or OUTSIDE
            per_day[day_of[k]][(wid, g)] += 0.0
            if k and 0 < dt[k - 1] <= settings.patrol_gap_s:
                prev = grids[k - 1] or OUTSIDE
                per_day[day_of[k]][(wid, prev)] += float(dt[k - 1])
                if grids[k - 1] is not None:
                    grid_s[day_of[k]][prev] += float(dt[k - 1])
        written += len(a)
        if len(pipe) > 200:
            pipe.execute()
    for day, acc in per_day.items():
        wkey, gkey = patrol_keys(settings, day)
        for (w, g), secs in acc.items():
            pipe.hincrbyfloat(wkey, f"{w}{SEP}{g}", float(round(secs, 3)))
        for g, secs in grid_s[day].items():
            pipe.hincrbyfloat(gkey, g, float(round(secs, 3)))
        pipe.expire(wkey, ttl)
        pipe.expire(gkey, ttl)
    pipe.execute()
    return written
