"""AccountPatrol: per worker and per grid, per local day, time on patrol and grids visited.

Layout in :mod:`streams.patrol`.  The batch's increments are summed in Python and written with one Lua call per
day on the batch's transaction, so the counters move exactly when the batch is acknowledged.
"""

from __future__ import annotations

from collections import defaultdict

import orjson

from streams.patrol import HINCR_MANY, OUTSIDE, SEP, patrol_keys
from streams.stages import BatchStage
from streams.stages.model import Batch


class AccountPatrol(BatchStage):
    def __init__(self, client, settings):
        self.settings = settings
        self.script = client.register_script(HINCR_MANY)
        self.gap_s = settings.patrol_gap_s
        self.ttl_s = int((max(settings.patrol_days, settings.track_days) + 1) * 86400)

    def handle_batch(self, pings, batch: Batch) -> None:
        # per_day[day][(worker, grid)] = seconds; grid_s[day][grid] = worker-seconds
        per_day: dict[str, dict[tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))
        grid_s: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        gap_s = self.gap_s
        for p in pings:
            day = batch.day(p.ts)
            acc = per_day[day]
            acc[(p.w, p.grid or OUTSIDE)] += 0.0  # visited, even if no time is credited
            prev = p.prev
            if p.late or prev is None:
                continue  # a late fix is counted as a visit; its time belongs to gaps already credited
            dt = p.ts - prev.ts
            if 0 < dt <= gap_s:
                acc[(p.w, prev.grid or OUTSIDE)] += dt
                if prev.grid is not None:
                    grid_s[day][prev.grid] += dt
        for day, acc in per_day.items():
            incs = [(1, f"{w}{SEP}{g}", round(x, 3)) for (w, g), x in acc.items()]
            incs += [(2, g, round(x, 3)) for g, x in grid_s[day].items()]
            keys = list(patrol_keys(self.settings, day))
            self.script(keys=keys, args=[orjson.dumps(incs), self.ttl_s], client=batch.pipe)
