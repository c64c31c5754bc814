"""The wall screen served by the real web app: access, scope, language, the ticket panels and the map figure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboard.app import create_app
from dashboard.auth import TokenRegistry
from dashboard.screens.wall import labels as L
from dashboard.screens.wall.callbacks import panel_values
from dashboard.screens.wall.data import read_tickets
from dashboard.screens.wall.figures import map_figure, trend_figure
from dashboard.settings import WebSettings
from dashboard.ticket_setup import service_of, ticket_extension
from tests.dashboard.conftest import ADMIN, STREET1, STREET2, named_outputs
from tests.dashboard.wallkit import CJK, by_id, find, page_content, screen_config, texts
from tickets import metrics
from tickets.settings import load_settings
from tickets.store.sql import SqlTicketStore

WORKER = "worker-token-0001"
WEST, EAST = (117.305, 39.095), (117.325, 39.075)  # street 120110001 / street 120110002


@pytest.fixture
def web(box_district, roster, fake_reader, tmp_path):
    from streams.settings import StreamSettings

    store = SqlTicketStore("sqlite://")
    store.migrate()
    tokens = TokenRegistry.from_mapping(
        admin=ADMIN, streets={"120110001": STREET1, "120110002": STREET2},
        extra=[{"token": WORKER, "role": "worker", "worker_id": box_district.workers["worker_id"][0]}])
    settings = load_settings(photo_dir=tmp_path / "photos", database_url="sqlite://")
    server, _ = create_app(district=box_district, settings=StreamSettings.from_env(key_prefix="t-wall"), tokens=tokens,
                           roster=roster, reader=fake_reader, message_queue=None, ingest=False,
                           extensions=[ticket_extension(store, open311_key=None, settings=settings)])
    return server


def client_with(web, token: str | None):
    c = web.test_client()
    if token:
        assert c.get(f"/?token={token}").status_code == 200  # the page sets the cookie
    return c


def report(client, token, where, category="1101"):
    r = client.post("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data",
                    data={"category": category, "lon": str(where[0]), "lat": str(where[1]), "description": "垃圾满溢"})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.json


def test_a_page_opened_with_a_token_keeps_it_in_an_httponly_cookie(web):
    c = web.test_client()
    cookie = c.get(f"/?token={ADMIN}").headers.get("Set-Cookie", "")
    assert cookie.startswith("gp_token=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Set-Cookie" not in c.get("/?token=not-a-real-token").headers


def test_without_a_token_no_district_data_is_served(web, box_district):
    c = client_with(web, None)
    layout = c.get("/_dash-layout").get_data(as_text=True)
    content = page_content(c)
    some_grid = box_district.grids["code"].iloc[0]
    assert some_grid not in layout and some_grid not in str(content)
    assert find(content, lambda x: x["props"].get("id") == "gp-auth")


def test_the_admin_sees_the_whole_district(web, box_district):
    content = page_content(client_with(web, ADMIN))
    cfg = screen_config(content)
    assert cfg["street"] is None and set(cfg["streets"]) == {"120110001", "120110002"}
    assert set(cfg["grid_worker"]) == set(box_district.grids["code"])
    assert cfg["contract"]["namespace"] == "/live" and "tickets" in cfg["contract"]["events"]
    rows = find(content, lambda x: "data-street" in x["props"])
    assert {r["props"]["data-street"] for r in rows} == {"120110001", "120110002"}
    graph = by_id(content, "wall-map-graph")["props"]["figure"]
    assert set(graph["data"][0]["locations"]) == set(box_district.grids["code"])


def test_a_street_token_gets_its_street_only(web, box_district):
    c = client_with(web, STREET1)
    cfg = screen_config(page_content(c))
    own = set(box_district.grids.loc[box_district.grids["street_code"] == "120110001", "code"])
    assert cfg["street"] == "120110001" and list(cfg["streets"]) == ["120110001"]
    assert set(cfg["grid_worker"]) == own
    graph = by_id(page_content(c), "wall-map-graph")["props"]["figure"]
    assert set(graph["data"][0]["locations"]) == own
    other = page_content(c, search="?street=120110002")
    assert not find(other, lambda x: x["props"].get("id") == "wall-config")
    assert "120110002" in str(other)  # the refusal names the street it will not show


def test_a_worker_token_has_no_wall_screen(web):
    content = page_content(client_with(web, WORKER))
    assert not find(content, lambda x: x["props"].get("id") == "wall-config")


def test_english_leaves_no_chinese_label(web, box_district):
    content = page_content(client_with(web, ADMIN), search="?lang=en")
    # data (place names) stays as it is; a language switch names each language in itself ("中文")
    data_names = {box_district.name, box_district.city, *box_district.grids["street_name"], "中文"}
    leftovers = []
    for s in texts(content):
        for name in data_names:
            s = s.replace(name, "")
        if CJK.search(s):
            leftovers.append(s)
    assert not leftovers
    cfg = screen_config(content)
    assert not CJK.search(str(cfg["labels"]))
    zh = screen_config(page_content(client_with(web, ADMIN)))
    assert CJK.search(str(zh["labels"]))  # the default is zh-CN


def test_each_rate_says_its_large_figure_is_this_month_s_and_why_it_reads_below_a_year_s(web):
    for lang, month, year in (("zh-CN", "本月", "全年"), ("en", "this month", "a year")):
        content = page_content(client_with(web, ADMIN), search=f"?lang={lang}")
        for key, _ in L.RATES:
            label = by_id(content, f"wall-month-{key}")  # the large figure: this month's
            assert label
            tips = [t for t in texts(find(content, lambda x, k=key: f"gp-rate--{k}" in str(x["props"].get(
                "className", "")))) if month in t]
            assert tips and all(year in t for t in tips), (lang, key)


def test_panels_show_the_metrics_apis_numbers(web, midday):
    c = client_with(web, ADMIN)
    for where in (WEST, WEST, EAST):
        report(c, ADMIN, where)
    service = service_of(web)
    d = read_tickets(service, None, "zh-CN")
    shown = named_outputs(web, "wall-asof.children", panel_values(d, "zh-CN", service.district))
    today = midday.date().isoformat()  # the tickets reported a moment ago are today's
    api = c.get(f"/api/v1/metrics?from={today}&to={today}", headers={"Authorization": f"Bearer {ADMIN}"}).json
    row = api["rows"][0]
    keys = [k for k, _ in L.CASE_FIGURES]
    assert [shown[f"wall-today-{k}.children"] for k in keys] == [f"{row[k]:,}" for k in keys]
    assert row["received"] == 3 and row["open_now"] == 3
    assert {"closure_rate", "press_closure_rate", "on_time_closure_rate"} <= set(api["definitions"])
    opened = shown["wall-open.data"]
    assert len(opened["rows"]) == 3 and opened["f"][:4] == ["id", "no", "lon", "lat"]
    street = read_tickets(service, "120110002", "zh-CN")
    assert street.today["received"] == 1 and len(street.open_points["rows"]) == 1


def test_trend_figure_has_one_category_per_day_and_a_rate_in_percent():
    rows = [{"key": "2024-11-01", "received": 10, "closed": 8, "closure_rate": 0.8},
            {"key": "2024-11-02", "received": 0, "closed": 0, "closure_rate": None}]
    fig = trend_figure(rows, lang="en", scale=2)
    assert [t.name for t in fig.data] == ["Received", "Closed", "Closure %"]
    assert list(fig.data[0].x) == ["11-01", "11-02"] and fig.layout.xaxis.type == "category"
    assert list(fig.data[2].y) == [80.0, None]
    assert fig.layout.font.size == 22  # fonts follow the wall's scale


def test_map_figure_is_offline_and_draws_every_grid(box_district):
    fig = map_figure(box_district, WebSettings())
    assert fig.layout.map.style["sources"] == {}
    grids = fig.data[0]
    assert grids.type == "choroplethmap" and len(grids.locations) == len(box_district.grids)
    assert {f["id"] for f in grids.geojson["features"]} == set(box_district.grids["code"])
    one = map_figure(box_district, WebSettings(), "120110001")
    assert len(one.data[0].locations) == int((box_district.grids["street_code"] == "120110001").sum())


def test_screen_files_are_served_only_from_their_folder(web):
    c = web.test_client()
    r = c.get("/screens/wall/wall.js")
    assert r.status_code == 200 and r.headers["X-Content-Type-Options"] == "nosniff"
    assert c.get("/screens/wall/..%2F__init__.py").status_code == 404
    assert c.get("/screens/wall/layout.py").status_code == 404
    assert c.get("/screens/nowhere/wall.js").status_code == 404
    cfg_el = by_id(page_content(client_with(web, ADMIN)), "wall-config")
    assert all(a["url"].startswith("/screens/wall/") and "?v=" in a["url"]
               for a in __import__("json").loads(cfg_el["props"]["data-gp-assets"]))


def test_as_of_is_beijing_time(web):
    service = service_of(web)
    d = read_tickets(service, None, "en", now=datetime(2024, 11, 18, 2, 0, 5, tzinfo=UTC))
    assert named_outputs(web, "wall-asof.children", panel_values(d, "en", service.district))["wall-asof.children"] \
        == "10:00:05"
    assert metrics.DEFINITIONS["closure_rate"].startswith("结案率")


@pytest.mark.integration
def test_a_wall_opened_mid_shift_starts_with_the_newest_alerts_and_ticket_events(redis_url, key_prefix):
    import orjson
    import redis

    from dashboard.screens.wall.data import recent_feed

    c = redis.Redis.from_url(redis_url)
    c.xadd(f"{key_prefix}:alerts", {"a": orjson.dumps({"kind": "sos", "w": "W1", "name": "格格1", "grid": "g1",
                                                         "street": "120110001", "ts": 100.0})})
    c.xadd(f"{key_prefix}:alerts", {"a": b"not json"})
    for i, street in enumerate(["120110002", "120110001"]):
        event = {"ticket_id": i, "number": f"N{i}", "action": "report", "street_code": street, "category_code": "1101",
                 "at": datetime.fromtimestamp(200 + i, UTC).isoformat()}
        c.xadd(f"{key_prefix}:ticket-events", {"event_id": str(i), "event": orjson.dumps(event)})
    items = recent_feed(c, key_prefix, None)
    assert [(x["kind"], x["ts"]) for x in items] == [("ticket", 201.0), ("ticket", 200.0), ("alert", 100.0)]
    mine = recent_feed(c, key_prefix, "120110001")
    assert [x.get("no") or x.get("name") for x in mine] == ["N1", "格格1"]
    assert recent_feed(c, key_prefix, None, n=1)[0]["no"] == "N1"
