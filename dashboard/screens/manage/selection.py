"""What the manager is looking at, as a value: period, place in the district → street → community → grid tree,
filters and page; read from and written to the URL's query, so that a link reproduces the view.

Query parameters: ``period`` (today, 7d, month, quarter, year, custom), ``from``/``to`` (custom, YYYY-MM-DD),
``level`` (district, street, community, grid: where in the tree), ``street``, ``community``, ``grid``,
``category``, ``department``, ``tier``, ``source``, ``page``, ``lang``.

Examples
--------
>>> sel = parse({"period": "7d", "street": "120110001"}, units)  # doctest: +SKIP
>>> sel.level, sel.query_string()  # doctest: +SKIP
('street', '?period=7d&level=street&street=120110001')
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode

from tickets.domain.states import Source, Tier
from tickets.metrics import Period

PERIODS = ("today", "7d", "month", "quarter", "year", "custom")
LEVELS = ("district", "street", "community", "grid")
CHILD = {"district": "street", "street": "community", "community": "grid", "grid": "grid"}
FILTER_KEYS = ("category", "department", "tier", "source")
MAX_SPAN_DAYS = 3660


class SelectionError(ValueError):
    """A query the screen cannot show: ``code`` is machine-readable, the message a sentence."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Selection:
    period: str = "month"
    start: date | None = None  # custom periods only
    end: date | None = None
    street: str | None = None
    community: str | None = None
    grid: str | None = None
    category: str | None = None
    department: str | None = None
    tier: str | None = None
    source: str | None = None
    page: int = 1
    lang: str = "zh-CN"

    @property
    def level(self) -> str:
        """Where in the tree: the deepest place chosen."""
        return "grid" if self.grid else "community" if self.community else "street" if self.street else "district"

    @property
    def unit_level(self) -> str:
        """The level of the units the charts compare: the children of the current place (a grid is its own unit)."""
        return CHILD[self.level]

    @property
    def node(self) -> str | None:
        """The code of the current place (None for the district)."""
        return self.grid or self.community or self.street

    def place(self) -> dict:
        """The place as metrics filters: ``{"street": …}``, ``{"community": …}`` or ``{"grid": …}`` (the deepest)."""
        return {self.level: self.node} if self.node else {}

    def filters(self) -> dict:
        """Place and filters, as keyword arguments of the metrics and drill queries (``None`` left out)."""
        out = self.place()
        out.update({k: getattr(self, k) for k in FILTER_KEYS if getattr(self, k)})
        return out

    def with_(self, **changes) -> Selection:
        """A changed selection; anything but a page change goes back to page 1."""
        changes.setdefault("page", 1)
        return replace(self, **changes)

    def up_to(self, level: str) -> Selection:
        """The selection at an ancestor ``level`` (the codes below it dropped)."""
        keep = LEVELS.index(level)
        codes = {k: (getattr(self, k) if LEVELS.index(k) <= keep else None) for k in LEVELS[1:]}
        return self.with_(**codes)

    def drill(self, code: str, units) -> Selection:
        """Into the unit ``code`` (a street, community or grid), its ancestors filled in from ``units``."""
        level = units.level_of(code)
        if level is None:
            raise SelectionError("unknown_place", f"there is no street, community or grid {code!r}.")
        return self.with_(**units.lineage(code, level))

    def to_query(self) -> dict:
        """The query parameters that differ from the defaults, in a stable order."""
        q: dict[str, str] = {"period": self.period}
        if self.period == "custom":
            q["from"], q["to"] = self.start.isoformat(), self.end.isoformat()
        q["level"] = self.level
        for k in ("street", "community", "grid", *FILTER_KEYS):
            if getattr(self, k):
                q[k] = getattr(self, k)
        if self.page != 1:
            q["page"] = str(self.page)
        if self.lang == "en":
            q["lang"] = "en"
        return q

    def query_string(self, **extra) -> str:
        return "?" + urlencode({**self.to_query(), **extra})

    def resolve(self, today: date, tz: str) -> Period:
        """The local days the period covers, as of ``today``."""
        return period_days(self.period, today, tz, self.start, self.end)


def period_days(kind: str, today: date, tz: str, start: date | None = None, end: date | None = None) -> Period:
    if kind == "today":
        return Period(today, today, tz)
    if kind == "7d":
        return Period(today - timedelta(days=6), today, tz)
    if kind == "month":
        return Period(today.replace(day=1), today, tz)
    if kind == "quarter":
        return Period(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today, tz)
    if kind == "year":
        return Period(today.replace(month=1, day=1), today, tz)
    if kind == "custom" and start and end:
        return Period(start, end, tz)
    raise SelectionError("bad_period", f"period must be one of {', '.join(PERIODS)} (custom with from and to).")


def previous(period: Period) -> Period:
    """The period of the same length just before ``period``."""
    days = (period.end - period.start).days + 1
    return Period(period.start - timedelta(days=days), period.start - timedelta(days=1), period.tz)


def parse(query: dict | str | None, units, catalog=None) -> Selection:
    """A checked :class:`Selection` from query parameters (a dict, or a ``?a=b`` string).

    Codes must exist in ``units`` (:class:`dashboard.screens.manage.units.Units`) and agree with each other; a grid
    or community given alone gets its ancestors. Filters are checked against ``catalog`` when given.
    """
    if isinstance(query, str) or query is None:
        query = dict(parse_qsl((query or "").lstrip("?"), keep_blank_values=False))
    q = {k: v for k, v in query.items() if isinstance(v, str) and v.strip() != ""}
    names = {f.name for f in fields(Selection)}
    kw: dict = {k: q[k].strip() for k in ("street", "community", "grid", *FILTER_KEYS) if k in q and k in names}
    kw["lang"] = "en" if q.get("lang", "").lower().startswith("en") else "zh-CN"
    period = q.get("period", "month")
    if period not in PERIODS:
        raise SelectionError("bad_period", f"period must be one of {', '.join(PERIODS)}, got {period!r}.")
    kw["period"] = period
    if period == "custom":
        kw["start"], kw["end"] = _day(q.get("from"), "from"), _day(q.get("to"), "to")
        if kw["start"] > kw["end"]:
            raise SelectionError("bad_period", f"from ({kw['start']}) is after to ({kw['end']}).")
        if (kw["end"] - kw["start"]).days > MAX_SPAN_DAYS:
            raise SelectionError("bad_period", f"the period is longer than {MAX_SPAN_DAYS} days.")
    try:
        kw["page"] = int(q.get("page", "1"))
    except ValueError:
        raise SelectionError("bad_page", f"page must be a whole number, got {q.get('page')!r}.") from None
    if not 1 <= kw["page"] <= 10**6:
        raise SelectionError("bad_page", "page must be between 1 and 1000000.")
    kw.update(_place(kw, units))
    level = q.get("level")
    if level is not None:
        if level not in LEVELS:
            raise SelectionError("bad_level", f"level must be one of {', '.join(LEVELS)}, got {level!r}.")
        for k in LEVELS[LEVELS.index(level) + 1:]:
            kw[k] = None  # a link up the breadcrumb: the codes below the level go
        if level != "district" and not kw.get(level):
            raise SelectionError("bad_level", f"level {level} needs a {level} code.")
    _check_filters(kw, catalog)
    return Selection(**kw)


def _day(value: str | None, name: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise SelectionError("bad_date", f"{name} must be a date YYYY-MM-DD, got {value!r}.") from None


def _place(kw: dict, units) -> dict:
    """Street, community and grid made consistent (ancestors of the deepest filled in)."""
    deepest = next((lv for lv in ("grid", "community", "street") if kw.get(lv)), None)
    if deepest is None:
        return {}
    code = kw[deepest]
    if units.level_of(code) != deepest:
        raise SelectionError("unknown_place", f"there is no {deepest} {code!r} in the district.")
    lineage = units.lineage(code, deepest)
    for lv in ("street", "community"):
        if kw.get(lv) and kw[lv] != lineage[lv] and lineage[lv] is not None:
            raise SelectionError("bad_place", f"{deepest} {code} is not in {lv} {kw[lv]}.")
    return lineage


def _check_filters(kw: dict, catalog) -> None:
    if kw.get("tier") and kw["tier"] not in set(Tier):
        raise SelectionError("bad_tier", f"tier must be one of {', '.join(Tier)}.")
    if kw.get("source") and kw["source"] not in set(Source):
        raise SelectionError("bad_source", f"source must be one of {', '.join(Source)}.")
    if catalog is not None:
        if kw.get("category") and kw["category"] not in catalog.categories:
            raise SelectionError("bad_category", f"there is no category {kw['category']!r}.")
        if kw.get("department") and kw["department"] not in catalog.departments:
            raise SelectionError("bad_department", f"there is no department {kw['department']!r}.")


def scoped(sel: Selection, principal) -> Selection:
    """The selection a caller may see: admins anything; a street token its street and below, never above it
    (the district view becomes its street). Raises ``PermissionError`` for another street."""
    if principal is None:
        raise PermissionError("an access token is required.")
    street = principal.scope_street(sel.street)  # PermissionError for another street, or a role without a view
    if street is not None and sel.street is None:
        return replace(sel, street=street)
    return sel
