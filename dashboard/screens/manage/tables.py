"""The drill-down's tables as columns and rows, for the CSV/XLSX exports and the printable report.

Each table is a function ``(service, units, sel, now) -> (columns, rows)`` over the same queries as the screen,
so an export holds exactly what the screen shows for the same selection (the ticket list: every ticket, not a page).
"""

from __future__ import annotations

from datetime import datetime

from dashboard.api.spreadsheets import columns
from dashboard.screens.kit import tr
from dashboard.screens.localtime import zone
from dashboard.screens.manage import data as D
from dashboard.screens.manage import labels as L
from dashboard.screens.manage.selection import Selection, previous
from dashboard.screens.manage.views import change, state_name
from tickets.metrics import DEFINITIONS, drill

MAX_TICKETS = 100_000  # one export; a larger cohort needs a narrower selection





def kpis(service, units, sel: Selection, now: datetime):
    engine = service.store.engine
    period = D.resolve(service, sel, now)
    cur, prev = D.kpi_row(engine, period, sel, now), D.kpi_row(engine, previous(period), sel, now)
    cols = columns(("metric", ("指标", "Metric")), ("value", ("本期", "This period"), "number"),
                 ("previous", ("上期", "Previous period"), "number"), ("change", ("变化", "Change")),
                 ("definition", ("定义", "Definition")))
    rows = [{"metric": tr(label, sel.lang), "value": _value(cur.get(k), kind), "previous": _value(prev.get(k), kind),
             "change": "—" if k in L.NOW_KPIS else change(cur.get(k), prev.get(k), kind)[0],
             "definition": DEFINITIONS[k]}
            for k, label, kind in L.KPIS]
    return cols, rows


def _value(v, kind):
    if v is None:
        return None
    return round(100 * v, 2) if kind == "rate" else v


RATE_COLS = (("closure_rate", ("结案率", "Closure rate"), "rate"),
             ("on_time_closure_rate", ("按期结案率", "On-time closure rate"), "rate"),
             ("rework_rate", ("返工率", "Rework rate"), "rate"))


def units_table(service, units, sel: Selection, now: datetime):
    engine = service.store.engine
    rows = D.unit_rows(engine, D.resolve(service, sel, now), sel, units, now)
    cols = columns(("rank", ("名次", "Rank"), "count"), ("key", ("代码", "Code")), ("name", ("名称", "Name")),
                 ("score", ("综合得分", "Score"), "hours"), *RATE_COLS,
                 ("received", ("受理", "Received"), "count"), ("closed", ("结案", "Closed"), "count"),
                 ("due_to_close", ("应结案", "Due to close"), "count"),
                 ("open_now", ("在办", "Open now"), "count"), ("overdue_now", ("超期", "Overdue now"), "count"))
    return cols, rows


def trend(service, units, sel: Selection, now: datetime):
    period = D.resolve(service, sel, now)
    by = "hour" if (period.end - period.start).days + 1 <= D.HOURLY_MAX_DAYS else "day"
    rows = drill.series(service.store.engine, period, by, now=now, **sel.filters())
    key_label = ("小时", "Hour") if by == "hour" else ("日期", "Day")
    cols = columns(("key", key_label), ("received", ("受理", "Received"), "count"),
                 ("registered", ("立案", "Registered"), "count"), ("closed", ("结案", "Closed"), "count"), RATE_COLS[0])
    return cols, rows


def lights(service, units, sel: Selection, now: datetime):
    rows = drill.lights(service.store.engine, D.resolve(service, sel, now), now, **sel.filters())
    for r in rows:
        r["step_name"] = tr(L.STEPS.get(r["step"], (r["step"], r["step"])), sel.lang)
    cols = columns(("step_name", ("环节", "Step")), *[(k, L.LIGHT_NAMES[k], "count") for k in drill.LIGHTS],
                 ("open", ("在办", "Open"), "count"))
    return cols, rows


def categories(service, units, sel: Selection, now: datetime):
    rows = D.category_rows(service.store.engine, D.resolve(service, sel, now), sel, service.catalog, sel.lang, now)
    cols = columns(("key", ("代码", "Code")), ("name", ("类别", "Category")), ("received", ("受理", "Received"), "count"),
                 ("closed", ("结案", "Closed"), "count"), RATE_COLS[0], ("cum_share", ("累计占比", "Cumulative share"),
                                                                        "rate"))
    return cols, rows


def departments(service, units, sel: Selection, now: datetime):
    rows = D.department_rows(service.store.engine, D.resolve(service, sel, now), sel, service.catalog, sel.lang, now)
    cols = columns(("key", ("代码", "Code")), ("name", ("部门", "Department")),
                 ("dispatched", ("派遣", "Dispatched"), "count"), ("handled", ("处置", "Handled"), "count"),
                 ("on_time_handling_rate", ("按时处置率", "On-time handling rate"), "rate"),
                 ("avg_handle_h", ("平均处置时长(时)", "Avg handling hours"), "hours"),
                 ("returns", ("回退次数", "Returns"), "count"), ("returned", ("被回退工单", "Tickets returned"), "count"),
                 RATE_COLS[0])
    return cols, rows


def ticket_list(service, units, sel: Selection, now: datetime):
    period = D.resolve(service, sel, now)
    rows, _total = drill.ticket_page(service.store.engine, period, page=1, page_size=MAX_TICKETS, **sel.filters())
    cats = {c.code: (c.name_en if sel.lang == "en" else c.name) for c in service.catalog.categories.values()}
    deps = {d.code: (d.name_en if sel.lang == "en" else d.name) for d in service.catalog.departments.values()}
    for t in rows:
        t["category"] = cats.get(t["category_code"], t["category_code"])
        t["department_name"] = deps.get(t["department"], t["department"])
        t["street_name"] = units.name.get(t["street_code"], t["street_code"])
        t["community_name"] = units.name.get(t["community_code"], t["community_code"])
        t["grid_name"] = units.name.get(t["grid_code"], t["grid_code"])
        t["state_name"] = state_name(t["state"], sel.lang)
        for k in ("reported_at", "closed_at"):
            t[k] = t[k].astimezone(zone()).replace(tzinfo=None) if t[k] else None
    cols = columns(("number", ("编号", "Number")), ("reported_at", ("上报时间", "Reported"), "time"),
                 ("category", ("类别", "Category")), ("street_name", ("街道", "Street")),
                 ("community_name", ("社区", "Community")), ("grid_name", ("网格", "Grid")), ("tier", ("层级", "Tier")),
                 ("department_name", ("部门", "Department")), ("state_name", ("状态", "State")),
                 ("closed_at", ("结案时间", "Closed"), "time"), ("closed_on_time", ("按期结案", "Closed on time")),
                 ("source", ("来源", "Source")), ("description", ("描述", "Description")))
    return cols, rows


TABLES = {"kpis": kpis, "units": units_table, "trend": trend, "lights": lights, "categories": categories,
          "departments": departments, "tickets": ticket_list}
