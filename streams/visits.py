"""Visits as data: each worker-day's stays (入户走访) and figures, per worker and per grid, and coverage over a period.

Computed from the daily tracks (:mod:`streams.tracks`) with :func:`streams.stays.detect_stays`, joined with the
patrol hashes (:mod:`streams.patrol`).  Each worker-day's figures are kept in ``{p}:visits:{day}`` (one field per
worker, orjson) for ``patrol_days`` so that coverage over a month still knows past days' visit minutes after their
tracks (kept ``track_days``) are gone.  Today's figures are recomputed on each read.

Definitions (also returned with every answer, :data:`DEFINITIONS`).
"""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import orjson

from streams.patrol import read_patrol
from streams.stays import detect_stays, walked_m
from streams.tracks import TrackStore

DEFINITIONS = {
    "stay": "a run of fixes all within stay_radius_m of where it began, lasting at least stay_min_s, with no "
            "silence longer than patrol_gap_s (positions smoothed by a 5-fix running median first)",
    "visits": "number of stays that day",
    "visit_minutes": "minutes of all stays",
    "visit_minutes_home": "minutes of stays whose place lies inside the worker's own grid (the 3-hour target "
                          "counts these)",
    "target_minutes": "daily home-visit minutes asked of a worker inside the own grid (visit_target_min)",
    "patrol_minutes": "minutes between fixes no more than patrol_gap_s apart, wherever the worker was",
    "patrol_minutes_home": "of the patrol minutes, those inside the own grid",
    "distance_m": "metres walked: the smoothed path's length outside stays and silences",
    "grids_entered": "grids with at least one accepted fix of the worker that day",
    "grid_visit_minutes": "minutes of stays placed inside the grid, by any worker",
    "days_visited": "days of the period with at least one accepted fix inside the grid",
    "below_target_days": "days of the period a worker had fixes but fewer visit_minutes_home than the target",
}


STAY_STEP_S = 15.0  # stays are looked for in fixes at least this far apart: 5-minute stays keep 20+ fixes, and
# a day at one fix per 5 s costs a third of the work (boundaries are then known to 15 s)
_CACHE_MAX = 20_000  # worker-days of stays kept in memory per process


class VisitReader:
    def __init__(self, client, settings, roster, locator):
        """``locator``: a :class:`geo.locate.GridLocator` of the district (to place each stay in a grid)."""
        self.client, self.settings, self.roster, self.locator = client, settings, roster, locator
        self.tracks = TrackStore(client, settings)
        self.tz = ZoneInfo(settings.timezone)
        self._stays: dict[tuple, list[dict]] = {}  # (worker, first fix t, last fix t, fixes) → stays
        self._sums: dict[tuple, dict] = {}  # the same key → summary_of

    def cached_stays(self, worker_id: str, track: np.ndarray, home: str | None) -> list[dict]:
        """:meth:`stays_of`, remembered per worker and exact track extent (a new fix means a new key)."""
        if len(track) < 2:
            return []
        key = (worker_id, float(track[0, 0]), float(track[-1, 0]), len(track))
        found = self._stays.get(key)
        if found is None:
            if len(self._stays) >= _CACHE_MAX:
                self._stays.clear()
            found = self._stays[key] = self.stays_of(track, home)
        return found

    # -- one worker-day ------------------------------------------------------------------------------------------
    def stays_of(self, track: np.ndarray, home: str | None) -> list[dict]:
        """Stays of a (t, lon, lat) array as dicts ``{start, end, minutes, lon, lat, grid, own}``."""
        s = self.settings
        if len(track) < 2:
            return []
        step = max(1, int(round(STAY_STEP_S / max(float(np.median(np.diff(track[:, 0]))), 1e-3))))
        sparse = track[::step] if step > 1 else track
        found = detect_stays(sparse[:, 0], sparse[:, 1], sparse[:, 2], min_s=s.stay_min_s,
                             radius_m=s.stay_radius_m, max_gap_s=s.patrol_gap_s)
        if not found:
            return []
        grids = self.locator.locate_codes(np.array([x.lon for x in found]), np.array([x.lat for x in found]))
        return [{"start": x.start, "end": x.end, "minutes": round(x.minutes, 1), "lon": round(x.lon, 6),
                 "lat": round(x.lat, 6), "grid": g, "own": g is not None and g == home}
                for x, g in zip(found, grids, strict=True)]

    def summary_of(self, track: np.ndarray, stays: list[dict]) -> dict:
        """The per-day figures of one worker that only the track gives."""
        s = self.settings
        dist = 0.0
        if len(track) >= 2:
            idx = self._stay_index(track, stays)
            dist = walked_m(track[:, 0], track[:, 1], track[:, 2], idx, max_gap_s=s.patrol_gap_s)
        return {"visits": len(stays), "visit_minutes": round(sum(v["minutes"] for v in stays), 1),
                "visit_minutes_home": round(sum(v["minutes"] for v in stays if v["own"]), 1),
                "distance_m": round(dist), "fixes": len(track)}

    @staticmethod
    def _stay_index(track, stays):
        from streams.stays import Stay

        t = track[:, 0]
        return [Stay(v["start"], v["end"], v["lon"], v["lat"], int(np.searchsorted(t, v["start"])),
                     int(np.searchsorted(t, v["end"], "right")) - 1) for v in stays]

    # -- a day of a street (or the district) ---------------------------------------------------------------------
    def day(self, day: str, street_code: str | None = None, *, with_stays: bool = False) -> dict:
        """Per-worker and per-grid figures of a local day: the patrol hashes joined with the stays."""
        patrol = read_patrol(self.client, self.settings, self.roster, day, street_code)
        ids = [w["id"] for w in patrol["workers"]]
        summaries = self._summaries(day, ids, with_stays=with_stays)
        grid_visit: dict[str, float] = {}
        workers = []
        for w in patrol["workers"]:
            sm = summaries.get(w["id"]) or {}
            for v in sm.get("stays", ()):
                if v["grid"]:
                    grid_visit[v["grid"]] = grid_visit.get(v["grid"], 0.0) + v["minutes"]
            row = {"id": w["id"], "name": w["name"], "home": w["home"], "street": w["street"],
                   "patrol_minutes": w["minutes"], "patrol_minutes_home": w["minutes_home"],
                   "grids_entered": sorted(g for g in w["grids"] if g != "-"),
                   "visits": sm.get("visits", 0), "visit_minutes": sm.get("visit_minutes", 0.0),
                   "visit_minutes_home": sm.get("visit_minutes_home", 0.0), "distance_m": sm.get("distance_m", 0),
                   "target_minutes": self.settings.visit_target_min,
                   "below_target": sm.get("visit_minutes_home", 0.0) < self.settings.visit_target_min}
            if with_stays:
                row["stays"] = sm.get("stays", [])
            workers.append(row)
        grids = [{**g, "visit_minutes": round(grid_visit.get(g["grid"], 0.0), 1)} for g in patrol["grids"]]
        return {"date": day, "definitions": {**patrol["definitions"], **DEFINITIONS}, "grids": grids,
                "workers": workers}

    def _summaries(self, day: str, ids: list[str], *, with_stays: bool) -> dict[str, dict]:
        """``{worker: summary (+ "stays")}``; past days come from the stored summaries where they exist."""
        key = self.settings.key("visits", day)
        today = datetime.now(self.tz).date().isoformat()
        stored = {}
        if ids and (day < today) and not with_stays:
            raws = self.client.hmget(key, ids)
            stored = {w: orjson.loads(r) for w, r in zip(ids, raws, strict=True) if r}
        missing = [w for w in ids if w not in stored]
        if not missing:
            return stored
        tracks = self.tracks.read(day, missing)
        out = dict(stored)
        save = {}
        for w in missing:
            worker = self.roster.by_worker(w)
            track = tracks.get(w, np.empty((0, 3)))
            stays = self.cached_stays(w, track, worker.home_grid if worker else None)
            ck = (w, float(track[0, 0]), float(track[-1, 0]), len(track)) if len(track) else None
            sm = self._sums.get(ck) if ck else None
            if sm is None:
                sm = self.summary_of(track, stays)
                if ck:
                    if len(self._sums) >= _CACHE_MAX:
                        self._sums.clear()
                    self._sums[ck] = sm
            if len(track):
                save[w] = orjson.dumps(sm)
            out[w] = {**sm, "stays": stays}
        if save and day <= today:
            pipe = self.client.pipeline(transaction=False)
            pipe.hset(key, mapping=save)
            pipe.expire(key, int((self.settings.patrol_days + 1) * 86400))
            pipe.execute()
        return out

    # -- a period ------------------------------------------------------------------------------------------------
    def coverage(self, street_code: str | None, first: Date, last: Date) -> dict:
        """Days visited per grid, grids never visited and workers below target over ``first..last`` (local days)."""
        days = [(first + timedelta(days=k)).isoformat() for k in range((last - first).days + 1)]
        grid_days: dict[str, int] = {}
        grid_minutes: dict[str, float] = {}
        grid_street: dict[str, str] = {}
        per_worker: dict[str, dict] = {}
        for d in days:
            fig = self.day(d, street_code)
            for g in fig["grids"]:
                grid_street[g["grid"]] = g["street"]
                grid_days[g["grid"]] = grid_days.get(g["grid"], 0) + (1 if g["visited"] else 0)
                grid_minutes[g["grid"]] = grid_minutes.get(g["grid"], 0.0) + g["minutes"]
            for w in fig["workers"]:
                acc = per_worker.setdefault(w["id"], {"id": w["id"], "name": w["name"], "home": w["home"],
                                                      "street": w["street"], "days_active": 0, "below_target_days": 0,
                                                      "visit_minutes_home": 0.0, "patrol_minutes": 0.0,
                                                      "distance_m": 0})
                if w["patrol_minutes"] > 0 or w["visits"] > 0:
                    acc["days_active"] += 1
                    acc["below_target_days"] += 1 if w["below_target"] else 0
                acc["visit_minutes_home"] = round(acc["visit_minutes_home"] + w["visit_minutes_home"], 1)
                acc["patrol_minutes"] = round(acc["patrol_minutes"] + w["patrol_minutes"], 1)
                acc["distance_m"] += w["distance_m"]
        grids = [{"grid": g, "street": grid_street[g], "days_visited": grid_days[g], "days": len(days),
                  "patrol_minutes": round(grid_minutes[g], 1)} for g in sorted(grid_days)]
        workers = list(per_worker.values())
        for w in workers:
            w["avg_visit_minutes_home"] = round(w["visit_minutes_home"] / w["days_active"], 1) if w["days_active"] else 0
        return {"from": first.isoformat(), "to": last.isoformat(), "days": len(days), "street": street_code,
                "definitions": DEFINITIONS, "grids": grids,
                "not_visited": [g["grid"] for g in grids if g["days_visited"] == 0],
                "below_target": [w["id"] for w in workers if w["below_target_days"] > 0],
                "workers": workers}
