"""Headless Chromium on /manage: an admin drills district → street by clicking a bar, sees the breadcrumb and the
URL follow, filters, exports, and steps back with the browser's back button; a street token finds no other street;
English leaves no Chinese label."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from dashboard.app import create_app
from dashboard.serving import WebServer
from tests.browser.chromium import ARGS, CHROMIUM
from tests.conftest import MIDDAY
from tests.dashboard.conftest import ADMIN, STREET1

SHOTS = Path("var/screenshots")
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from dashboard.auth import TokenRegistry
    from dashboard.ticket_setup import ticket_extension
    from streams.roster import Roster
    from streams.settings import StreamSettings
    from tests.conftest import make_box_district
    from tests.dashboard.conftest import FakeReader
    from tickets.settings import load_settings
    from tickets.simulate import backfill
    from tickets.store.sql import SqlTicketStore

    district = make_box_district()
    store = SqlTicketStore(f"sqlite:///{tmp_path_factory.mktemp('db') / 'tickets.db'}")
    store.migrate()
    settings = load_settings(photo_dir=tmp_path_factory.mktemp("photos"), database_url="sqlite://")
    backfill(store, district, days=40, seed=5, now=MIDDAY, settings=settings, per_day=30)  # the tests run at MIDDAY
    tokens = TokenRegistry.from_mapping(admin=ADMIN, streets={"120110001": STREET1})
    roster = Roster.from_district(district)
    server, _ = create_app(district=district, settings=StreamSettings.from_env(key_prefix="t-manage-b"),
                           tokens=tokens, roster=roster, reader=FakeReader(roster), message_queue=None, ingest=False,
                           extensions=[ticket_extension(store, open311_key=None, settings=settings)])
    from tests.tickets.conftest import DISTRICT, JPEG
    from tickets.service import NewTicket
    from tickets.store.photos import Upload

    # the newest ticket of community 120110002001, with a photo the drawer must show
    server.extensions["tickets"].create(NewTicket(category="1101", lon=117.315, lat=39.095, description="有照片",
                                                  photos=[Upload("p.jpg", JPEG)]), DISTRICT,
                                          now=MIDDAY - timedelta(minutes=1))
    web = WebServer(server).start()
    yield web
    web.stop()
    store.engine.dispose()


@pytest.fixture
def page(midday):  # the server's clock: "the last 7 days" are the backfill's last days
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        pg = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN", accept_downloads=True)
        yield pg
        browser.close()


def _ready(pg, crumb: str):
    pg.wait_for_selector(f"#{crumb}", timeout=60_000)
    pg.wait_for_selector("#manage-kpis .mg-kpi", timeout=60_000)
    pg.wait_for_selector("#manage-bars .bars path", timeout=60_000)


def _click_bar(pg, code: str):
    """Click the bar of ``code`` in the closure-rate bars (Plotly's click: over its drag layer, at the bar)."""
    i = pg.evaluate(f"""() => document.querySelector('#manage-bars .js-plotly-plot').data[0].customdata
                       .indexOf('{code}')""")
    assert i >= 0
    box = pg.locator("#manage-bars .bars .point path").nth(i).bounding_box()
    x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2
    pg.mouse.move(x, y)
    pg.wait_for_timeout(200)
    pg.mouse.click(x, y)


def test_admin_drills_filters_exports_and_steps_back(site, page):
    page.goto(f"{site.url}/manage?token={ADMIN}&period=7d")
    _ready(page, "manage-crumb-district")
    assert "token" not in page.url
    assert page.inner_text("#manage-crumbs").replace("\n", "").startswith("全区测试区")
    assert "综合得分" in page.inner_text("#manage-formula")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "manage-district.png"))

    _click_bar(page, "120110002")
    page.wait_for_function("() => location.search.includes('level=street&street=120110002')", timeout=30_000)
    page.wait_for_selector("#manage-crumb-street", timeout=30_000)
    assert "测试2街道" in page.inner_text("#manage-crumb-street")
    page.wait_for_function("() => [...document.querySelectorAll('#manage-ranking-table a.mg-drill')]"
                           ".every(a => a.getAttribute('href').includes('community=120110002'))", timeout=30_000)
    names = page.locator("#manage-ranking-table td.mg-name").all_inner_texts()
    assert names and all(n.startswith("测试2-") for n in names)  # the street's communities
    page.screenshot(path=str(SHOTS / "manage-street.png"))

    # a filter: the URL and every table follow
    page.click("#manage-f-tier")
    page.locator(".dash-dropdown-option", has_text="街道级").click()
    page.wait_for_function("() => location.search.includes('tier=street')", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#manage-x-units-csv').href.includes('tier=street')",
                           timeout=30_000)
    with page.expect_download() as dl:
        page.click("#manage-x-units-csv")
    text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][2] == "名称" and {r[1][:9] for r in rows[1:]} == {"120110002"}

    # back: the filter goes, then the street
    page.go_back()
    page.wait_for_function("() => !location.search.includes('tier=')", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#manage-x-units-csv') && "
                           "!document.querySelector('#manage-x-units-csv').href.includes('tier=')", timeout=30_000)
    assert "level=street" in page.url
    page.go_back()
    page.wait_for_function("() => !document.querySelector('#manage-crumb-street')", timeout=30_000)
    assert "street=" not in page.url
    page.wait_for_function("() => document.querySelectorAll('#manage-ranking-table td.mg-name').length === 2",
                           timeout=30_000)

    # a shared link reproduces a view: a community, with its grids
    page.goto(f"{site.url}/manage?period=7d&level=community&street=120110002&community=120110002001")
    _ready(page, "manage-crumb-community")
    assert page.locator("#manage-period input[value='7d']").is_checked()
    grids = page.locator("#manage-ranking-table td.mg-name").all_inner_texts()
    assert grids and all("2街道·1社区" in g for g in grids)

    # one ticket: its history and its photo (fetched from /api/v1/photos/<id> with the page's token)
    page.locator("#manage-tickets-table tr.mg-ticket").first.click()
    page.wait_for_selector("#manage-drawer:not([hidden]) #manage-history li", timeout=30_000)
    assert page.inner_text("#manage-detail-number").startswith("1201")
    assert "有照片" in page.inner_text("#manage-detail")
    page.wait_for_function("() => (document.querySelector('#manage-history img[data-photo]') || {src: ''})"
                           ".src.startsWith('blob:')", timeout=30_000)
    page.click("#manage-drawer-close")
    page.wait_for_selector("#manage-drawer[hidden]", state="attached", timeout=30_000)


def test_street_token_sees_no_other_street(site, page):
    page.goto(f"{site.url}/manage?token={STREET1}&period=7d")
    _ready(page, "manage-crumb-street")
    assert page.locator("#manage-crumb-district").count() == 0  # nothing above its street
    body = page.inner_text("body")
    assert "测试1街道" in body and "测试2" not in body
    codes = page.evaluate("() => document.querySelector('#manage-bars .js-plotly-plot').data[0].customdata")
    assert codes and all(c.startswith("120110001") for c in codes)
    page.screenshot(path=str(SHOTS / "manage-street-token.png"))
    # asking for the other street by URL shows a refusal and no figures
    page.goto(f"{site.url}/manage?period=7d&level=street&street=120110002")
    page.wait_for_selector("text=cannot see street 120110002", timeout=30_000)
    assert "测试2" not in page.inner_text("body")


def test_english_leaves_no_chinese_label(site, page):
    page.goto(f"{site.url}/manage?token={ADMIN}&lang=en&period=7d")
    _ready(page, "manage-crumb-district")
    page.wait_for_selector("#manage-tickets-table tr.mg-ticket", timeout=30_000)
    for sel in (".gp-subtitle", ".gp-clock", ".mg-toolbar", "#manage-kpis", ".mg-panel-head", "#manage-tickets-table thead",
                "#manage-pager", "#manage-formula"):
        for text in page.locator(sel).all_inner_texts():
            assert not CJK.search(text), (sel, text)
    assert page.inner_text("#manage-kpi-closure_rate .mg-kpi-label").startswith("Closure rate")
