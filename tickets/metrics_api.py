"""``/api/v1/metrics`` routes: summary rows by level, series by day or hour, rankings."""

from __future__ import annotations

from datetime import timedelta

import flask

from tickets import metrics
from tickets.errors import bad_request

MAX_SPAN_DAYS = 3660


def _period(ctx) -> metrics.Period:
    from tickets.api import parse_day

    a = flask.request.args
    start, end = parse_day(a.get("from"), "from"), parse_day(a.get("to"), "to")
    today = ctx.service.clock().astimezone(ctx.service.calendar.tz).date()
    end = end or today
    start = start or end - timedelta(days=29)
    if start > end:
        raise bad_request("bad_period", f"from ({start}) is after to ({end}).")
    if (end - start).days > MAX_SPAN_DAYS:
        raise bad_request("bad_period", f"the period is longer than {MAX_SPAN_DAYS} days.")
    return metrics.Period(start, end, ctx.service.settings.timezone)


def _filters() -> dict:
    a = flask.request.args
    return {k: a[k] for k in metrics.FILTERS if a.get(k)}


def add_routes(bp: flask.Blueprint, ctx, to_json) -> None:
    svc = ctx.service

    def named(rows, level):
        names = ctx.names.get(level, {})
        for r in rows:
            r["name"] = names.get(r["key"]) if r["key"] is not None else "(none)"
        return rows

    def envelope(period, extra, rows):
        return {"from": period.start.isoformat(), "to": period.end.isoformat(), "tz": period.tz,
                "as_of": svc.clock().isoformat(), **extra, "filters": _filters(), "rows": rows,
                "definitions": {**metrics.DEFINITIONS, "worker_score": metrics.WORKER_SCORE}}

    @bp.get("/metrics")
    def summary():
        ctx.actor()
        period = _period(ctx)
        level = flask.request.args.get("level", "district")
        if level not in metrics.LEVELS:
            raise bad_request("bad_level", f"level must be one of {', '.join(metrics.LEVELS)}.")
        rows = metrics.summary(svc.store.engine, period, level, now=svc.clock(), **_filters())
        return to_json(envelope(period, {"level": level}, named(rows, level)))

    @bp.get("/metrics/series")
    def series():
        ctx.actor()
        period = _period(ctx)
        by = flask.request.args.get("by", "day")
        if by not in ("day", "hour"):
            raise bad_request("bad_series", "by must be day or hour.")
        rows = metrics.series(svc.store.engine, period, by, now=svc.clock(), **_filters())
        return to_json(envelope(period, {"by": by}, rows))

    @bp.get("/metrics/rankings")
    def rankings():
        ctx.actor()
        period = _period(ctx)
        of = flask.request.args.get("of", "streets")
        level = {"streets": "street", "communities": "community", "departments": "department",
                 "workers": "worker", "grids": "grid"}.get(of)
        if level is None:
            raise bad_request("bad_ranking", "of must be streets, communities, grids, departments or workers.")
        rows = metrics.ranking(svc.store.engine, period, of, now=svc.clock(), **_filters())
        return to_json(envelope(period, {"of": of}, named(rows, level)))
