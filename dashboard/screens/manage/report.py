"""The printable report of a selection (``/manage/report?…``): KPIs with their definitions and the main tables, on
white paper (``@media print``), one HTML page with no script but a print button."""

from __future__ import annotations

from datetime import datetime

from markupsafe import escape

from dashboard.screens.kit import tr
from dashboard.screens.localtime import zone
from dashboard.screens.manage import labels as L
from dashboard.screens.manage.tables import TABLES

CSS = """
body { font-family: "WenQuanYi Micro Hei", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #111; margin: 2rem;
  font-size: 12pt; background: #fff; }
h1 { font-size: 18pt; margin: 0 0 .3rem; } h2 { font-size: 13pt; margin: 1.4rem 0 .4rem; border-bottom: 2px solid #1f4e8c; }
.meta { color: #444; margin: 0 0 .6rem; } table { border-collapse: collapse; width: 100%; font-size: 10pt; }
th, td { border: 1px solid #999; padding: .2rem .4rem; text-align: left; vertical-align: top; }
th { background: #e8eef7; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.def { color: #444; font-size: 9pt; } .formula { font-size: 9.5pt; color: #333; margin: .3rem 0; }
.bar { margin: 0 0 1rem; } .bar button { font-size: 11pt; padding: .3rem .9rem; }
@media print { .bar { display: none; } body { margin: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; }
  @page { size: A4; margin: 14mm; } }
"""


def _num(v, kind: str) -> str:
    if v is None or v == "":
        return "—"
    if kind == "rate":
        return f"{100 * v:.1f}%"
    if kind in ("hours", "number") and isinstance(v, float):
        return f"{v:,.2f}"
    if kind == "count":
        return f"{int(v):,}"
    return str(v)


def _table(cols, rows, *, limit: int | None = None) -> str:
    head = "".join(f"<th>{escape(c.label_text)}</th>" for c in cols)
    body = []
    for r in rows[:limit] if limit else rows:
        cells = []
        for c in cols:
            v = r.get(c.key)
            cls = ' class="n"' if c.kind in ("count", "rate", "hours", "number") else ""
            cells.append(f"<td{cls}>{escape(_num(v, c.kind))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Labelled:
    """A column with its label in the report's language."""

    def __init__(self, col, lang):
        self.key, self.kind, self.label_text = col.key, col.kind, tr(col.label, lang)


def render(service, units, sel, now: datetime, district) -> str:
    lang = sel.lang
    period = sel.resolve(now.astimezone(service.calendar.tz).date(), service.settings.timezone)
    place = " › ".join(units.name.get(c, c) for c in (sel.street, sel.community, sel.grid) if c) or district.name
    filters = [f"{tr(L.FILTERS[k], lang)}: {getattr(sel, k)}" for k in L.FILTERS if getattr(sel, k)]
    parts = [f"<!doctype html><html lang=\"{'en' if lang == 'en' else 'zh-CN'}\"><head><meta charset=\"utf-8\">",
             f"<title>{escape(tr(L.REPORT, lang))} · {escape(place)}</title><style>{CSS}</style></head><body>",
             f"<div class=\"bar\"><button onclick=\"window.print()\">{escape(tr(('打印', 'Print'), lang))}</button></div>",
             f"<h1>{escape(district.city + district.name if lang != 'en' else district.name)} · "
             f"{escape(tr(('案件办理月报', 'Case handling report'), lang))}</h1>",
             f"<p class=\"meta\">{escape(tr(('范围', 'Place'), lang))}: <b>{escape(place)}</b> · "
             f"{escape(tr(L.PERIOD, lang))}: <b>{period.start} — {period.end}</b>"
             + (f" · {escape('; '.join(filters))}" if filters else "")
             + f" · {escape(tr(L.AS_OF, lang))} {now.astimezone(zone()):%Y-%m-%d %H:%M}</p>"]

    def section(title, table: str, *, limit=None, note: str = ""):
        cols, rows = TABLES[table](service, units, sel, now)
        parts.append(f"<h2 id=\"{table}\">{escape(tr(title, lang))}</h2>")
        if note:
            parts.append(f"<p class=\"formula\">{escape(note)}</p>")
        parts.append(_table([_Labelled(c, lang) for c in cols], rows, limit=limit))

    cols, rows = TABLES["kpis"](service, units, sel, now)
    parts.append(f"<h2 id=\"kpis\">{escape(tr(('主要指标', 'Key figures'), lang))}</h2>")
    kinds = {tr(label, lang): kind for _, label, kind in L.KPIS}
    body = "".join(
        f"<tr><td>{escape(r['metric'])}</td><td class=\"n\">{escape(_kpi(r['value'], kinds[r['metric']]))}</td>"
        f"<td class=\"n\">{escape(_kpi(r['previous'], kinds[r['metric']]))}</td><td class=\"n\">{escape(r['change'])}</td>"
        f"<td class=\"def\">{escape(r['definition'])}</td></tr>" for r in rows)
    head = "".join(f"<th>{escape(tr(c.label, lang))}</th>" for c in cols)
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    section(L.UNITS.get(sel.unit_level, L.RANKING) if sel.level != "grid" else L.RANKING, "units",
            note=tr(L.FORMULA, lang))
    section(L.PARETO, "categories", limit=20)
    section(L.DEPTS, "departments")
    section(L.LIGHTS, "lights")
    parts.append("</body></html>")
    return "".join(parts)


def _kpi(v, kind: str) -> str:
    if v is None:
        return "—"
    if kind == "rate":
        return f"{v:.1f}%"  # the KPI table holds rates in percent already
    if kind == "hours":
        return f"{v:,.1f}"
    return f"{int(v):,}"
