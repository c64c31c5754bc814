"""Open311 GeoReport v2 conformance: every endpoint in JSON and XML, every error shape."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest

from tests.tickets.conftest import INSIDE, JPEG, OUTSIDE
from tests.tickets.test_service import counts

BASE = "/open311/v2"


def post(client, fmt="json", **fields):
    data = {"api_key": "k-311", "service_code": "1101", "lat": str(INSIDE[1]), "long": str(INSIDE[0]),
            "description": "小区门口有垃圾", "email": "a@example.com", "first_name": "张", **fields}
    data = {k: (v() if callable(v) else v) for k, v in data.items() if v is not None}  # fresh file per request
    return client.post(f"{BASE}/requests.{fmt}", data=data)


def test_discovery(client):
    j = client.get(f"{BASE}/discovery.json").json
    assert j["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(j["endpoints"][0]["formats"]) == {"text/xml", "application/json"}
    x = ET.fromstring(client.get(f"{BASE}/discovery.xml").data)
    assert x.tag == "discovery" and x.find("endpoints/endpoint/formats/format") is not None


def test_services_list_and_definition(client):
    services = client.get(f"{BASE}/services.json").json
    assert all(isinstance(s["service_code"], str) for s in services)
    codes = {s["service_code"] for s in services}
    assert "0101" in codes  # leading zero kept: codes are strings
    assert {"service_name", "metadata", "type", "keywords", "group", "description"} <= set(services[0])
    x = ET.fromstring(client.get(f"{BASE}/services.xml").data)
    assert x.tag == "services" and len(x.findall("service")) == len(services)
    assert client.get(f"{BASE}/services/0101.json").json["service_code"] == "0101"
    assert ET.fromstring(client.get(f"{BASE}/services/0101.xml").data).tag == "service_definition"


def test_post_then_get(client):
    r = post(client, media=(io.BytesIO(JPEG), "p.jpg"))
    assert r.status_code == 200, r.data
    rid = r.json[0]["service_request_id"]
    assert isinstance(rid, str)
    got = client.get(f"{BASE}/requests/{rid}.json").json
    assert len(got) == 1 and got[0]["status"] == "open" and got[0]["service_code"] == "1101"
    assert got[0]["lat"] == pytest.approx(INSIDE[1]) and got[0]["long"] == pytest.approx(INSIDE[0])
    assert got[0]["requested_datetime"].endswith("+08:00")
    assert "email" not in got[0] and "a@example.com" not in client.get(f"{BASE}/requests.json").get_data(True)
    x = ET.fromstring(client.get(f"{BASE}/requests/{rid}.xml").data)
    assert x.tag == "service_requests" and x.find("request/service_request_id").text == rid
    x = ET.fromstring(post(client, fmt="xml").data)
    assert x.find("request/service_request_id").text


def test_status_maps_to_open_and_closed(client, service):
    rid = post(client).json[0]["service_request_id"]
    from tests.tickets.conftest import STREET_CENTER

    service.act(rid, "void", STREET_CENTER, note="重复")
    got = client.get(f"{BASE}/requests/{rid}.json").json[0]
    assert got["status"] == "closed" and "作废" in got["status_notes"]
    assert client.get(f"{BASE}/requests.json?status=closed").json[0]["service_request_id"] == rid
    assert client.get(f"{BASE}/requests.json?status=open").json == []


def test_get_requests_filters_and_paging(client):
    ids = [post(client).json[0]["service_request_id"] for _ in range(3)]
    post(client, service_code="0101")
    assert len(client.get(f"{BASE}/requests.json?service_code=1101").json) == 3
    assert len(client.get(f"{BASE}/requests.json?service_code=1101,0101").json) == 4
    page = client.get(f"{BASE}/requests.json?page=2&page_size=3").json
    assert len(page) == 1
    both = client.get(f"{BASE}/requests.json?service_request_id={ids[0]},{ids[2]}").json
    assert {r["service_request_id"] for r in both} == {ids[0], ids[2]}
    window = "start_date=2024-11-01T00:00:00+08:00&end_date=2024-11-30T00:00:00+08:00"
    assert len(client.get(f"{BASE}/requests.json?{window}").json) == 4
    old = "start_date=2024-01-01T00:00:00Z&end_date=2024-02-01T00:00:00Z"
    assert client.get(f"{BASE}/requests.json?{old}").json == []


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"api_key": None}, 403),
        ({"api_key": "wrong"}, 403),
        ({"service_code": None}, 400),
        ({"service_code": "9999"}, 404),
        ({"lat": None}, 400),
        ({"long": None, "lat": None}, 400),
        ({"lat": "north"}, 400),
        ({"lat": str(OUTSIDE[1]), "long": str(OUTSIDE[0])}, 400),
        ({"description": "长" * 4001}, 400),
        ({"media": lambda: (io.BytesIO(b"not an image"), "x.txt")}, 400),
        ({"media": lambda: (io.BytesIO(JPEG + bytes(6 * 1024 * 1024)), "big.jpg")}, 400),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_errors(client, service, fields, status, fmt):
    before = counts(service.store)
    r = post(client, fmt=fmt, **fields)
    assert r.status_code == status
    if fmt == "json":
        assert r.json[0]["code"] == status and r.json[0]["description"]
    else:
        x = ET.fromstring(r.data)
        assert x.tag == "errors" and x.find("error/code").text == str(status)
        assert x.find("error/description").text
    assert counts(service.store) == before


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/requests.json?start_date=2024-01-01T00:00:00Z&end_date=2024-06-01T00:00:00Z", 400),  # > 90 days
        ("/requests.json?start_date=yesterday", 400),
        ("/requests.json?start_date=2024-02-01T00:00:00Z&end_date=2024-01-01T00:00:00Z", 400),
        ("/requests.json?status=pending", 400),
        ("/requests.json?page=0", 400),
        ("/requests/404404.json", 404),
        ("/requests/404404.xml", 404),
        ("/services/9999.json", 404),
        ("/services.csv", 404),
        ("/nothing.json", 404),
    ],
)
def test_get_errors(client, url, status):
    r = client.get(BASE + url)
    assert r.status_code == status
    body = ET.fromstring(r.data).find("error/code").text if url.endswith(".xml") else r.json[0]["code"]
    assert str(body) == str(status)


def test_posting_disabled_without_a_key(service):
    import flask

    from dashboard.api.ticket_routes import register

    app = flask.Flask("no-key")
    register(app, store=service.store, district=service.district, authenticate=dict().get, open311_key=None,
             service=service)
    r = app.test_client().post(f"{BASE}/requests.json", data={"service_code": "1101", "api_key": ""})
    assert r.status_code == 403
