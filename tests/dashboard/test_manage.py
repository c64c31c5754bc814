"""The drill-down's pure parts: the selection and its URL, the next selection after a click, figures and views."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.auth import Principal
from dashboard.screens.manage import figures as F
from dashboard.screens.manage import views as V
from dashboard.screens.manage.callbacks import next_selection
from dashboard.screens.manage.selection import (
    Selection,
    SelectionError,
    parse,
    period_days,
    previous,
    scoped,
)
from dashboard.screens.manage.units import Units
from dashboard.settings import WebSettings
from tickets.domain.catalog import load_catalog
from tickets.metrics import Period

GRID = "120110001001001"
COMMUNITY, STREET = GRID[:12], GRID[:9]
ADMIN = Principal("admin")
STREET1 = Principal("street", street_code="120110001")


@pytest.fixture(scope="module")
def units():
    from tests.conftest import make_box_district

    return Units(make_box_district())


@pytest.fixture(scope="module")
def catalog():
    from pathlib import Path

    return load_catalog(Path(__file__).resolve().parents[2] / "data")


def test_a_selection_survives_its_url(units, catalog):
    sel = parse({"period": "custom", "from": "2024-10-01", "to": "2024-10-31", "grid": GRID, "category": "1101",
                 "tier": "street", "source": "hotline_12345", "page": "3", "lang": "en"}, units, catalog)
    assert (sel.street, sel.community, sel.grid, sel.level) == (STREET, COMMUNITY, GRID, "grid")
    assert sel.filters() == {"grid": GRID, "category": "1101", "tier": "street", "source": "hotline_12345"}
    again = parse(sel.query_string(), units, catalog)
    assert again == sel
    assert "level=grid" in sel.query_string() and "page=3" in sel.query_string()


def test_defaults_and_levels(units):
    sel = parse("", units)
    assert (sel.period, sel.level, sel.unit_level, sel.page) == ("month", "district", "street", 1)
    assert parse({"street": STREET}, units).unit_level == "community"
    assert parse({"community": COMMUNITY}, units).street == STREET  # ancestors filled in
    # a link up the breadcrumb drops the codes below its level
    up = parse({"level": "street", "street": STREET, "community": COMMUNITY, "grid": GRID}, units)
    assert (up.level, up.community, up.grid) == ("street", None, None)
    assert parse({"level": "district", "street": STREET}, units).street is None


@pytest.mark.parametrize(("query", "code"), [
    ({"period": "decade"}, "bad_period"),
    ({"period": "custom", "from": "2024-10-31", "to": "2024-10-01"}, "bad_period"),
    ({"period": "custom", "from": "yesterday", "to": "2024-10-01"}, "bad_date"),
    ({"street": "999999999"}, "unknown_place"),
    ({"street": "120110002", "grid": GRID}, "bad_place"),
    ({"level": "grid", "street": STREET}, "bad_level"),
    ({"tier": "city"}, "bad_tier"),
    ({"source": "rumour"}, "bad_source"),
    ({"category": "9999"}, "bad_category"),
    ({"page": "two"}, "bad_page"),
])
def test_bad_queries_are_refused_with_a_code(units, catalog, query, code):
    with pytest.raises(SelectionError) as err:
        parse(query, units, catalog)
    assert err.value.code == code and str(err.value)


def test_scope_of_a_street_token(units):
    assert scoped(parse("", units), ADMIN).street is None
    assert scoped(parse("", units), STREET1).street == "120110001"  # the district view becomes its street
    assert scoped(parse({"grid": GRID}, units), STREET1).grid == GRID  # and what is inside it
    with pytest.raises(PermissionError):
        scoped(parse({"street": "120110002"}, units), STREET1)
    with pytest.raises(PermissionError):
        scoped(parse({"grid": "120110002001001"}, units), STREET1)
    with pytest.raises(PermissionError):
        scoped(parse("", units), None)


def test_periods_and_the_previous_one():
    today = date(2024, 11, 20)
    assert period_days("today", today, "Asia/Shanghai") == Period(today, today)
    assert period_days("7d", today, "Asia/Shanghai").start == date(2024, 11, 14)
    assert period_days("month", today, "Asia/Shanghai").start == date(2024, 11, 1)
    assert period_days("quarter", today, "Asia/Shanghai").start == date(2024, 10, 1)
    assert period_days("year", today, "Asia/Shanghai").start == date(2024, 1, 1)
    p = previous(Period(date(2024, 11, 1), date(2024, 11, 20)))
    assert (p.start, p.end) == (date(2024, 10, 12), date(2024, 10, 31))


def _next(sel, trigger, units, **kw):
    args = {"period": sel.period, "start": None, "end": None, "filters": {}, "map_click": None, "bar_click": None}
    args.update(kw)
    return next_selection(sel, trigger, units=units, **args)


def test_clicks_and_controls_make_the_next_selection(units):
    sel = Selection(page=4)
    assert _next(sel, "manage-bars", units, bar_click={"points": [{"customdata": STREET}]}).street == STREET
    into = _next(sel.with_(street=STREET), "manage-map", units, map_click={"points": [{"location": COMMUNITY}]})
    assert (into.level, into.street, into.community, into.page) == ("community", STREET, COMMUNITY, 1)
    assert _next(sel, "manage-f-category", units, filters={"category": "1101"}).category == "1101"
    assert _next(sel, "manage-period", units, period="7d").period == "7d"
    custom = _next(sel, "manage-dates", units, start="2024-10-01", end="2024-10-05T00:00:00")
    assert (custom.period, custom.start, custom.end) == ("custom", date(2024, 10, 1), date(2024, 10, 5))
    assert _next(sel, "manage-url", units) == sel  # the back button: the URL is the selection
    assert _next(sel, "manage-bars", units, bar_click={"points": [{"customdata": "nowhere"}]}) == sel


ROWS = [{"key": "120110001", "name": "测试1街道", "received": 40, "closure_rate": 0.9, "closed": 36},
        {"key": "120110002", "name": "测试2街道", "received": 60, "closure_rate": 0.99, "closed": 58},
        {"key": "120110003", "name": "空", "received": 0, "closure_rate": None, "closed": 0}]


def test_units_bars_carry_codes_best_on_top():
    fig = F.units_figure(ROWS, "zh-CN")
    bar = fig["data"][0]
    assert bar["customdata"] == ["120110001", "120110002"]  # Plotly draws the last on top: the best rate
    assert bar["x"] == [90.0, 99.0]
    assert F.units_figure([], "en")["layout"]["annotations"][0]["text"] == "No data"


def test_map_splits_units_with_and_without_a_rate(units):
    geojson, bounds = units.geojson("street", None)
    fig = F.map_figure(geojson, bounds, ROWS[:1], "en", WebSettings())
    blank, rated = fig["data"]
    assert rated["locations"] == ["120110001"] and rated["z"] == [90.0]
    assert blank["locations"] == ["120110002"]
    assert (rated["zmin"], rated["zmax"]) == (89.0, 100.0)
    assert fig["layout"]["map"]["style"]["sources"] == {}  # no external tiles
    assert F.rate_range([99.5]) == (95.0, 100.0)


def test_trend_funnel_pareto_departments_lights():
    trend = F.trend_figure([{"key": 9, "received": 5, "closed": 4, "closure_rate": 0.8}], "hour", "zh-CN")
    assert trend["data"][0]["x"] == ["09:00"] and trend["data"][2]["y"] == [80.0]
    funnel = F.funnel_figure({"received": 10, "registered": 9, "dispatched": 6, "handled": 5, "closed": 4}, "en")
    assert funnel["data"][0]["x"] == [10, 9, 6, 5, 4] and funnel["data"][0]["y"][0] == "Received"
    cats = [{"key": "1101", "name": "暴露垃圾", "received": 8, "cum_share": 0.8},
            {"key": "2101", "name": "邻里纠纷", "received": 2, "cum_share": 1.0}]
    pareto = F.pareto_figure(cats, "zh-CN")
    assert pareto["data"][1]["y"] == [80.0, 100.0] and pareto["layout"]["shapes"][0]["y0"] == 80
    deps = [{"key": "S01", "name": "城管科", "dispatched": 5, "on_time_handling_rate": 0.8, "avg_handle_h": 3.5,
             "returns": 2}, {"key": "D01", "name": "区城管委", "dispatched": 0}]
    dfig = F.departments_figure(deps, "en")
    assert [t["x"] for t in dfig["data"]] == [[80.0], [3.5], [2]]
    assert [a["text"] for a in dfig["layout"]["annotations"]] == ["On-time handling", "Avg handling (h)", "Returns"]
    lights = F.lights_figure([{"step": "handle", "red": 1, "yellow": 2, "green": 3, "none": 0, "open": 6},
                              {"step": "register", "red": 0, "yellow": 0, "green": 1, "none": 0, "open": 1}], "en")
    assert [t["name"] for t in lights["data"]] == ["Red: overdue", "Yellow: supervised", "Green: on time",
                                                   "Suspended: clock stopped"]
    assert lights["data"][0]["y"] == ["Handle", "Register"] and lights["data"][0]["x"] == [1, 0]


def test_changes_and_kpi_cards():
    assert V.change(0.95, 0.90, "rate") == ("+5.0 pp", 1)
    assert V.change(90, 100, "count") == ("-10.0%", -1)
    assert V.change(5, 0, "count") == ("new", 1)
    assert V.change(None, 3, "count") == ("—", 0)
    cards = V.kpi_cards({"received": 110, "open_now": 9, "closure_rate": 0.9},
                        {"received": 100, "open_now": 1, "closure_rate": 0.95}, "zh-CN")
    by_id = {c.id: c for c in cards}
    assert len(cards) == 12
    received = by_id["manage-kpi-received"].children
    assert received[1].children == "110" and received[2].children[-1].children == "+10.0%"
    assert by_id["manage-kpi-open_now"].children[2].children[-1].children == "—"  # not comparable
    rate = by_id["manage-kpi-closure_rate"].children[2]
    assert "mg-down" in rate.className  # a falling closure rate is bad news


def test_breadcrumb_and_pager(units):
    sel = Selection(street=STREET, community=COMMUNITY)
    admin = V.breadcrumb(sel, units, None, "zh-CN")
    links = [c for c in admin if getattr(c, "href", None)]
    assert [c.id for c in links] == ["manage-crumb-district", "manage-crumb-street"]
    assert "level=district" in links[0].href and f"street={STREET}" in links[1].href
    street = V.breadcrumb(sel, units, STREET, "zh-CN")
    assert "manage-crumb-district" not in [getattr(c, "id", None) for c in street]  # nothing above its street
    pages = V.pager(Selection(page=2), total=50, page_size=15, lang="en")
    assert [getattr(p, "id", None) for p in pages] == ["manage-prev", "manage-page-of", "manage-next"]
    assert "Page 2 of 4" in pages[1].children


def test_recent_views_expire_and_stay_bounded():
    from dashboard.screens.manage.data import Recent

    keep = Recent(ttl_s=60, maxsize=2)
    keep.put("a", 1)
    keep.put("b", 2)
    assert keep.get("a") == 1
    keep.put("c", 3)  # "b" is the least recently used: out
    assert (keep.get("a"), keep.get("b"), keep.get("c")) == (1, None, 3)
    gone = Recent(ttl_s=0)
    gone.put("a", 1)
    assert gone.get("a") is None
