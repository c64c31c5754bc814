"""A phone's attributes in the browser: an OsmAnd fix with ``ignition=true&driverUniqueId=D1`` shows in the wall's
hover of that worker's dot, in the worker's track API, and in the street screen's track panel (headless Chromium,
the whole live path: ingest → Redis stream → Processor → live state, track and attribute log)."""

from __future__ import annotations

import time

import pytest
import requests

from tests.browser.chromium import CHROMIUM
from tests.browser.test_wall import open_wall, stack  # noqa: F401 - the stack fixture
from tests.dashboard.conftest import ADMIN, STREET1

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed at /usr/bin/chromium"),
]


def wait_for_attrs(web, worker_id, timeout_s=20.0):
    """The worker's live entry once the processor stored the fix's attributes (a signal, not a sleep)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = requests.get(f"{web.url}/api/v1/live", params={"worker": worker_id},
                         headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10)
        row = r.json()["workers"][0]
        if row.get("attrs"):
            return row
        time.sleep(0.1)
    raise AssertionError(f"no attributes stored for {worker_id}")


def test_attributes_in_the_hover_the_track_and_the_street_panel(stack, browser, box_district):  # noqa: F811
    w = box_district.workers[box_district.workers["home_grid"].str.startswith("120110001")].iloc[0]
    grid = box_district.grids.set_index("code").loc[w.home_grid, "geometry"].representative_point()
    r = requests.get(f"{stack.url}/ingest/osmand", timeout=10,
                     params={"id": w.device_id, "lat": grid.y, "lon": grid.x, "timestamp": int(time.time()) - 5,
                             "ignition": "true", "driverUniqueId": "D1<b>"})
    assert r.status_code == 200, r.text
    row = wait_for_attrs(stack, w.worker_id)
    assert row["attrs"] == {"ignition": True, "driverUniqueId": "D1<b>"}

    track = requests.get(f"{stack.url}/api/v1/workers/{w.worker_id}/track",
                         headers={"Authorization": f"Bearer {STREET1}"}, timeout=10).json()
    assert [m for _, m in track["properties"]["attributes"]] == [{"ignition": True, "driverUniqueId": "D1<b>"}]

    # the wall: hover the worker's dot
    page = open_wall(browser, f"{stack.url}/?token={ADMIN}")
    page.wait_for_function(f"() => GP.wall.dotPx('{w.worker_id}') !== null", timeout=20_000)
    x, y = page.evaluate(f"GP.wall.dotPx('{w.worker_id}')")
    box = page.locator("#wall-map").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_function("() => document.getElementById('wall-tip').textContent.includes('点火: true')",
                           timeout=10_000)
    tip = page.inner_text("#wall-tip")
    assert w.worker_id in tip and "驾驶员编号: D1<b>" in tip  # the phone's text shown as text, not markup
    assert page.locator("#wall-tip b").count() == 1  # only the name's own <b>
    assert not page.errors

    # the street screen: open the worker's track, its attribute changes listed
    page.goto(f"{stack.url}/street?token={STREET1}")
    page.wait_for_selector(f"#street-workers tr[data-worker='{w.worker_id}']", timeout=30_000)
    page.click(f"#street-workers tr[data-worker='{w.worker_id}']")
    page.wait_for_selector("#street-attr-changes", timeout=15_000)
    listed = page.inner_text("#street-attr-changes")
    assert "点火: true" in listed and "驾驶员编号: D1<b>" in listed
