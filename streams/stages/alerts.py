"""RaiseAlerts: outside own grid for more than N minutes, back online, SOS (offline comes from the sweep).

Alerts are appended to ``{p}:alerts`` on the batch's transaction and pushed (event ``alerts``) after it commits.
Each alert fires on the transition only: an SOS once when it starts, outside-grid once per excursion.
"""

from __future__ import annotations

import orjson

from streams.stages import PingStage
from streams.stages.model import Batch, Ping


def make_alert(kind: str, worker, ping_or_fix, ts: float, message: str) -> dict:
    """``{"kind", "w", "name", "grid", "street", "ts", "message"}`` (the contract's alert shape)."""
    return {
        "kind": kind,
        "w": worker.worker_id if worker else ping_or_fix.w,
        "name": worker.name if worker else "",
        "grid": ping_or_fix.grid,
        "street": worker.street_code if worker else ping_or_fix.street,
        "ts": ts,
        "message": message,
    }


def queue_alerts(pipe, settings, alerts: list[dict]) -> None:
    maxlen = settings.alerts_maxlen or None
    for alert in alerts:
        pipe.xadd(settings.key("alerts"), {"a": orjson.dumps(alert)}, maxlen=maxlen, approximate=True)


class RaiseAlerts(PingStage):
    def __init__(self, outside_alert_s: float):
        self.outside_alert_s = outside_alert_s

    def handle(self, ping: Ping, batch: Batch) -> None:
        if ping.late or ping.buffered:
            return  # history arriving late, or hours after it happened, never raises an alert
        worker = batch.roster.by_worker(ping.w)
        prev, name = ping.prev, worker.name if worker else ping.w
        if ping.sos and not (prev is not None and prev.sos):
            batch.alerts.append(make_alert("sos", worker, ping, ping.ts, f"{name} 发出求助 (SOS)"))
        if prev is not None and prev.status == "offline" and ping.status == "online":
            batch.alerts.append(make_alert("back_online", worker, ping, ping.ts, f"{name} 重新上线"))
        if not ping.outside:
            ping.outside_since, ping.outside_alerted = None, False
            return
        was_out = prev is not None and prev.outside and prev.outside_since is not None
        ping.outside_since = prev.outside_since if was_out else ping.ts
        ping.outside_alerted = prev.outside_alerted if was_out else False
        minutes = (ping.ts - ping.outside_since) / 60
        if self.outside_alert_s and not ping.outside_alerted and ping.ts - ping.outside_since >= self.outside_alert_s:
            ping.outside_alerted = True
            batch.alerts.append(
                make_alert("outside_grid", worker, ping, ping.ts, f"{name} 离开本网格已 {minutes:.0f} 分钟")
            )
