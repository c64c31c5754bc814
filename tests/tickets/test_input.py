"""Bad input the fuzzer found (each used to answer 500 or be taken): refused with a 400 in the error shape."""

from __future__ import annotations

import pytest

from tests.tickets.conftest import INSIDE, auth
from tests.tickets.test_api import act, post_ticket
from tests.tickets.test_service import counts

NESTED = "[" * 5000 + "]" * 5000


def post_json(client, path, raw: str, token="admin-token"):
    return client.post(path, headers=auth(token), data=raw.encode(), content_type="application/json")


def ticket_json(**fields) -> dict:
    return {"category": "1101", "lon": INSIDE[0], "lat": INSIDE[1], "description": "垃圾", **fields}


def assert_refused(r, status: int, code: str | None = None):
    assert r.status_code == status, r.get_data(True)[:300]
    assert r.mimetype == "application/json" and set(r.json) == {"error", "message"}, r.json
    assert isinstance(r.json["message"], str) and r.json["message"]
    if code:
        assert r.json["error"] == code, r.json


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"action": "register", "version": [1]}, "bad_version"),
        ({"action": "register", "version": {"v": 1}}, "bad_version"),
        ({"action": "register", "version": 1.9}, "bad_version"),  # used to be taken as 1
        ({"action": "register", "version": True}, "bad_version"),  # used to be taken as 1
        ({"action": "register", "version": 2**63}, "bad_version"),
        ({"action": "register", "version": "1"}, "bad_version"),  # JSON is strict: a string is not a number
        ({"action": "void", "note": 5}, "bad_note"),
        ({"action": "void", "note": ["a"]}, "bad_note"),
        ({"action": "dispatch", "department": ["C01"]}, "bad_department"),
        ({"action": "dispatch", "department": 7}, "bad_department"),
        ({"action": ["register"]}, "bad_action"),
        ({"action": "extend", "extension_hours": "many"}, "bad_extension_hours"),
        ({"action": "register", "expected_state": "FLYING"}, "bad_expected_state"),
        ({"action": "void", "note": "x" * 1_000_000}, "note_too_long"),
    ],
)
def test_action_fields_of_the_wrong_type_are_400(client, service, body, code):
    tid = post_ticket(client).json["id"]
    before = counts(service.store)
    assert_refused(act(client, tid, "street-token", **body), 400, code)
    assert counts(service.store) == before


def test_a_form_version_must_be_an_integer_too(client):
    tid = post_ticket(client).json["id"]
    for bad in ("1.9", "true", "１"):
        r = client.post(f"/api/v1/tickets/{tid}/actions", headers=auth("street-token"),
                        data={"action": "register", "version": bad})
        assert_refused(r, 400, "bad_version")
    ok = client.post(f"/api/v1/tickets/{tid}/actions", headers=auth("street-token"),
                     data={"action": "register", "version": "1"})
    assert ok.status_code == 200 and ok.json["version"] == 2


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/tickets/1/actions"])
def test_deeply_nested_json_is_400(client, path):
    post_ticket(client)
    assert_refused(post_json(client, path, '{"action": ' + NESTED + "}"), 400, "bad_json")
    assert_refused(post_json(client, path, NESTED), 400, "bad_json")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"address": 5}, "bad_address"),
        ({"address": ["a"]}, "bad_address"),
        ({"address": 2**63}, "bad_address"),
        ({"source": 2**64}, "unknown_source"),
        ({"source": ["video"]}, "unknown_source"),
        ({"source": "pigeon"}, "unknown_source"),
        ({"address": "路" * 1_000_000}, "address_too_long"),
        ({"lon": 2**63}, "bad_coordinates"),
        ({"lon": "117.3"}, "bad_coordinates"),  # JSON is strict
        ({"category": 1101}, "bad_category"),
        ({"description": {"text": "x"}}, "bad_description"),
    ],
)
def test_ticket_fields_of_the_wrong_type_or_size_are_400(client, service, fields, code):
    import json

    r = post_json(client, "/api/v1/tickets", json.dumps(ticket_json(**fields)), token="worker-token")
    assert_refused(r, 400, code)
    assert counts(service.store)[0] == 0


@pytest.mark.parametrize("field", ["description", "address"])
def test_a_lone_surrogate_is_400(client, service, field):
    raw = f'{{"category": "1101", "lon": {INSIDE[0]}, "lat": {INSIDE[1]}, "{field}": "a\\ud800b"}}'
    assert_refused(post_json(client, "/api/v1/tickets", raw), 400, "bad_json")
    assert counts(service.store)[0] == 0


def test_a_json_report_is_taken(client):
    import orjson

    r = post_json(client, "/api/v1/tickets", orjson.dumps(ticket_json(address="路口", source="video")).decode(),
                  token="worker-token")
    assert r.status_code == 201, r.json
    assert (r.json["address"], r.json["source"], r.json["located"]) == ("路口", "video", True)
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-12-31", "3000-01-01"])
@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/metrics", "/api/v1/metrics/series",
                                  "/api/v1/metrics/rankings"])
@pytest.mark.parametrize("param", ["from", "to"])
def test_dates_outside_the_calendar_are_400(client, path, param, day):
    assert_refused(client.get(f"{path}?{param}={day}", headers=auth("admin-token")), 400, "bad_date")


def test_the_widest_accepted_dates_still_answer(client):
    for path in ("/api/v1/tickets", "/api/v1/metrics"):
        r = client.get(f"{path}?from=1970-01-01&to=1970-01-05", headers=auth("admin-token"))
        assert r.status_code == 200, r.json
    r = client.get("/api/v1/tickets?from=2999-12-01&to=2999-12-31", headers=auth("admin-token"))
    assert r.status_code == 200 and r.json["total"] == 0


@pytest.mark.parametrize("query", ["page=9223372036854775808", "page=0", "page_size=0", "page=1.5", "page=abc",
                                   "tier=planet", "light=blue", "page=1&page=2"])
def test_bad_listing_parameters_are_400(client, query):
    assert_refused(client.get(f"/api/v1/tickets?{query}", headers=auth("admin-token")), 400)


def test_a_filter_may_repeat_and_every_value_counts(client):
    post_ticket(client)
    post_ticket(client, token="admin-token", lon="117.325", lat="39.085")
    both = client.get("/api/v1/tickets?street=120110001&street=120110002", headers=auth("admin-token")).json
    assert both["total"] == 2
    assert client.get("/api/v1/tickets?street=120110001,120110002", headers=auth("admin-token")).json["total"] == 2
    assert client.get("/api/v1/tickets?state=CLOSED&state=REPORTED", headers=auth("admin-token")).json["total"] == 2


def test_unicode_digits_in_a_ticket_reference_are_a_404(client):
    assert_refused(client.get("/api/v1/tickets/²³", headers=auth("admin-token")), 404, "unknown_ticket")
    assert_refused(client.get(f"/api/v1/tickets/{'9' * 30}", headers=auth("admin-token")), 404, "unknown_ticket")


def test_an_unexpected_fault_is_a_json_500(client, service, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service.store, "list", broken)
    r = client.get("/api/v1/tickets", headers=auth("admin-token"))
    assert_refused(r, 500, "internal")
    assert "disk" not in r.get_data(True)  # the cause is logged, not shown
