"""/manage in the real web app: the view callback, the CSV/XLSX exports and the printable report, with their scope."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from dashboard.app import create_app
from dashboard.screens.manage import callbacks as CB
from dashboard.ticket_setup import ticket_extension
from tests.conftest import MIDDAY
from tests.dashboard.conftest import ADMIN, STREET1, STREET2, callback_outputs, named_outputs
from tickets import metrics
from tickets.settings import load_settings
from tickets.simulate import backfill
from tickets.store.sql import SqlTicketStore


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from dashboard.auth import TokenRegistry
    from streams.roster import Roster
    from streams.settings import StreamSettings
    from tests.conftest import make_box_district
    from tests.dashboard.conftest import FakeReader

    district = make_box_district()
    store = SqlTicketStore("sqlite://")
    store.migrate()
    settings = load_settings(photo_dir=tmp_path_factory.mktemp("photos"), database_url="sqlite://")
    backfill(store, district, days=40, seed=3, now=MIDDAY, settings=settings, per_day=30)  # the tests run at MIDDAY
    tokens = TokenRegistry.from_mapping(admin=ADMIN, streets={"120110001": STREET1, "120110002": STREET2})
    roster = Roster.from_district(district)
    server, _ = create_app(district=district, settings=StreamSettings.from_env(key_prefix="t-manage"), tokens=tokens,
                           roster=roster, reader=FakeReader(roster), message_queue=None, ingest=False,
                           extensions=[ticket_extension(store, open311_key=None, settings=settings)])
    yield server
    store.engine.dispose()


@pytest.fixture(autouse=True)
def _at_midday(midday):
    """Every test here reads the tickets of the last days up to now: now is when the backfill stopped."""


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def service(server):
    return server.extensions["tickets"]


def read_csv(resp) -> list[list[str]]:
    text = resp.data.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs need the BOM for the Chinese headers
    return list(csv.reader(io.StringIO(text[1:])))


def test_units_csv_is_the_street_ranking(web):
    client = web.test_client()
    r = client.get("/manage/export?table=units&format=csv&period=7d", headers=auth(ADMIN))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"] and ".csv" in r.headers["Content-Disposition"]
    rows = read_csv(r)
    assert rows[0][:3] == ["名次", "代码", "名称"]
    svc = service(web)
    now = svc.clock()
    today = now.astimezone(svc.calendar.tz).date()
    # the last 7 days, not this month: at 00:10 on the 1st a month holds ten minutes of tickets
    ranked = metrics.ranking(svc.store.engine, metrics.Period(today - timedelta(days=6), today), "streets", now=now)
    assert [row[1] for row in rows[1:]] == [x["key"] for x in ranked]
    assert [int(row[7]) for row in rows[1:]] == [x["received"] for x in ranked]


def test_xlsx_holds_the_same_table(web):
    from openpyxl import load_workbook

    client = web.test_client()
    q = "table=categories&period=7d&lang=en"
    c = read_csv(client.get(f"/manage/export?{q}&format=csv", headers=auth(ADMIN)))
    x = client.get(f"/manage/export?{q}&format=xlsx", headers=auth(ADMIN))
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(x.data)).active
    cells = [[v for v in row] for row in ws.iter_rows(values_only=True)]
    assert cells[0] == c[0] == ["Code", "Category", "Received", "Closed", "Closure rate", "Cumulative share"]
    assert len(cells) == len(c) > 2
    assert [row[0] for row in cells[1:]] == [row[0] for row in c[1:]]
    assert [row[2] for row in cells[1:]] == [int(row[2]) for row in c[1:]]
    assert ws.cell(row=2, column=5).number_format == "0.0%"


def test_ticket_export_is_every_ticket_of_a_street(web):
    client = web.test_client()
    r = client.get("/manage/export?table=tickets&format=csv&period=7d&lang=en", headers=auth(STREET1))
    assert r.status_code == 200
    rows = read_csv(r)
    assert rows[0][:4] == ["Number", "Reported", "Category", "Street"]
    assert len(rows) > 16  # every ticket, not one page
    assert {row[3] for row in rows[1:]} == {"测试1街道"}  # a street token's view: its own street only


@pytest.mark.parametrize(("token", "query", "status", "code"), [
    (STREET1, "street=120110002", 403, "forbidden"),
    (STREET1, "grid=120110002001001", 403, "forbidden"),
    (None, "", 401, "unauthenticated"),
    (ADMIN, "table=nope", 400, "bad_table"),
    (ADMIN, "format=pdf", 400, "bad_format"),
    (ADMIN, "street=999", 400, "unknown_place"),
])
def test_refusals(web, token, query, status, code):
    q = "table=units&format=csv&" + query if "table=" not in query else query + "&format=csv"
    if "format=pdf" in query:
        q = "table=units&" + query
    r = web.test_client().get(f"/manage/export?{q}", headers=auth(token) if token else {})
    assert r.status_code == status
    assert r.json["error"] == code and r.json["message"]


def test_the_page_cookie_is_enough_for_an_export(web):
    client = web.test_client()
    client.set_cookie("gp_token", STREET2)
    assert client.get("/manage/export?table=kpis&format=csv").status_code == 200
    assert client.get("/manage/export?table=kpis&format=csv&street=120110001").status_code == 403


def test_report_is_printable_with_definitions(web):
    r = web.test_client().get("/manage/report?period=7d&street=120110002", headers=auth(ADMIN))
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.data.decode()
    assert "@media print" in html and "window.print()" in html
    assert "测试2街道" in html and "结案率 = closed / due_to_close" in html  # the KPI definitions
    assert html.count("<table>") == 5  # KPIs, communities, categories, departments, lights
    assert web.test_client().get("/manage/report?street=120110002", headers=auth(STREET1)).status_code == 403


def _view(web, token, search, trigger=None, **kw):
    args = {"period": None, "start": None, "end": None, "filters": {}, "map_click": None, "bar_click": None}
    args.update(kw)
    names = callback_outputs(web, "manage-url.search")
    with web.test_request_context("/_dash-update-component", method="POST", headers=auth(token)):
        return named_outputs(web, "manage-url.search", CB.view(search, trigger, n_outputs=len(names), **args))


def test_a_drill_step_in_the_view_callback(web):
    out = _view(web, ADMIN, "?period=7d&level=district", "manage-bars",
                bar_click={"points": [{"customdata": "120110002"}]})
    assert out["manage-url.search"] == "?period=7d&level=street&street=120110002"  # the new URL: a history entry
    assert out["manage-notice.hidden"] is True  # no notice
    crumbs = [getattr(c, "id", None) for c in out["manage-crumbs.children"]]
    assert crumbs == ["manage-crumb-district", None, "manage-crumb-street"]
    the_map = out["manage-map-box.children"]
    assert the_map.id == {"type": "manage-map", "key": "community:120110002"}
    assert set(the_map.figure["data"][-1]["locations"]) == {"120110002001", "120110002002"}
    assert out["manage-report.href"] == "/manage/report?period=7d&level=street&street=120110002"
    # the back button: the URL drives the view and is not pushed again
    back = _view(web, ADMIN, "?period=7d&level=district", "manage-url")
    assert back["manage-url.search"] is CB.no_update
    assert [getattr(c, "id", None) for c in back["manage-crumbs.children"]] == ["manage-crumb-district"]


def test_the_view_refuses_another_street(web):
    out = _view(web, STREET1, "?level=street&street=120110002", "manage-url")
    assert out["manage-notice.hidden"] is False and "120110002" in out["manage-notice.children"]
    assert out["manage-kpis.children"] == [] and out["manage-tickets.children"] == []  # nothing of the other street
    own = _view(web, STREET1, "?period=7d", "manage-url")
    assert own["manage-notice.hidden"] is True
    assert [getattr(c, "id", None) for c in own["manage-crumbs.children"]] == ["manage-crumb-street"]  # none above
