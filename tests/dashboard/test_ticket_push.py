"""Ticket events → ``tickets`` pushes: the rows (pure), the rooms (pure), and the reader on a real Redis stream."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from dashboard.push.tickets import GROUP, TicketPush, decode, messages_by_room, ticket_rows
from streams.contract import DISTRICT_ROOM, TICKET_FIELDS
from tests.tickets.conftest import INSIDE, WORKER
from tickets.service import NewTicket, TicketService
from tickets.settings import load_settings
from tickets.store.outbox import OutboxRelay
from tickets.store.sql import SqlTicketStore

EVENT = {"ticket_id": 7, "number": "N7", "action": "report", "to_state": "REPORTED", "grid_code": "120110001001001",
         "street_code": "120110001", "lon": 117.3, "lat": 39.1, "category_code": "1101",
         "at": "2024-11-18T02:00:00+00:00"}


def row_dict(row):
    return dict(zip(TICKET_FIELDS, row, strict=True))


def test_rows_take_the_tickets_state_now_over_the_event():
    now_point = {"id": 7, "no": "N7", "lon": 117.3, "lat": 39.1, "light": "red", "grid": "g", "street": "120110001",
                 "category": "1101", "state": "DISPATCHED", "open": 1, "overdue": 1}
    r = row_dict(ticket_rows([EVENT], {7: now_point})[0])
    assert (r["event"], r["state"], r["light"], r["open"], r["overdue"]) == ("report", "DISPATCHED", "red", 1, 1)
    assert r["ts"] == 1731895200.0
    gone = row_dict(ticket_rows([EVENT], {})[0])  # deleted meanwhile: the event's own fields, not open
    assert (gone["id"], gone["street"], gone["open"]) == (7, "120110001", 0)


def test_every_event_goes_to_the_district_and_its_streets_room():
    rows = ticket_rows([EVENT, {**EVENT, "ticket_id": 8, "street_code": "120110002"}], {})
    msgs = messages_by_room(rows, 1)
    assert set(msgs) == {DISTRICT_ROOM, "street:120110001", "street:120110002"}
    assert len(msgs[DISTRICT_ROOM]["rows"]) == 2 and len(msgs["street:120110002"]["rows"]) == 1
    assert msgs[DISTRICT_ROOM]["f"] == TICKET_FIELDS


@pytest.fixture
def service(box_district, tmp_path):
    store = SqlTicketStore("sqlite://")
    store.migrate()
    return TicketService(store, box_district, load_settings(photo_dir=tmp_path, database_url="sqlite://"))


@pytest.mark.integration
def test_the_reader_pushes_each_event_once_with_the_light(service, redis_url, key_prefix):
    import redis

    client = redis.Redis.from_url(redis_url)
    stream = f"{key_prefix}:ticket-events"
    sent = []
    push = TicketPush(client, service, lambda ev, data, room: sent.append((ev, data, room)), stream=stream,
                      block_ms=200)
    push.step()  # makes the group; nothing yet
    t = service.create(NewTicket("1101", *INSIDE, "垃圾"), WORKER)
    relay = OutboxRelay(service.store, client, stream=stream)
    assert relay.drain_once() == 1
    # the outbox delivers at least once: the same event id again must not be pushed twice
    fields = client.xrange(stream)[-1][1]
    client.xadd(stream, fields)
    assert push.step() == 1
    rooms = {room: data for ev, data, room in sent if ev == "tickets"}
    assert set(rooms) == {"district", "street:120110001"}
    r = row_dict(rooms["district"]["rows"][0])
    assert (r["id"], r["event"], r["open"], r["light"]) == (t["id"], "report", 1, "green")
    assert client.xinfo_groups(stream)[0]["pending"] == 0 and client.xinfo_groups(stream)[0]["name"] == GROUP.encode()


def test_a_repeat_is_the_same_event_id_and_event_not_the_id_alone():
    import orjson

    one = {b"event_id": b"1", b"event": orjson.dumps(EVENT)}
    # SQLite's outbox gives id 1 again once the relay emptied it: a new event under an old id
    again = {b"event_id": b"1", b"event": orjson.dumps({**EVENT, "ticket_id": 8})}
    seen = OrderedDict()
    assert [e["ticket_id"] for e in decode([(b"1-0", one), (b"2-0", one), (b"3-0", again)], seen)] == [7, 8]
    assert decode([(b"4-0", again)], seen) == []  # remembered across batches
