"""Ticket events through a real Redis: written while Redis is unreachable, delivered when it is back."""

from __future__ import annotations

import uuid

import orjson
import pytest
import redis

from tests.conftest import make_box_district
from tests.tickets.conftest import INSIDE, STREET_CENTER, WORKER, Clock
from tickets.service import NewTicket, TicketService
from tickets.settings import load_settings
from tickets.store.outbox import OutboxRelay
from tickets.store.sql import SqlTicketStore

pytestmark = pytest.mark.integration


@pytest.fixture
def live_redis():
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379 ({exc})")
    stream = f"gp:test:{uuid.uuid4().hex}:ticket-events"  # never FLUSHDB: others share this Redis
    yield client, stream
    client.delete(stream)
    client.close()


def test_nothing_lost_when_redis_comes_back(live_redis, tmp_path):
    client, stream = live_redis
    store = SqlTicketStore(f"sqlite:///{tmp_path}/t.db")
    store.migrate()
    svc = TicketService(store, make_box_district(), load_settings(photo_dir=tmp_path), clock=Clock())
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # nothing listens there
    relay_down = OutboxRelay(store, down, stream=stream)
    ids = [svc.create(NewTicket("1101", *INSIDE), WORKER)["id"] for _ in range(5)]
    svc.act(ids[0], "register", STREET_CENTER)
    assert relay_down.drain_once() == 0 and relay_down.pending() == 6  # the SQL writes did not wait for Redis
    relay = OutboxRelay(store, client, stream=stream)
    assert relay.drain_once() == 6
    entries = client.xrange(stream)
    events = [orjson.loads(f[b"event"]) for _, f in entries]
    assert [e["ticket_id"] for e in events] == [*ids, ids[0]]
    assert events[-1]["action"] == "register" and events[-1]["to_state"] == "REGISTERED"
    assert relay.pending() == 0 and relay.drain_once() == 0
    store.engine.dispose()
