"""The street screen without a browser: the page per token, the map figure, the push message, the exports."""

from __future__ import annotations

import io
import json
import math

import pytest

from dashboard.app import create_app
from tests.dashboard.conftest import ADMIN, STREET1


@pytest.fixture
def app(box_district, tokens, redis_url, key_prefix):
    from streams.pingstream import make_redis
    from streams.settings import StreamSettings

    settings = StreamSettings.from_env(key_prefix=key_prefix, redis_url=redis_url)
    server, _ = create_app(district=box_district, redis_client=make_redis(settings), settings=settings,
                           tokens=tokens, message_queue=None)
    return server


def _page(server, token, query=""):
    """The street page's layout for the caller of ``token``, as JSON text."""
    import plotly

    from dashboard.screens.street import layout

    params = dict(p.split("=", 1) for p in query.lstrip("&").split("&") if p)
    with server.test_request_context(f"/street?token={token}{query}"):
        component = layout(**params)
    return json.dumps(component.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def test_street_token_gets_its_street_and_no_picker(app):
    text = _page(app, STREET1)
    assert '\\"street\\":\\"120110001\\"' in text and "street-picker" not in text
    assert "W120110001001001" in text and "W120110002" not in text  # only its own workers in the config


def test_street_token_on_another_street_is_forbidden(app):
    text = _page(app, STREET1, "&street=120110002")
    assert "gp-auth" in text and "street-workers" not in text


def test_admin_gets_a_picker_and_any_street(app):
    text = _page(app, ADMIN, "&street=120110002")
    assert "street-picker" in text and '\\"street\\":\\"120110002\\"' in text


def test_coverage_values_mark_unvisited_grids():
    from dashboard.screens.street.figures import coverage_values

    z, red = coverage_values(["a", "b", "c"], {"a": 12.5, "c": 0.0})
    assert z[0] == 12.5 and z[2] == 0.0 and math.isnan(z[1])
    assert red[1] == 1.0 and math.isnan(red[0]) and math.isnan(red[2])


def test_map_figure_has_coverage_and_unvisited_layers(box_district):
    from dashboard.screens.street.figures import street_map_figure
    from dashboard.settings import WebSettings

    grids = box_district.grids[box_district.grids["street_code"] == "120110002"]
    streets = box_district.streets[box_district.streets["street_code"] == "120110002"].geometry.values
    fig = street_map_figure(grids, streets, WebSettings(), {grids["code"].iloc[0]: 30.0}, lang="en")
    assert [t.uid for t in fig.data][:2] == ["coverage", "unvisited"]
    red = list(fig.data[1].z)
    assert math.isnan(red[0]) and red[1:] == [1.0] * (len(grids) - 1)
    assert "巡查" not in fig.data[0].hovertemplate and "未到访" not in fig.data[1].hovertemplate


def test_exports_round_trip():
    from dashboard.api.coverage import COVERAGE_COLUMNS
    from dashboard.api.spreadsheets import to_csv, to_xlsx

    rows = [{"grid": "g1", "street": "s", "days_visited": 3, "days": 7, "patrol_minutes": 120.5}]
    csv = to_csv(COVERAGE_COLUMNS, rows, "en").decode("utf-8-sig")
    assert csv.splitlines() == ["Grid,Street,Days visited,Days in period,Patrol minutes", "g1,s,3,7,120.5"]
    from openpyxl import load_workbook

    data = to_xlsx(COVERAGE_COLUMNS, rows, title="coverage")
    ws = load_workbook(io.BytesIO(data)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert ws.title == "coverage" and values[0][2] == "到访天数"
    assert values[1] == ["g1", "s", 3, 7, 120.5]


def test_export_route_serves_files_in_scope(app):
    c = app.test_client()
    h = {"Authorization": f"Bearer {STREET1}"}
    r = c.get("/api/v1/export/coverage.csv?period=7d", headers=h)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    lines = r.get_data().decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 3 and all(",120110001," in ln for ln in lines[1:])  # the street's 3 grids
    r = c.get("/api/v1/export/workers.xlsx?period=month", headers=h)
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert c.get("/api/v1/export/workers.pdf", headers=h).status_code == 404
    assert c.get("/api/v1/export/workers.csv?period=year", headers=h).json["error"] == "bad_period"
    assert c.get("/api/v1/export/workers.csv?street=120110002", headers=h).status_code == 403


def test_tracks_api_validates_its_window(app):
    c = app.test_client()
    h = {"Authorization": f"Bearer {STREET1}"}
    assert c.get("/api/v1/tracks?from=9am", headers=h).json["error"] == "bad_time"
    assert c.get("/api/v1/tracks?from=10:00&to=09:00", headers=h).json["error"] == "bad_window"
    assert c.get("/api/v1/tracks", headers={"Authorization": f"Bearer {ADMIN}"}).json["error"] == "street_required"
    assert c.get("/api/v1/tracks").status_code == 401
    body = c.get("/api/v1/tracks?from=08:00&to=12:00", headers=h).json
    assert [w["id"] for w in body["workers"]] == ["W120110001001001", "W120110001001002", "W120110001002001"]


def test_visits_message_follows_the_contract():
    from dashboard.push.visits import visits_message
    from streams.contract import VISIT_FIELDS

    figures = {"date": "2026-03-02", "workers": [{"id": "W1", "visits": 2, "visit_minutes_home": 50.0,
                                                  "below_target": True}]}
    msg = visits_message(figures, "120110001", now=1.0)
    assert msg["f"] == VISIT_FIELDS and msg["street"] == "120110001" and msg["t"] == 1000
    row = dict(zip(msg["f"], msg["rows"][0], strict=True))
    assert row["id"] == "W1" and row["visit_minutes_home"] == 50.0 and row["distance_m"] is None


def test_alert_ack_is_stored_once_and_scoped(app, redis_url, key_prefix, midday):
    import orjson
    import redis

    from streams.contract import alert_id

    client = redis.Redis.from_url(redis_url)
    mine = {"kind": "outside_grid", "w": "W120110001001001", "name": "n", "grid": "g", "street": "120110001",
            "ts": midday.timestamp() - 60, "message": "m"}  # a minute ago: today's list
    other = {**mine, "w": "W120110002001001", "street": "120110002"}
    for a in (mine, other):
        client.xadd(f"{key_prefix}:alerts", {"a": orjson.dumps(a)})
    c = app.test_client()
    h = {"Authorization": f"Bearer {STREET1}"}
    listed = c.get("/api/v1/alerts", headers=h).json
    assert [a["id"] for a in listed["alerts"]] == [alert_id(mine)] and listed["unacknowledged"] == 1
    r = c.post("/api/v1/alerts/ack", json={"ids": [alert_id(mine), alert_id(other)]}, headers=h).json
    assert r["acknowledged"] == [alert_id(mine)]  # the other street's alert is not this token's to acknowledge
    again = c.post("/api/v1/alerts/ack", json={"ids": [alert_id(mine)]}, headers=h).json
    assert again["acknowledged"] == []
    acks = c.get(f"/api/v1/alerts/acks?ids={alert_id(mine)},{alert_id(other)}", headers=h).json["acks"]
    assert list(acks) == [alert_id(mine)] and acks[alert_id(mine)]["by"]
    assert c.post("/api/v1/alerts/ack", json={"ids": "x"}, headers=h).json["error"] == "bad_ids"


def test_binary_tracks_hold_the_same_arrays_as_json():
    import numpy as np

    from dashboard.api.tracks import binary_tracks
    from streams.tracks import decode, encode

    a = np.column_stack([1000.0 + np.arange(7) * 5, 117.3 + np.arange(7) * 1e-4, 39.1 - np.arange(7) * 2e-5])
    body = {"origin": 1000.0, "end": 2000.0, "workers": [
        {"id": "W1", "n": 7, "stays": [[0, 30, 11730000, 3910000, True]], **encode(a, 1000.0)},
        {"id": "W2", "n": 0, "stays": [], **encode(a[:0], 1000.0)}]}
    raw = binary_tracks(body)
    h = int(np.frombuffer(raw[:4], "<u4")[0])
    assert (4 + h) % 4 == 0
    head = json.loads(raw[4 : 4 + h])
    assert [w["runs"] for w in head["workers"]] == [2, 0] and head["origin"] == 1000.0
    ints = np.frombuffer(raw[4 + h :], "<i4")
    w = head["workers"][0]
    t, x, y = ints[: 2 * w["runs"]], ints[2 * w["runs"] : 2 * w["runs"] + 7], ints[2 * w["runs"] + 7 :]
    back = decode({"t": t, "x": x, "y": y}, 1000.0)
    assert np.allclose(back, a, atol=1e-5) and len(ints) == 4 + 14
