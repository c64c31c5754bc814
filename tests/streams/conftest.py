"""Fixtures of the live-path tests: the box district's roster, settings with a private prefix, Redis."""

from __future__ import annotations

import pytest
import redis

from streams.roster import Roster
from tests.conftest import make_box_district
from tests.streams.helpers import SHARED_URL, LocalRedis, delete_prefix, make_settings, shared_redis_available


@pytest.fixture(scope="session")
def district():
    return make_box_district()


@pytest.fixture(scope="session")
def roster(district):
    return Roster.from_district(district)


@pytest.fixture(scope="session")
def redis_url():
    """The machine's Redis at 127.0.0.1:6379 when it answers, else a private redis-server for the session."""
    if shared_redis_available():
        yield SHARED_URL
        return
    with LocalRedis() as server:
        yield server.url


@pytest.fixture
def settings(redis_url):
    return make_settings(redis_url)


@pytest.fixture
def client(redis_url, settings):
    c = redis.Redis.from_url(redis_url)
    yield c
    delete_prefix(c, settings.key_prefix)
    c.close()
