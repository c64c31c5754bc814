"""The outbox relay with a fake Redis: nothing is lost while Redis is down, order is kept."""

from __future__ import annotations

import orjson
import redis

from tests.tickets.conftest import INSIDE, STREET_CENTER, WORKER
from tickets.service import NewTicket
from tickets.store.outbox import OutboxRelay


class FakeRedis:
    def __init__(self):
        self.down = False
        self.entries: list[tuple[str, dict]] = []

    def pipeline(self, transaction=False):
        return FakePipe(self)


class FakePipe:
    def __init__(self, r):
        self.r, self.ops = r, []

    def xadd(self, stream, fields, maxlen=None, approximate=True):
        self.ops.append((stream, fields))

    def execute(self):
        if self.r.down:
            raise redis.ConnectionError("Connection refused")
        self.r.entries.extend(self.ops)


def test_events_wait_while_redis_is_down(service):
    r = FakeRedis()
    relay = OutboxRelay(service.store, r, stream="s", batch=2)
    r.down = True
    ids = [service.create(NewTicket("1101", *INSIDE), WORKER)["id"] for _ in range(3)]
    service.act(ids[0], "register", STREET_CENTER)
    assert relay.drain_once() == 0 and relay.pending() == 4 and relay.failures == 1
    r.down = False
    assert relay.drain_once() == 4 and relay.pending() == 0
    events = [orjson.loads(f["event"]) for _, f in r.entries]
    assert [e["action"] for e in events] == ["report", "report", "report", "register"]
    assert [int(f["event_id"]) for _, f in r.entries] == sorted(int(f["event_id"]) for _, f in r.entries)
    e = events[-1]
    assert (e["from_state"], e["to_state"], e["tier"], e["grid_code"]) == ("REPORTED", "REGISTERED", "community",
                                                                          "120110001001001")
    assert {"ticket_id", "number", "lon", "lat", "category_code", "street_code", "at"} <= set(e)
    assert relay.drain_once() == 0


def test_run_stops(tmp_path, district, settings):
    import threading

    from tickets.service import TicketService
    from tickets.store.sql import SqlTicketStore

    store = SqlTicketStore(f"sqlite:///{tmp_path}/t.db")  # a file: the relay thread has its own connection
    store.migrate()
    service = TicketService(store, district, settings)
    stop = threading.Event()
    relay = OutboxRelay(store, FakeRedis())
    service.create(NewTicket("1101", *INSIDE), WORKER)
    th = threading.Thread(target=relay.run, args=(stop, 0.01))
    th.start()
    for _ in range(200):
        if relay.pending() == 0:
            break
        stop.wait(0.01)
    stop.set()
    th.join(2)
    assert not th.is_alive() and relay.sent == 1
    store.engine.dispose()
