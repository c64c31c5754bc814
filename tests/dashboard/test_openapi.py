"""The API contract in the web app: the served document, JSON errors under /api/, no 500 from Dash asset paths."""

from __future__ import annotations

import pytest

from dashboard.api.openapi import OPS, build_document
from tests.dashboard.conftest import ADMIN


@pytest.fixture
def client(box_district, roster, fake_reader, tokens):
    from dashboard.app import create_app
    from streams.settings import StreamSettings

    server, _ = create_app(district=box_district, settings=StreamSettings.from_env(key_prefix="t-oas"), tokens=tokens,
                           roster=roster, reader=fake_reader, message_queue=None, ingest=False)
    return server.test_client()


def test_the_document_is_served_and_built_from_the_models(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.json == build_document()
    doc = r.json
    error = doc["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "message"}
    create = doc["paths"]["/api/v1/tickets"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TicketIn"}
    assert create["responses"]["403"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    ticket_in = doc["components"]["schemas"]["TicketIn"]
    assert ticket_in["properties"]["address"]["anyOf"][0]["maxLength"] == 255  # a model limit, not prose
    listing = {p["name"]: p for p in doc["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    assert listing["page_size"]["schema"]["maximum"] == 10_000 and "from" in listing
    assert {"PingIn", "BatchResult", "ServiceRequestIn", "Open311Errors"} <= set(doc["components"]["schemas"])
    assert len({(op.method, op.path) for op in OPS}) == sum(len(v) for v in doc["paths"].values())


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v2/tickets", "/api/v1/photos/abc"])
def test_an_unknown_api_path_is_a_json_404_not_the_dash_page(client, path):
    r = client.get(path, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 404 and r.json["error"] == "not_found" and "openapi.json" in r.json["message"]


def test_a_wrong_method_is_a_json_405(client):
    r = client.delete("/api/v1/live", headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 405 and r.json["error"] == "method_not_allowed" and "GET" in r.headers["Allow"]


@pytest.mark.parametrize("path", ["/_dash-component-suites/..%2F..", "/_dash-component-suites/..%2F..%2Fsetup.py",
                                  "/_dash-component-suites/dash/deps/..%2F..%2F__init__.py",
                                  "/_dash-component-suites/dash/..%2F..%2F..%2Fetc%2Fpasswd"])
def test_a_traversal_in_a_dash_asset_path_is_a_404(client, path):
    r = client.get(path)
    assert r.status_code == 404 and b"root:" not in r.data and b"import" not in r.data


def test_a_fault_outside_the_api_keeps_flasks_page(client):
    server = client.application

    @server.get("/boom-page")
    def boom():
        raise RuntimeError("nope")

    r = client.get("/boom-page")
    assert r.status_code == 500 and r.mimetype == "text/html"
