"""What the wall screen's ticket panels show, read in one go from the ticket service and the live reader.

Every figure comes from the same functions as ``/api/v1/metrics`` (``tickets.metrics``) over the same periods, so
the wall and the API never disagree: today = the local day, this month = the 1st to today (in the district's time
zone, ``GRIDPULSE_TIMEZONE``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from tickets import metrics
from tickets.metrics import board

log = logging.getLogger(__name__)
TREND_DAYS = 30
TOP_CATEGORIES = 8


@dataclass(frozen=True)
class WallData:
    today: dict
    month: dict
    trend: list
    ranking: list
    categories: list
    overdue: list
    open_points: dict
    as_of: datetime


def periods(service, now: datetime) -> dict[str, metrics.Period]:
    tz = service.settings.timezone
    today = now.astimezone(service.calendar.tz).date()
    start = today.replace(day=1)
    from datetime import timedelta

    return {"today": metrics.Period(today, today, tz), "month": metrics.Period(start, today, tz),
            "trend": metrics.Period(today - timedelta(days=TREND_DAYS - 1), today, tz)}


def read_tickets(service, scope: str | None, lang: str, now: datetime | None = None) -> WallData:
    """The ticket half of the wall for the district (``scope=None``) or one street."""
    now = now or service.clock()
    engine = service.store.engine
    p = periods(service, now)
    f = {"street": scope} if scope else {}
    level = "street" if scope else "district"

    def one(period):
        rows = metrics.summary(engine, period, level, now=now, p90=False, **f)
        return rows[0] if rows else {}

    # ranking and categories over the last 30 days (as the trend): on the 1st a calendar month is nearly empty
    cats = metrics.summary(engine, p["trend"], "category", now=now, p90=False, **f)
    cats.sort(key=lambda r: (-r["received"], str(r["key"])))
    names = {c.code: (c.name_en if lang == "en" else c.name) for c in service.catalog.categories.values()}
    top = [{"key": r["key"], "name": names.get(r["key"], r["key"]), "received": r["received"],
            "closed": r["closed"]} for r in cats[:TOP_CATEGORIES]]
    rank = metrics.ranking(engine, p["trend"], "communities" if scope else "streets", now=now, **f)
    overdue = board.overdue(engine, now, street=scope, limit=40)
    for r in overdue:
        r["category_name"] = names.get(r["category"], r["category"])
    return WallData(today=one(p["today"]), month=one(p["month"]),
                    trend=metrics.series(engine, p["trend"], "day", now=now, **f), ranking=rank,
                    categories=top, overdue=overdue, open_points=board.open_points(engine, now, street=scope),
                    as_of=now)


def read_patrol(reader, roster, scope: str | None, tz: str, now: datetime | None = None) -> dict:
    """Today's patrol coverage (today in ``tz``): grids visited per street and worker-hours inside the own grid."""
    from zoneinfo import ZoneInfo

    now = now or datetime.now(UTC)
    day = now.astimezone(ZoneInfo(tz)).date().isoformat()
    data = reader.patrol(day, scope)
    per_street: dict[str, list[int]] = {}
    for g in data.get("grids", []):
        n = per_street.setdefault(g["street"], [0, 0])
        n[1] += 1
        n[0] += 1 if g.get("visited") else 0
    home_grids = {w.home_grid for w in roster.workers if scope is None or w.street_code == scope}
    visited = sum(1 for g in data.get("grids", []) if g.get("visited") and g["grid"] in home_grids)
    minutes_home = sum(w.get("minutes_home", 0) for w in data.get("workers", []))
    return {"date": day, "grids": len(home_grids), "visited": visited,
            "hours_home": round(minutes_home / 60, 1), "workers": len(data.get("workers", [])),
            "streets": {k: v for k, v in per_street.items()},
            "visited_grids": sorted(g["grid"] for g in data.get("grids", []) if g.get("visited"))}


def recent_feed(client, key_prefix: str, scope: str | None, n: int = 40) -> list[dict]:
    """The newest worker alerts and ticket events (``{p}:alerts``, ``{p}:ticket-events``), newest first, so a wall
    screen opened mid-shift starts with a full feed. Items: ``{"kind": "alert"|"ticket", "what", "ts", ...}`` (a ticket's
    with its ``id``: the browser knows an event it has by ticket id, event and ``ts``)."""
    items = [{"kind": "alert", "what": a.get("kind"), "ts": a.get("ts"), "w": a.get("w"),
              "name": a.get("name") or a.get("w"), "grid": a.get("grid")}
             for a in _newest(client, f"{key_prefix}:alerts", b"a", n, scope, "street")]
    for e in _newest(client, f"{key_prefix}:ticket-events", b"event", n, scope, "street_code"):
        ts = round(datetime.fromisoformat(e["at"]).timestamp(), 3) if e.get("at") else None  # as the push rounds
        items.append({"kind": "ticket", "what": e.get("action"), "ts": ts, "id": e.get("ticket_id"),
                      "no": e.get("number"), "category": e.get("category_code"), "street": e.get("street_code")})
    items.sort(key=lambda x: x["ts"] or 0, reverse=True)
    return items[:n]


def _newest(client, stream: str, field: bytes, n: int, scope: str | None, street_key: str) -> list[dict]:
    """The newest ``n`` JSON entries of ``stream`` (in ``scope``'s street when given; unreadable ones skipped)."""
    import orjson

    out = []
    for _id, fields in client.xrevrange(stream, count=n * 3 if scope else n):
        try:
            item = orjson.loads(fields[field])
        except (KeyError, orjson.JSONDecodeError):
            continue
        if not scope or item.get(street_key) == scope:
            out.append(item)
    return out[:n]
