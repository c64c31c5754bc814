"""A store that cannot be reached (Redis, or the SQL ticket store) is a 503 with ``Retry-After`` on every route that
needs it — the APIs, ``/healthz``, Dash's callbacks and pages — never a 500 (issue 16).

Redis is a closed port and the SQL store a PostgreSQL URL on a closed port: both refuse at once, as a stopped
server does.
"""

from __future__ import annotations

import re

import pytest

from dashboard.api.openapi import OPS
from tests.dashboard.conftest import ADMIN, STREET1
from tests.dashboard.wallkit import PAGES_OUTPUT

CLOSED = "127.0.0.1:1"  # nothing listens on port 1
AUTH = {"Authorization": f"Bearer {ADMIN}"}
QUERY = "?street=120110001&date=2026-03-02&worker_id=W1&ids=1-0"
# what each outage must turn into a 503 (the rest may answer 2xx/4xx from what they hold in memory)
NEEDS_REDIS = {"/api/v1/live", "/api/v1/patrol", "/api/v1/tracks", "/api/v1/coverage", "/api/v1/alerts",
               "/api/v1/alerts/acks", "/api/v1/alerts/ack", "/healthz"}
NEEDS_SQL = {"/api/v1/tickets", "/api/v1/tickets/X", "/api/v1/metrics", "/api/v1/metrics/series",
             "/api/v1/metrics/funnel", "/api/v1/metrics/rankings", "/api/v1/metrics/departments",
             "/open311/v2/requests.json", "/healthz"}


def _app(tmp_path, *, redis_down: bool, sql_down: bool):
    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry
    from dashboard.ticket_setup import ticket_extension
    from streams.settings import StreamSettings
    from tests.conftest import make_box_district
    from tickets.settings import load_settings
    from tickets.store.sql import SqlTicketStore

    url = f"postgresql+psycopg://nobody@{CLOSED}/test" if sql_down else f"sqlite:///{tmp_path / 't.db'}"
    store = SqlTicketStore(url)
    if not sql_down:
        store.migrate()
    tokens = TokenRegistry.from_mapping(admin=ADMIN, streets={"120110001": STREET1})
    redis_url = f"redis://{CLOSED}/0" if redis_down else "redis://127.0.0.1:6379/0"
    settings = StreamSettings.from_env(key_prefix="t-outage", redis_url=redis_url, ingest_key="ingest-key-0001",
                                       retry_after_s=7)
    tickets = load_settings(photo_dir=tmp_path / "photos", database_url="sqlite://")
    server, _ = create_app(district=make_box_district(), settings=settings, tokens=tokens, message_queue=None,
                           extensions=[ticket_extension(store, open311_key="open311-key-0001", settings=tickets)])
    return server


def _call(client, method: str, path: str):
    concrete = re.sub(r"\{ref\}", "X", re.sub(r"\{format\}", "json", path)).replace("{", "").replace("}", "")
    if method == "get":
        return client.get(concrete + QUERY, headers=AUTH)
    return client.open(concrete, method=method.upper(), headers=AUTH, json={"ids": ["1-0"]})


@pytest.mark.parametrize("down", ["redis", "sql"])
def test_every_documented_operation_answers_503_with_retry_after_never_500(tmp_path, down):
    server = _app(tmp_path, redis_down=down == "redis", sql_down=down == "sql")
    client = server.test_client()
    must = NEEDS_REDIS if down == "redis" else NEEDS_SQL
    seen = set()
    for op in OPS:
        r = _call(client, op.method, op.path)
        concrete = re.sub(r"\{ref\}", "X", re.sub(r"\{format\}", "json", op.path))
        assert r.status_code != 500, f"{op.method} {op.path}: {r.get_data(as_text=True)[:300]}"
        if r.status_code == 503:
            assert int(r.headers["Retry-After"]) > 0, (op.method, op.path)
            body = r.get_json()
            if op.path == "/healthz":
                assert body["ok"] is False
            elif op.path.startswith("/open311/"):
                assert body[0]["code"] == 503 and body[0]["description"]
            else:
                assert body["error"] == "unavailable" and body["message"]
            seen.add(concrete)
        elif concrete in must and (op.method == "get" or concrete == "/api/v1/alerts/ack"):
            pytest.fail(f"{op.method} {op.path} answered {r.status_code} with {down} down")
    assert must <= seen


@pytest.mark.parametrize("down", ["redis", "sql"])
def test_healthz_names_the_store_that_is_down(tmp_path, down):
    r = _app(tmp_path, redis_down=down == "redis", sql_down=down == "sql").test_client().get("/healthz")
    assert r.status_code == 503 and r.headers["Retry-After"] == "7"
    assert r.get_json() == {"ok": False, "redis": down != "redis", "sql": down != "sql"}


def test_healthz_is_200_when_both_answer(tmp_path):
    r = _app(tmp_path, redis_down=False, sql_down=False).test_client().get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"ok": True, "redis": True, "sql": True}


@pytest.mark.parametrize("down", ["redis", "sql"])
@pytest.mark.parametrize("page", ["/", "/street", "/manage"])
def test_pages_and_their_dash_callback_never_answer_500(tmp_path, down, page):
    client = _app(tmp_path, redis_down=down == "redis", sql_down=down == "sql").test_client()
    client.set_cookie("gp_token", ADMIN)
    assert client.get(page, headers=AUTH).status_code == 200  # the page shell holds no data
    body = {"output": PAGES_OUTPUT,
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": page},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    r = client.post("/_dash-update-component", json=body, headers=AUTH)
    assert r.status_code in (200, 503), r.get_data(as_text=True)[:500]
    if r.status_code == 503:
        assert int(r.headers["Retry-After"]) > 0 and r.get_json()["error"] == "unavailable"
