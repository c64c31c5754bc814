"""HTTP ingest: the OsmAnd endpoint's three body kinds and the batch API, against the real Redis."""

from __future__ import annotations

import time

import orjson
import pytest
import redis
from flask import Flask
from redis import retry as redis_retry

from streams.ingest import make_ingest_blueprint, make_osmand_app
from streams.pingstream import make_redis
from tests.streams.helpers import counted, free_port

AUTH = {"Authorization": "Bearer secret-key"}


@pytest.fixture
def app(client, roster, settings):
    app = Flask("test")
    app.register_blueprint(make_ingest_blueprint(redis_client=client, roster=roster, settings=settings))
    return app.test_client()


def stream(client, settings) -> list[dict]:
    return [orjson.loads(f[b"p"]) for _, f in client.xrange(settings.key("pings"))]


@pytest.fixture
def device(roster):
    return roster.workers[0]


def test_osmand_get_query_is_accepted_and_normalized(app, client, settings, device):
    r = app.get(f"/ingest/osmand?id={device.device_id}&lat=39.095&lon=117.305&timestamp=1714521600&speed=2&batt=50")
    assert r.status_code == 200 and r.data == b""
    (ping,) = stream(client, settings)
    assert ping["w"] == device.worker_id and ping["d"] == device.device_id and ping["src"] == "osmand"
    assert (ping["lon"], ping["lat"], ping["ts"], ping["bat"]) == (117.305, 39.095, 1714521600.0, 50.0)
    assert ping["spd"] == pytest.approx(3.704) and ping["rx"] == pytest.approx(time.time(), abs=5)


def test_osmand_form_post(app, client, settings, device):
    r = app.post("/ingest/osmand", data={"deviceid": device.device_id, "location": "39.095,117.305"})
    assert r.status_code == 200
    assert stream(client, settings)[0]["lat"] == 39.095


def test_osmand_json_post(app, client, settings, device):
    body = {"device_id": device.device_id, "location": {"timestamp": "2024-05-01T08:00:00+08:00",
            "coords": {"latitude": 39.095, "longitude": 117.305, "speed": 1.0}}}  # fmt: skip
    r = app.post("/ingest/osmand", json=body)
    assert r.status_code == 200
    ping = stream(client, settings)[0]
    assert ping["ts"] == 1714521600.0 and ping["spd"] == pytest.approx(3.6)


@pytest.mark.parametrize(
    ("kind", "status"), [("query", 400), ("form", 400), ("json", 404)], ids=["query-400", "form-400", "json-404"]
)
def test_unknown_device(app, client, settings, kind, status):
    if kind == "query":
        r = app.get("/ingest/osmand?id=nobody&lat=39&lon=117")
    elif kind == "form":
        r = app.post("/ingest/osmand", data={"id": "nobody", "lat": "39", "lon": "117"})
    else:
        r = app.post("/ingest/osmand", json={"device_id": "nobody", "location": {"coords": {"latitude": 39, "longitude": 117}}})
    assert r.status_code == status
    assert r.json["error"] == "unknown_device"
    assert stream(client, settings) == []


@pytest.mark.parametrize(
    ("request_kwargs", "code"),
    [
        ({"query_string": "lat=39&lon=117"}, "missing_device"),
        ({"query_string": "id=x&lat=abc&lon=117"}, "bad_lat"),
        ({"query_string": "id=x&lat=39&lon=117&timestamp=tomorrow"}, "bad_timestamp"),
        ({"method": "POST", "data": b"{not json", "content_type": "application/json"}, "bad_json"),
    ],
)
def test_malformed_osmand_gets_a_clear_400(app, request_kwargs, code):
    r = app.open("/ingest/osmand", **request_kwargs)
    assert r.status_code == 400
    assert r.json["error"] == code and r.json["message"]


def test_standalone_osmand_app_serves_at_root(client, roster, settings, device):
    app = make_osmand_app(redis_client=client, roster=roster, settings=settings).test_client()
    assert app.get(f"/?id={device.device_id}&lat=39.095&lon=117.305").status_code == 200
    assert len(stream(client, settings)) == 1


def test_batch_accepts_good_items_and_reports_bad_ones_by_index(app, client, settings, roster):
    w0, w1 = roster.workers[:2]
    pings = [
        {"worker_id": w0.worker_id, "lat": 39.095, "lon": 117.305, "ts": 1714521600},
        {"worker_id": "ghost", "lat": 39.0, "lon": 117.0, "ts": 1714521600},
        {"device_id": w1.device_id, "lat": 39.095, "lon": 117.315, "ts": "2024-05-01T08:00:05+08:00", "sos": True,
         "accuracy_m": 5, "speed_kmh": 4, "battery": 80},
        {"worker_id": w0.worker_id, "lat": 39.0},
        "not an object",
        {"worker_id": w0.worker_id, "lat": 39.0, "lon": 117.0, "ts": "not a time"},
        {"lat": 39.0, "lon": 117.0, "ts": 1},
    ]  # fmt: skip
    r = app.post("/api/v1/pings", json={"pings": pings}, headers=AUTH)
    assert r.status_code == 202
    assert r.json["accepted"] == 2
    assert [(x["index"], x["error"]) for x in r.json["rejected"]] == [
        (1, "unknown_worker"), (3, "missing_field"), (4, "bad_item"), (5, "bad_ts"), (6, "missing_field"),
    ]  # fmt: skip
    assert all(x["reason"] for x in r.json["rejected"])
    got = stream(client, settings)
    assert [p["w"] for p in got] == [w0.worker_id, w1.worker_id]
    assert got[1]["ts"] == 1714521605.0 and got[1]["sos"] is True and got[1]["src"] == "batch"


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (1714521600, 1714521600.0),
        (1714521600000, 1714521600.0),
        ("1714521600", 1714521600.0),
        ("2024-05-01T08:00:00+08:00", 1714521600.0),
        ("2024-05-01T00:00:00Z", 1714521600.0),
        ("2024-05-01 00:00:00", 1714521600.0),
    ],
)
def test_batch_timestamp_forms(app, client, settings, roster, ts, expected):
    item = {"worker_id": roster.workers[0].worker_id, "lat": 39.0, "lon": 117.0, "ts": ts}
    assert app.post("/api/v1/pings", json={"pings": [item]}, headers=AUTH).json["accepted"] == 1
    assert stream(client, settings)[0]["ts"] == expected


@pytest.mark.parametrize(
    ("change", "error"),
    [({"lat": "north"}, "bad_lat"), ({"ts": -5}, "bad_ts"), ({"battery": 101}, "bad_battery"), ({"lon": None}, "bad_lon"),
     ({"lat": False}, "bad_lat"), ({"lon": True}, "bad_lon"), ({"speed_kmh": True}, "bad_speed_kmh")],
)
def test_batch_item_errors(app, roster, change, error):
    item = {"worker_id": roster.workers[0].worker_id, "lat": 39.0, "lon": 117.0, "ts": 1, **change}
    (rejected,) = app.post("/api/v1/pings", json={"pings": [item]}, headers=AUTH).json["rejected"]
    assert rejected["error"] == error and rejected["reason"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "secret-key"}])
def test_batch_needs_the_key(app, headers):
    r = app.post("/api/v1/pings", json={"pings": []}, headers=headers)
    assert r.status_code == 401 and r.json["error"] == "unauthorized"


def test_batch_without_configured_key_refuses_everyone(client, roster, settings):
    app = Flask("t")
    app.register_blueprint(make_ingest_blueprint(redis_client=client, roster=roster, settings=settings.replace(ingest_key="")))
    r = app.test_client().post("/api/v1/pings", json={"pings": []}, headers={"Authorization": "Bearer "})
    assert r.status_code == 401


def test_batch_over_5000_pings_is_413(app, roster):
    item = {"worker_id": roster.workers[0].worker_id, "lat": 39.0, "lon": 117.0, "ts": 1714521600}
    r = app.post("/api/v1/pings", json={"pings": [item] * 5001}, headers=AUTH)
    assert r.status_code == 413 and r.json["error"] == "too_many"
    assert app.post("/api/v1/pings", json={"pings": [item] * 5000}, headers=AUTH).status_code == 202


def test_batch_over_the_byte_limit_is_413(client, roster, settings):
    app = Flask("t")
    small = settings.replace(batch_max_bytes=1000)
    app.register_blueprint(make_ingest_blueprint(redis_client=client, roster=roster, settings=small))
    body = orjson.dumps({"pings": [{"worker_id": "W", "lat": 1, "lon": 2, "ts": 3}] * 50})
    r = app.test_client().post("/api/v1/pings", data=body, content_type="application/json", headers=AUTH)
    assert r.status_code == 413 and r.json["error"] == "too_large"


@pytest.mark.parametrize("body", [b"[1,2", b'{"items": []}', b"[]"])
def test_batch_malformed_body_is_400(app, body):
    r = app.post("/api/v1/pings", data=body, content_type="application/json", headers=AUTH)
    assert r.status_code == 400 and r.json["error"] in ("bad_json", "bad_request")


def test_redis_down_answers_503_with_retry_after(roster, settings, device, monkeypatch):
    dead = make_redis(settings, url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    app = Flask("t")
    app.register_blueprint(make_ingest_blueprint(redis_client=dead, roster=roster, settings=settings))
    c = app.test_client()
    # noticed quickly, not after redis-py's default retry backoff: one retry, after a constant short backoff
    retry = dead.get_connection_kwargs()["retry"]
    attempts, waits = [], []
    monkeypatch.setattr(redis_retry, "sleep", waits.append)  # redis-py waits between attempts with it

    def refused():
        attempts.append(1)
        raise redis.ConnectionError("refused")

    with pytest.raises(redis.ConnectionError):
        retry.call_with_retry(refused, lambda _exc: None)
    assert retry.get_retries() == 1 and len(attempts) == 2 and len(waits) == 1 and 0 <= waits[0] <= 0.1
    monkeypatch.undo()
    r = c.get(f"/ingest/osmand?id={device.device_id}&lat=39.095&lon=117.305")
    assert r.status_code == 503 and r.headers["Retry-After"] == str(settings.retry_after_s)
    assert r.json["error"] == "unavailable"
    item = {"worker_id": device.worker_id, "lat": 39.0, "lon": 117.0, "ts": time.time()}
    r = c.post("/api/v1/pings", json={"pings": [item, item]}, headers=AUTH)
    assert r.status_code == 503 and "Retry-After" in r.headers


def test_batch_refuses_impossible_items_each_by_index_reason_and_counter(app, client, settings, roster):
    w = roster.workers[0].worker_id
    now = time.time()
    good = {"worker_id": w, "lat": 39.095, "lon": 117.305, "ts": now}
    bad = [
        ({"lat": 999}, "bad_lat"),
        ({"lon": 181}, "bad_lon"),
        ({"lat": -90.5}, "bad_lat"),
        ({"ts": "1970-01-02T00:00:00Z"}, "old_ts"),
        ({"ts": 86400}, "old_ts"),
        ({"ts": "9999-01-01T00:00:00Z"}, "future_ts"),
        ({"ts": now + 3600}, "future_ts"),
        ({"heading": 999}, "bad_heading"),
        ({"heading": 360}, "bad_heading"),
        ({"heading": -1}, "bad_heading"),
        ({"speed_kmh": 1e9}, "bad_speed_kmh"),
        ({"speed_kmh": -3}, "bad_speed_kmh"),
        ({"accuracy_m": -5}, "bad_accuracy_m"),
        ({"battery": 500}, "bad_battery"),
    ]
    before = {code: counted("gridpulse_pings_rejected", reason=code) for _, code in bad}
    items = [good] + [{**good, **change} for change, _ in bad] + [{**good, "ts": now + 1, "heading": None}]
    r = app.post("/api/v1/pings", json={"pings": items}, headers=AUTH)
    assert r.status_code == 202 and r.json["accepted"] == 2
    assert [(x["index"], x["error"]) for x in r.json["rejected"]] == [(i + 1, code) for i, (_, code) in enumerate(bad)]
    assert all(x["reason"] for x in r.json["rejected"])
    for code, n in {code: sum(c == code for _, c in bad) for _, code in bad}.items():
        assert counted("gridpulse_pings_rejected", reason=code) == before[code] + n
    assert [p["ts"] for p in stream(client, settings)] == [now, now + 1]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_batch_body_that_is_not_json_content_is_415(app, client, settings, roster, content_type):
    body = orjson.dumps({"pings": [{"worker_id": roster.workers[0].worker_id, "lat": 39.0, "lon": 117.0,
                                    "ts": time.time()}]})  # fmt: skip
    headers = dict(AUTH) if content_type is None else {**AUTH, "Content-Type": content_type}
    r = app.post("/api/v1/pings", data=body, headers=headers)
    assert r.status_code == 415 and r.json["error"] == "unsupported_media_type" and r.json["message"]
    assert stream(client, settings) == []


def test_batch_accepts_a_json_suffix_content_type(app, roster):
    body = orjson.dumps({"pings": [{"worker_id": roster.workers[0].worker_id, "lat": 39.0, "lon": 117.0,
                                    "ts": time.time()}]})  # fmt: skip
    r = app.post("/api/v1/pings", data=body, headers={**AUTH, "Content-Type": "application/vnd.gridpulse+json"})
    assert r.status_code == 202 and r.json["accepted"] == 1


def test_ping_stream_is_trimmed_by_age(client, roster, settings):
    from streams.pingstream import RedisPingSink

    s = settings.replace(stream_retention_s=60)
    key = s.key("pings")
    old_ms = int((time.time() - 3600) * 1000)
    for k in range(300):  # an hour-old backlog (ids are Redis ms times)
        client.xadd(key, {"p": b"{}"}, id=f"{old_ms + k}-0")
    RedisPingSink(client, s).write([{"w": roster.workers[0].worker_id, "lon": 117.0, "lat": 39.0, "ts": time.time()}] * 3)
    ids = [int(i.split(b"-")[0]) for i, _ in client.xrange(key)]
    # MINID ~ trims whole macro nodes (100 entries by default): what is left of the backlog is less than a node
    assert len([i for i in ids if i < old_ms + 1000]) < 100 and len(ids) >= 3
    kept = settings.replace(stream_retention_s=0)
    RedisPingSink(client, kept).write([{"w": "x", "lon": 1, "lat": 1, "ts": 1}])
    assert client.xlen(key) == len(ids) + 1
