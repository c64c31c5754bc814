"""What the drill-down shows for one selection, read from the ticket store in one go.

Figures come from :mod:`tickets.metrics` (summary, series, ranking: the same functions as ``/api/v1/metrics``, so
the screen and the API never disagree) and, for what the metrics do not answer yet, :mod:`tickets.metrics.drill`
(department extras, lights, the ticket list, and the tier filter). Every figure counts the cohort of tickets
reported in the period.
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.pool import StaticPool

from dashboard.screens.manage.selection import Selection, previous
from tickets import metrics
from tickets.metrics import drill

PAGE_SIZE = 15
RECENT_TTL_S = 20.0  # a view read less than this ago is drawn again as it was (back button, a second click)
HOURLY_MAX_DAYS = 2  # a period of up to two days is drawn by hour of day


@dataclass(frozen=True)
class ManageData:
    sel: Selection
    period: metrics.Period
    prev_period: metrics.Period
    by: str  # "day" or "hour"
    kpi: dict
    prev: dict
    units: list  # ranking rows of the unit level, every unit of the place (zeros where no ticket)
    trend: list
    categories: list
    departments: list
    lights: list
    tickets: list
    total: int
    as_of: datetime


def today_of(service, now: datetime):
    return now.astimezone(service.calendar.tz).date()


def resolve(service, sel: Selection, now: datetime) -> metrics.Period:
    return sel.resolve(today_of(service, now), service.settings.timezone)


def kpi_row(engine, period, sel: Selection, now: datetime) -> dict:
    """The figures of the selected place: the district row over the place and filters (a row of zeros when the
    cohort is empty)."""
    return drill.summary(engine, period, "district", now=now, p90=True, **sel.filters())[0]


def unit_rows(engine, period, sel: Selection, units, now: datetime) -> list[dict]:
    """Every unit under the place with its figures and rank (ranked first, then units without tickets)."""
    level = sel.unit_level
    of = {"street": "streets", "community": "communities", "grid": "grids"}[level]
    ranked = drill.ranking(engine, period, of, now=now, **sel.filters())
    codes = units.children(level, sel.node)
    inside = set(codes)
    rows = [r for r in ranked if r["key"] in inside]
    seen = {r["key"] for r in rows}
    for code in codes:
        if code not in seen:
            rows.append({"key": code, "received": 0, "closed": 0, "closure_rate": None, "on_time_closure_rate": None,
                         "rework_rate": None, "score": None, "rank": None, "open_now": 0, "overdue_now": 0,
                         "press_closure_rate": None, "handling_rate": None})
    for i, r in enumerate(rows, 1):
        r["rank"] = i if r.get("score") is not None else None
        r["name"] = units.name.get(r["key"], r["key"])
    return rows


def category_rows(engine, period, sel: Selection, catalog, lang: str, now: datetime) -> list[dict]:
    """Categories by tickets received (most first), with the cumulative share of the Pareto chart."""
    rows = drill.summary(engine, period, "category", now=now, p90=False, **sel.filters())
    rows = sorted((r for r in rows if r["received"]), key=lambda r: (-r["received"], str(r["key"])))
    total = sum(r["received"] for r in rows) or 1
    run = 0
    for r in rows:
        run += r["received"]
        r["cum_share"] = round(run / total, 6)
        c = catalog.categories.get(r["key"])
        r["name"] = (c.name_en if lang == "en" else c.name) if c else r["key"]
    return rows


def department_rows(engine, period, sel: Selection, catalog, lang: str, now: datetime) -> list[dict]:
    """Departments with dispatched tickets: handling figures, mean handling hours and returns."""
    rows = [r for r in drill.summary(engine, period, "department", now=now, p90=False, **sel.filters())
            if r["key"] is not None]
    extras = drill.department_extras(engine, period, **sel.filters())
    for r in rows:
        r.update(extras.get(r["key"], {"avg_handle_h": None, "n_handled": 0, "returns": 0, "returned": 0}))
        d = catalog.departments.get(r["key"])
        r["name"] = (d.name_en if lang == "en" else d.name) if d else r["key"]
    rows.sort(key=lambda r: (-(r["dispatched"] or 0), str(r["key"])))
    return rows


_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="manage-read")  # SQL waits release the GIL


def read(service, units, sel: Selection, now: datetime | None = None) -> ManageData:
    """Everything the screen draws for ``sel`` (already scoped to the caller); the parts are read side by side."""
    now = now or service.clock()
    engine = service.store.engine
    period = resolve(service, sel, now)
    prev_period = previous(period)
    by = "hour" if (period.end - period.start).days + 1 <= HOURLY_MAX_DAYS else "day"
    f = sel.filters()
    jobs = {
        "kpi": (kpi_row, engine, period, sel, now), "prev": (kpi_row, engine, prev_period, sel, now),
        "units": (unit_rows, engine, period, sel, units, now),
        "trend": (lambda: drill.series(engine, period, by, now=now, **f),),
        "categories": (category_rows, engine, period, sel, service.catalog, sel.lang, now),
        "departments": (department_rows, engine, period, sel, service.catalog, sel.lang, now),
        "lights": (drill.lights, engine, period, now),
        "page": (lambda: drill.ticket_page(engine, period, page=sel.page, page_size=PAGE_SIZE, **f),),
    }
    if isinstance(engine.pool, StaticPool):  # one shared connection (in-memory SQLite): its reads take turns
        got = {k: job[0](*job[1:], **(f if k == "lights" else {})) for k, job in jobs.items()}
    else:
        futures = {k: _POOL.submit(job[0], *job[1:], **(f if k == "lights" else {})) for k, job in jobs.items()}
        got = {k: fut.result() for k, fut in futures.items()}
    page, total = got.pop("page")
    return ManageData(sel=sel, period=period, prev_period=prev_period, by=by, tickets=page, total=total, as_of=now,
                      **got)


class Recent:
    """The views read in the last ``ttl_s`` seconds, by service and selection (its query holds scope and language),
    so that stepping back, or drawing a view twice, does not query again. Small, bounded, thread-safe."""

    def __init__(self, ttl_s: float = RECENT_TTL_S, maxsize: int = 64):
        self.ttl_s, self.maxsize = ttl_s, maxsize
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> ManageData | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or time.monotonic() - found[0] > self.ttl_s:
                return None
            self._items.move_to_end(key)  # least recently used goes first
            return found[1]

    def put(self, key, data: ManageData) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), data)
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


RECENT = Recent()
# service → a number never reused in this process (an id() is, once its object is gone: another app's views)
_SERVICE_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_NEXT_KEY = itertools.count()


def _service_key(service) -> int:
    with RECENT._lock:
        if service not in _SERVICE_KEYS:
            _SERVICE_KEYS[service] = next(_NEXT_KEY)
        return _SERVICE_KEYS[service]


def read_recent(service, units, sel: Selection) -> ManageData:
    """:func:`read`, or the same view read less than :data:`RECENT_TTL_S` ago."""
    key = (_service_key(service), sel.query_string())
    found = RECENT.get(key)
    if found is None:
        found = read(service, units, sel)
        RECENT.put(key, found)
    return found
