"""Processor throughput per process on a district-sized roster, against raw stream throughput of the same Redis.

    .venv/bin/python bench/processing.py [--pings 60000] [--runs 3] [--redis-url URL]

Fills the ping stream with a district's workers (1,147 for 东丽区 from ``geo.build``) walking in their grids,
one fix per worker every 5 s, then drains it with one :class:`streams.processor.Processor` (all stages, push
rows included, emitter discarded).  Baselines measured in the same run on the same Redis: pipelined XADD of the
same entries, and XREADGROUP + XACK of them with no processing.  Prints medians of ``--runs`` runs, the ratio
to the baselines and where the processor's time goes per stage.  Keys use a random prefix and are deleted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streams.pingstream import RedisPingSource, make_redis  # noqa: E402
from streams.processor import Processor  # noqa: E402
from streams.roster import Roster  # noqa: E402
from streams.settings import StreamSettings  # noqa: E402


def load_district():
    try:
        from geo.build import cached_district

        return cached_district()
    except Exception as e:  # noqa: BLE001 - fall back to a box district of the same size
        print(f"(geo.build unavailable: {e}; using a 31×37 box district)")
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.conftest import make_box_district

        return make_box_district(31, 37)


def make_pings(district, roster, n: int, t_end: float) -> list[bytes]:
    """``n`` fixes, round-robin over workers, 5 s apart per worker, a slow walk around each home grid's centroid."""
    cent = district.grids.set_index("code").geometry.representative_point()
    homes = [cent[w.home_grid] for w in roster.workers]
    rng = np.random.default_rng(1)
    nw = len(roster.workers)
    rounds = -(-n // nw)
    out = []
    for r in range(rounds):
        ts = t_end - 5 * (rounds - r)
        jitter = rng.normal(0, 0.0002, size=(nw, 2))
        for k, (w, home) in enumerate(zip(roster.workers, homes, strict=True)):
            if len(out) == n:
                break
            lon, lat = float(home.x + jitter[k, 0] + 0.00003 * r), float(home.y + jitter[k, 1])
            out.append(orjson.dumps({"w": w.worker_id, "d": w.device_id, "lon": lon, "lat": lat, "ts": ts,
                                     "rx": ts + 0.5, "acc": 10.0, "spd": None, "hdg": None, "bat": 80.0,
                                     "sos": False, "src": "batch"}))  # fmt: skip
    return out


def fill(client, stream: str, payloads: list[bytes], chunk: int = 1000) -> float:
    t0 = time.perf_counter()
    for i in range(0, len(payloads), chunk):
        pipe = client.pipeline(transaction=False)
        for p in payloads[i : i + chunk]:
            pipe.xadd(stream, {"p": p})
        pipe.execute()
    return len(payloads) / (time.perf_counter() - t0)


def cleanup(client, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for i in range(0, len(keys), 500):
        client.delete(*keys[i : i + 500])


class Timed:
    """Wraps a stage to add up its time."""

    def __init__(self, stage, totals):
        self.stage, self.totals = stage, totals
        self.name = stage.name

    def __call__(self, batch):
        t0 = time.perf_counter()
        self.stage(batch)
        self.totals[self.name] += time.perf_counter() - t0


def one_run(url: str, district, roster, payloads: list[bytes], stage_totals) -> dict:
    s = StreamSettings.from_env(redis_url=url, key_prefix=f"bench{uuid.uuid4().hex[:8]}", block_ms=5)
    client = make_redis(s)
    try:
        xadd_rate = fill(client, s.key("pings"), payloads)
        # Baseline: consume the same entries with no processing.
        src = RedisPingSource(client, s, "raw")
        src.ensure_group()
        t0 = time.perf_counter()
        while entries := src.read(count=s.read_count, wait=False):
            pipe = client.pipeline(transaction=False)
            src.ack(pipe, [e[0] for e in entries])
            pipe.execute()
        raw_rate = len(payloads) / (time.perf_counter() - t0)
        client.delete(s.key("pings"))
        fill(client, s.key("pings"), payloads)
        proc = Processor(client, district, roster, s, name="bench")
        proc.stages = [Timed(st, stage_totals) for st in proc.stages]
        t0 = time.perf_counter()
        done = 0
        while (k := proc.process_once(block_ms=5)) > 0:
            done += k
        proc_rate = done / (time.perf_counter() - t0)
        assert done == len(payloads), (done, len(payloads))
        return {"xadd": xadd_rate, "consume": raw_rate, "process": proc_rate, "processed": proc.totals["processed"]}
    finally:
        cleanup(client, s.key_prefix)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pings", type=int, default=60_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--redis-url", default=os.environ.get("GRIDPULSE_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()
    district = load_district()
    roster = Roster.from_district(district)
    payloads = make_pings(district, roster, args.pings, time.time() - 10)
    print(f"district {district.name}: {len(district.grids)} grids, {len(roster)} workers; "
          f"{len(payloads)} pings per run, {args.runs} runs, Redis {args.redis_url}")  # fmt: skip
    stage_totals: dict[str, float] = defaultdict(float)
    runs = [one_run(args.redis_url, district, roster, payloads, stage_totals) for _ in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in ("xadd", "consume", "process")}
    print(f"baseline pipelined XADD          {med['xadd']:>10,.0f} pings/s")
    print(f"baseline XREADGROUP+XACK only    {med['consume']:>10,.0f} pings/s")
    print(f"processor (all stages, 1 proc)   {med['process']:>10,.0f} pings/s   "
          f"= {med['process'] / med['consume']:.2f}× raw consume, {med['process'] / med['xadd']:.2f}× XADD")  # fmt: skip
    each = ", ".join(f"{r['process']:,.0f}" for r in runs)
    print(f"   runs: {each} pings/s; "
          f"accepted after filters: {runs[-1]['processed']:,} of {len(payloads):,}")
    total = sum(stage_totals.values())
    print("where the processor's stage time goes (all runs):")
    for name, t in sorted(stage_totals.items(), key=lambda kv: -kv[1]):
        per_ping_us = t / (len(payloads) * args.runs) * 1e6
        print(f"   {name:<16} {100 * t / total:5.1f} %  {per_ping_us:6.2f} µs/ping")


if __name__ == "__main__":
    main()
