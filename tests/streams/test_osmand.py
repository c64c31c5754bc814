"""The OsmAnd / Traccar Client protocol: every timestamp form, body kind and unit."""

from __future__ import annotations

import pytest

from streams.osmand import (
    KNOT_KMH,
    MAX_ATTRS,
    MAX_ATTRS_BYTES,
    ProtocolError,
    bounded_attrs,
    impossible,
    parse_json,
    parse_query,
    parse_timestamp,
)

NOW = 1_714_550_400.0  # 2024-05-01T08:00:00Z
T = 1_714_521_600.0  # 2024-05-01T00:00:00Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1714521600", T, id="unix-s-str"),
        pytest.param(1714521600, T, id="unix-s-int"),
        pytest.param("1714521600000", T, id="unix-ms-str"),
        pytest.param(1714521600000, T, id="unix-ms-int"),
        pytest.param("1714521600.5", T + 0.5, id="unix-s-decimal"),
        pytest.param("2024-05-01T00:00:00Z", T, id="iso-z"),
        pytest.param("2024-05-01T08:00:00+08:00", T, id="iso-offset"),
        pytest.param("2024-05-01T08:00:00.250+08:00", T + 0.25, id="iso-millis"),
        pytest.param("2024-05-01 00:00:00", T, id="traccar-space-form-is-utc"),
        pytest.param("2024-05-01T00:00:00", T, id="iso-without-zone-is-utc"),
        pytest.param(None, NOW, id="missing-is-now"),
        pytest.param("", NOW, id="empty-is-now"),
    ],
)
def test_timestamp_forms(value, expected):
    assert parse_timestamp(value, NOW) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01 00:00:00", "-5", "nan", True, "1e400"])
def test_bad_timestamps_raise_a_coded_error(value):
    with pytest.raises(ProtocolError) as e:
        parse_timestamp(value, NOW)
    assert e.value.code == "bad_timestamp"
    assert e.value.status == 400


def test_query_with_every_parameter():
    fix = parse_query(
        {"id": "860000000000000", "lat": "39.1", "lon": "117.3", "timestamp": "1714521600", "speed": "10",
         "bearing": "90", "altitude": "5", "accuracy": "8", "batt": "77"},
        NOW,
    )  # fmt: skip
    assert fix == {
        "d": "860000000000000", "lon": 117.3, "lat": 39.1, "ts": T, "acc": 8.0, "spd": pytest.approx(10 * KNOT_KMH),
        "hdg": 90.0, "bat": 77.0, "sos": False, "hdop": None, "a": {"altitude": "5"},
    }  # fmt: skip


def test_speed_in_knots_becomes_kmh():
    fix = parse_query({"id": "x", "lat": "1", "lon": "2", "speed": "1"}, NOW)
    assert fix["spd"] == pytest.approx(1.852)


def test_deviceid_location_heading_hdop_and_alarm():
    fix = parse_query({"deviceid": "dev", "location": "39.1,117.3", "heading": "45", "hdop": "2", "alarm": "sos"}, NOW)
    assert (fix["d"], fix["lat"], fix["lon"], fix["hdg"], fix["sos"]) == ("dev", 39.1, 117.3, 45.0, True)
    assert fix["hdop"] == 2.0 and fix["acc"] is None  # HDOP stays HDOP: no accuracy radius is made up from it
    assert fix["ts"] == NOW


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"lat": "1", "lon": "2"}, "missing_device"),
        ({"id": "x", "lat": "1"}, "missing_position"),
        ({"id": "x", "lat": "north", "lon": "2"}, "bad_lat"),
        ({"id": "x", "location": "39.1;117.3"}, "bad_location"),
        ({"id": "x", "lat": "1", "lon": "inf"}, "bad_lon"),
        ({"id": "x", "lat": "1", "lon": "2", "speed": "fast"}, "bad_speed"),
        ({"id": "x", "lat": "1", "lon": "2", "timestamp": "soon"}, "bad_timestamp"),
    ],
)
def test_malformed_query(params, code):
    with pytest.raises(ProtocolError) as e:
        parse_query(params, NOW)
    assert e.value.code == code
    assert e.value.as_dict()["message"]


def test_json_body_speed_in_ms_and_battery_fraction():
    body = {
        "device_id": "dev",
        "location": {
            "timestamp": "2024-05-01T08:00:00+08:00",
            "coords": {"latitude": 39.1, "longitude": 117.3, "speed": 2.5, "heading": 180, "accuracy": 12, "altitude": 3},
            "battery": {"level": 0.42},
            "is_moving": True,
        },
    }
    (fix,) = parse_json(body, NOW)
    assert fix["ts"] == T and fix["spd"] == pytest.approx(9.0) and fix["bat"] == 42.0
    assert (fix["lon"], fix["lat"], fix["acc"], fix["hdg"], fix["sos"]) == (117.3, 39.1, 12, 180, False)


def test_json_negative_speed_means_unknown_and_sos_event():
    body = {"device_id": "d", "location": {"coords": {"latitude": 1, "longitude": 2, "speed": -1}, "event": "sos"}}
    (fix,) = parse_json(body, NOW)
    assert fix["spd"] is None and fix["sos"] is True and fix["ts"] == NOW


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([1, 2], "bad_json"),
        ([], "bad_json"),
        ("text", "bad_json"),
        ({"device_id": "d", "location": []}, "missing_position"),
        ({"device_id": "d", "location": [{"coords": {"latitude": 1, "longitude": 2}}, 7]}, "missing_position"),
        ({"location": {"coords": {"latitude": 1, "longitude": 2}}}, "missing_device"),
        ({"device_id": "d"}, "missing_position"),
        ({"device_id": "d", "location": {"coords": {"latitude": 1}}}, "missing_position"),
        ({"device_id": "d", "location": {"coords": {"latitude": 1, "longitude": 2}, "timestamp": "x"}}, "bad_timestamp"),
        ({"device_id": "d", "location": {"coords": {"latitude": False, "longitude": 2}}}, "bad_latitude"),
        ({"device_id": "d", "location": {"coords": {"latitude": 1, "longitude": True}}}, "bad_longitude"),
    ],
)
def test_malformed_json(body, code):
    with pytest.raises(ProtocolError) as e:
        parse_json(body, NOW)
    assert e.value.code == code


@pytest.mark.parametrize(("location", "sos"), [
    ({"alarm": "sos"}, True),
    ({"extras": {"alarm": "sos"}}, True),
    ({"alarm": "general", "extras": {"alarm": "sos"}}, False),  # Traccar: location.alarm wins over extras
    ({"event": "sos"}, True),
    ({"sos": 1}, True),
    ({"extras": {}}, False),
])  # fmt: skip
def test_json_sos_sources(location, sos):
    body = {"device_id": "d", "location": {"coords": {"latitude": 1, "longitude": 2}, **location}}
    assert parse_json(body, NOW)[0]["sos"] is sos


@pytest.mark.parametrize("params", [
    {"id": "123456", "timestamp": "1377177267", "batt": "87", "charge": "true"},
    {"id": "123456", "timestamp": "1377177267", "cell": "257,02,16,2224", "wifi": "00-14-22-01-23-45,-80"},
])  # fmt: skip
def test_query_without_position_is_a_contact(params):
    got = parse_query(params, NOW)
    assert got["k"] == "contact" and got["d"] == "123456" and got["ts"] == 1377177267.0
    assert "lon" not in got and got["bat"] == (87.0 if "batt" in params else None)


def test_json_location_without_coords_is_a_contact_with_the_battery():
    body = {"device_id": "d", "location": {"timestamp": "2024-05-01T00:00:00Z", "battery": {"level": 0.5}}}
    assert parse_json(body, NOW) == [{"k": "contact", "d": "d", "ts": T, "bat": 50.0, "a": {}}]


@pytest.mark.parametrize(("fix", "dropped"), [
    ({"bat": 500.0, "hdg": 720.0, "spd": -1.0, "acc": 5.0}, ["bat", "hdg", "spd"]),
    ({"bat": 100.0, "hdg": 359.9, "spd": 400.0, "acc": 0.0}, []),
    ({"bat": None, "hdg": None, "spd": None, "acc": None}, []),
])  # fmt: skip
def test_out_of_range_readings_are_dropped(fix, dropped):
    from streams.osmand import drop_bad_readings

    got = dict(fix)
    assert drop_bad_readings(got) == dropped
    assert all(got[k] is None for k in dropped) and all(got[k] == fix[k] for k in fix if k not in dropped)


def _loc(i: int, **extra) -> dict:
    """One location as the background-geolocation app records it (its own README's shape)."""
    return {"event": "motionchange" if i == 0 else None, "is_moving": True, "uuid": f"uuid-{i}",
            "timestamp": f"2024-05-01T00:00:{i:02d}.000Z", "odometer": 11.8 + i, "mock": False,
            "coords": {"latitude": 39.1 + i / 1000, "longitude": 117.3, "accuracy": 22.3, "speed": 1.5 * i,
                       "heading": -1, "altitude": 52.1},
            "activity": {"type": "walking", "confidence": 100},
            "battery": {"is_charging": False, "level": 0.67}, "extras": {"ward": "W-7"}, **extra}  # fmt: skip


def test_batch_sync_location_array_is_every_fix_in_order():
    body = {"device_id": "dev", "location": [_loc(0), _loc(1), _loc(2)]}
    fixes = parse_json(body, NOW)
    assert [f["ts"] for f in fixes] == [T, T + 1, T + 2]
    assert [f["lat"] for f in fixes] == pytest.approx([39.1, 39.101, 39.102]) and all(f["d"] == "dev" for f in fixes)
    assert [f["spd"] for f in fixes] == pytest.approx([0.0, 5.4, 10.8])


def test_upload_json_array_body_is_every_element():
    body = [{"device_id": "dev", "location": _loc(i)} for i in range(3)]
    assert [f["ts"] for f in parse_json(body, NOW)] == [T, T + 1, T + 2]


def test_json_attributes_are_kept_bounded():
    (fix,) = parse_json({"device_id": "dev", "location": _loc(0, extras={"ward": "W-7", "photo": {"big": 1}})}, NOW)
    assert fix["a"] == {"event": "motionchange", "activity": "walking", "charge": False, "altitude": 52.1,
                        "ward": "W-7", "is_moving": True, "uuid": "uuid-0", "odometer": 11.8, "mock": False}  # fmt: skip


def test_query_attributes_traccar_client_sends():
    params = {"id": "dev", "lat": "1", "lon": "2", "driverUniqueId": "D-17", "charge": "true", "ignition": "false",
              "cell": "257,02,16,2224"}  # fmt: skip
    assert parse_query(params, NOW)["a"] == {"driverUniqueId": "D-17", "charge": True, "ignition": False}


def test_attribute_map_bounds():
    many = bounded_attrs((f"k{i}", i) for i in range(100))
    assert list(many) == [f"k{i}" for i in range(MAX_ATTRS)]
    big = bounded_attrs((f"k{i}", "x" * 500) for i in range(100))
    assert all(len(v) == 64 for v in big.values())
    import orjson

    assert len(orjson.dumps(big)) <= MAX_ATTRS_BYTES < len(orjson.dumps(big)) + 70
    assert bounded_attrs([("a", None), ("b", [1]), ("c", {"x": 1}), ("d", float("nan")), ("a", 2), ("a", 3)]) == {"a": 2}


@pytest.mark.parametrize(("fix", "code"), [
    ({"lat": 91.0, "lon": 2.0, "ts": NOW}, "bad_lat"),
    ({"lat": 1.0, "lon": -180.5, "ts": NOW}, "bad_lon"),
    ({"lat": 1.0, "lon": 2.0, "ts": 631_152_000.0}, "old_ts"),  # 1990: a phone whose clock was never set
    ({"lat": 1.0, "lon": 2.0, "ts": NOW + 3600}, "future_ts"),
    ({"lat": 1.0, "lon": 2.0, "ts": NOW + 60}, None),
    ({"k": "contact", "ts": NOW}, None),
])  # fmt: skip
def test_impossible_names_a_fix_that_can_be_no_real_position(fix, code):
    got = impossible(fix, NOW, 300.0)
    assert (got and got[0]) == code and (got is None or got[1])
