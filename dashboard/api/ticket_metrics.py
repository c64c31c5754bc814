"""``/api/v1/metrics…``: summary rows by level, series, rankings, the funnel and the department table.

Every route takes the period (``from``, ``to``: local days, inclusive; default the last 30 days) and the filters
of :data:`tickets.metrics.FILTERS`; the caller's token narrows them (:mod:`tickets.metrics.scope`). Refusals are
``{"error": code, "message": sentence}`` with their 4xx status (:mod:`dashboard.api.errors`).
"""

from __future__ import annotations

from datetime import timedelta

import flask

from dashboard.api.errors import ApiError, api_blueprint, json_response
from dashboard.api.params import parse_day
from dashboard.api.ticket_context import TicketContext, context
from tickets import metrics
from tickets.domain.states import Tier
from tickets.metrics.scope import check_parents, scoped

MAX_SPAN_DAYS = 3660
RANKED = {"streets": "street", "communities": "community", "grids": "grid", "departments": "department",
          "workers": "worker"}
TIER_NAMES = {"community": "社区级", "street": "街道级", "district": "区级"}
FUNNEL = (  # stage, the summary field counting it, its definition
    ("received", "received", "tickets reported in the period (受理)"),
    ("registered", "registered", "of those, registered (立案) or self-handled in the grid"),
    ("dispatched", "dispatched", "of those, dispatched to a department (派遣)"),
    ("handled", "handled", "of those, reported done by the department (处置/反馈); self-handled tickets skip this"),
    ("closed", "closed", "of those, verified and closed (结案)"),
)
DEPARTMENT_FIELDS = ("key", "name", "received", "handled", "due_to_handle", "handling_rate", "handled_on_time",
                     "on_time_handling_rate", "average_hours_to_handle", "returned", "reworked", "rework_rate",
                     "closed", "closure_rate", "open_now", "overdue_now")



def summary():
    ctx = context()
    actor = ctx.actor()
    level = flask.request.args.get("level", "district")
    if level not in metrics.LEVELS:
        raise ApiError(400, "bad_level", f"level must be one of {', '.join(metrics.LEVELS)}.")
    period, filters = _selection(ctx, actor, level=level)
    rows = metrics.summary(_engine(ctx), period, level, now=ctx.service.clock(), **filters)
    return json_response(_envelope(ctx, period, filters, {"level": level}, {"rows": _named(ctx, rows, level)}))


def series():
    ctx = context()
    actor = ctx.actor()
    by = flask.request.args.get("by") or "day"  # an empty value is no value, as for every other parameter
    if by not in ("day", "hour"):
        raise ApiError(400, "bad_series", "by must be day or hour.")
    period, filters = _selection(ctx, actor)
    rows = metrics.series(_engine(ctx), period, by, now=ctx.service.clock(), **filters)
    return json_response(_envelope(ctx, period, filters, {"by": by}, {"rows": rows}))


def rankings():
    ctx = context()
    actor = ctx.actor()
    of = flask.request.args.get("of") or "streets"
    level = RANKED.get(of)
    if level is None:
        raise ApiError(400, "bad_ranking", "of must be streets, communities, grids, departments or workers.")
    period, filters = _selection(ctx, actor, ranking=of)
    rows = metrics.ranking(_engine(ctx), period, of, now=ctx.service.clock(), **filters)
    return json_response(_envelope(ctx, period, filters, {"of": of}, {"rows": _named(ctx, rows, level)}))


def funnel():
    ctx = context()
    period, filters = _selection(ctx, ctx.actor())
    row = metrics.summary(_engine(ctx), period, "district", now=ctx.service.clock(), p90=False, **filters)[0]
    stages = [{"stage": stage, "count": row[field], "definition": text} for stage, field, text in FUNNEL]
    return json_response(_envelope(ctx, period, filters, {}, {"stages": stages}))


def departments():
    ctx = context()
    period, filters = _selection(ctx, ctx.actor(), level="department")
    rows = _named(ctx, metrics.summary(_engine(ctx), period, "department", now=ctx.service.clock(), p90=False,
                                       **filters), "department")
    rows = [{k: r[k] for k in DEPARTMENT_FIELDS} for r in rows if r["key"] is not None]
    return json_response(_envelope(ctx, period, filters, {}, {"rows": rows}))


def _selection(ctx: TicketContext, actor, level: str | None = None,
               ranking: str | None = None) -> tuple[metrics.Period, dict]:
    """The period and the filters ``actor`` may read (403/400 otherwise)."""
    filters = scoped(actor, _requested(), level=level, ranking=ranking, worker_grid=ctx.service.worker_grid)
    problem = check_parents(filters)
    if problem:
        raise ApiError(400, "bad_parent", problem)
    return _period(ctx), filters


def _period(ctx: TicketContext) -> metrics.Period:
    a = flask.request.args
    start, end = parse_day(a.get("from"), "from"), parse_day(a.get("to"), "to")
    today = ctx.service.clock().astimezone(ctx.service.calendar.tz).date()
    end = end or today
    start = start or end - timedelta(days=29)
    if start > end:
        raise ApiError(400, "bad_period", f"from ({start}) is after to ({end}).")
    if (end - start).days > MAX_SPAN_DAYS:
        raise ApiError(400, "bad_period", f"the period is longer than {MAX_SPAN_DAYS} days.")
    return metrics.Period(start, end, ctx.service.settings.timezone)


def _requested() -> dict:
    a = flask.request.args
    out = {k: a[k] for k in metrics.FILTERS if a.get(k)}
    if "tier" in out and out["tier"] not in set(Tier):
        raise ApiError(400, "bad_tier", f"tier must be one of {', '.join(Tier)}.")
    return out


def _named(ctx: TicketContext, rows: list[dict], level: str) -> list[dict]:
    names = TIER_NAMES if level == "tier" else ctx.names.get(level, {})
    for r in rows:
        r["name"] = names.get(r["key"]) if r["key"] is not None else "(none)"
    return rows


def _envelope(ctx: TicketContext, period: metrics.Period, filters: dict, extra: dict, body: dict) -> dict:
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "tz": period.tz,
            "as_of": ctx.service.clock().isoformat(), **extra, "filters": filters, **body,
            "definitions": {**metrics.DEFINITIONS, "worker_score": metrics.WORKER_SCORE}}


def _engine(ctx: TicketContext):
    return ctx.service.store.engine


ROUTES = [
    ("GET", "/metrics", summary),
    ("GET", "/metrics/series", series),
    ("GET", "/metrics/rankings", rankings),
    ("GET", "/metrics/funnel", funnel),
    ("GET", "/metrics/departments", departments),
]


def blueprint() -> flask.Blueprint:
    """The routes of ``/api/v1/metrics…``, answering errors in the JSON shape."""
    return api_blueprint("tickets_metrics", __name__, ROUTES, url_prefix="/api/v1")
