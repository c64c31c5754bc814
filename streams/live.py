"""The reader of the live state: each worker's latest fix and status, as the processors keep it in the ``{p}:live``
hash (:mod:`streams.stages.store` writes it, the status sweep ages it) and as the ``/live`` Socket.IO namespace and
the live HTTP API serve it.

:class:`LiveReader` is the web process's one reader of what the processors store: besides the live snapshot it
hands out a worker's daily track (``{p}:track:…``) and the day's patrol figures (:func:`streams.patrol.read_patrol`).

Examples
--------
>>> reader = LiveReader(client, roster, settings)  # doctest: +SKIP
>>> reader.snapshot(street_code="120110001")[0]["status"]  # doctest: +SKIP
'online'
"""

from __future__ import annotations

import time

import orjson

from streams.contract import SNAPSHOT_FIELDS
from streams.patrol import read_patrol
from streams.stages._util import contact_ts, status_of

# attrs: the phone's attribute map of the last fix or heartbeat (≤ 1 KB): in the HTTP snapshot, not in the push rows
PUBLIC_FIELDS = (*SNAPSHOT_FIELDS, "home", "attrs")


class LiveReader:
    def __init__(self, redis_client, roster, settings):
        self.client, self.roster, self.settings = redis_client, roster, settings

    def snapshot(self, street_code: str | None = None, now: float | None = None, worker_id: str | None = None) -> list[dict]:
        """Every roster worker in scope (a street, or all; ``worker_id``: that one only, if in scope), in roster
        order, with the contract's live fields.

        A worker never seen has status ``offline`` and ``lon``/``lat``/``ts`` null (so has one known only from
        heartbeats, except for ``seen``, ``bat`` and its status).  The status is re-derived from the age of the
        last contact at read time, so a reader between two sweeps never shows a silent worker online.
        """
        s = self.settings
        now = time.time() if now is None else now
        workers = self.roster.in_street(street_code) if street_code else self.roster.workers
        if worker_id is not None:
            workers = [w for w in workers if w.worker_id == worker_id]
        if not workers:
            return []
        raws = self.client.hmget(s.key("live"), [w.worker_id for w in workers])
        out = []
        for w, raw in zip(workers, raws, strict=True):
            entry = _decode(raw)
            if entry is None:
                item = dict.fromkeys(PUBLIC_FIELDS)
                item.update(id=w.worker_id, name=w.name, street=w.street_code, home=w.home_grid, status="offline",
                            moving=False, outside=False, sos=False, idle=False)
                out.append(item)
                continue
            item = {k: entry.get(k) for k in PUBLIC_FIELDS}
            item["name"], item["street"], item["home"] = w.name, w.street_code, w.home_grid
            item["status"] = status_of(now - float(contact_ts(entry)), s.stale_after_s, s.offline_after_s)
            if item["status"] != "online":
                item["moving"] = False
            out.append(item)
        return out

    def track(self, worker_id: str, date: str) -> dict:
        """The worker's track of a local day as a GeoJSON Feature, fixes in time order.

        ``geometry`` is a LineString (2+ fixes), a Point (1) or null (none); ``properties.times`` holds the unix
        fix times aligned with the coordinates; ``properties.attributes`` the day's changes of the phone's attribute
        map, ``[[ts, {map}], ...]`` in time order (``{p}:trackattrs:…``, :mod:`streams.stages.store`).
        """
        pipe = self.client.pipeline(transaction=False)
        pipe.zrange(self.settings.key("track", date, worker_id), 0, -1)
        pipe.zrange(self.settings.key("trackattrs", date, worker_id), 0, -1)
        members, logged = pipe.execute()
        coords, times = [], []
        for m in members:
            ts, lon, lat = m.decode().split(",")
            times.append(float(ts))
            coords.append([float(lon), float(lat)])
        if len(coords) >= 2:
            geometry = {"type": "LineString", "coordinates": coords}
        elif coords:
            geometry = {"type": "Point", "coordinates": coords[0]}
        else:
            geometry = None
        worker = self.roster.by_worker(worker_id)
        props = {"worker_id": worker_id, "name": worker.name if worker else None, "date": date, "times": times,
                 "count": len(times), "attributes": _attribute_changes(logged)}  # fmt: skip
        return {"type": "Feature", "geometry": geometry, "properties": props}

    def patrol(self, date: str, street_code: str | None = None) -> dict:
        """Per-grid and per-worker patrol figures of a local day (see :func:`streams.patrol.read_patrol`)."""
        return read_patrol(self.client, self.settings, self.roster, date, street_code)


def _attribute_changes(members) -> list:
    out = []
    for m in members:
        ts, _, js = m.partition(b",")
        try:
            out.append([float(ts), orjson.loads(js)])
        except (ValueError, orjson.JSONDecodeError):
            continue
    return out


def _decode(raw) -> dict | None:
    if raw is None:
        return None
    try:
        entry = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(entry, dict) or contact_ts(entry) is None:
        return None
    return entry
