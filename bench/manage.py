"""Drill steps of the manager's screen (/manage): the view callback's time on the demo's tickets.

Runs the screen's own callback (``dashboard.screens.manage.callbacks.view``: auth, scope, every query, every figure
and table) inside the real web app, over the demo's store and district (``gridpulse demo`` leaves them under
``var/``), for a walk district → street → community → grid, a filter, a longer period and the way back. Each step
is timed cold (first time in this process), as a first visit with the metrics' month cache warm (the screen's
20-second memory of recent views cleared: median of ``--repeat`` runs), and as a revisit (the back button, within 20
s); the JSON size of its answer too.

    .venv/bin/python bench/manage.py [--db sqlite:///var/gridpulse.db] [--district var/districts/….gpkg] [--repeat 3]
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=os.environ.get("GRIDPULSE_DATABASE_URL", "sqlite:///var/gridpulse.db"))
    ap.add_argument("--district", default=os.environ.get("GRIDPULSE_DISTRICT"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from dash._utils import to_json
    from sqlalchemy import func, select

    from dashboard.app import create_app
    from dashboard.auth import TokenRegistry
    from dashboard.screens.manage import callbacks as CB
    from dashboard.screens.manage import data as D
    from dashboard.ticket_setup import ticket_extension, ticket_settings
    from geo.district import load_district
    from streams.settings import StreamSettings
    from tickets.store.models import tickets
    from tickets.store.sql import SqlTicketStore

    path = args.district or sorted(glob.glob("var/districts/*.gpkg"))[0]
    district = load_district(path)
    settings = ticket_settings(database_url=args.db)
    store = SqlTicketStore(args.db)
    with store.engine.connect() as c:
        n = c.execute(select(func.count()).select_from(tickets)).scalar_one()
    token = "bench-admin-token"
    server, _ = create_app(district=district, settings=StreamSettings.from_env(key_prefix="bench-manage"),
                           tokens=TokenRegistry.from_mapping(admin=token), message_queue=None, ingest=False,
                           extensions=[ticket_extension(store, open311_key=None, settings=settings)])
    g = district.grids
    street = g["street_code"].value_counts().index[0]
    community = g[g["street_code"] == street]["community_code"].iloc[0]
    grid = g[g["community_code"] == community]["code"].iloc[0]
    base = "?period=month&level=district"
    s_q = f"?period=month&level=street&street={street}"
    c_q = f"?period=month&level=community&street={street}&community={community}"
    steps = [
        ("open the district (this month)", base, None, {}),
        ("district → street (bar click)", base, "manage-bars", {"bar_click": {"points": [{"customdata": street}]}}),
        ("street → community (polygon click)", s_q, "manage-map",
         {"map_click": {"points": [{"location": community}]}}),
        ("community → grid (polygon click)", c_q, "manage-map", {"map_click": {"points": [{"location": grid}]}}),
        ("street + category filter", s_q, "manage-f-category", {"filters": {"category": "1101"}}),
        ("street + tier filter", s_q, "manage-f-tier", {"filters": {"tier": "street"}}),
        ("district, this quarter", base, "manage-period", {"period": "quarter"}),
        ("district, this year", base, "manage-period", {"period": "year"}),
        ("back to the district (URL)", base, "manage-url", {}),
    ]
    print(f"{n:,} tickets in {args.db}; district {district.name}, {len(g)} grids; street {street}")
    print(f"{'step':38} {'cold ms':>8} {'first ms':>9} {'revisit':>8} {'KB':>6}")
    for name, search, trigger, extra in steps:
        kw = {"period": None, "start": None, "end": None, "filters": {}, "map_click": None, "bar_click": None,
              **extra}
        times, size = [], 0

        def once(clear: bool) -> float:
            nonlocal size
            if clear:
                D.RECENT.clear()
            with server.test_request_context("/_dash-update-component", method="POST",
                                             headers={"Authorization": f"Bearer {token}"}):
                t0 = time.perf_counter()
                out = CB.view(search, trigger, n_outputs=32, **kw)  # noqa: B023
                size = len(to_json([o for o in out if o is not CB.no_update]))
                return time.perf_counter() - t0

        times = [once(True) for _ in range(1 + args.repeat)]
        again = once(False)
        print(f"{name:38} {1000 * times[0]:8.0f} {1000 * statistics.median(times[1:]):9.0f} {1000 * again:8.0f} "
              f"{size / 1024:6.0f}")

if __name__ == "__main__":
    main()
