"""``GET /api/v1/tracks?street=CODE&date=YYYY-MM-DD&from=HH:MM&to=HH:MM[&worker=ID,...][&format=bin]``: every
worker's fixes in the window, delta-encoded integers (see :func:`streams.tracks.encode`) + stays; ``format=bin``:
the same as a JSON header and int32 arrays (:func:`binary_tracks`, what the street screen's replay loads)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import orjson
from flask import Blueprint, Response, request

from dashboard.api.access import caller, street_scope, web
from dashboard.api.days import clock_arg, day_arg, day_start
from dashboard.api.errors import ApiError, api_blueprint

MAX_TRACK_WORKERS = 400


def tracks():
    street = street_scope(caller(), required=True, known=True)
    day = day_arg()
    t_from, t_to = clock_arg("from", dt.time(0, 0)), clock_arg("to", dt.time(23, 59, 59))
    t0, t1 = day_start(day, t_from), day_start(day, t_to)
    if t1 <= t0:
        raise ApiError(400, "bad_window", "to 须晚于 from (to must be after from)")
    ctx = web()
    workers = ctx.roster.in_street(street)
    if wanted := request.args.get("worker"):
        ids = set(wanted.split(","))
        workers = [w for w in workers if w.worker_id in ids]
    body = encoded_tracks(ctx.visits, workers[:MAX_TRACK_WORKERS], day.isoformat(), t0, t1)
    body.update({"date": day.isoformat(), "street": street, "from": t_from.strftime("%H:%M"),
                 "to": t_to.strftime("%H:%M"), "day_start": day_start(day)})
    if request.args.get("format") == "bin":
        return Response(binary_tracks(body), mimetype="application/octet-stream")
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), mimetype="application/json")


def encoded_tracks(reader, workers, day: str, t0: float, t1: float) -> dict:
    """``{"origin", "encoding", "workers": [{id, name, home, n, t, x, y, stays}]}`` for the window ``t0..t1``
    (arrays as :func:`streams.tracks.encode` makes them).

    Tracks are read for the whole day (the parse cache holds whole days) and cut to the window; stays come from
    the whole day too (remembered per track extent), so a stay across the window's edge keeps its true times.
    """
    from streams.tracks import encode

    arrays = reader.tracks.read(day, [w.worker_id for w in workers])
    out = []
    for w in workers:
        a = arrays.get(w.worker_id)
        if a is None or not len(a):
            out.append({"id": w.worker_id, "name": w.name, "home": w.home_grid, "n": 0, "t": [], "x": [], "y": [],
                        "stays": []})
            continue
        stays = [s for s in reader.cached_stays(w.worker_id, a, w.home_grid) if s["end"] >= t0 and s["start"] <= t1]
        cut = a[np.searchsorted(a[:, 0], t0, "left") : np.searchsorted(a[:, 0], t1, "right")]
        enc = encode(cut, t0)
        out.append({"id": w.worker_id, "name": w.name, "home": w.home_grid, "n": len(cut), **enc,
                    "stays": [[round(s["start"] - t0), round(s["end"] - t0), round(s["lon"] * 1e5),
                               round(s["lat"] * 1e5), s["own"]] for s in stays]})
    return {"origin": t0, "end": t1, "encoding": "x/y: lon/lat in 1e-5 deg, delta-encoded (running sum decodes); "
            "t: seconds after origin, delta-encoded then run-length pairs [delta, count, ...]; "
            "stays: [start s, end s, x, y, inside own grid]", "workers": out}


def binary_tracks(body: dict) -> bytes:
    """The same answer for ``format=bin``: no JSON number parsing in the browser, arrays used in place.

    Layout (little-endian): uint32 header length H; H bytes of UTF-8 JSON (the answer with each worker's ``t``, ``x``,
    ``y`` replaced by ``runs`` = number of run-length pairs); zero padding to a multiple of 4; then per worker, in
    header order, int32 ``t`` pairs (2 × runs), int32 ``x`` (n), int32 ``y`` (n).
    """
    arrays, meta = [], []
    for w in body["workers"]:
        t, x, y = (np.asarray(w[k], dtype=np.int32) for k in ("t", "x", "y"))
        arrays += [t, x, y]
        meta.append({k: v for k, v in w.items() if k not in ("t", "x", "y")} | {"runs": len(t) // 2})
    head = orjson.dumps({k: v for k, v in body.items() if k != "workers"} | {"workers": meta})
    pad = (-(4 + len(head))) % 4
    parts = [np.uint32(len(head) + pad).tobytes(), head, b" " * pad]  # JSON tolerates trailing spaces
    return b"".join(parts) + (np.concatenate(arrays).astype("<i4").tobytes() if arrays else b"")


ROUTES = [
    ("GET", "/api/v1/tracks", tracks),
]


def blueprint(retry_after_s: int = 5) -> Blueprint:
    return api_blueprint("tracks_api", __name__, ROUTES, retry_after_s=retry_after_s)
