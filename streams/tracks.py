"""Reading daily tracks fast: many workers' ``{p}:track:{day}:{w}`` sorted sets as numpy arrays, and their compact
encoding for the browser.

Parsing is the cost (100 workers × a day at one fix per 5 s is 720,000 ``"ts,lon,lat"`` members): members are parsed
by pandas' C CSV reader in one call, and each worker's parsed day is cached in ``{p}:trackc:{day}:{w}`` (raw
float64 bytes plus the member count it covers) so a later read parses only the members added since.  A late fix
inserted before the cached end makes the count disagree with the tail: that worker is parsed again in full.

The compact encoding (:func:`encode`) sends each worker's times in whole seconds and positions in 1e-5° (≈ 1 m)
as delta-encoded integer lists: about 3 bytes per number in JSON, against ~60 per fix for GeoJSON.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

_COLS = 3  # t, lon, lat
_EMPTY = np.empty((0, _COLS))


def parse_members(members: list[bytes]) -> np.ndarray:
    """``[b"ts,lon,lat", ...]`` → float64 array (n, 3)."""
    if not members:
        return _EMPTY
    frame = pd.read_csv(io.BytesIO(b"\n".join(members)), header=None, engine="c", dtype=np.float64)
    return frame.to_numpy()


class TrackStore:
    """Reads daily tracks of many workers at once (with the parse cache described in the module docstring)."""

    def __init__(self, client, settings):
        self.client, self.settings = client, settings
        self.cache_ttl_s = int((settings.track_days + 1) * 86400)

    def _keys(self, day: str, w: str) -> tuple[str, str]:
        return self.settings.key("track", day, w), self.settings.key("trackc", day, w)

    def read(self, day: str, worker_ids: list[str], t0: float | None = None, t1: float | None = None) -> dict:
        """``{worker_id: array (n, 3) of t, lon, lat}`` in time order, optionally only ``t0 <= t <= t1``."""
        if not worker_ids:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for w in worker_ids:
            key, ckey = self._keys(day, w)
            pipe.zcard(key)
            pipe.hmget(ckey, "n", "a")
        res = pipe.execute()
        out: dict[str, np.ndarray] = {}
        tails: list[tuple[str, np.ndarray, int]] = []  # (worker, cached array, from index)
        for k, w in enumerate(worker_ids):
            total, (n_raw, blob) = int(res[2 * k]), res[2 * k + 1]
            cached = np.frombuffer(blob, dtype=np.float64).reshape(-1, _COLS) if blob else _EMPTY
            n = int(n_raw) if n_raw is not None and len(cached) == int(n_raw) else 0
            if total == 0:
                out[w] = _EMPTY
            elif n == total:
                out[w] = cached
            elif n > total:  # the set shrank (expired and refilled): start again
                tails.append((w, _EMPTY, 0))
            else:
                tails.append((w, cached[:n], n))
        if tails:
            self._read_tails(day, tails, out)
        if t0 is not None or t1 is not None:
            lo, hi = (-np.inf if t0 is None else t0), (np.inf if t1 is None else t1)
            for w, a in out.items():
                if len(a):
                    out[w] = a[np.searchsorted(a[:, 0], lo, "left") : np.searchsorted(a[:, 0], hi, "right")]
        return out

    def _read_tails(self, day: str, tails, out: dict) -> None:
        pipe = self.client.pipeline(transaction=False)
        for w, _cached, start in tails:
            # From the last cached member: if it is no longer at its index, a late fix was inserted before it.
            pipe.zrange(self._keys(day, w)[0], max(0, start - 1), -1)
        fresh = pipe.execute()
        # One parse for every worker's new members: the C reader's fixed cost is paid once.
        sizes = [len(m) for m in fresh]
        parsed = parse_members([m for ms in fresh for m in ms])
        bounds = np.cumsum([0, *sizes])
        write = self.client.pipeline(transaction=False)
        redo = []
        for (w, cached, start), a, b in zip(tails, bounds[:-1], bounds[1:], strict=True):
            new = parsed[a:b]
            if start:
                if not len(new) or new[0, 0] != cached[-1, 0]:
                    redo.append(w)  # a late fix landed inside the cached part: parse this worker again
                    continue
                new = new[1:]
            full = np.vstack([cached, new]) if start else new
            out[w] = full
            key, ckey = self._keys(day, w)
            write.hset(ckey, mapping={"n": len(full), "a": full.astype(np.float64).tobytes()})
            write.expire(ckey, self.cache_ttl_s)
        write.execute()
        for w in redo:
            self.client.delete(self._keys(day, w)[1])
            self._read_tails(day, [(w, _EMPTY, 0)], out)


def encode(track: np.ndarray, origin_s: float) -> dict:
    """One worker's track → ``{"t", "x", "y"}``: lon and lat in 1e-5° as delta-encoded int64 arrays, and the
    times (whole seconds after ``origin_s``) as run-length pairs of their deltas, ``[delta, count, ...]`` — a
    phone pinging every 5 s sends ``[first, 1, 5, n - 1]``.  Decode with a running sum; serialise with
    ``orjson.OPT_SERIALIZE_NUMPY`` (no Python ints are made)."""
    if len(track) == 0:
        return {"t": np.empty(0, np.int64), "x": np.empty(0, np.int64), "y": np.empty(0, np.int64)}
    t = np.round(track[:, 0] - origin_s).astype(np.int64)
    x = np.round(track[:, 1] * 1e5).astype(np.int64)
    y = np.round(track[:, 2] * 1e5).astype(np.int64)
    return {"t": _runs(_delta(t)), "x": _delta(x), "y": _delta(y)}


def _runs(d: np.ndarray) -> np.ndarray:
    """``[5, 5, 5, 7]`` → ``[5, 3, 7, 1]`` (value, count pairs)."""
    starts = np.flatnonzero(np.diff(d, prepend=d[0] - 1) != 0)
    counts = np.diff(np.append(starts, len(d)))
    return np.column_stack([d[starts], counts]).ravel()


def decode(enc: dict, origin_s: float) -> np.ndarray:
    """The inverse of :func:`encode` (to 1 s and 1e-5°)."""
    pairs = np.asarray(enc["t"], dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return _EMPTY
    t = np.cumsum(np.repeat(pairs[:, 0], pairs[:, 1])) + origin_s
    return np.column_stack([t, np.cumsum(enc["x"]) / 1e5, np.cumsum(enc["y"]) / 1e5])


def _delta(a: np.ndarray) -> np.ndarray:
    return np.diff(a, prepend=0)


def write_track(pipe, settings, day: str, worker_id: str, track: np.ndarray, ttl_s: int | None = None) -> None:
    """Queue ZADDs of fixes (n, 3) on ``pipe`` in the pipeline's member format (seeding, benches, imports)."""
    key = settings.key("track", day, worker_id)
    mapping = {f"{t:.3f},{x:.6f},{y:.6f}": float(t) for t, x, y in track.tolist()}
    if mapping:
        pipe.zadd(key, mapping)
        pipe.expire(key, ttl_s or int((settings.track_days + 1) * 86400))
