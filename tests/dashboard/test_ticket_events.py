"""``GET /api/v1/tickets/events``: the ticket events of a gap, scoped, since a time, bounded, in the push's shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from dashboard.app import create_app
from dashboard.ticket_setup import service_of, ticket_extension
from streams.contract import TICKET_FIELDS
from tests.conftest import MIDDAY
from tests.dashboard.conftest import ADMIN, STREET1, STREET2
from tests.tickets.conftest import INSIDE, OTHER_WORKER, STREET_CENTER, WORKER
from tickets.service import NewTicket
from tickets.settings import load_settings
from tickets.store.sql import SqlTicketStore

pytestmark = pytest.mark.integration
EAST = (117.315, 39.095)  # street 120110002
URL = "/api/v1/tickets/events"


@pytest.fixture
def web(box_district, tokens, roster, fake_reader, redis_url, key_prefix, tmp_path):
    import redis

    from streams.settings import StreamSettings

    store = SqlTicketStore("sqlite://")
    store.migrate()
    settings = load_settings(photo_dir=tmp_path / "photos", database_url="sqlite://")
    server, _ = create_app(district=box_district, redis_client=redis.Redis.from_url(redis_url),
                           settings=StreamSettings.from_env(key_prefix=key_prefix, redis_url=redis_url),
                           tokens=tokens, roster=roster, reader=fake_reader, message_queue=None, ingest=False,
                           extensions=[ticket_extension(store, open311_key=None, settings=settings)])
    return server


@pytest.fixture
def clock():
    with time_machine.travel(MIDDAY, tick=False) as traveller:
        yield traveller


def relay(web) -> None:
    """What the web process's ticket chore does every second: the outbox to the stream."""
    web.extensions["gridpulse"].ticket_chores.background.relay.drain_once()


def create(web, where=INSIDE, actor=WORKER) -> dict:
    return service_of(web).create(NewTicket("1101", *where, "垃圾"), actor)


def get(web, token, **query):
    return web.test_client().get(URL, query_string=query, headers={"Authorization": f"Bearer {token}"})


def rows(answer) -> list[dict]:
    return [dict(zip(answer.json["f"], r, strict=True)) for r in answer.json["rows"]]


def test_events_since_a_time_in_the_pushs_shape(web, clock):
    before = create(web)
    clock.shift(timedelta(seconds=60))
    gap = [create(web), create(web, EAST, OTHER_WORKER)]
    service_of(web).act(gap[0]["id"], "register", STREET_CENTER)
    relay(web)

    since = (MIDDAY + timedelta(seconds=30)).timestamp()
    r = get(web, ADMIN, since=since)
    assert r.status_code == 200, r.json
    assert r.json["f"] == TICKET_FIELDS and r.json["more"] is False and r.json["street"] is None
    got = rows(r)
    assert [(x["id"], x["event"]) for x in got] == [(gap[0]["id"], "report"), (gap[1]["id"], "report"),
                                                     (gap[0]["id"], "register")]  # oldest first
    assert before["id"] not in {x["id"] for x in got}
    # as the push: the ticket as it is now beside the event that happened then
    assert got[0]["state"] == "REGISTERED" and got[0]["open"] == 1 and got[0]["light"] == "green"
    assert all(x["ts"] >= since for x in got)
    everything = rows(get(web, ADMIN, since=0))
    assert [x["id"] for x in everything][0] == before["id"] and len(everything) == 4


def test_a_street_sees_its_own_street_and_the_admin_any(web, clock):
    west, east = create(web), create(web, EAST, OTHER_WORKER)
    relay(web)
    assert [x["id"] for x in rows(get(web, STREET1, since=0))] == [west["id"]]
    assert [x["id"] for x in rows(get(web, STREET2, since=0))] == [east["id"]]
    assert [x["id"] for x in rows(get(web, ADMIN, since=0, street="120110002"))] == [east["id"]]
    assert get(web, STREET1, since=0, street="120110002").status_code == 403
    assert get(web, ADMIN, since=0, street="999999999").status_code == 404
    assert get(web, "not-a-token", since=0).status_code == 401


def test_the_newest_events_up_to_the_limit_each_once(web, clock):
    made = []
    for _ in range(5):
        made.append(create(web))
        clock.shift(timedelta(seconds=1))
    relay(web)
    client = web.extensions["gridpulse"].redis_client
    stream = web.extensions["gridpulse"].settings.key("ticket-events")
    client.xadd(stream, client.xrange(stream)[-1][1])  # the outbox delivers at least once: a repeat
    r = get(web, ADMIN, since=0, limit=2)
    assert [x["id"] for x in rows(r)] == [made[3]["id"], made[4]["id"]] and r.json["more"] is True
    assert [x["id"] for x in rows(get(web, ADMIN, since=0))] == [t["id"] for t in made]


@pytest.mark.parametrize(("query", "code"), [({}, "missing_since"), ({"since": "yesterday"}, "bad_since"),
                                             ({"since": "nan"}, "bad_since"), ({"since": "-1"}, "bad_since"),
                                             ({"since": "0", "limit": "501"}, "bad_limit")])
def test_a_bad_query_is_a_400_naming_it(web, query, code):
    r = get(web, ADMIN, **query)
    assert r.status_code == 400 and r.json["error"] == code


def test_an_empty_stream_answers_no_rows(web):
    r = get(web, STREET1, since=0)
    assert r.status_code == 200 and r.json["rows"] == [] and r.json["street"] == "120110001"
