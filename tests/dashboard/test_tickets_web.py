"""The ticket APIs inside the real web app: dashboard tokens become ticket actors; chores drain the outbox to Redis."""

from __future__ import annotations

import threading

import pytest

from dashboard.app import create_app
from dashboard.auth import Principal, TokenRegistry
from dashboard.ticket_setup import TicketBackground, actor_for, service_of, ticket_extension
from tests.dashboard.conftest import ADMIN, STREET1, STREET2
from tickets.settings import load_settings
from tickets.store.sql import SqlTicketStore

WORKER, DEPT = "worker-token-0001", "dept-token-00001"
INSIDE = (117.305, 39.095)  # the north-west box: street 120110001


@pytest.fixture
def store():
    s = SqlTicketStore("sqlite://")
    s.migrate()
    return s


@pytest.fixture
def web(box_district, roster, fake_reader, store, tmp_path):
    from streams.settings import StreamSettings

    tokens = TokenRegistry.from_mapping(
        admin=ADMIN, streets={"120110001": STREET1, "120110002": STREET2},
        extra=[{"token": WORKER, "role": "worker", "worker_id": box_district.workers["worker_id"][0], "name": "格格0"},
               {"token": DEPT, "role": "department", "department": "CG", "name": "城管"}])
    settings = load_settings(photo_dir=tmp_path / "photos", database_url="sqlite://")
    server, _ = create_app(district=box_district, settings=StreamSettings.from_env(key_prefix="t-tix"), tokens=tokens,
                           roster=roster, reader=fake_reader, message_queue=None, ingest=False,
                           extensions=[ticket_extension(store, open311_key="open311-key-1", settings=settings)])
    return server


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def report(client, token=WORKER):
    data = {"category": "1101", "lon": str(INSIDE[0]), "lat": str(INSIDE[1]), "description": "垃圾满溢"}
    return client.post("/api/v1/tickets", headers=auth(token), data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(("role", "expected"), [("admin", "district"), ("street", "street"), ("worker", "worker"),
                                                ("department", "department")])
def test_every_web_role_maps_to_a_ticket_role(role, expected):
    p = Principal(role, name="x", street_code="120110001" if role == "street" else None,
                  worker_id="W1" if role == "worker" else None, department="CG" if role == "department" else None)
    actor = actor_for(p)
    assert actor.role == expected
    assert (actor.street_code, actor.worker_id, actor.department) == (p.street_code, p.worker_id, p.department)
    assert actor_for(None) is None


def test_tokens_of_the_web_process_drive_the_ticket_loop(web):
    client = web.test_client()
    assert report(client, "not-a-known-token").status_code == 401
    r = report(client)
    assert r.status_code == 201, r.json
    tid = r.json["id"]
    assert r.json["street_code"] == "120110001" and r.json["reporter_role"] == "worker"
    # the other street's supervisor neither sees it nor registers it (404: outside its view); its own may
    other = client.post(f"/api/v1/tickets/{tid}/actions", headers=auth(STREET2), json={"action": "register"})
    assert other.status_code == 404 and other.json["error"] == "unknown_ticket"
    assert client.get(f"/api/v1/tickets/{tid}", headers=auth(STREET2)).status_code == 404
    mine = client.get(f"/api/v1/tickets/{tid}", headers=auth(STREET1))
    assert "register" in mine.json["allowed_actions"]
    done = client.post(f"/api/v1/tickets/{tid}/actions", headers=auth(STREET1), json={"action": "register"})
    assert done.status_code == 200 and done.json["state"] == "REGISTERED"
    # the admin token is the district center
    admin_view = client.get(f"/api/v1/tickets/{tid}", headers=auth(ADMIN))
    assert admin_view.status_code == 200 and admin_view.json["allowed_actions"]
    assert client.get("/api/v1/departments", headers=auth(ADMIN)).status_code == 200
    assert service_of(web).store.max_id() == tid


def test_open311_is_served_with_its_key(web):
    client = web.test_client()
    services = client.get("/open311/v2/services.json")
    assert services.status_code == 200 and services.json
    code = services.json[0]["service_code"]
    refused = client.post("/open311/v2/requests.json", data={"api_key": "wrong", "service_code": code,
                                                            "lat": INSIDE[1], "long": INSIDE[0]})
    assert refused.status_code == 403
    ok = client.post("/open311/v2/requests.json", data={"api_key": "open311-key-1", "service_code": code,
                                                       "lat": INSIDE[1], "long": INSIDE[0], "description": "井盖"})
    assert ok.status_code in (200, 201) and isinstance(ok.json[0]["service_request_id"], str)


@pytest.mark.integration
def test_background_chores_send_every_ticket_event_to_redis(web, store, redis_url, key_prefix):
    import redis

    client = web.test_client()
    for _ in range(3):
        assert report(client).status_code == 201
    r = redis.Redis.from_url(redis_url)
    stream = f"{key_prefix}:ticket-events"
    chores = TicketBackground(store, service_of(web), r, stream=stream, interval_s=0.05).start()
    try:
        deadline = threading.Event()
        for _ in range(100):
            if r.xlen(stream) >= 3:
                break
            deadline.wait(0.05)
    finally:
        chores.stop()
    assert r.xlen(stream) == 3
    assert chores.relay.pending() == 0
    from tickets.metrics import rollup

    assert rollup.CACHE.size(store.engine) >= 12  # warmed: a year's whole months, at least
