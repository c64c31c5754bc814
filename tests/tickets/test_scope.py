"""Scope, tried from outside it: reading, photos, departments and reporting by every role (tickets.visibility)."""

from __future__ import annotations

import io

import pytest

from tests.tickets.conftest import DEPT, INSIDE, JPEG, PNG, STREET_CENTER, auth
from tests.tickets.test_api import post_ticket

STREET2_POINT = ("117.325", "39.085")  # street 120110002
NEIGHBOUR_POINT = ("117.305", "39.085")  # street 120110001, grid 120110001001002: next to the worker's grid


@pytest.fixture
def mine(client, service):
    """A ticket in the worker's grid (street 1) with a photo, dispatched to department C01."""
    t = post_ticket(client, photo=(io.BytesIO(JPEG), "a.jpg")).json
    service.act(t["id"], "register", STREET_CENTER)
    service.act(t["id"], "dispatch", STREET_CENTER, department=DEPT.department)
    return t


@pytest.mark.parametrize(("token", "sees"), [("admin-token", True), ("street-token", True), ("worker-token", True),
                                              ("dept-token", True), ("other-street", False)])
def test_a_ticket_is_read_only_inside_the_callers_view(client, mine, token, sees):
    for ref in (mine["id"], mine["number"]):
        r = client.get(f"/api/v1/tickets/{ref}", headers=auth(token))
        assert r.status_code == (200 if sees else 404), (token, r.json)
        if not sees:  # the same answer as for a ticket that does not exist: nothing to probe
            assert r.json == {"error": "unknown_ticket", "message": f"there is no ticket {ref} in your view."}
            assert mine["description"] not in r.get_data(True)


def test_a_department_sees_only_what_is_dispatched_to_it(client, service):
    t = post_ticket(client).json
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=auth("dept-token")).status_code == 404
    assert client.get("/api/v1/tickets", headers=auth("dept-token")).json["total"] == 0
    service.act(t["id"], "register", STREET_CENTER)
    service.act(t["id"], "dispatch", STREET_CENTER, department=DEPT.department)
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=auth("dept-token")).status_code == 200
    assert client.get("/api/v1/tickets", headers=auth("dept-token")).json["total"] == 1


def test_acting_outside_the_view_is_a_404_and_changes_nothing(client, mine, service):
    r = client.post(f"/api/v1/tickets/{mine['id']}/actions", headers=auth("other-street"), json={"action": "void",
                                                                                                 "note": "x"})
    assert r.status_code == 404 and r.json["error"] == "unknown_ticket"
    assert service.store.get(mine["id"])["state"] == "DISPATCHED"


@pytest.mark.parametrize(("token", "status"), [("admin-token", 200), ("street-token", 200), ("worker-token", 200),
                                               ("dept-token", 200), ("other-street", 404)])
def test_photos_are_seen_by_whoever_sees_their_ticket(client, mine, token, status):
    url = mine["history"][0]["photos"][0]
    r = client.get(url, headers=auth(token))
    assert r.status_code == status
    if status == 200:
        assert r.data == JPEG and r.mimetype == "image/jpeg"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Disposition"].startswith("inline")
    else:
        assert r.json["error"] == "unknown_photo"
    assert client.get("/api/v1/photos/999999", headers=auth(token)).status_code == 404
    assert client.get(f"/api/v1/photos/{2**64}", headers=auth(token)).status_code == 404  # not an SQL overflow


def test_a_stored_file_that_is_no_image_is_served_as_an_attachment_never_inline(client, mine, service):
    """A file stored before photos were checked by structure (JPEG magic, then HTML) is never rendered."""
    row = service.store.ticket_photos(mine["id"])[0]
    service.photos.path(row["path"]).write_bytes(b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>")
    r = client.get(mine["history"][0]["photos"][0], headers=auth("admin-token"))
    assert r.status_code == 200 and r.mimetype == "application/octet-stream"
    assert r.headers["Content-Disposition"] == "attachment" and r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("token", "status"), [("street-token", 200), ("dept-token", 200), ("other-street", 404)])
def test_departments_for_a_ticket_are_scoped(client, mine, token, status):
    r = client.get(f"/api/v1/departments?ticket={mine['id']}", headers=auth(token))
    assert r.status_code == status
    assert client.get("/api/v1/departments", headers=auth("other-street")).status_code == 200  # the table is public


@pytest.mark.parametrize(
    ("token", "point", "status"),
    [
        ("street-token", STREET2_POINT, 403),  # a street reports in its own street
        ("other-street", STREET2_POINT, 201),
        ("worker-token", STREET2_POINT, 403),  # a worker reports in its own street only
        ("worker-token", NEIGHBOUR_POINT, 201),  # … including a neighbouring grid it covers for
        ("admin-token", STREET2_POINT, 201),
        ("dept-token", (str(INSIDE[0]), str(INSIDE[1])), 409),  # departments do not report
    ],
)
def test_where_each_role_may_report(client, service, token, point, status):
    r = post_ticket(client, token=token, lon=point[0], lat=point[1])
    assert r.status_code == status, r.json
    if status == 403:
        assert r.json["error"] == "out_of_scope" and "street" in r.json["message"]
        assert service.store.max_id() == 0


def test_a_worker_sees_its_report_in_a_neighbouring_grid(client):
    t = post_ticket(client, lon=NEIGHBOUR_POINT[0], lat=NEIGHBOUR_POINT[1]).json
    assert t["grid_code"] == "120110001001002"  # the ticket's grid is where it is, not the worker's
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=auth("worker-token")).status_code == 200
    assert client.get("/api/v1/tickets", headers=auth("worker-token")).json["total"] == 1


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xd8\xff\xe0<html><body><script>alert(document.cookie)</script></body></html>",  # magic, then HTML
        b"\xff\xd8\xff\xe0" + bytes(64),  # magic and nothing of a JPEG
        JPEG[:200],  # a real JPEG cut before its end-of-image marker
        b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>",
        PNG[:-12],  # no IEND
        b"RIFF\x10\x00\x00\x00WEBP<html>",
    ],
)
def test_a_file_that_only_starts_like_an_image_is_refused(client, service, payload):
    r = post_ticket(client, photo=(io.BytesIO(payload), "a.jpg"))
    assert r.status_code == 415 and r.json["error"] == "unsupported_photo_type"
    assert service.store.max_id() == 0
