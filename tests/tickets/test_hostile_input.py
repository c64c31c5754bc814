"""Hostile and unusual input on the ticket APIs, each as the client sends it: FixMyStreet's numbered photos, GeoReport
multivalue attributes, control characters, and what Open311's public reads may list."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest

from tests.tickets.conftest import DISTRICT, INSIDE, JPEG, PNG, STREET_CENTER, WORKER, auth
from tests.tickets.test_open311_clients import BASE, fms_form, xml_request_id
from tickets.domain.states import Source
from tickets.service import NewTicket


def photos_of(client, number: str) -> list[str]:
    """The photo URLs of a ticket's report, as the district center reads them."""
    got = client.get(f"/api/v1/tickets/{number}", headers=auth("admin-token"))
    assert got.status_code == 200, got.json
    return got.json["history"][0]["photos"]


def test_fixmystreet_photos_sent_as_photo1_photo2_are_stored(client):
    # Open311.pm posts a report's photos as multipart fields photo1, photo2, … beside the form
    form = {**fms_form(), "photo1": (io.BytesIO(JPEG), "1.full.jpeg", "image/jpeg"),
            "photo2": (io.BytesIO(PNG), "2.full.png", "image/png")}
    r = client.post(f"{BASE}/requests.xml", data=form, content_type="multipart/form-data")
    assert r.status_code == 200, r.data
    urls = photos_of(client, xml_request_id(r))
    assert len(urls) == 2
    assert {client.get(u, headers=auth("admin-token")).mimetype for u in urls} == {"image/jpeg", "image/png"}


@pytest.mark.parametrize("field", ["photo", "photos[]", "media", "photo1", "photo12"])
def test_every_photo_field_a_client_uses_is_stored_by_the_ticket_api(client, field):
    data = {"category": "1101", "lon": str(INSIDE[0]), "lat": str(INSIDE[1]),
            field: (io.BytesIO(JPEG), "a.jpg", "image/jpeg")}
    r = client.post("/api/v1/tickets", data=data, headers=auth("worker-token"), content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    assert len(r.json["history"][0]["photos"]) == 1


def test_photos_beyond_the_limit_are_refused_not_dropped(client, service):
    n = service.settings.max_photos + 1
    form = {**fms_form(), **{f"photo{i}": (io.BytesIO(JPEG), f"{i}.jpeg", "image/jpeg") for i in range(1, n + 1)}}
    r = client.post(f"{BASE}/requests.json", data=form, content_type="multipart/form-data")
    assert r.status_code == 400 and "photos" in r.json[0]["description"]


def test_a_multivalue_attribute_is_stored_and_returned_as_sent(client):
    form = fms_form(**{"attribute[lanes][]": ["1", "2"], "attribute[colour]": "red"})
    r = client.post(f"{BASE}/requests.json", data=form)
    assert r.status_code == 200, r.json
    rid = r.json[0]["service_request_id"]
    got = client.get(f"{BASE}/requests/{rid}.json").json[0]
    assert got["attributes"] == {"lanes": ["1", "2"], "colour": "red", "easting": "1", "northing": "2"}
    x = ET.fromstring(client.get(f"{BASE}/requests/{rid}.xml").data)
    by_code = {a.find("code").text: a for a in x.findall("request/attributes/attribute")}
    assert [v.text for v in by_code["lanes"].findall("values/value")] == ["1", "2"]
    assert by_code["colour"].find("value").text == "red"


def test_a_repeated_plain_attribute_is_a_list_too(client):
    r = client.post(f"{BASE}/requests.json", data=fms_form(**{"attribute[lanes]": ["1", "2"]}))
    assert r.status_code == 200, r.json
    got = client.get(f"{BASE}/requests/{r.json[0]['service_request_id']}.json").json[0]
    assert got["attributes"]["lanes"] == ["1", "2"]


def test_a_plain_field_sent_twice_with_different_values_is_still_refused(client):
    r = client.post(f"{BASE}/requests.json", data=fms_form(description=["a", "b"]))
    assert r.status_code == 400 and "description" in r.json[0]["description"]


def test_public_reads_list_only_public_tickets(client, service):
    resident = client.post(f"{BASE}/requests.json", data=fms_form()).json[0]["service_request_id"]
    patrol = service.create(NewTicket("1101", *INSIDE, description="内部巡查：某户纠纷"), WORKER)["number"]
    street = service.create(NewTicket("1101", *INSIDE, description="街道录入"), STREET_CENTER)["number"]
    video = service.create(NewTicket("1101", *INSIDE, source=Source.VIDEO), DISTRICT)["number"]
    hidden = service.create(NewTicket("1101", *INSIDE, source=Source.RESIDENT_APP, public=False), DISTRICT)["number"]
    listed = {r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json}
    assert listed == {resident}
    asked = client.get(f"{BASE}/requests.json?service_request_id={patrol},{street},{video},{hidden},{resident}").json
    assert [r["service_request_id"] for r in asked] == [resident]
    for internal in (patrol, street, video, hidden):
        assert client.get(f"{BASE}/requests/{internal}.json").status_code == 404
        assert client.get(f"{BASE}/requests/{internal}.xml").status_code == 404
    # a key that may see them: the ticket API's bearer token, held to its own view
    everything = {r["service_request_id"] for r in client.get(f"{BASE}/requests.json",
                                                               headers=auth("admin-token")).json}
    assert everything == {resident, patrol, street, video, hidden}
    other = {r["service_request_id"] for r in client.get(f"{BASE}/requests.json", headers=auth("other-street")).json}
    assert other == {resident}  # the tickets are in street 120110001: another street sees only the public one
    assert client.get(f"{BASE}/requests/{patrol}.json", headers=auth("street-token")).status_code == 200
    assert client.get(f"{BASE}/requests.json", headers=auth("nobody")).status_code == 403


def test_the_ticket_api_may_flag_a_ticket_public(client):
    body = {"category": "1101", "lon": INSIDE[0], "lat": INSIDE[1], "source": "hotline_12345", "public": True}
    r = client.post("/api/v1/tickets", json=body, headers=auth("street-token"))
    assert r.status_code == 201 and r.json["public"] is True
    assert client.get(f"{BASE}/requests/{r.json['number']}.json").status_code == 200
    r = client.post("/api/v1/tickets", json={**body, "public": 0}, headers=auth("street-token"))
    assert r.status_code == 400 and r.json["error"] == "bad_public"  # strict: 0 is not false


@pytest.mark.parametrize("text", ["井盖\x00缺失", "a\x1b[31mred", "x\x7f", "\x08", "bell\x07", "c1\x85c1"])
def test_control_characters_are_refused_at_the_door(client, service, text):
    before = service.store.list([], limit=10_000)[1]
    r = client.post("/api/v1/tickets", json={"category": "1101", "lon": INSIDE[0], "lat": INSIDE[1],
                                             "description": text}, headers=auth("worker-token"))
    assert r.status_code == 400 and r.json["error"] == "bad_text"
    r = client.post(f"{BASE}/requests.json", data=fms_form(description=text))
    assert r.status_code == 400 and "control character" in r.json[0]["description"]
    r = client.post(f"{BASE}/requests.json", data=fms_form(address_string=text, lat=None, long=None))
    assert r.status_code == 400
    r = client.post(f"{BASE}/requests.json", data=fms_form(**{"attribute[x]": text}))
    assert r.status_code == 400
    assert service.store.list([], limit=10_000)[1] == before


def test_tabs_and_line_breaks_stay_in_a_description(client, service):
    text = "第一行\r\n\t第二行\n"
    r = client.post("/api/v1/tickets", json={"category": "1101", "lon": INSIDE[0], "lat": INSIDE[1],
                                             "description": text}, headers=auth("worker-token"))
    assert r.status_code == 201 and r.json["description"] == text
    r = client.post(f"/api/v1/tickets/{r.json['id']}/actions", json={"action": "void", "note": "空\x00"},
                    headers=auth("admin-token"))
    assert r.status_code == 400 and r.json["error"] == "bad_text"
