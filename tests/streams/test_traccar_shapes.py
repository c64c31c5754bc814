"""OsmAnd requests shaped as Traccar Client and Traccar's own OsmAnd decoder tests send them, end to end through
ingest (HTTP) and the processor (real Redis): heartbeats and cell/wifi-only requests, SOS in the JSON protocol,
HDOP, unknown (-1) readings and out-of-range ones."""

from __future__ import annotations

import time

import orjson
import pytest
from flask import Flask

from streams.emitter import MemoryEmitter
from streams.ingest import make_ingest_blueprint, make_osmand_app
from streams.live import LiveReader
from streams.processor import Processor
from tests.streams.helpers import counted

LAT, LON = 39.095, 117.305  # inside the box district's first grid


@pytest.fixture
def stack(client, district, roster, settings):
    app = Flask("t")
    app.register_blueprint(make_ingest_blueprint(redis_client=client, roster=roster, settings=settings))
    emitter = MemoryEmitter()
    proc = Processor(client, district, roster, settings, emitter, name="p1")
    return app.test_client(), proc, LiveReader(client, roster, settings), emitter


@pytest.fixture
def device(roster):
    return roster.workers[0]


def drain(proc) -> None:
    while proc.process_once(block_ms=5):
        pass


def live_of(reader, worker_id) -> dict:
    return next(w for w in reader.snapshot() if w["id"] == worker_id)


def stream(client, settings) -> list[dict]:
    return [orjson.loads(f[b"p"]) for _, f in client.xrange(settings.key("pings"))]


def test_heartbeat_updates_last_contact_and_battery_and_keeps_the_last_fix(stack, device, client, settings):
    http, proc, reader, _ = stack
    t = int(time.time())
    fix = f"/ingest/osmand?id={device.device_id}&lat={LAT}&lon={LON}&timestamp={t - 60}&batt=80"
    assert http.get(fix).status_code == 200
    # Traccar Client's heartbeat: id, timestamp, batt, charge; no position
    r = http.post("/ingest/osmand", data={"id": device.device_id, "timestamp": str(t), "batt": "64.5",
                                          "charge": "true"})  # fmt: skip
    assert r.status_code == 200 and r.data == b""
    assert stream(client, settings)[-1]["k"] == "contact"
    drain(proc)
    me = live_of(reader, device.worker_id)
    assert (me["lon"], me["lat"], me["ts"]) == (LON, LAT, t - 60)  # the last fix stays: nothing invented
    assert me["bat"] == 64.5 and me["seen"] == t and me["status"] == "online"
    tracks = [k for k in client.scan_iter(match=f"{settings.key_prefix}:track:*")]
    assert sum(client.zcard(k) for k in tracks) == 1  # a heartbeat is no track point
    assert int(client.hget(settings.key("stats"), "contacts")) == 1


def test_cell_and_wifi_only_request_is_a_contact(stack, device):
    http, proc, reader, _ = stack
    t = int(time.time())
    # as in Traccar's OsmAndProtocolDecoderTest: cell towers and wifi access points, no lat/lon
    r = http.get(f"/?id={device.device_id}&timestamp={t}&cell=257,02,16,2224&cell=257,02,16,2223,-90"
                 f"&wifi=00-14-22-01-23-45,-80&wifi=00-1C-B3-09-85-15,-70".replace("/?", "/ingest/osmand?"))
    assert r.status_code == 200
    drain(proc)
    me = live_of(reader, device.worker_id)
    assert me["lon"] is None and me["ts"] is None and me["seen"] == t and me["status"] == "online"


def test_a_heartbeat_older_than_the_last_contact_changes_nothing(stack, device):
    http, proc, reader, _ = stack
    t = int(time.time())
    assert http.get(f"/ingest/osmand?id={device.device_id}&lat={LAT}&lon={LON}&timestamp={t}&batt=80").status_code == 200
    assert http.get(f"/ingest/osmand?id={device.device_id}&timestamp={t - 30}&batt=20").status_code == 200
    drain(proc)
    me = live_of(reader, device.worker_id)
    assert me["bat"] == 80 and me["seen"] == t


@pytest.mark.parametrize("where", ["alarm", "extras"])
def test_json_sos_alarm_raises_the_sos_alert(stack, device, where):
    http, proc, reader, emitter = stack
    location = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "coords": {"latitude": LAT, "longitude": LON, "accuracy": 5, "speed": 0, "heading": -1, "altitude": 5},
                "is_moving": False, "odometer": 0, "event": "motionchange",
                "battery": {"level": 0.79, "is_charging": False}, "activity": {"type": "still"}, "extras": {}}  # fmt: skip
    if where == "alarm":
        location["alarm"] = "sos"
    else:
        location["extras"] = {"alarm": "sos"}
    r = http.post("/ingest/osmand", json={"location": location, "device_id": device.device_id})
    assert r.status_code == 200
    drain(proc)
    me = live_of(reader, device.worker_id)
    assert me["sos"] is True and me["hdg"] is None and me["acc"] == 5 and me["bat"] == 79.0
    alerts = [a for e, data, room in emitter.sent if e == "alerts" and room == "district" for a in data]
    assert [a["kind"] for a in alerts] == ["sos"] and alerts[0]["w"] == device.worker_id


def test_json_location_without_coords_is_a_heartbeat(stack, device):
    http, proc, reader, _ = stack
    body = {"device_id": device.device_id, "location": {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "event": "heartbeat", "battery": {"level": 0.5, "is_charging": True}}}  # fmt: skip
    assert http.post("/ingest/osmand", json=body).status_code == 200
    drain(proc)
    me = live_of(reader, device.worker_id)
    assert me["bat"] == 50.0 and me["lon"] is None and me["status"] == "online"


def test_hdop_is_kept_and_an_honest_hdop_25_fix_is_not_dropped(stack, device, client, settings):
    http, proc, reader, _ = stack
    t = int(time.time())
    # Traccar's decoder test shape: hdop, altitude, speed 0.0
    r = http.get(f"/ingest/osmand?id={device.device_id}&lat={LAT}&lon={LON}&timestamp={t}&hdop=25.0&altitude=224.0"
                 "&speed=0.0")
    assert r.status_code == 200
    (ping,) = stream(client, settings)
    assert ping["hdop"] == 25.0 and ping["acc"] is None
    drain(proc)
    assert live_of(reader, device.worker_id)["ts"] == t  # the 100 m accuracy rule did not drop it


def test_negative_heading_and_speed_mean_unknown(stack, device):
    http, proc, reader, _ = stack
    t = int(time.time())
    r = http.get(f"/ingest/osmand?id={device.device_id}&lat={LAT}&lon={LON}&timestamp={t}&bearing=-1&speed=-10"
                 "&accuracy=-1")
    assert r.status_code == 200
    drain(proc)
    me = live_of(reader, device.worker_id)
    assert me["hdg"] is None and me["spd"] is None and me["acc"] is None and me["ts"] == t


def test_out_of_range_readings_are_dropped_and_counted_and_the_fix_kept(stack, device):
    http, proc, reader, _ = stack
    t = int(time.time())
    before = {f: counted("gridpulse_readings_dropped", field=f) for f in ("bat", "hdg", "spd")}
    r = http.get(f"/ingest/osmand?id={device.device_id}&lat={LAT}&lon={LON}&timestamp={t}&batt=500&bearing=720"
                 "&speed=100000")
    assert r.status_code == 200
    drain(proc)
    me = live_of(reader, device.worker_id)
    assert me["ts"] == t and me["bat"] is None and me["hdg"] is None and me["spd"] is None
    assert all(counted("gridpulse_readings_dropped", field=f) == before[f] + 1 for f in before)


@pytest.mark.parametrize(("query", "code"), [
    ("lat=999&lon=117.3", "bad_lat"),
    ("lat=39&lon=181", "bad_lon"),
    ("lat=39&lon=117.3&timestamp=9999-01-01T00:00:00Z", "future_ts"),
    ("lat=39&lon=117.3&timestamp=0", "old_ts"),
    ("lat=39&lon=117.3&timestamp=1970-01-02 00:00:00", "old_ts"),
])  # fmt: skip
def test_a_fix_that_can_be_no_position_is_answered_200_discarded_and_counted(stack, device, client, settings, query,
                                                                             code):
    http, *_ = stack
    before = counted("gridpulse_fixes_discarded", reason=code)
    r = http.get(f"/ingest/osmand?id={device.device_id}&{query}")
    assert r.status_code == 200  # a refused position would stay at the head of the phone's queue for ever
    assert counted("gridpulse_fixes_discarded", reason=code) == before + 1
    assert stream(client, settings) == []


def test_half_a_position_is_still_refused(stack, device, client, settings):
    http, *_ = stack
    before = counted("gridpulse_pings_rejected", reason="missing_position")
    r = http.get(f"/ingest/osmand?id={device.device_id}&lat=39")
    assert r.status_code == 400 and r.json["error"] == "missing_position" and r.json["message"]
    assert counted("gridpulse_pings_rejected", reason="missing_position") == before + 1
    assert stream(client, settings) == []


def test_unset_clock_position_does_not_block_the_queue_behind_it(stack, device, client, settings):
    """Traccar Client for Android's own test data: a 1989 fix; the client re-sends a refused position first, so
    the next one is only ever sent if the first was answered 2xx."""
    http, proc, reader, _ = stack
    t = int(time.time())
    old = http.post("/ingest/osmand", data={"id": device.device_id, "timestamp": "619315200", "lat": "55.75",
                                            "lon": "37.61", "speed": "0", "bearing": "0", "altitude": "0",
                                            "accuracy": "0", "batt": "0"})  # fmt: skip
    assert old.status_code == 200
    assert http.get(f"/ingest/osmand?id={device.device_id}&lat={LAT}&lon={LON}&timestamp={t}").status_code == 200
    drain(proc)
    assert [p["ts"] for p in stream(client, settings)] == [t]
    assert live_of(reader, device.worker_id)["ts"] == t


def _location(i: int, t: float, **extra) -> dict:
    """One location as the background-geolocation app records and posts it."""
    return {"event": "motionchange" if i == 0 else "", "is_moving": True, "uuid": f"7f1c-{i}",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t)), "odometer": 31.4 * i,
            "coords": {"latitude": LAT, "longitude": LON + 0.0002 * i, "accuracy": 8.5, "speed": 1.2,
                       "heading": 90.0, "altitude": 4.0},
            "activity": {"type": "walking", "confidence": 100}, "battery": {"is_charging": True, "level": 0.55},
            "extras": {"shift": "am"}, "mock": False, **extra}  # fmt: skip


def _track_count(client, settings) -> int:
    return sum(client.zcard(k) for k in client.scan_iter(match=f"{settings.key_prefix}:track:*"))


def test_batch_sync_location_array_ingests_every_fix(stack, device, client, settings):
    http, proc, reader, _ = stack
    t = int(time.time())
    body = {"device_id": device.device_id, "location": [_location(i, t - 20 + 10 * i) for i in range(3)]}
    r = http.post("/ingest/osmand", json=body)
    assert r.status_code == 200
    assert [p["ts"] for p in stream(client, settings)] == [t - 20, t - 10, t]
    drain(proc)
    assert _track_count(client, settings) == 3
    assert live_of(reader, device.worker_id)["ts"] == t


def test_upload_json_array_body_ingests_every_element(stack, device, client, settings):
    http, proc, reader, _ = stack
    t = int(time.time())
    body = [{"device_id": device.device_id, "location": _location(i, t - 20 + 10 * i)} for i in range(3)]
    r = http.post("/ingest/osmand", data=orjson.dumps(body), content_type="application/json")
    assert r.status_code == 200
    drain(proc)
    assert _track_count(client, settings) == 3 and live_of(reader, device.worker_id)["ts"] == t


def test_an_impossible_fix_in_an_array_costs_only_itself(stack, device, client, settings):
    http, *_ = stack
    t = int(time.time())
    bad = _location(1, t)
    bad["timestamp"] = "1989-08-15T00:00:00.000Z"
    body = {"device_id": device.device_id, "location": [_location(0, t - 10), bad, _location(2, t)]}
    before = counted("gridpulse_fixes_discarded", reason="old_ts")
    assert http.post("/ingest/osmand", json=body).status_code == 200
    assert [p["ts"] for p in stream(client, settings)] == [t - 10, t]
    assert counted("gridpulse_fixes_discarded", reason="old_ts") == before + 1


def test_an_unknown_device_in_an_array_refuses_the_request_and_keeps_nothing(stack, device, client, settings):
    http, *_ = stack
    t = int(time.time())
    body = [{"device_id": device.device_id, "location": _location(0, t)},
            {"device_id": "nobody", "location": _location(1, t)}]  # fmt: skip
    r = http.post("/ingest/osmand", json=body)
    assert r.status_code == 404 and r.json["error"] == "unknown_device"
    assert stream(client, settings) == []


@pytest.mark.parametrize("path", ["/", "/path", "/traccar/osmand/", "/ingest"])
def test_the_osmand_port_accepts_any_path(client, roster, settings, device, path):
    app = make_osmand_app(redis_client=client, roster=roster, settings=settings).test_client()
    t = int(time.time())
    r = app.post(f"{path}?id={device.device_id}&timestamp={t}&lat={LAT}&lon={LON}&speed=0.0")
    assert r.status_code == 200 and r.data == b""
    assert [p["ts"] for p in stream(client, settings)] == [t]


def test_attributes_travel_with_the_fix_to_the_live_entry(stack, device, client, settings):
    http, proc, reader, _ = stack
    t = int(time.time())
    r = http.get(f"/ingest/osmand?id={device.device_id}&lat={LAT}&lon={LON}&timestamp={t}&driverUniqueId=D-17"
                 "&charge=true&ignition=false")
    assert r.status_code == 200
    assert stream(client, settings)[0]["a"] == {"driverUniqueId": "D-17", "charge": True, "ignition": False}
    drain(proc)
    assert live_of(reader, device.worker_id)["attrs"] == {"driverUniqueId": "D-17", "charge": True,
                                                          "ignition": False}  # fmt: skip
    body = {"device_id": device.device_id, "location": _location(0, t + 5)}
    assert http.post("/ingest/osmand", json=body).status_code == 200
    drain(proc)
    attrs = live_of(reader, device.worker_id)["attrs"]
    assert attrs == {"event": "motionchange", "activity": "walking", "charge": True, "altitude": 4.0, "shift": "am",
                     "is_moving": True, "uuid": "7f1c-0", "odometer": 0.0, "mock": False}  # fmt: skip
    assert len(orjson.dumps(attrs)) <= 1024
