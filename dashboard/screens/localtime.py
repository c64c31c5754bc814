"""The district's time zone for what screens show: the web process's one setting (``GRIDPULSE_TIMEZONE``)."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def zone() -> ZoneInfo:
    """The zone of the app serving this request (its stream settings), else ``GRIDPULSE_TIMEZONE``."""
    ctx = current_app.extensions.get("gridpulse") if has_app_context() else None
    return _zone(ctx.settings.timezone if ctx is not None else _configured())


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _configured() -> str:
    from geo.settings import GeoSettings, resolve

    return resolve(GeoSettings).timezone
