"""``/api/v1/metrics…`` over HTTP: every role against every scope, the drill filters, the funnel and departments."""

from __future__ import annotations

import pytest

from tests.tickets.conftest import GRID, STREET, T0, auth
from tickets.metrics import rollup
from tickets.simulate import backfill

OTHER = "120110002"
OWN_COMMUNITY, OTHER_COMMUNITY = GRID[:12], "120110002001"
OTHER_GRID = "120110002001001"
PERIOD = "from=2024-09-20&to=2024-11-18"
ENDPOINTS = ("/api/v1/metrics", "/api/v1/metrics/series", "/api/v1/metrics/rankings?of=communities",
             "/api/v1/metrics/funnel", "/api/v1/metrics/departments")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The API over 60 days of history on the box district (2 streets), read-only: built once for the module."""
    import flask

    from dashboard.api.ticket_routes import register
    from tests.conftest import make_box_district
    from tests.tickets.conftest import TOKENS, Clock
    from tickets.service import TicketService
    from tickets.settings import load_settings
    from tickets.store.sql import SqlTicketStore

    store = SqlTicketStore("sqlite://")
    store.migrate()
    settings = load_settings(photo_dir=tmp_path_factory.mktemp("photos"), database_url="sqlite://")
    service = TicketService(store, make_box_district(), settings, clock=Clock())
    backfill(store, service.district, days=60, seed=4, now=T0, settings=settings, per_day=30)
    rollup.CACHE.clear()
    app = flask.Flask("metrics-api-test")
    register(app, store=store, district=service.district, authenticate=TOKENS.get, open311_key=None,
             service=service)
    yield app.test_client()
    store.engine.dispose()


def get(client, path: str, token: str, **params):
    sep = "&" if "?" in path else "?"
    query = "&".join([PERIOD, *(f"{k}={v}" for k, v in params.items())])
    return client.get(f"{path}{sep}{query}", headers=auth(token))


def ok(client, path, token, **params) -> dict:
    r = get(client, path, token, **params)
    assert r.status_code == 200, r.json
    return r.json


def refused(client, path, token, status=403, **params) -> dict:
    r = get(client, path, token, **params)
    assert r.status_code == status, r.json
    body = r.json
    assert set(body) == {"error", "message"} and isinstance(body["error"], str) and len(body["message"]) > 20
    return body


def same_figures(a: dict, b: dict) -> bool:
    drop = ("as_of",)
    return {k: v for k, v in a.items() if k not in drop} == {k: v for k, v in b.items() if k not in drop}


# -- street tokens -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_street_token_without_a_street_gets_its_street(api, path):
    mine = ok(api, path, "street-token", level="street") if path.endswith("metrics") else ok(api, path, "street-token")
    admin = (ok(api, path, "admin-token", level="street", street=STREET) if path.endswith("metrics")
             else ok(api, path, "admin-token", street=STREET))
    assert mine["filters"]["street"] == STREET
    assert same_figures(mine, admin)


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("asked", [{"street": OTHER}, {"community": OTHER_COMMUNITY}, {"grid": OTHER_GRID}])
def test_a_street_token_asking_for_another_street_is_refused(api, path, asked):
    body = refused(api, path, "street-token", **asked)
    assert body["error"] == "forbidden" and STREET in body["message"]


def test_the_other_street_token_is_refused_this_street(api):
    assert refused(api, "/api/v1/metrics", "other-street", level="community", street=STREET)["error"] == "forbidden"
    rows = ok(api, "/api/v1/metrics", "other-street", level="community")["rows"]
    assert rows and all(r["key"].startswith(OTHER) for r in rows)


@pytest.mark.parametrize("level", ["street", "community", "grid", "category", "department", "worker", "tier"])
def test_every_level_of_a_street_token_stays_in_its_street(api, level):
    rows = ok(api, "/api/v1/metrics", "street-token", level=level)["rows"]
    admin = ok(api, "/api/v1/metrics", "admin-token", level=level, street=STREET)["rows"]
    assert rows == admin
    everything = ok(api, "/api/v1/metrics", "admin-token", level=level)["rows"]
    assert sum(r["received"] for r in rows) < sum(r["received"] for r in everything)


def test_district_level_figures_are_refused_to_a_street_token(api):
    body = refused(api, "/api/v1/metrics", "street-token", level="district")
    assert f"street={STREET}" in body["message"]
    refused(api, "/api/v1/metrics", "street-token")  # level=district is the default
    refused(api, "/api/v1/metrics/rankings?of=streets", "street-token")
    own = ok(api, "/api/v1/metrics", "street-token", level="district", street=STREET)["rows"]
    assert own == ok(api, "/api/v1/metrics", "admin-token", level="district", street=STREET)["rows"]


@pytest.mark.parametrize("of", ["communities", "grids", "workers", "departments"])
def test_rankings_of_a_street_token_are_within_its_street(api, of):
    rows = ok(api, f"/api/v1/metrics/rankings?of={of}", "street-token")["rows"]
    assert rows == ok(api, f"/api/v1/metrics/rankings?of={of}", "admin-token", street=STREET)["rows"]
    if of in ("communities", "grids"):
        assert rows and all(r["key"].startswith(STREET) for r in rows)


# -- department and worker tokens ----------------------------------------------------------------------------
def test_a_department_token_sees_its_own_department(api):
    rows = ok(api, "/api/v1/metrics", "dept-token", level="department")["rows"]
    assert [r["key"] for r in rows] == ["C01"]
    streets = ok(api, "/api/v1/metrics", "dept-token", level="street")
    assert streets["filters"] == {"department": "C01"}
    assert streets["rows"] == ok(api, "/api/v1/metrics", "admin-token", level="street", department="C01")["rows"]
    assert refused(api, "/api/v1/metrics", "dept-token", department="S01")["error"] == "forbidden"
    refused(api, "/api/v1/metrics/rankings?of=departments", "dept-token")
    ok(api, "/api/v1/metrics/rankings?of=streets", "dept-token")
    deps = ok(api, "/api/v1/metrics/departments", "dept-token")["rows"]
    assert [r["key"] for r in deps] == ["C01"]


def test_a_worker_token_sees_its_own_grid(api):
    mine = ok(api, "/api/v1/metrics", "worker-token")
    assert mine["filters"] == {"grid": GRID}
    assert mine["rows"] == ok(api, "/api/v1/metrics", "admin-token", grid=GRID)["rows"]
    assert [r["key"] for r in ok(api, "/api/v1/metrics", "worker-token", level="grid")["rows"]] == [GRID]
    ok(api, "/api/v1/metrics", "worker-token", street=STREET, community=OWN_COMMUNITY)
    for asked in ({"grid": OTHER_GRID}, {"street": OTHER}, {"community": OTHER_COMMUNITY}):
        assert refused(api, "/api/v1/metrics", "worker-token", **asked)["error"] == "forbidden"
    for of in ("streets", "workers", "grids"):
        refused(api, f"/api/v1/metrics/rankings?of={of}", "worker-token")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_no_token_is_401_and_admin_sees_all(api, path):
    assert refused(api, path, "nobody", status=401)["error"] == "unauthenticated"
    assert refused(api, path, "nobody", status=401, level="planet", of="planets")["error"] == "unauthenticated"
    body = ok(api, path, "admin-token", street=OTHER)
    assert body["filters"]["street"] == OTHER


# -- drill filters and fields --------------------------------------------------------------------------------
def test_drill_from_district_to_grid_adds_up(api):
    district = ok(api, "/api/v1/metrics", "admin-token")["rows"][0]
    streets = ok(api, "/api/v1/metrics", "admin-token", level="street")["rows"]
    assert sum(r["received"] for r in streets) == district["received"]
    street = next(r for r in streets if r["key"] == STREET)
    communities = ok(api, "/api/v1/metrics", "admin-token", level="community", street=STREET)["rows"]
    assert sum(r["received"] for r in communities) == street["received"] and communities[0]["name"]
    community = next(r for r in communities if r["key"] == OWN_COMMUNITY)
    grids = ok(api, "/api/v1/metrics", "admin-token", level="grid", street=STREET, community=OWN_COMMUNITY)["rows"]
    assert sum(r["closed"] for r in grids) == community["closed"]
    assert refused(api, "/api/v1/metrics", "admin-token", 400, level="grid", street=OTHER,
                   community=OWN_COMMUNITY)["error"] == "bad_parent"


@pytest.mark.parametrize("name", ["tier", "category", "department", "source"])
def test_each_filter_splits_the_total(api, name):
    values = [r["key"] for r in ok(api, "/api/v1/metrics", "admin-token", level=name)["rows"] if r["key"]]
    assert len(values) >= 2
    total = ok(api, "/api/v1/metrics", "admin-token", level="street")["rows"]
    parts = [ok(api, "/api/v1/metrics", "admin-token", level="street", **{name: v}) for v in values]
    assert all(p["filters"][name] == v for p, v in zip(parts, values, strict=True))
    received = sum(r["received"] for p in parts for r in p["rows"])
    unset = 0 if name != "department" else ok(api, "/api/v1/metrics", "admin-token", level="department")["rows"]
    if name == "department":  # tickets never dispatched have no department
        unset = sum(r["received"] for r in unset if r["key"] is None)
    assert received + unset == sum(r["received"] for r in total)
    assert refused(api, "/api/v1/metrics", "admin-token", 400, tier="planet")["error"] == "bad_tier"


def test_each_figure_is_there_with_its_definition(api):
    body = ok(api, "/api/v1/metrics", "admin-token", level="street")
    for r in body["rows"]:
        assert r["average_hours_to_close"] == r["avg_close_h"] and r["p90_hours_to_close"] == r["p90_close_h"]
        assert r["average_hours_to_close"] <= r["p90_hours_to_close"] * 3
        assert 0 <= r["handling_rate"] <= 1 and 0 <= r["rework_rate"] <= 1
        assert sum(r["lights"].values()) == r["open_now"] and r["lights"]["red"] == r["overdue_now"]
    for field in ("average_hours_to_close", "p90_hours_to_close", "handling_rate", "rework_rate", "lights",
                  "average_hours_to_handle", "returned", "closure_rate", "press_closure_rate"):
        assert body["definitions"][field]


def test_funnel_counts_follow_the_summary(api):
    funnel = ok(api, "/api/v1/metrics/funnel", "admin-token", street=STREET)
    row = ok(api, "/api/v1/metrics", "admin-token", street=STREET)["rows"][0]
    stages = {s["stage"]: s["count"] for s in funnel["stages"]}
    assert list(stages) == ["received", "registered", "dispatched", "handled", "closed"]
    assert stages == {k: row[k] for k in stages} and all(s["definition"] for s in funnel["stages"])
    assert stages["received"] >= stages["registered"] >= stages["dispatched"] >= stages["handled"] > 0


def test_departments_table(api):
    rows = ok(api, "/api/v1/metrics/departments", "admin-token")["rows"]
    ranked = {r["key"]: r for r in ok(api, "/api/v1/metrics", "admin-token", level="department")["rows"]}
    assert rows and {r["key"] for r in rows} == {k for k in ranked if k is not None}
    for r in rows:
        assert r["name"] and r["received"] == ranked[r["key"]]["received"]
        assert r["on_time_handling_rate"] == ranked[r["key"]]["on_time_handling_rate"]
        assert (r["returned"], r["reworked"]) == (ranked[r["key"]]["returned"], ranked[r["key"]]["reworked"])
        if r["handled"]:
            assert r["average_hours_to_handle"] > 0
    assert sum(r["returned"] for r in rows) > 0 and sum(r["reworked"] for r in rows) > 0  # the columns hold data
