"""The stage list, built once from settings: a rule whose threshold is 0 is simply left out.

Order (each stage sees only the pings the ones before it kept)::

    DecodePing → LoadState → RecordContact → DropInvalid → DropZero → DropFuture → MarkBuffered → DropInaccurate
    → DropDuplicate → DropSpeedJump → DropTooFrequent → LocateGrid → LinkPrevious → DetectMotion
    → UpdateStatus → AccountPatrol → RaiseAlerts → PushChanges → StoreLive → StoreBuffered → AppendTrack

Stateless rules come first (cheap, vectorised); rules that compare with the worker's last fix come after them
so that a bad fix never becomes anybody's "last fix".  RecordContact takes the heartbeats (no position) out first.  PushChanges precedes StoreLive because StoreLive writes the
rows inside its compare-and-set (see :mod:`streams.stages.store`).  MarkBuffered flags fixes that arrive more than
``max_age_s`` after their time (a phone's upload after hours without network): they go through the filters, the
track and the patrol of their own day, and RaiseAlerts, PushChanges and StoreLive pass them by
(:mod:`streams.stages.buffered`).
"""

from __future__ import annotations

from streams.stages import Stage
from streams.stages.alerts import RaiseAlerts
from streams.stages.buffered import MarkBuffered, StoreBuffered
from streams.stages.contact import RecordContact
from streams.stages.filters import (
    DecodePing,
    DropDuplicate,
    DropFuture,
    DropInaccurate,
    DropInvalid,
    DropSpeedJump,
    DropTooFrequent,
    DropZero,
)
from streams.stages.locate import LocateGrid
from streams.stages.motion import DetectMotion, LinkPrevious
from streams.stages.patrol import AccountPatrol
from streams.stages.push import PushChanges
from streams.stages.status import UpdateStatus
from streams.stages.store import AppendTrack, LoadState, StoreLive


def build_stages(client, district, settings, *, push: bool = True, locate: Stage | None = None) -> list[Stage]:
    """The processing stages for ``settings``; ``locate`` replaces the district's LocateGrid (tests)."""
    s = settings
    optional = [
        (True, DropInvalid),
        (True, DropZero),
        (s.max_future_s > 0, lambda: DropFuture(s.max_future_s)),
        (s.max_age_s > 0, lambda: MarkBuffered(s.max_age_s)),
        (s.max_accuracy_m > 0, lambda: DropInaccurate(s.max_accuracy_m)),
        (True, DropDuplicate),
        (s.max_speed_kmh > 0, lambda: DropSpeedJump(s.max_speed_kmh)),
        (s.min_period_s > 0, lambda: DropTooFrequent(s.min_period_s)),
    ]
    stages: list[Stage] = [DecodePing(), LoadState(client, s), RecordContact(client, s)]
    stages += [make() for enabled, make in optional if enabled]
    stages += [
        locate or LocateGrid.from_district(district),
        LinkPrevious(),
        DetectMotion(s.moving_speed_kmh, s.min_move_m, s.idle_after_s),
        UpdateStatus(s.stale_after_s, s.offline_after_s),
        AccountPatrol(client, s),
        RaiseAlerts(s.outside_alert_s),
    ]
    if push:
        stages.append(PushChanges())
    stages += [StoreLive(client, s), StoreBuffered(client, s), AppendTrack(client, s)]
    return stages


def describe(stages: list[Stage]) -> str:
    """``"DecodePing → LoadState → …"``, for the start-up log line."""
    return " → ".join(st.name for st in stages)
