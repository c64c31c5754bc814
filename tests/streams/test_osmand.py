"""The OsmAnd / Traccar Client protocol: every timestamp form, body kind and unit."""

from __future__ import annotations

import pytest

from streams.osmand import KNOT_KMH, ProtocolError, parse_json, parse_query, parse_timestamp

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
        "hdg": 90.0, "bat": 77.0, "sos": False, "hdop": None,
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
    fix = parse_json(body, NOW)
    assert fix["ts"] == T and fix["spd"] == pytest.approx(9.0) and fix["bat"] == 42.0
    assert (fix["lon"], fix["lat"], fix["acc"], fix["hdg"], fix["sos"]) == (117.3, 39.1, 12, 180, False)


def test_json_negative_speed_means_unknown_and_sos_event():
    body = {"device_id": "d", "location": {"coords": {"latitude": 1, "longitude": 2, "speed": -1}, "event": "sos"}}
    fix = parse_json(body, NOW)
    assert fix["spd"] is None and fix["sos"] is True and fix["ts"] == NOW


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([1, 2], "bad_json"),
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
    assert parse_json(body, NOW)["sos"] is sos


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
    assert parse_json(body, NOW) == {"k": "contact", "d": "d", "ts": T, "bat": 50.0}


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
