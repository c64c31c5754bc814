"""Building pings and batches for stage tests, with no Redis."""

from __future__ import annotations

from streams.stages.model import Batch, Ping

T0 = 1_714_550_400.0  # 2024-05-01 16:00 Asia/Shanghai, inside the default shift
HOME_LON, HOME_LAT = 117.305, 39.095  # the middle of the box district's first grid (street 001)


def ping(w: str, lon: float = HOME_LON, lat: float = HOME_LAT, ts: float = T0, rx: float | None = None, **kw) -> Ping:
    p = Ping(f"{int(ts * 1000)}-0".encode(), None)
    p.w, p.lon, p.lat, p.ts, p.rx = w, lon, lat, ts, T0 if rx is None else rx
    for k, v in kw.items():
        setattr(p, k, v)
    return p


def stored(w: str, lon: float = HOME_LON, lat: float = HOME_LAT, ts: float = T0 - 60, **extra) -> Ping:
    entry = {"id": w, "lon": lon, "lat": lat, "ts": ts, "grid": None, "status": "online", **extra}
    return Ping.from_live(entry)


def run(stages, pings, settings, roster, state=None, now: float | None = None) -> Batch:
    batch = Batch(pings, settings, roster, now=T0 if now is None else now)
    batch.state.update(state or {})
    for stage in stages:
        stage(batch)
    return batch
