"""The internal HTTP API: bearer roles, multipart reports, actions with optimistic concurrency, metrics."""

from __future__ import annotations

import io

import pytest

from tests.tickets.conftest import GRID, INSIDE, JPEG, OUTSIDE, auth
from tests.tickets.test_service import counts


def post_ticket(client, token="worker-token", **fields):
    data = {"category": "1101", "lon": str(INSIDE[0]), "lat": str(INSIDE[1]), "description": "垃圾", **fields}
    return client.post("/api/v1/tickets", headers=auth(token), data=data, content_type="multipart/form-data")


def act(client, tid, token, **body):
    return client.post(f"/api/v1/tickets/{tid}/actions", headers=auth(token), json=body)


def test_create_with_photo_and_read_back(client):
    r = post_ticket(client, photo=(io.BytesIO(JPEG), "a.jpg"))
    assert r.status_code == 201, r.json
    t = r.json
    assert t["grid_code"] == GRID and t["state"] == "REPORTED" and t["light"] == "green"
    assert t["allowed_actions"] == ["self_handle", "verify"]
    photo_url = t["history"][0]["photos"][0]
    got = client.get(photo_url, headers=auth("worker-token"))
    assert got.status_code == 200 and got.data == JPEG and got.mimetype == "image/jpeg"
    one = client.get(f"/api/v1/tickets/{t['number']}", headers=auth("street-token")).json
    assert one["id"] == t["id"] and one["allowed_actions"] == ["verify", "register", "void"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "unauthenticated"), ({"Authorization": "Bearer nope"}, "unauthenticated"),
     ({"Authorization": "Basic abc"}, "unauthenticated")],
)
def test_authentication(client, headers, code):
    r = client.get("/api/v1/tickets", headers=headers)
    assert r.status_code == 401 and r.json["error"] == code


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"category": ""}, 400, "missing_category"),
        ({"category": "0000"}, 400, "unknown_category"),
        ({"lon": ""}, 400, "missing_lon"),
        ({"lon": "east"}, 400, "bad_coordinates"),
        ({"lon": str(OUTSIDE[0]), "lat": str(OUTSIDE[1])}, 400, "outside_district"),
        ({"description": "x" * 5000}, 400, "description_too_long"),
        ({"photo": (io.BytesIO(b"%PDF-1.4 nope"), "a.pdf")}, 415, "unsupported_photo_type"),
        ({"photo": (io.BytesIO(JPEG + bytes(5 * 1024 * 1024)), "big.jpg")}, 413, "photo_too_large"),
    ],
)
def test_bad_create_is_refused_and_changes_nothing(client, service, fields, status, code):
    before = counts(service.store)
    r = post_ticket(client, **fields)
    assert r.status_code == status and r.json["error"] == code and r.json["message"]
    assert counts(service.store) == before


def test_department_may_not_report(client):
    assert post_ticket(client, token="dept-token").status_code == 409


def test_action_flow_and_stale_version(client, service):
    tid = post_ticket(client).json["id"]
    r = act(client, tid, "street-token", action="register", version=1)
    assert r.status_code == 200 and r.json["version"] == 2
    stale = act(client, tid, "street-token", action="dispatch", department="C01", version=1)
    assert stale.status_code == 409 and stale.json["error"] == "stale"
    stale = act(client, tid, "street-token", action="dispatch", department="C01", expected_state="REPORTED")
    assert stale.status_code == 409 and stale.json["error"] == "stale"
    r = act(client, tid, "street-token", action="dispatch", department="C01", version=2)
    assert r.status_code == 200 and r.json["state"] == "DISPATCHED"
    wrong = act(client, tid, "worker-token", action="sign")
    assert wrong.status_code == 409 and "department" in wrong.json["message"]
    r = act(client, tid, "dept-token", action="sign")
    r = client.post(f"/api/v1/tickets/{tid}/actions", headers=auth("dept-token"),
                    data={"action": "handle", "note": "已清理", "photos": (io.BytesIO(JPEG), "done.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and r.json["state"] == "HANDLED"
    assert r.json["history"][-1]["photos"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [({}, 400, "missing_action"), ({"action": "fly"}, 409, "unknown_action"),
     ({"action": "register", "version": "x"}, 400, "bad_version")],
)
def test_bad_actions(client, service, body, status, code):
    tid = post_ticket(client).json["id"]
    before = counts(service.store)
    r = act(client, tid, "street-token", **body)
    assert r.status_code == status and r.json["error"] == code
    assert counts(service.store) == before


def test_unknown_ticket_is_404(client):
    r = act(client, 999, "street-token", action="register")
    assert r.status_code == 404 and r.json["error"] == "unknown_ticket"
    assert client.get("/api/v1/tickets/nope", headers=auth("admin-token")).status_code == 404


def test_list_filters_paging_and_scope(client):
    for _ in range(3):
        post_ticket(client)
    post_ticket(client, token="admin-token", lon="117.325", lat="39.085")  # street 002
    r = client.get("/api/v1/tickets?page_size=2&page=2", headers=auth("admin-token")).json
    assert (r["total"], len(r["items"]), r["page"]) == (4, 2, 2)
    assert client.get("/api/v1/tickets", headers=auth("street-token")).json["total"] == 3
    assert client.get("/api/v1/tickets", headers=auth("other-street")).json["total"] == 1
    assert client.get("/api/v1/tickets?state=CLOSED", headers=auth("admin-token")).json["total"] == 0
    assert client.get("/api/v1/tickets?light=green", headers=auth("admin-token")).json["total"] == 4
    assert client.get("/api/v1/tickets?state=NOPE", headers=auth("admin-token")).status_code == 400
    assert client.get("/api/v1/tickets?page_size=100000", headers=auth("admin-token")).status_code == 400


def test_departments(client):
    tid = post_ticket(client).json["id"]
    deps = client.get(f"/api/v1/departments?ticket={tid}", headers=auth("street-token")).json["departments"]
    assert {d["tier"] for d in deps} == {"community"}
    everything = client.get("/api/v1/departments", headers=auth("street-token")).json["departments"]
    assert len(everything) > len(deps)


def test_metrics_endpoint(client):
    post_ticket(client)
    r = client.get("/api/v1/metrics?from=2024-11-01&to=2024-11-30&level=street", headers=auth("admin-token"))
    assert r.status_code == 200
    row = r.json["rows"][0]
    assert row["received"] == 1 and row["name"] == "测试1街道"
    assert "办结率" in r.json["definitions"]["press_closure_rate"]
    assert "结案率" in r.json["definitions"]["closure_rate"]
    for bad in ("level=planet", "from=2024-13-01", "from=2024-12-01&to=2024-11-01"):
        assert client.get(f"/api/v1/metrics?{bad}", headers=auth("admin-token")).status_code == 400
    s = client.get("/api/v1/metrics/series?from=2024-11-18&to=2024-11-18&by=hour", headers=auth("admin-token"))
    assert [r["key"] for r in s.json["rows"]] == [10]
    k = client.get("/api/v1/metrics/rankings?from=2024-11-01&to=2024-11-30&of=workers", headers=auth("admin-token"))
    assert k.json["rows"][0]["rank"] == 1 and k.json["rows"][0]["name"] == "格格0"


def test_a_handler_answers_on_its_own_in_a_request_context(client):
    """Handlers are module-level functions: a test reaches one without going through the router."""
    import orjson

    from dashboard.api import tickets as ticket_api
    from dashboard.api.errors import ApiError

    app = client.application
    with app.test_request_context("/api/v1/departments?tier=community", headers=auth("street-token")):
        deps = orjson.loads(ticket_api.departments().get_data())["departments"]
    assert deps and {d["tier"] for d in deps} == {"community"}
    with app.test_request_context("/api/v1/departments"), pytest.raises(ApiError) as refused:
        ticket_api.departments()
    assert (refused.value.status, refused.value.error) == (401, "unauthenticated")
