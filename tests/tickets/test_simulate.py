"""The simulator: backfilled history is what the service would have written; the live flow moves tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tickets.domain.states import TRANSITIONS, State
from tickets.simulate import TicketFlow, backfill, scale
from tickets.store.models import outbox, tickets, transitions
from tickets.store.sql import SqlTicketStore

NOW = datetime(2024, 11, 22, 8, 0, tzinfo=UTC)


def test_backfill_history_replays(store, district, settings):
    n = backfill(store, district, days=30, seed=3, now=NOW, settings=settings, per_day=30)
    assert 600 < n < 1100
    with store.engine.connect() as c:
        rows = {r["id"]: dict(r) for r in c.execute(select(tickets)).mappings()}
        hist = c.execute(select(transitions).order_by(transitions.c.ticket_id, transitions.c.id)).mappings().all()
    last: dict[int, tuple] = {}
    versions: dict[int, int] = {}
    for h in hist:
        prev = last.get(h["ticket_id"], (None, None))
        assert (h["from_state"], h["from_tier"]) == prev
        if h["action"] != "report":
            assert State(h["from_state"]) in TRANSITIONS[h["action"]][0]
            versions[h["ticket_id"]] = versions.get(h["ticket_id"], 1) + 1
        assert h["at"] <= NOW
        last[h["ticket_id"]] = (h["to_state"], h["to_tier"])
    for tid, t in rows.items():
        assert last[tid] == (t["state"], t["tier"])
        assert t["version"] == versions.get(tid, 1)
        assert t["reported_at"] <= NOW
    states = [t["state"] for t in rows.values()]
    assert states.count("CLOSED") / len(states) > 0.85
    assert {"CLOSED", "VOID"} < set(states) and len(set(states)) >= 5  # some still open, at various steps
    assert store.max_id() == max(rows)


def test_backfill_numbers_are_unique_and_new_tickets_follow(service, store, district, settings):
    backfill(store, district, days=3, seed=1, now=NOW, settings=settings, per_day=10)
    from tests.tickets.conftest import INSIDE, WORKER
    from tickets.service import NewTicket

    t = service.create(NewTicket("1101", *INSIDE), WORKER)
    assert t["id"] == store.max_id()


def test_scale_is_by_grid_count(district):
    assert scale(district) == 9 / 1147


def test_flow_creates_and_advances(store, district, service):
    flow = TicketFlow(store, district, seed=5, speed=3600.0, service=service)
    t0 = NOW
    flow.step(t0)
    for k in range(1, 13):
        flow.step(t0 + timedelta(seconds=5 * k))
    with store.engine.connect() as c:
        n = c.execute(select(func.count()).select_from(tickets)).scalar_one()
        moved = c.execute(select(func.count()).select_from(transitions).where(transitions.c.action != "report")).scalar_one()
        events = c.execute(select(func.count()).select_from(outbox)).scalar_one()
    assert n > 0 and moved > 0
    assert events >= n + moved  # every change went to the outbox


def test_a_backfill_has_dongli_s_daily_tickets_and_closes_98_percent_of_the_old_ones(settings):
    """575 tickets a day over 1,147 grids (210,000 a year, weekends included); of the tickets older than 30 days
    about 98% closed (办结率 = closed / received), the rest void or a few still open."""
    from tests.conftest import make_box_district

    district = make_box_district(nx=20, ny=15)  # 300 grids: 150 tickets a day at Dongli's rate
    store = SqlTicketStore("sqlite://")
    store.migrate()
    days = 45
    backfill(store, district, days=days, seed=4, now=NOW, settings=settings)
    tz = ZoneInfo("Asia/Shanghai")
    today = NOW.astimezone(tz).date()
    with store.engine.connect() as c:
        rows = c.execute(select(tickets.c.state, tickets.c.reported_at)).all()
    store.engine.dispose()
    reported = [r.reported_at.replace(tzinfo=UTC) if r.reported_at.tzinfo is None else r.reported_at for r in rows]
    whole_days = [at for at in reported if at.astimezone(tz).date() < today]  # today is still under way
    per_day_dongli = len(whole_days) / (days - 1) / scale(district)
    assert 0.9 * 575 <= per_day_dongli <= 1.1 * 575
    old = [r.state for r, at in zip(rows, reported, strict=True) if at < NOW - timedelta(days=30)]
    assert len(old) > 1500
    closed = old.count("CLOSED") / len(old)
    assert 0.97 <= closed <= 0.995
