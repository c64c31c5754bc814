"""Hostile input on the web process, as a probe sends it: stored text that breaks exports or runs as a formula, deep
or oversized or oddly typed bodies (Dash's callback endpoint included), booleans as coordinates, and a street token
reading another street's acknowledgements."""

from __future__ import annotations

import csv
import io

import pytest

from dashboard.api.spreadsheets import columns, to_csv, to_xlsx
from tests.dashboard.conftest import ADMIN, STREET1
from tests.tickets.conftest import INSIDE

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
            "-2+3", "\t=1", "\r=1"]


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry
    from dashboard.settings import WebSettings
    from dashboard.ticket_setup import ticket_extension
    from streams.roster import Roster
    from streams.settings import StreamSettings
    from tests.conftest import make_box_district
    from tests.dashboard.conftest import STREET2, FakeReader
    from tickets.settings import load_settings
    from tickets.store.sql import SqlTicketStore

    district = make_box_district()
    store = SqlTicketStore("sqlite://")
    store.migrate()
    settings = load_settings(photo_dir=tmp_path_factory.mktemp("photos"), database_url="sqlite://")
    tokens = TokenRegistry.from_mapping(admin=ADMIN, streets={"120110001": STREET1, "120110002": STREET2})
    roster = Roster.from_district(district)
    server, _ = create_app(district=district, settings=StreamSettings.from_env(key_prefix="t-hostile"), tokens=tokens,
                           roster=roster, reader=FakeReader(roster), message_queue=None, ingest=False,
                           web_settings=WebSettings(max_body_bytes=300_000, max_json_depth=32),
                           extensions=[ticket_extension(store, open311_key="k-311", settings=settings)])
    yield server
    store.engine.dispose()


# -- exports -------------------------------------------------------------------------------------------------------
def test_the_writer_quotes_formulas_and_keeps_numbers():
    cols = columns(("t", ("文本", "Text")), ("n", ("数", "N"), "count"), ("r", ("率", "Rate"), "rate"))
    rows = [{"t": f, "n": -3, "r": -0.25} for f in FORMULAS]
    got = list(csv.reader(io.StringIO(to_csv(cols, rows, "en").decode("utf-8-sig"), newline="")))
    assert [r[0] for r in got[1:]] == ["'" + f for f in FORMULAS]
    assert {(r[1], r[2]) for r in got[1:]} == {("-3", "-0.25")}
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(to_xlsx(cols, rows, "en", title="t"))).active
    cells = list(ws.iter_rows(min_row=2, values_only=True))
    # (XML reads a stored carriage return back as a line feed)
    assert [c[0] for c in cells] == ["'" + f.replace("\r", "\n") for f in FORMULAS] and {c[1:] for c in cells} == {(-3, -0.25)}
    assert all(ws.cell(row=i, column=1).data_type == "s" for i in range(2, len(rows) + 2))


def test_the_writer_drops_characters_xml_cannot_hold():
    cols = columns(("t", ("文本", "Text")))
    rows = [{"t": "井盖\x00缺失\x1b\x0b，\t第二\n行"}]
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(to_xlsx(cols, rows, title="t"))).active
    assert ws.cell(row=2, column=1).value == "井盖缺失，\t第二\n行"
    assert "\x00" not in to_csv(cols, rows).decode("utf-8-sig")


def test_a_stored_nul_or_formula_never_breaks_the_ticket_export(web, midday):
    from openpyxl import load_workbook

    from tickets.domain.actors import Actor
    from tickets.service import NewTicket

    svc = web.extensions["tickets"]
    district = Actor(role="district", name="区中心")
    t = svc.create(NewTicket("1101", *INSIDE, description="ok"), district)
    # a row stored before the door refused control characters, or written by another tool
    with svc.store.transaction() as conn:
        svc.store.update_ticket(conn, t["id"], t["version"], {"description": "井盖\x00缺失",
                                                             "address": '=HYPERLINK("http://e.example")'})
    client = web.test_client()
    for fmt in ("xlsx", "csv"):
        r = client.get(f"/manage/export?table=tickets&format={fmt}&period=7d&lang=en", headers=auth(ADMIN))
        assert r.status_code == 200, r.data[:300]
    x = client.get("/manage/export?table=tickets&format=xlsx&period=7d&lang=en", headers=auth(ADMIN))
    values = {v for row in load_workbook(io.BytesIO(x.data)).active.iter_rows(values_only=True) for v in row}
    assert not any(isinstance(v, str) and ("\x00" in v or v.startswith("=")) for v in values)


# -- bodies --------------------------------------------------------------------------------------------------------
def nested(depth: int) -> bytes:
    return b'{"ids":' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_a_deep_body_on_the_ack_endpoint_is_a_400(web, depth):
    r = web.test_client().post("/api/v1/alerts/ack", data=nested(depth), content_type="application/json",
                               headers=auth(ADMIN))
    assert r.status_code == 400 and r.json["error"] == "bad_json"


def test_an_oversized_body_is_a_json_413_before_it_is_read(web):
    r = web.test_client().post("/api/v1/alerts/ack", data=b'{"ids": ["' + b"x" * 20_000_000 + b'"]}',
                               content_type="application/json", headers=auth(ADMIN))
    assert r.status_code == 413 and r.json["error"] == "request_entity_too_large"


def test_a_photo_upload_is_allowed_past_the_common_cap(web):
    from tests.tickets.conftest import JPEG

    # four 100 kB photos: above the common 300 kB cap, within the photos' allowance
    data = {"category": "1101", "lon": str(INSIDE[0]), "lat": str(INSIDE[1]),
            **{f"photo{i}": (io.BytesIO(JPEG + bytes([i]) * 100_000), f"{i}.jpg", "image/jpeg") for i in (1, 2, 3, 4)}}
    r = web.test_client().post("/api/v1/tickets", data=data, headers=auth(ADMIN), content_type="multipart/form-data")
    assert r.status_code == 201, r.json


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_a_deep_dash_callback_is_a_400(web, depth):
    r = web.test_client().post("/_dash-update-component", data=b'{"output":"a.b","outputs":[],"inputs":'
                               + b"[" * depth + b"]" * depth + b"}", content_type="application/json")
    assert r.status_code == 400 and r.json["error"] == "bad_json"


@pytest.mark.parametrize(("body", "content_type", "status"), [
    ("{}".encode("utf-16"), "application/json; charset=utf-16", 415),
    (b"{}", "application/vnd.api+json", 415),
    (b"{}", "text/plain", 415),
    (b"{}", "application/json", 400),
    (b"[]", "application/json", 400),
    (b"\xff\xfe{", "application/json", 400),
    (b'{"output":"a.b","outputs":{},"inputs":{}}', "application/json", 400),
])
def test_an_odd_dash_callback_body_is_a_4xx(web, body, content_type, status):
    r = web.test_client().post("/_dash-update-component", data=body, content_type=content_type)
    assert r.status_code == status, r.data[:300]
    assert r.json["error"] in ("unsupported_media_type", "bad_json", "bad_callback")


def test_a_deep_ticket_body_and_a_deep_open311_form_are_refused(web):
    client = web.test_client()
    r = client.post("/api/v1/tickets", data=b'{"category":' + b"[" * 5000 + b"]" * 5000 + b"}",
                    content_type="application/json", headers=auth(ADMIN))
    assert r.status_code == 400 and r.json["error"] == "bad_json"


def test_shallow_json_still_reaches_the_handlers(web):
    r = web.test_client().post("/api/v1/tickets", json={"category": "1101", "lon": INSIDE[0], "lat": INSIDE[1]},
                               headers=auth(ADMIN))
    assert r.status_code == 201


@pytest.mark.parametrize(("field", "value"), [("lat", False), ("lon", True)])
def test_a_boolean_is_not_a_coordinate_of_a_ticket(web, field, value):
    body = {"category": "1101", "lon": INSIDE[0], "lat": INSIDE[1], field: value}
    r = web.test_client().post("/api/v1/tickets", json=body, headers=auth(ADMIN))
    assert r.status_code == 400 and r.json["error"] == "bad_coordinates"


# -- acknowledgements ----------------------------------------------------------------------------------------------
def test_a_street_token_reads_only_its_streets_acknowledgements(box_district, tokens, redis_url, key_prefix, midday):
    import orjson
    import redis

    from dashboard.app import create_app
    from streams.contract import alert_id
    from streams.pingstream import make_redis
    from streams.settings import StreamSettings
    from tests.dashboard.conftest import STREET2

    settings = StreamSettings.from_env(key_prefix=key_prefix, redis_url=redis_url)
    server, _ = create_app(district=box_district, redis_client=make_redis(settings), settings=settings,
                           tokens=tokens, message_queue=None)
    r = redis.Redis.from_url(redis_url)
    mine = {"kind": "outside_grid", "w": "W120110001001001", "name": "n", "grid": "g", "street": "120110001",
            "ts": midday.timestamp() - 60, "message": "m"}
    other = {**mine, "w": "W120110002001001", "street": "120110002"}
    for a in (mine, other):
        r.xadd(f"{key_prefix}:alerts", {"a": orjson.dumps(a)})
    c = server.test_client()
    ids = [alert_id(mine), alert_id(other)]
    assert c.post("/api/v1/alerts/ack", json={"ids": ids}, headers=auth(ADMIN)).json["acknowledged"] == ids
    query = f"/api/v1/alerts/acks?ids={','.join(ids)}"
    assert list(c.get(query, headers=auth(ADMIN)).json["acks"]) == ids
    assert list(c.get(query, headers=auth(STREET1)).json["acks"]) == [alert_id(mine)]
    assert list(c.get(query, headers=auth(STREET2)).json["acks"]) == [alert_id(other)]
    assert c.get(query + "&street=120110002", headers=auth(STREET1)).status_code == 403
    assert list(c.get(query + "&street=120110002", headers=auth(ADMIN)).json["acks"]) == [alert_id(other)]
