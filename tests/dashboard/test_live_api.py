"""The live HTTP API against a fake LiveReader: scope by token, clear JSON errors."""

import pytest

from dashboard.app import create_app
from tests.dashboard.conftest import ADMIN, STREET1

H_ADMIN = {"Authorization": f"Bearer {ADMIN}"}
H_STREET1 = {"Authorization": f"Bearer {STREET1}"}


@pytest.fixture
def client(box_district, tokens, roster, fake_reader):
    from streams.settings import StreamSettings

    server, _ = create_app(district=box_district, settings=StreamSettings.from_env(key_prefix="t-api"), tokens=tokens,
                           roster=roster, reader=fake_reader, message_queue=None, ingest=False)
    return server.test_client()


def test_live_requires_a_token(client):
    r = client.get("/api/v1/live")
    assert r.status_code == 401
    assert r.json["error"] == "unauthorized" and "token" in r.json["message"]
    assert client.get("/api/v1/live", headers={"Authorization": "Bearer wrong-token-123"}).status_code == 401


def test_admin_sees_the_district_or_one_street(client, box_district):
    r = client.get("/api/v1/live", headers=H_ADMIN)
    assert r.status_code == 200 and r.json["street"] is None
    assert r.json["count"] == len(box_district.workers) == len(r.json["workers"])
    r = client.get("/api/v1/live?street=120110002", headers=H_ADMIN)
    assert {w["street"] for w in r.json["workers"]} == {"120110002"}


def test_street_token_sees_only_its_street(client):
    r = client.get("/api/v1/live", headers=H_STREET1)
    assert r.status_code == 200 and r.json["street"] == "120110001"
    assert r.json["count"] == 3 and {w["street"] for w in r.json["workers"]} == {"120110001"}
    r = client.get("/api/v1/live?street=120110002", headers=H_STREET1)
    assert r.status_code == 403 and r.json["error"] == "forbidden"


def test_token_in_query_works_too(client):
    assert client.get(f"/api/v1/live?token={ADMIN}").status_code == 200


def test_roster_is_admin_only(client, box_district):
    r = client.get("/api/v1/workers", headers=H_ADMIN)
    assert r.status_code == 200 and r.json["count"] == len(box_district.workers)
    assert set(r.json["workers"][0]) >= {"worker_id", "name", "device_id", "home_grid", "street_code"}
    assert client.get("/api/v1/workers", headers=H_STREET1).status_code == 403


def test_track_scope_date_and_unknown_worker(client, roster, fake_reader):
    west = next(w for w in roster.workers if w.street_code == "120110001")
    east = next(w for w in roster.workers if w.street_code == "120110002")
    r = client.get(f"/api/v1/workers/{west.worker_id}/track?date=2024-05-01", headers=H_STREET1)
    assert r.status_code == 200 and r.json["geometry"]["type"] == "LineString"
    assert fake_reader.calls[-1] == ("track", west.worker_id, "2024-05-01")
    assert client.get(f"/api/v1/workers/{east.worker_id}/track", headers=H_STREET1).status_code == 403
    assert client.get(f"/api/v1/workers/{east.worker_id}/track", headers=H_ADMIN).status_code == 200
    r = client.get("/api/v1/workers/NOPE/track", headers=H_ADMIN)
    assert r.status_code == 404 and r.json["error"] == "not_found"
    r = client.get(f"/api/v1/workers/{west.worker_id}/track?date=2024-13-45", headers=H_ADMIN)
    assert r.status_code == 400 and r.json["error"] == "bad_date"


def test_patrol_is_scoped(client, fake_reader):
    r = client.get("/api/v1/patrol?date=2024-05-01", headers=H_STREET1)
    assert r.status_code == 200 and r.json["street"] == "120110001" and r.json["date"] == "2024-05-01"
    assert fake_reader.calls[-1] == ("patrol", "2024-05-01", "120110001")
    assert client.get("/api/v1/patrol?street=120110002", headers=H_STREET1).status_code == 403
    assert client.get("/api/v1/patrol?date=yesterday", headers=H_ADMIN).status_code == 400


def test_metrics_need_the_admin_token(client):
    r = client.get("/metrics")
    assert r.status_code == 401 and r.json["error"] == "unauthorized"
    assert client.get("/metrics", headers=H_STREET1).status_code == 401
    r = client.get("/metrics", headers=H_ADMIN)
    assert r.status_code == 200 and r.content_type.startswith("text/plain")
    assert b"gridpulse_connected_clients" in r.data


@pytest.mark.parametrize(("allow", "addr", "status"), [
    ("127.0.0.1/32", "127.0.0.1", 200),
    ("10.0.0.0/8, 127.0.0.1/32", "10.2.3.4", 200),
    ("127.0.0.1/32", "192.168.1.9", 401),
    ("", "127.0.0.1", 401),
])  # fmt: skip
def test_metrics_allowed_networks_need_no_token(box_district, tokens, roster, fake_reader, allow, addr, status):
    from dashboard.settings import WebSettings
    from streams.settings import StreamSettings

    server, _ = create_app(district=box_district, settings=StreamSettings.from_env(key_prefix="t-api"), tokens=tokens,
                           roster=roster, reader=fake_reader, message_queue=None, ingest=False,
                           web_settings=WebSettings.from_env({"GRIDPULSE_METRICS_ALLOW": allow}))
    r = server.test_client().get("/metrics", environ_base={"REMOTE_ADDR": addr})
    assert r.status_code == status


def test_metrics_allow_setting_is_checked_at_start():
    from dashboard.settings import WebSettings

    with pytest.raises(ValueError, match="GRIDPULSE_METRICS_ALLOW"):
        WebSettings.from_env({"GRIDPULSE_METRICS_ALLOW": "localhost"})


def test_live_endpoints_answer_503_with_retry_after_while_redis_is_down(box_district, tokens, roster):
    from dashboard.serving import free_port
    from streams.live import LiveReader
    from streams.pingstream import make_redis
    from streams.settings import StreamSettings

    settings = StreamSettings.from_env(key_prefix="t-api", redis_url=f"redis://127.0.0.1:{free_port()}/0",
                                       retry_after_s=7)  # nothing listens there
    dead = make_redis(settings)
    server, _ = create_app(district=box_district, settings=settings, tokens=tokens, roster=roster,
                           reader=LiveReader(dead, roster, settings), redis_client=dead, message_queue=None,
                           ingest=False)
    client = server.test_client()
    worker = roster.workers[0].worker_id
    for path in ("/api/v1/live", "/api/v1/patrol", f"/api/v1/workers/{worker}/track"):
        r = client.get(path, headers=H_ADMIN)
        assert r.status_code == 503, path
        assert r.headers["Retry-After"] == "7" and r.json["error"] == "unavailable" and r.json["message"]


def test_extensions_get_the_wired_context(box_district, tokens, roster, fake_reader):
    from flask import Blueprint, jsonify

    from streams.settings import StreamSettings

    seen = {}

    def tickets_ext(ctx):
        bp = Blueprint("tickets", __name__)

        @bp.get("/api/v1/tickets")
        def tickets():
            from flask import request

            p = ctx.authenticate(request)
            return jsonify({"role": p.role if p else None})

        ctx.server.register_blueprint(bp)
        seen["district"] = ctx.district

    server, _ = create_app(district=box_district, settings=StreamSettings.from_env(key_prefix="t-ext"), tokens=tokens,
                           roster=roster, reader=fake_reader, message_queue=None, ingest=False, extensions=[tickets_ext])
    assert seen["district"] is box_district
    assert server.test_client().get("/api/v1/tickets", headers=H_ADMIN).json == {"role": "admin"}


def test_live_of_one_worker_in_scope(client, roster):
    west = next(w for w in roster.workers if w.street_code == "120110001")
    east = next(w for w in roster.workers if w.street_code == "120110002")
    r = client.get(f"/api/v1/live?worker={west.worker_id}", headers=H_STREET1)
    assert r.status_code == 200 and r.json["count"] == 1 and r.json["workers"][0]["id"] == west.worker_id
    r = client.get(f"/api/v1/live?worker={east.worker_id}", headers=H_ADMIN)
    assert r.status_code == 200 and [w["id"] for w in r.json["workers"]] == [east.worker_id]
    r = client.get(f"/api/v1/live?worker={east.worker_id}", headers=H_STREET1)
    assert r.status_code == 403 and r.json["error"] == "forbidden"
    r = client.get(f"/api/v1/live?worker={east.worker_id}&street=120110001", headers=H_ADMIN)
    assert r.status_code == 403 and r.json["error"] == "forbidden"
    r = client.get("/api/v1/live?worker=nobody", headers=H_ADMIN)
    assert r.status_code == 404 and r.json["error"] == "not_found"
