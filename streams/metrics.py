"""Prometheus metrics of the live path, in a dedicated registry ``REGISTRY`` (the web process serves it).

Counters of this process (ingest in the web process, stages in a processor) plus, once
:func:`register_redis_collector` is called, the figures every processor keeps in Redis: drops per rule,
dead letters per stage, processed pings and the stream lag, so that one scrape of the web process sees them all.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

PINGS_ACCEPTED = Counter(
    "gridpulse_pings_accepted", "Pings accepted by ingest and written to the stream", ["source"], registry=REGISTRY
)
PINGS_REJECTED = Counter(
    "gridpulse_pings_rejected", "Pings refused by ingest (4xx), by reason", ["reason"], registry=REGISTRY
)
FIXES_DISCARDED = Counter(
    "gridpulse_fixes_discarded",
    "OsmAnd fixes that can be no real position (lat/lon out of range, before 2000, far ahead), answered 200 so the "
    "phone's queue moves on, and not stored, by reason",
    ["reason"],
    registry=REGISTRY,
)
INGEST_UNAVAILABLE = Counter(
    "gridpulse_ingest_unavailable", "Ingest requests answered 503 because Redis was unreachable", registry=REGISTRY
)
PROCESSING_LATENCY = Histogram(
    "gridpulse_processing_latency_seconds",
    "Receive time → committed to live state, per ping (this process)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
READINGS_DROPPED = Counter(
    "gridpulse_readings_dropped",
    "Device readings out of range (battery, heading, speed, accuracy) dropped from an accepted OsmAnd ping",
    ["field"],
    registry=REGISTRY,
)
CONNECTED_CLIENTS = Gauge("gridpulse_connected_clients", "Socket.IO clients connected to /live", registry=REGISTRY)

# Field names of the {p}:stats hash, written by processors with HINCRBY once per batch.
STAT_PROCESSED = "processed"
STAT_CONTACTS = "contacts"  # heartbeats without a position, applied to the last contact and battery
STAT_BUFFERED = "buffered"  # fixes older than max_age_s on arrival, kept as history of their own day
STAT_DROPPED = "dropped:"  # + rule
STAT_DEAD = "dead:"  # + stage


class RedisStatsCollector:
    """Reads ``{p}:stats`` and the stream lag at scrape time (errors only log: a scrape must never fail)."""

    def __init__(self, client, settings):
        self.client, self.settings = client, settings

    def collect(self):
        try:
            stats = self.client.hgetall(self.settings.key("stats"))
            from streams.pingstream import RedisPingSource

            lag = RedisPingSource(self.client, self.settings, "metrics").lag()
        except Exception as e:  # noqa: BLE001 - Redis down must not break /metrics
            log.warning("metrics: cannot read stats from Redis: %s", e)
            return
        processed = CounterMetricFamily("gridpulse_pings_processed", "Pings through the last stage, all processors")
        contacts = CounterMetricFamily("gridpulse_contacts_processed", "Heartbeats without a position applied")
        buffered = CounterMetricFamily("gridpulse_pings_buffered", "Fixes older than max_age_s on arrival (a phone's "
                                       "upload after hours offline): tracks and patrol of their day, not live")
        dropped = CounterMetricFamily("gridpulse_pings_dropped", "Pings dropped by a filter, by rule", labels=["rule"])
        dead = CounterMetricFamily("gridpulse_pings_dead_lettered", "Pings dead-lettered, by stage", labels=["stage"])
        for raw_key, raw_val in stats.items():
            key, value = raw_key.decode(), float(raw_val)
            if key == STAT_PROCESSED:
                processed.add_metric([], value)
            elif key == STAT_CONTACTS:
                contacts.add_metric([], value)
            elif key == STAT_BUFFERED:
                buffered.add_metric([], value)
            elif key.startswith(STAT_DROPPED):
                dropped.add_metric([key[len(STAT_DROPPED) :]], value)
            elif key.startswith(STAT_DEAD):
                dead.add_metric([key[len(STAT_DEAD) :]], value)
        yield from (processed, contacts, buffered, dropped, dead)
        if lag is not None:
            yield GaugeMetricFamily("gridpulse_stream_lag", "Ping stream entries not yet processed", value=lag)


_registered: dict[str, RedisStatsCollector] = {}


def register_redis_collector(client, settings) -> RedisStatsCollector:
    """Add the Redis-backed figures to ``REGISTRY`` (once per key prefix)."""
    if settings.key_prefix not in _registered:
        collector = RedisStatsCollector(client, settings)
        REGISTRY.register(collector)
        _registered[settings.key_prefix] = collector
    return _registered[settings.key_prefix]
