"""The drill-down's HTML pieces, pure functions of data: KPI cards, breadcrumb, ranking, ticket list, ticket detail.

Links are ``dcc.Link`` to the query of the next selection: the page does not reload, the address bar and the
history follow, and a link can be opened in a new tab or shared.
"""

from __future__ import annotations

import math
from datetime import datetime

from dash import dcc, html

from dashboard.screens.kit import info, tr
from dashboard.screens.localtime import zone
from dashboard.screens.manage import labels as L
from dashboard.screens.manage.selection import LEVELS, Selection
from tickets.domain.states import STATE_NAMES_ZH
from tickets.metrics import DEFINITIONS


def fmt(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{100 * value:.1f}%"
    if kind == "hours":
        return f"{value:,.1f}"
    return f"{int(value):,}"


def change(cur, prev, kind: str) -> tuple[str, int]:
    """The change against the previous period as text, and its sign (-1, 0, 1)."""
    if cur is None or prev is None:
        return "—", 0
    if kind == "rate":
        d = 100 * (cur - prev)
        return (f"{d:+.1f} pp" if abs(d) >= 0.05 else "±0.0 pp"), (d > 0.05) - (d < -0.05)
    if not prev:
        return ("—" if not cur else "new"), (1 if cur else 0)
    d = 100 * (cur - prev) / prev
    return (f"{d:+.1f}%" if abs(d) >= 0.05 else "±0.0%"), (d > 0.05) - (d < -0.05)


def kpi_cards(kpi: dict, prev: dict, lang: str) -> list:
    cards = []
    for key, label, kind in L.KPIS:
        text, sign = change(kpi.get(key), prev.get(key), kind)
        tip = tr(L.PREV_DEF, lang)
        if key in L.NOW_KPIS:  # the earlier cohort has had longer to close: its "now" is no baseline
            text, sign, tip = "—", 0, tr(L.NOT_COMPARABLE, lang)
        good = L.GOOD_WHEN_UP[key] * sign
        tone = "up" if good > 0 else "down" if good < 0 else "flat"
        cards.append(html.Div(className=f"mg-kpi mg-kpi--{kind}", id=f"manage-kpi-{key}", children=[
            html.Div(className="mg-kpi-label", children=[tr(label, lang), " ", info(DEFINITIONS[key])]),
            html.Div(fmt(kpi.get(key), kind), className="mg-kpi-value"),
            html.Div(className=f"mg-kpi-delta mg-{tone}", title=tip,
                     children=[tr(L.VS_PREV, lang), " ", html.B(text)]),
        ]))
    return cards


def breadcrumb(sel: Selection, units, principal_street: str | None, lang: str) -> list:
    """District › street › community › grid, each a link up (a street token's trail starts at its street)."""
    items = []
    first = "street" if principal_street else "district"
    for level in LEVELS[LEVELS.index(first):LEVELS.index(sel.level) + 1]:
        code = getattr(sel, level) if level != "district" else "district"
        name = units.name.get(code, code)
        label = [html.Span(tr(L.LEVELS[level], lang), className="mg-crumb-level"), name]
        if level == sel.level:
            items.append(html.Span(label, className="mg-crumb mg-crumb--here", id=f"manage-crumb-{level}"))
        else:
            items.append(dcc.Link(label, href=sel.up_to(level).query_string(), className="mg-crumb",
                                  id=f"manage-crumb-{level}"))
        items.append(html.Span("›", className="mg-crumb-sep"))
    return items[:-1]


def ranking_table(rows: list[dict], sel: Selection, units, lang: str) -> html.Table:
    head = html.Tr([html.Th(tr(c, lang)) for c in L.RANK_COLS])
    body = []
    drillable = sel.level != "grid"
    for r in rows:
        name = (dcc.Link(r["name"], href=sel.drill(r["key"], units).query_string(), className="mg-drill")
                if drillable else r["name"])
        body.append(html.Tr(**{"data-code": r["key"]}, children=[
            html.Td("—" if r.get("rank") is None else str(r["rank"]), className="gp-num"),
            html.Td(name, className="mg-name", title=r["name"]),
            html.Td(fmt(r.get("score"), "hours"), className="gp-num gp-score"),
            html.Td(fmt(r.get("closure_rate"), "rate"), className="gp-num"),
            html.Td(fmt(r.get("on_time_closure_rate"), "rate"), className="gp-num"),
            html.Td(fmt(r.get("rework_rate"), "rate"), className="gp-num"),
            html.Td(fmt(r.get("received"), "count"), className="gp-num"),
            html.Td(fmt(r.get("overdue_now"), "count"), className="gp-num gp-red" if r.get("overdue_now") else "gp-num"),
        ]))
    return html.Table(className="gp-table mg-rank", id="manage-ranking-table",
                      children=[html.Thead(head), html.Tbody(body)])


def local_time(v: datetime | None) -> str:
    return "—" if v is None else v.astimezone(zone()).strftime("%m-%d %H:%M")


def state_name(state: str, lang: str) -> str:
    return L.STATES_EN.get(state, state) if lang == "en" else STATE_NAMES_ZH.get(state, state)


def ticket_table(rows: list[dict], names: dict, lang: str, light_of) -> html.Table:
    """The page of tickets; each row opens the ticket (``id={"type": "manage-ticket", "id": …}``)."""
    head = html.Tr([html.Th(tr(c, lang)) for c in L.TICKET_COLS])
    body = []
    for t in rows:
        light = light_of(t)
        body.append(html.Tr(id={"type": "manage-ticket", "id": int(t["id"])}, n_clicks=0, className="mg-ticket",
                            title=t.get("description") or "", children=[
            html.Td(t["number"], className="mg-mono"),
            html.Td(local_time(t["reported_at"])),
            html.Td(names["category"].get(t["category_code"], t["category_code"])),
            html.Td(names["grid"].get(t["grid_code"], t["grid_code"]), className="mg-name"),
            html.Td(tr(L.TIERS.get(t["tier"], (t["tier"], t["tier"])), lang)),
            html.Td(names["department"].get(t["department"], t["department"] or "—")),
            html.Td(state_name(t["state"], lang)),
            html.Td(html.I(className=f"mg-light mg-light--{light or 'none'}",
                           title=tr(L.LIGHT_NAMES[light or "none"], lang)) if t["state"] not in ("CLOSED", "VOID")
                    else "—"),
        ]))
    if not body:
        body = [html.Tr(html.Td(tr(L.NO_DATA, lang), colSpan=len(L.TICKET_COLS), className="gp-muted"))]
    return html.Table(className="gp-table mg-tickets", id="manage-tickets-table",
                      children=[html.Thead(head), html.Tbody(body)])


def pager(sel: Selection, total: int, page_size: int, lang: str) -> list:
    pages = max(1, math.ceil(total / page_size))
    text = tr(L.PAGE_OF, lang).format(page=sel.page, pages=pages, total=f"{total:,}")
    out = []
    if sel.page > 1:
        out.append(dcc.Link(tr(L.PREV_PAGE, lang), href=sel.with_(page=sel.page - 1).query_string(),
                            className="mg-page", id="manage-prev"))
    out.append(html.Span(text, className="mg-page-of", id="manage-page-of"))
    if sel.page < pages:
        out.append(dcc.Link(tr(L.NEXT_PAGE, lang), href=sel.with_(page=sel.page + 1).query_string(),
                            className="mg-page", id="manage-next"))
    return out


def ticket_detail(t: dict, history: list[dict], names: dict, lang: str) -> list:
    """One ticket: its fields, its transitions oldest first, and its photos (fetched by ``manage.js``)."""
    fields = [
        (("编号", "Number"), t["number"]),
        (("类别", "Category"), names["category"].get(t["category_code"], t["category_code"])),
        (("网格", "Grid"), names["grid"].get(t["grid_code"], t["grid_code"])),
        (("状态", "State"), state_name(t["state"], lang)),
        (("层级", "Tier"), tr(L.TIERS.get(t["tier"], (t["tier"], t["tier"])), lang)),
        (("部门", "Department"), names["department"].get(t["department"], t["department"] or "—")),
        (("上报", "Reported"), local_time(t["reported_at"])),
        (("结案", "Closed"), local_time(t["closed_at"])),
        (("地址", "Address"), t.get("address") or "—"),
    ]
    steps = []
    for h in history:
        action = tr(L.ACTIONS.get(h["action"], (h["action"], h["action"])), lang)
        steps.append(html.Li(className="mg-step", children=[
            html.Span(local_time(h["at"]), className="mg-step-time"),
            html.B(action), " ",
            html.Span(f"{h['actor_name']}", className="gp-muted"),
            html.Div(h["note"], className="mg-step-note") if h.get("note") else None,
            html.Div(className="mg-photos", children=[
                html.Img(className="mg-photo", alt=f"photo {p}", **{"data-photo": f"/api/v1/photos/{p}"})
                for p in h["photos"]]) if h["photos"] else None,
        ]))
    return [
        html.H3(t["number"], id="manage-detail-number"),
        html.P(t.get("description") or "", className="mg-desc"),
        html.Dl(className="mg-fields", children=[x for label, v in fields
                                                 for x in (html.Dt(tr(label, lang)), html.Dd(str(v)))]),
        html.H4(tr(L.HISTORY, lang)),
        html.Ol(steps, className="mg-history", id="manage-history"),
    ]


def names_of(service, units, lang: str) -> dict:
    cat = service.catalog
    return {
        "category": {c.code: (c.name_en if lang == "en" else c.name) for c in cat.categories.values()},
        "department": {d.code: (d.name_en if lang == "en" else d.name) for d in cat.departments.values()},
        "grid": units.name,
    }

