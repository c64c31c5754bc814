"""Ingest throughput through a real server process, against raw XADD throughput of the same Redis.

    .venv/bin/python bench/ingest.py [--seconds 5] [--runs 3] [--clients 4] [--with-processor]

A server process serves the ingest blueprint (``/api/v1/pings``) and the OsmAnd app (``/``) with gevent's pywsgi
in a monkey-patched process, which is what ``gridpulse serve`` runs (``--server werkzeug`` measures the threaded
Werkzeug server that the demo and tests use).  Client processes with keep-alive connections then

* post batches of 1,000 pings (``POST /api/v1/pings``) for ``--seconds``: pings accepted per second;
* send single OsmAnd GET requests, ``--threads`` per client process: requests per second;
* with ``--with-processor``, post batches while ``--processors`` processor processes drain the stream: pings
  ingested *and processed* per second (the end-to-end figure of the target).

Baselines from the same run and Redis: pipelined XADD (1,000 per round trip) and single XADD round trips from
as many client threads.  Medians of ``--runs`` runs.  Keys use a random prefix and are deleted.
"""

from __future__ import annotations

import sys

if sys.argv[1:2] == ["--serve"] and sys.argv[5:6] == ["gevent"]:  # before anything imports socket
    from gevent import monkey

    monkey.patch_all()

import argparse
import http.client
import multiprocessing as mp
import os
import statistics
import subprocess
import threading
import time
import uuid
from pathlib import Path

import orjson
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.processing import cleanup, load_district  # noqa: E402
from dashboard.serving import free_port  # noqa: E402
from streams.settings import StreamSettings  # noqa: E402

KEY = "bench-ingest-key"


def serve(port: int, prefix: str, url: str, server: str) -> None:
    """The server process: the ingest blueprint and the OsmAnd app on one server (threaded Werkzeug or gevent)."""

    from streams.ingest import make_ingest_blueprint, make_osmand_app
    from streams.pingstream import make_redis
    from streams.roster import Roster

    s = StreamSettings.from_env(redis_url=url, key_prefix=prefix, ingest_key=KEY)
    roster = Roster.from_district(load_district())
    client = make_redis(s)
    app = make_osmand_app(redis_client=client, roster=roster, settings=s)
    app.register_blueprint(make_ingest_blueprint(redis_client=client, roster=roster, settings=s))
    if server == "gevent":
        from gevent.pywsgi import WSGIServer

        WSGIServer(("127.0.0.1", port), app, log=None).serve_forever()
        return
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def process(prefix: str, url: str, name: str) -> None:
    """A processor process (NullEmitter), until killed."""
    from streams.pingstream import make_redis
    from streams.processor import Processor
    from streams.roster import Roster

    s = StreamSettings.from_env(redis_url=url, key_prefix=prefix)
    district = load_district()
    Processor(make_redis(s), district, Roster.from_district(district), s, name=name).run()


def _batch_client(port: int, bodies: list[bytes], seconds: float, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    accepted, i, t_end = 0, 0, time.time() + seconds
    while time.time() < t_end:
        conn.request("POST", "/api/v1/pings", bodies[i % len(bodies)], headers)
        r = conn.getresponse()
        body = r.read()
        assert r.status == 202, (r.status, body[:200])
        accepted += orjson.loads(body)["accepted"]
        i += 1
    out.put(accepted)


def _osmand_client(port: int, paths: list[str], seconds: float, threads: int, out) -> None:
    counts = [0] * threads

    def one(k):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        i, t_end = k, time.time() + seconds
        while time.time() < t_end:
            conn.request("GET", paths[i % len(paths)])
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
            counts[k] += 1
            i += threads
    ts = [threading.Thread(target=one, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(sum(counts))


def _run_clients(target, args_list) -> int:
    q = mp.Queue()
    procs = [mp.Process(target=target, args=(*a, q)) for a in args_list]
    for p in procs:
        p.start()
    total = sum(q.get() for _ in procs)
    for p in procs:
        p.join()
    return total


def make_bodies(roster, n_bodies: int = 20, per: int = 1000) -> list[bytes]:
    workers = roster.workers
    t0 = time.time() - 3600
    bodies = []
    for b in range(n_bodies):
        pings = []
        for k in range(per):
            w = workers[(b * per + k) % len(workers)]
            seq = (b * per + k) // len(workers)
            pings.append({"worker_id": w.worker_id, "lat": 39.1 + 0.00001 * seq, "lon": 117.4, "ts": t0 + 5 * seq,
                          "accuracy_m": 8})  # fmt: skip
        bodies.append(orjson.dumps({"pings": pings}))
    return bodies


def baselines(client, stream: str, threads: int, seconds: float = 2.0) -> tuple[float, float]:
    payload = orjson.dumps({"w": "W", "lon": 117.4, "lat": 39.1, "ts": time.time()})
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        pipe = client.pipeline(transaction=False)
        for _ in range(1000):
            pipe.xadd(stream, {"p": payload})
        pipe.execute()
        n += 1000
    pipelined = n / (time.perf_counter() - t0)
    counts = [0] * threads

    def one(k):
        c = redis.Redis(connection_pool=client.connection_pool)
        t_end = time.time() + seconds
        while time.time() < t_end:
            c.xadd(stream, {"p": payload})
            counts[k] += 1
    ts = [threading.Thread(target=one, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    client.delete(stream)
    return pipelined, sum(counts) / seconds


def handled(client, s) -> int:
    """Entries through the processors: processed + dropped by a rule + dead-lettered."""
    return sum(int(v) for v in client.hgetall(s.key("stats")).values())


def wait_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def one_run(args, roster, bodies, paths) -> dict:
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    port = free_port()
    me = [sys.executable, str(Path(__file__).resolve())]
    server = subprocess.Popen([*me, "--serve", str(port), prefix, args.redis_url, args.server])
    client = redis.Redis.from_url(args.redis_url)
    s = StreamSettings.from_env(redis_url=args.redis_url, key_prefix=prefix)
    workers: list[subprocess.Popen] = []
    try:
        wait_port(port)
        res = {}
        res["xadd_pipelined"], res["xadd_single"] = baselines(client, s.key("baseline"), args.clients * args.threads)
        n = _run_clients(_batch_client, [(port, bodies, args.seconds)] * args.clients)
        res["batch"] = n / args.seconds
        client.delete(s.key("pings"))
        n = _run_clients(_osmand_client, [(port, paths, args.seconds, args.threads)] * args.clients)
        res["osmand"] = n / args.seconds
        client.delete(s.key("pings"))
        if args.with_processor:
            workers = [subprocess.Popen([*me, "--process", prefix, args.redis_url, f"p{k}"])
                       for k in range(args.processors)]  # fmt: skip
            time.sleep(4)  # district load and stage set-up
            n = _run_clients(_batch_client, [(port, bodies, args.seconds)] * args.clients)
            t_posted = time.time()
            while handled(client, s) < n and time.time() - t_posted < 60:
                time.sleep(0.05)
            processed = handled(client, s)
            res["end_to_end"] = processed / (args.seconds + time.time() - t_posted)
            res["backlog_s"] = time.time() - t_posted
        return res
    finally:
        for p in [server, *workers]:
            p.terminate()
            p.wait(10)
        cleanup(client, prefix)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        return serve(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    if len(sys.argv) > 1 and sys.argv[1] == "--process":
        return process(sys.argv[2], sys.argv[3], sys.argv[4])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clients", type=int, default=2, help="client processes")
    ap.add_argument("--threads", type=int, default=4, help="OsmAnd threads per client process")
    ap.add_argument("--server", choices=["werkzeug", "gevent"], default="gevent")
    ap.add_argument("--with-processor", action="store_true")
    ap.add_argument("--processors", type=int, default=1)
    ap.add_argument("--redis-url", default=os.environ.get("GRIDPULSE_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()
    from streams.roster import Roster

    roster = Roster.from_district(load_district())
    bodies = make_bodies(roster, n_bodies=120)  # 120,000 distinct pings: few duplicates in a run
    t = int(time.time()) - 60
    paths = [f"/?id={w.device_id}&lat=39.1&lon=117.4&timestamp={t}&speed=1&accuracy=8" for w in roster.workers]
    runs = [one_run(args, roster, bodies, paths) for _ in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"{args.runs} runs × {args.seconds:.0f} s, {args.server} server, {args.clients} client processes, "
          f"Redis {args.redis_url}")
    print(f"baseline pipelined XADD (1,000/round trip)   {med['xadd_pipelined']:>10,.0f} pings/s")
    print(f"baseline single XADD, {args.clients * args.threads} threads              "
          f"{med['xadd_single']:>10,.0f} ops/s")  # fmt: skip
    print(f"batch ingest, 1,000-ping POSTs               {med['batch']:>10,.0f} pings/s   "
          f"= {med['batch'] / med['xadd_pipelined']:.2f}× pipelined XADD   (target ≥ 20,000 with processing)")
    print(f"OsmAnd single-ping GETs                      {med['osmand']:>10,.0f} req/s     "
          f"= {med['osmand'] / med['xadd_single']:.2f}× single XADD     (target ≥ 2,000)")
    if "end_to_end" in med:
        print(f"batch ingest + {args.processors} processor(s), end to end      {med['end_to_end']:>10,.0f} pings/s "
              f"(backlog drained {med['backlog_s']:.1f} s after the last POST)")  # fmt: skip
    for k in ("batch", "osmand", *(("end_to_end",) if "end_to_end" in med else ())):
        print(f"   {k} runs: {', '.join(f'{r[k]:,.0f}' for r in runs)}")


if __name__ == "__main__":
    main()
