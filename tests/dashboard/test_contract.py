"""Every answer in the documented contract, sent as raw requests: an over-long query string (414), a garbage street
(404), a batch without Content-Type (415), an odd Open311 path (GeoReport's 404), a wrong method (405), and the
content types of the exports and of OsmAnd; each status is in the operation's documented answers."""

from __future__ import annotations

import uuid

import pytest

from dashboard.api.openapi import MAX_QUERY_BYTES, XLSX
from tests.dashboard.conftest import ADMIN, STREET1

INGEST_KEY = "ingest-key-0001"


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def web(redis_url, tmp_path_factory):
    import redis

    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry
    from dashboard.ticket_setup import ticket_extension
    from streams.roster import Roster
    from streams.settings import StreamSettings
    from tests.conftest import make_box_district
    from tests.dashboard.conftest import STREET2, FakeReader
    from tickets.settings import load_settings
    from tickets.store.sql import SqlTicketStore

    district, prefix = make_box_district(), f"t-contract-{uuid.uuid4().hex[:8]}"
    store = SqlTicketStore("sqlite://")
    store.migrate()
    tickets = load_settings(photo_dir=tmp_path_factory.mktemp("photos"), database_url="sqlite://")
    tokens = TokenRegistry.from_mapping(admin=ADMIN, streets={"120110001": STREET1, "120110002": STREET2})
    roster = Roster.from_district(district)
    streams = StreamSettings.from_env(key_prefix=prefix, redis_url=redis_url, ingest_key=INGEST_KEY)
    server, _ = create_app(district=district, settings=streams, tokens=tokens, roster=roster,
                           reader=FakeReader(roster), message_queue=None,
                           extensions=[ticket_extension(store, open311_key="k-311", settings=tickets)])
    yield server
    store.engine.dispose()
    client = redis.Redis.from_url(redis_url)
    if keys := list(client.scan_iter(match=f"{prefix}:*", count=1000)):
        client.delete(*keys)


@pytest.fixture(scope="module")
def document(web):
    return web.test_client().get("/api/v1/openapi.json").json


def documented(document, path: str, method: str, status: int, media: str) -> dict:
    """The schema the document gives ``status`` in ``media`` for the operation (KeyError if it gives none)."""
    return document["paths"][path][method]["responses"][str(status)]["content"][media]["schema"]


LONG = "x" * (MAX_QUERY_BYTES + 1)


@pytest.mark.parametrize(("url", "path"), [
    (f"/api/v1/metrics?street={LONG}", "/api/v1/metrics"),
    (f"/api/v1/tickets?category={LONG}", "/api/v1/tickets"),
    (f"/ingest/osmand?id={LONG}", "/ingest/osmand"),
])
def test_an_over_long_query_string_is_a_json_414(web, document, url, path):
    r = web.test_client().get(url, headers=auth(ADMIN))
    assert r.status_code == 414 and r.mimetype == "application/json"
    assert r.json["error"] == "request_uri_too_long" and str(MAX_QUERY_BYTES) in r.json["message"]
    assert documented(document, path, "get", 414, "application/json")["$ref"].endswith("/Error")


def test_an_over_long_open311_query_is_georeports_414(web, document):
    r = web.test_client().get(f"/open311/v2/requests.json?service_code={LONG}")
    assert r.status_code == 414 and r.json[0]["code"] == 414 and r.json[0]["description"]
    assert documented(document, "/open311/v2/requests.{format}", "get", 414, "application/json")["$ref"].endswith(
        "/Open311Errors")
    xml = web.test_client().get(f"/open311/v2/requests.xml?service_code={LONG}")
    assert xml.status_code == 414 and xml.mimetype == "text/xml" and b"<code>414</code>" in xml.data


def test_a_query_string_at_the_limit_is_read(web):
    r = web.test_client().get("/api/v1/tickets?category=" + "1" * (MAX_QUERY_BYTES - len("category=")),
                              headers=auth(ADMIN))
    assert r.status_code == 200, r.json


@pytest.mark.parametrize("path", ["/api/v1/alerts", "/api/v1/tracks", "/api/v1/coverage"])
def test_a_garbage_street_is_a_documented_404(web, document, path):
    r = web.test_client().get(f"{path}?street=v%F2%82%9D%A0%01%3C", headers=auth(ADMIN))
    assert r.status_code == 404 and r.json["error"] == "not_found"
    assert documented(document, path, "get", 404, "application/json")["$ref"].endswith("/Error")


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "text/plain"}])
def test_a_batch_without_a_json_content_type_is_a_documented_415(web, document, headers):
    r = web.test_client().post("/api/v1/pings", data=b'{"pings": []}', headers={**auth(INGEST_KEY), **headers})
    assert r.status_code == 415 and r.json["error"] == "unsupported_media_type"
    assert documented(document, "/api/v1/pings", "post", 415, "application/json")["$ref"].endswith("/Error")


@pytest.mark.parametrize("path", ["/open311/v2/discovery.%F2%B0%98%B3%0A", "/open311/v2/discovery.yaml",
                                  "/open311/v2/nothing/here.json", "/open311/v2/%0A"])
def test_an_odd_open311_path_is_georeports_404(web, path):
    r = web.test_client().get(path)
    assert r.status_code == 404 and r.mimetype == "application/json"
    assert r.json == [{"code": 404, "description": r.json[0]["description"]}] and r.json[0]["description"]


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("delete", "/api/v1/tickets", "GET, HEAD, POST"), ("put", "/api/v1/pings", "POST"),
    ("delete", "/ingest/osmand", "GET, HEAD, POST"), ("patch", "/api/v1/metrics", "GET, HEAD"),
])
def test_a_wrong_method_on_a_known_path_is_a_json_405(web, document, method, path, allowed):
    r = getattr(web.test_client(), method)(path, headers=auth(ADMIN))
    assert r.status_code == 405 and r.json["error"] == "method_not_allowed"
    assert set(r.headers["Allow"].split(", ")) >= set(allowed.split(", ")) - {"HEAD"}
    get_or_post = next(iter(document["paths"][path]))
    assert documented(document, path, get_or_post, 405, "application/json")["$ref"].endswith("/Error")


def test_a_wrong_method_on_open311_is_georeports_405(web):
    r = web.test_client().delete("/open311/v2/requests.json")
    assert r.status_code == 405 and r.json[0]["code"] == 405


@pytest.mark.parametrize(("fmt", "media"), [("csv", "text/csv"), ("xlsx", XLSX)])
def test_an_export_answers_its_documented_content_type(web, document, fmt, media, midday):
    r = web.test_client().get(f"/api/v1/export/workers.{fmt}?street=120110001", headers=auth(ADMIN))
    assert r.status_code == 200 and r.mimetype == media
    assert media in document["paths"]["/api/v1/export/{table}.{fmt}"]["get"]["responses"]["200"]["content"]


def test_an_osmand_fix_answers_its_documented_content_type(web, document):
    r = web.test_client().get("/ingest/osmand?id=nobody-knows-me&lat=39.1&lon=117.3")
    assert r.status_code == 400 and r.json["error"] == "unknown_device"  # the refusal: JSON, as documented
    device = web.extensions["gridpulse"].roster.workers[0].device_id
    r = web.test_client().get(f"/ingest/osmand?id={device}&lat=39.1&lon=117.3")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert list(document["paths"]["/ingest/osmand"]["get"]["responses"]["200"]["content"]) == ["text/plain"]


def test_every_operation_documents_405_414_and_503_with_retry_after(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            assert {"405", "414", "503"} <= set(answers), f"{method} {path}"
            assert answers["503"]["headers"]["Retry-After"]["required"], f"{method} {path}"
            if "requestBody" in operation:
                assert {"413", "415"} <= set(answers), f"{method} {path}"
            if any(p["in"] == "path" for p in operation["parameters"]):
                assert "404" in answers, f"{method} {path}"


@pytest.mark.parametrize("url", ["/api/v1/metrics/series?by=", "/api/v1/metrics/rankings?of="])
def test_an_empty_by_or_of_is_the_default(web, url, midday):
    r = web.test_client().get(url, headers=auth(ADMIN))
    assert r.status_code == 200, r.json
    assert r.json.get("by", r.json.get("of")) in ("day", "streets")


def test_an_open311_form_part_whose_name_does_not_decode_is_ignored(web):
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"%0A\xf2\x9e\xb1\x9d\"\r\n\r\nx\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\n\xf2\xb3\x85\x81\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\nk-311\r\n--{boundary}--\r\n")
    r = web.test_client().post("/open311/v2/requests.json", data=body.encode("latin-1"),
                               content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code < 500 and r.json[0]["code"] == r.status_code  # GeoReport's refusal (the unknown
    # service code), never a 500
