"""Local days and times in requests: the district's day is its time zone's (``GRIDPULSE_TIMEZONE``) day.

``?date=YYYY-MM-DD`` (default today), ``?period=today|7d|month`` or ``?from=&to=`` dates, ``HH:MM`` clock times;
each refused with a 400 in the JSON error shape.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import request

from dashboard.api.access import web
from dashboard.api.errors import ApiError

MAX_PERIOD_DAYS = 62


def zone() -> ZoneInfo:
    """The district's time zone (the one setting)."""
    return ZoneInfo(web().settings.timezone)


def today() -> dt.date:
    return dt.datetime.now(zone()).date()


def day_arg(name: str = "date") -> dt.date:
    """``?date=YYYY-MM-DD``, today when absent."""
    raw = request.args.get(name)
    if not raw:
        return today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError(400, "bad_date", f"date 须为 YYYY-MM-DD 格式 (date must be YYYY-MM-DD), got {raw!r}") from exc


def day_start(day: dt.date, at: dt.time = dt.time(0, 0)) -> float:
    """The epoch seconds of ``day`` at local time ``at``."""
    return dt.datetime.combine(day, at, zone()).timestamp()


def clock_arg(name: str, default: dt.time) -> dt.time:
    """``?from=HH:MM`` and the like; ``default`` when absent."""
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return dt.time.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError(400, "bad_time", f"时间须为 HH:MM (time must be HH:MM), got {raw!r}") from exc


def period_bounds(period: str | None, first: str | None, last: str | None,
                  current: dt.date) -> tuple[dt.date, dt.date]:
    """``today`` | ``7d`` | ``month`` (1st to ``current``, today), or explicit dates; raises ApiError 400 otherwise."""
    if first or last:
        try:
            a, b = dt.date.fromisoformat(first or last), dt.date.fromisoformat(last or first)
        except ValueError as exc:
            raise ApiError(400, "bad_date", "from/to 须为 YYYY-MM-DD (from/to must be YYYY-MM-DD)") from exc
        if b < a or (b - a).days >= MAX_PERIOD_DAYS:
            raise ApiError(400, "bad_period", f"期间须为 1–{MAX_PERIOD_DAYS} 天 (a period of 1–{MAX_PERIOD_DAYS} days)")
        return a, b
    if period in (None, "", "today"):
        return current, current
    if period == "7d":
        return current - dt.timedelta(days=6), current
    if period == "month":
        return current.replace(day=1), current
    raise ApiError(400, "bad_period", f"period 须为 today、7d 或 month (period must be today, 7d or month), got {period!r}")


def period_arg() -> tuple[dt.date, dt.date]:
    """The request's ``period`` / ``from`` / ``to``."""
    a = request.args
    return period_bounds(a.get("period"), a.get("from"), a.get("to"), today())
