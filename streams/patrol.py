"""Patrol accounting in Redis: the field layout of the per-day hashes and their reader.

``{p}:patrol:{YYYY-MM-DD}:worker`` (local date), one field per worker and grid::

    {worker}|{grid}    seconds the worker spent in that grid (``-``: outside the district); a field present with
                       0 means the grid was visited without time credited (a single or late fix)

``{p}:patrol:{YYYY-MM-DD}:grid``, one field per grid::

    {grid}             worker-seconds with a worker present (two workers for a minute count two minutes)

A worker's patrol time is the sum of their fields, time in their own grid the field of their home grid.  Time is
the gap between consecutive in-order fixes when it is at most ``patrol_gap_s`` (a longer silence is not patrol),
credited to the grid of the fix that started the gap (where the worker was).  Both hashes expire ``patrol_days``
(at least ``track_days``) after their day.  Two fields per fix at most, summed per batch and written by one Lua call (HINCRBYFLOAT each).
"""

from __future__ import annotations

from collections import defaultdict

SEP = "|"
OUTSIDE = "-"

# KEYS: the hashes; ARGV[1]: JSON [[key index, field, increment], ...]; ARGV[2]: TTL in s.
HINCR_MANY = """
for _, t in ipairs(cjson.decode(ARGV[1])) do
  redis.call('HINCRBYFLOAT', KEYS[t[1]], t[2], t[3])
end
for k = 1, #KEYS do redis.call('EXPIRE', KEYS[k], ARGV[2]) end
return #KEYS
"""


def patrol_keys(settings, day: str) -> tuple[str, str]:
    return settings.key("patrol", day, "worker"), settings.key("patrol", day, "grid")


def read_patrol(client, settings, roster, day: str, street_code: str | None = None) -> dict:
    """Per-grid and per-worker patrol figures of a local day, optionally for one street.

    Returns ``{"date", "definitions", "grids": [{"grid", "street", "minutes", "visited"}],
    "workers": [{"id", "name", "home", "street", "minutes", "minutes_home", "grids"}]}`` where a worker's
    ``grids`` maps grid code → minutes there.  Every home grid of the roster is listed, visited or not.
    """
    wkey, gkey = patrol_keys(settings, day)
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(wkey)
    pipe.hgetall(gkey)
    wraw, graw = pipe.execute()
    per_worker: dict[str, dict[str, float]] = defaultdict(dict)
    for k, v in wraw.items():
        w, _, grid = k.decode().rpartition(SEP)
        per_worker[w][grid] = float(v)
    per_grid = {k.decode(): float(v) for k, v in graw.items()}
    visited = {g for grids in per_worker.values() for g in grids if g != OUTSIDE}
    workers, grid_street = [], {}
    for wk in roster.workers:
        grid_street[wk.home_grid] = wk.street_code
        if street_code and wk.street_code != street_code:
            continue
        secs = per_worker.get(wk.worker_id, {})
        workers.append(
            {
                "id": wk.worker_id,
                "name": wk.name,
                "home": wk.home_grid,
                "street": wk.street_code,
                "minutes": round(sum(secs.values()) / 60, 1),
                "minutes_home": round(secs.get(wk.home_grid, 0.0) / 60, 1),
                "grids": {g: round(x / 60, 1) for g, x in sorted(secs.items())},
            }
        )
    grids = []
    for g in sorted(set(grid_street) | visited):
        street = grid_street.get(g, g[:9])
        if street_code and street != street_code:
            continue
        grids.append({"grid": g, "street": street, "minutes": round(per_grid.get(g, 0.0) / 60, 1), "visited": g in visited})
    return {
        "date": day,
        "definitions": {
            "minutes": "minutes between fixes no more than patrol_gap_s apart (worker-minutes for a grid)",
            "minutes_home": "of a worker's patrol minutes, those inside the worker's own grid",
            "visited": "at least one accepted fix inside the grid that day",
        },
        "grids": grids,
        "workers": workers,
    }
