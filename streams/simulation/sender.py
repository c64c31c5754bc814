"""The simulator's phones on the wire: :class:`HttpSender` posts the pings of a :mod:`patrol model
<streams.simulation.model>` (batch API with the ingest key, or OsmAnd single pings from a small thread pool) with
bounded retries on 503 that honour ``Retry-After``, and counts what happened in :class:`SendStats`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import orjson

log = logging.getLogger(__name__)


@dataclass
class SendStats:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    retries: int = 0
    failed: int = 0  # given up after the retries
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for k, v in counts.items():
                setattr(self, k, getattr(self, k) + v)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("sent", "accepted", "rejected", "retries", "failed", "requests")}


class HttpSender:
    """POSTs batches to ``/api/v1/pings`` or sends OsmAnd GETs to ``/ingest/osmand`` from a thread pool."""

    def __init__(self, url: str, *, protocol: str = "batch", ingest_key: str = "", threads: int = 8,
                 max_retries: int = 5, max_wait_s: float = 30.0, batch_max: int = 5_000, timeout_s: float = 10.0,
                 stop_event: threading.Event | None = None):
        import requests  # noqa: F401  (fail early with a clear ImportError)

        if protocol not in ("batch", "osmand"):
            raise ValueError(f"protocol must be batch or osmand, got {protocol!r}")
        if protocol == "batch" and not ingest_key:
            raise ValueError("the batch protocol needs the ingest key (GRIDPULSE_INGEST_KEY or --ingest-key)")
        self.url = url.rstrip("/")
        self.protocol, self.ingest_key = protocol, ingest_key
        self.max_retries, self.max_wait_s, self.batch_max, self.timeout_s = max_retries, max_wait_s, batch_max, timeout_s
        self.stats = SendStats()
        self.stop = stop_event or threading.Event()
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sim-send") if protocol == "osmand" else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def send(self, pings: list[dict]) -> None:
        if not pings:
            return
        if self.protocol == "batch":
            for i in range(0, len(pings), self.batch_max):
                self._post_batch(pings[i : i + self.batch_max])
        else:
            list(self._pool.map(self._send_osmand, pings))

    def _session(self):
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _post_batch(self, chunk: list[dict]) -> None:
        body = orjson.dumps({"pings": chunk})
        headers = {"Authorization": f"Bearer {self.ingest_key}", "Content-Type": "application/json"}
        resp = self._with_retries(lambda: self._session().post(f"{self.url}/api/v1/pings", data=body, headers=headers,
                                                               timeout=self.timeout_s), len(chunk))
        if resp is None:
            return
        if resp.status_code == 202:
            result = resp.json()
            self.stats.add(accepted=int(result.get("accepted", 0)), rejected=len(result.get("rejected", [])))
        else:
            log.warning("batch refused: %s %s", resp.status_code, resp.text[:200])
            self.stats.add(rejected=len(chunk))

    def _send_osmand(self, p: dict) -> None:
        params = {"id": p["device_id"], "lat": p["lat"], "lon": p["lon"], "timestamp": int(p["ts"]),
                  "speed": round(p["speed_kmh"] / 1.852, 2), "bearing": p["heading"], "accuracy": p["accuracy_m"],
                  "batt": p["battery"]}
        if p.get("sos"):
            params["alarm"] = "sos"
        resp = self._with_retries(lambda: self._session().get(f"{self.url}/ingest/osmand", params=params,
                                                              timeout=self.timeout_s), 1)
        if resp is not None:
            self.stats.add(**({"accepted": 1} if resp.status_code == 200 else {"rejected": 1}))

    def _with_retries(self, call, count: int):
        import requests

        self.stats.add(sent=count)
        wait = 0.5
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.stats.add(retries=1)
            try:
                resp = call()
                self.stats.add(requests=1)
            except requests.RequestException as e:
                log.debug("send failed (%s), retrying in %.1fs", e, wait)
                resp = None
            if resp is not None and resp.status_code != 503:
                return resp
            if resp is not None:  # honour the server's Retry-After (seconds), bounded
                with contextlib.suppress(ValueError):
                    wait = float(resp.headers.get("Retry-After", wait))
            if attempt == self.max_retries or self.stop.wait(min(wait, self.max_wait_s)):
                break
            wait = min(wait * 2, self.max_wait_s)
        self.stats.add(failed=count)
        return None
