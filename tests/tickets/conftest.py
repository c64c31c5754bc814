"""Fixtures for the ticket tests: a service over in-memory SQLite on the 9-grid box district, with a test clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tickets.domain.actors import Actor
from tickets.settings import load_settings
from tickets.store.sql import SqlTicketStore

# Monday 2024-11-18 10:00 Asia/Shanghai: inside working hours
T0 = datetime(2024, 11, 18, 2, 0, tzinfo=UTC)
DATA = Path(__file__).parent / "data"
JPEG = (DATA / "sample.jpg").read_bytes()  # real images (CPython's imghdr samples): photos are checked by structure
PNG = (DATA / "sample.png").read_bytes()
WEBP = (DATA / "sample.webp").read_bytes()


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def district(box_district):
    return box_district


@pytest.fixture
def settings(tmp_path):
    return load_settings(photo_dir=tmp_path / "photos", database_url="sqlite://")


@pytest.fixture
def store():
    s = SqlTicketStore("sqlite://")
    s.migrate()
    yield s
    s.engine.dispose()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def service(store, district, settings, clock):
    from tickets.service import TicketService

    return TicketService(store, district, settings, clock=clock)


GRID = "120110001001001"  # the north-west box: street 120110001
STREET = "120110001"
INSIDE = (117.305, 39.095)  # inside GRID
OUTSIDE = (116.0, 39.0)

WORKER = Actor(role="worker", name="格格", worker_id=f"W{GRID}")
OTHER_WORKER = Actor(role="worker", name="别的格格", worker_id="W120110002001001")
STREET_CENTER = Actor(role="street", name="测试1街道", street_code=STREET)
OTHER_STREET = Actor(role="street", name="测试2街道", street_code="120110002")
DEPT = Actor(role="department", name="居委会", department="C01")
STREET_DEPT = Actor(role="department", name="城管科", department="S01")
DISTRICT = Actor(role="district", name="区中心")


TOKENS = {"worker-token": WORKER, "street-token": STREET_CENTER, "dept-token": DEPT, "admin-token": DISTRICT,
          "other-street": OTHER_STREET}


@pytest.fixture
def client(service):
    import flask

    from dashboard.api.ticket_routes import register

    app = flask.Flask("tickets-test")
    register(app, store=service.store, district=service.district, authenticate=TOKENS.get, open311_key="k-311",
             service=service)
    return app.test_client()


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
