"""Query parameters and JSON responses shared by the ticket HTTP modules (``api``, ``metrics_api``, ``open311``).

Bad input raises :class:`tickets.errors.TicketError` (400) with a sentence naming the parameter.
"""

from __future__ import annotations

from datetime import date

import flask
import orjson

from tickets.errors import bad_request


def json_response(data, status: int = 200) -> flask.Response:
    """``data`` as JSON (orjson: datetimes as ISO 8601, non-string keys allowed)."""
    return flask.Response(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status=status,
                          mimetype="application/json")


def parse_day(value: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` parameter; None when absent or empty."""
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request("bad_date", f"{name} must be a date YYYY-MM-DD, got {value!r}.") from None


def parse_int(value, name: str, default: int, lo: int, hi: int) -> int:
    """An integer parameter within ``lo..hi``; ``default`` when absent or empty."""
    if value in (None, ""):
        return default
    try:
        n = int(value)
    except ValueError:
        raise bad_request("bad_number", f"{name} must be an integer, got {value!r}.") from None
    if not lo <= n <= hi:
        raise bad_request("bad_number", f"{name} must be between {lo} and {hi}, got {n}.")
    return n
