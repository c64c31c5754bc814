"""Open311 as real clients send it: FixMyStreet's Open311.pm and the PyPI client ``three`` (their requests, field
for field), and the conformance points they rely on: any one location, repeated filters, the spec's default list."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from tests.tickets.conftest import DISTRICT, GRID, INSIDE, JPEG
from tests.tickets.test_service import counts
from tickets.service import NewTicket

BASE = "/open311/v2"
FMS_DESCRIPTION = "title: 井盖缺失\n\ndetail: 路口井盖丢了\n\nurl: https://fixmystreet.example/report/1\n\nSubmitted via FixMyStreet\n"


def fms_form(**over) -> dict:
    """What FixMyStreet's ``_populate_service_request_params`` + ``_request`` POST: jurisdiction_id and api_key
    first, extra fields as ``attribute[…]``, coordinates truncated, media_url a URL of the report's photo."""
    form = {"jurisdiction_id": "gridpulse", "api_key": "k-311", "description": FMS_DESCRIPTION,
            "service_code": "1101", "first_name": "Ann", "last_name": "Smith", "email": "ann@example.org",
            "phone": "+44 1234 567890", "lat": f"{INSIDE[1]:.6f}", "long": f"{INSIDE[0]:.6f}",
            "media_url": "https://fixmystreet.example/photo/1.full.jpeg", "attribute[easting]": "1",
            "attribute[northing]": "2"}
    form.update(over)
    return {k: v for k, v in form.items() if v is not None}


def xml_request_id(resp) -> str:
    """How Open311.pm reads the answer: ``$obj->{request}->[0]->{service_request_id}`` of the XML."""
    return ET.fromstring(resp.data).find("request/service_request_id").text


def test_fixmystreet_report_round_trip(client, service):
    r = client.post(f"{BASE}/requests.xml", data=fms_form())
    assert r.status_code == 200, r.data
    rid = xml_request_id(r)
    # FixMyStreet then polls requests.xml with service_request_id=a,b and its jurisdiction_id
    got = ET.fromstring(client.get(f"{BASE}/requests.xml?jurisdiction_id=gridpulse&service_request_id={rid},x").data)
    (req,) = got.findall("request")
    assert req.find("status").text == "open" and req.find("media_url").text.startswith("https://fixmystreet")
    assert req.find("description").text.startswith("title: 井盖缺失")
    t = service.store.get_by_number(rid)
    assert t["grid_code"] == GRID and "attribute" not in (t["contact"] or "")


def test_fixmystreet_unpinned_report_sends_only_address_string(client, service):
    r = client.post(f"{BASE}/requests.xml", data=fms_form(lat=None, long=None, address_string="SW1A 1AA"))
    assert r.status_code == 200, r.data
    t = service.store.get_by_number(xml_request_id(r))
    assert (t["lon"], t["lat"], t["grid_code"], t["street_code"]) == (None, None, None, None)
    assert t["address"] == "SW1A 1AA" and t["tier"] == "district"  # the district center places it
    got = client.get(f"{BASE}/requests/{t['number']}.json").json[0]
    assert (got["lat"], got["long"], got["address_id"], got["address"]) == (None, None, None, "SW1A 1AA")
    x = ET.fromstring(client.get(f"{BASE}/requests/{t['number']}.xml").data)
    assert x.find("request/lat").text is None and x.find("request/address").text == "SW1A 1AA"
    # the district center acts on it in its own right; no street or worker can
    t = service.act(t["id"], "register", DISTRICT)
    assert t["state"] == "REGISTERED" and t["tier"] == "district"


def test_fixmystreet_notpinpointed_address_id_needs_an_address(client, service):
    r = client.post(f"{BASE}/requests.json", data=fms_form(lat=None, long=None, address_id="#NOTPINPOINTED#"))
    assert r.status_code == 400 and "address_id" in r.json[0]["description"]
    r = client.post(f"{BASE}/requests.json", data=fms_form(lat=None, long=None, address_id="#NOTPINPOINTED#",
                                                           address_string="东丽大道 1 号"))
    assert r.status_code == 200
    assert service.store.get_by_number(r.json[0]["service_request_id"])["lon"] is None


def test_an_address_id_that_is_a_grid_code_places_the_ticket_in_the_grid(client, service):
    r = client.post(f"{BASE}/requests.json", data=fms_form(lat=None, long=None, address_id=GRID))
    assert r.status_code == 200, r.json
    got = client.get(f"{BASE}/requests/{r.json[0]['service_request_id']}.json").json[0]
    assert got["address_id"] == GRID
    assert service.district.locator.locate_one(got["long"], got["lat"]) == GRID


def test_three_client_post_with_address_and_photo(client, service):
    """``three.Three(...).post('1101', address='…', name='Zach Williams', phone='555-5555', media=file)``."""
    data = {"service_code": "1101", "address_string": "123 Any St", "first_name": "Zach", "last_name": "Williams",
            "phone": "555-5555", "description": "My issue description.", "api_key": "k-311",
            "media": (io.BytesIO(JPEG), "photo.jpg")}
    r = client.post(f"{BASE}/requests.json", data=data, content_type="multipart/form-data")
    assert r.status_code == 200, r.json
    t = service.store.get_by_number(r.json[0]["service_request_id"])
    assert t["address"] == "123 Any St" and len(service.store.ticket_photos(t["id"])) == 1


def test_three_client_listing_parameters(client):
    """``three`` turns count= into page_size and start/end into ``%Y-%m-%dT%H:%M:%SZ``."""
    client.post(f"{BASE}/requests.json", data=fms_form())
    r = client.get(f"{BASE}/requests.json?page_size=5&start_date=2024-11-17T00:00:00Z&end_date=2024-11-19T00:00:00Z")
    assert r.status_code == 200 and len(r.json) == 1


def test_api_key_in_the_query_string_of_a_post(client, service):
    form = fms_form(api_key=None)
    assert client.post(f"{BASE}/requests.json?api_key=k-311", data=form).status_code == 200
    assert client.post(f"{BASE}/requests.json?api_key=wrong", data=form).status_code == 403
    assert client.post(f"{BASE}/requests.json?api_key=k-311", data={**form, "api_key": ""}).status_code == 200


def test_api_key_is_compared_in_constant_time(client, monkeypatch):
    import hmac

    from dashboard.api import open311

    seen, real = [], hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(open311.hmac, "compare_digest", spy)
    assert client.post(f"{BASE}/requests.json", data=fms_form(api_key="ключ-非ascii")).status_code == 403
    assert client.post(f"{BASE}/requests.json", data=fms_form()).status_code == 200
    assert [b for _, b in seen] == [b"k-311", b"k-311"]


@pytest.mark.parametrize(
    ("over", "words"),
    [
        ({"lat": None, "long": None}, "location is required"),
        ({"long": None}, "lat and long go together"),
        ({"media_url": "javascript:alert(document.domain)"}, "media_url"),
        ({"media_url": "file:///etc/passwd"}, "media_url"),
        ({"media_url": "https://"}, "media_url"),
        ({"email": "not-an-email"}, "email"),
        ({"address_string": "路" * 1_000_000}, "address_string"),
        ({"first_name": "名" * 65}, "first_name"),
        ({"lat": "91"}, "lat"),
        ({"lat": "nan"}, "lat"),
    ],
)
def test_post_refusals_say_what_is_wrong(client, service, over, words):
    before = counts(service.store)
    r = client.post(f"{BASE}/requests.json", data=fms_form(**over))
    assert r.status_code == 400 and words in r.json[0]["description"], r.json
    assert counts(service.store) == before


def test_a_field_sent_twice_with_different_values_is_refused(client, service):
    form = fms_form()
    form["lat"] = [form["lat"], "39.08"]
    r = client.post(f"{BASE}/requests.json", data=form)
    assert r.status_code == 400 and "lat is sent 2 times" in r.json[0]["description"]
    assert counts(service.store)[0] == 0


def test_a_bad_media_url_among_several_is_refused_and_a_stored_one_is_never_shown(client, service):
    form = fms_form()
    form["media_url"] = ["https://a.example/1.jpg", "javascript:alert(1)"]
    assert client.post(f"{BASE}/requests.json", data=form).status_code == 400
    t = service.create(NewTicket("1101", *INSIDE, media_url="javascript:alert(1)", public=True),
                       DISTRICT)  # a row from before
    assert client.get(f"{BASE}/requests/{t['number']}.json").json[0]["media_url"] is None


def test_get_requests_without_parameters_is_the_first_1000_of_the_last_90_days(client, service, clock):
    for _ in range(3):
        service.create(NewTicket("1101", *INSIDE, public=True), DISTRICT, now=clock.now - timedelta(days=100))
    for _ in range(120):
        service.create(NewTicket("1101", *INSIDE, public=True), DISTRICT)
    got = client.get(f"{BASE}/requests.json").json
    assert len(got) == 120  # more than the old default of 100; none older than 90 days
    assert len(client.get(f"{BASE}/requests.json?page_size=1000").json) == 120
    r = client.get(f"{BASE}/requests.json?page_size=1001")
    assert r.status_code == 400 and "page_size" in r.json[0]["description"]


def test_a_filter_declared_twice_honours_every_value(client, service):
    rid = client.post(f"{BASE}/requests.json", data=fms_form()).json[0]["service_request_id"]
    other = client.post(f"{BASE}/requests.json", data=fms_form(service_code="0101")).json[0]["service_request_id"]
    service.act(rid, "void", DISTRICT, note="重复")
    both = client.get(f"{BASE}/requests.json?status=open&status=closed").json
    assert {r["service_request_id"] for r in both} == {rid, other}
    codes = client.get(f"{BASE}/requests.json?service_code=1101&service_code=0101").json
    assert {r["service_request_id"] for r in codes} == {rid, other}
    ids = client.get(f"{BASE}/requests.json?service_request_id={rid}&service_request_id={other}").json
    assert len(ids) == 2
    r = client.get(f"{BASE}/requests.json?start_date=2024-11-01T00:00:00Z&start_date=2024-11-02T00:00:00Z")
    assert r.status_code == 400 and "start_date" in r.json[0]["description"]


@pytest.mark.parametrize("path", ["/discovery.json", "/services.json", "/requests.json", "/nothing.json"])
def test_json_answers_say_their_charset(client, path):
    assert client.get(BASE + path).headers["Content-Type"] == "application/json; charset=utf-8"
    xml = client.get(BASE + path.replace(".json", ".xml"))
    assert xml.headers["Content-Type"] == "text/xml; charset=utf-8"


@pytest.mark.parametrize("query", ["start_date=0001-01-01T00:00:00Z", "end_date=9999-12-31T23:59:59Z",
                                   "start_date=9999-12-31T00:00:00%2B08:00&end_date=9999-12-31T23:00:00Z",
                                   "page=9223372036854775808", "page=1.5", "page_size=-1"])
def test_listing_parameters_out_of_range_are_400(client, query):
    r = client.get(f"{BASE}/requests.json?{query}")
    assert r.status_code == 400 and r.json[0]["code"] == 400 and r.json[0]["description"]
