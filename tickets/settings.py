"""The tickets package's settings: one frozen object, resolved explicit argument > ``GRIDPULSE_*`` env > default.

Every field names its unit. :func:`load_settings` validates and raises :class:`SettingsError`
with a sentence naming the variable and what is wrong, so a bad deployment fails at start-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class SettingsError(ValueError):
    """A setting has a value the package cannot use."""


@dataclass(frozen=True)
class TicketSettings:
    """Settings of the ticket closed loop.

    Attributes
    ----------
    database_url : SQLAlchemy URL of the ticket store (``GRIDPULSE_DATABASE_URL``).
    data_dir : folder with ``categories.csv``, ``time_limits.csv``, ``departments.csv``, ``holidays.txt``.
    photo_dir : where uploaded photos are stored.
    timezone : the working calendar's zone.
    work_periods : working periods of a working day, ``"08:30-12:00,13:30-17:30"`` (local time).
    yellow_ratio : share of a step's limit used before the light turns yellow (a supervision notice).
    max_photo_bytes : largest accepted photo.
    max_photos : most photos on one request.
    max_description_chars : longest accepted description (Open311 allows 4,000).
    max_page_size : largest page a list endpoint returns.
    open311_max_span_days : longest ``start_date``..``end_date`` span of ``GET requests``.
    outbox_stream : Redis stream the ticket events go to.
    outbox_maxlen : approximate length the stream is trimmed to.
    outbox_batch : outbox rows moved to Redis per round trip.
    """

    database_url: str = "sqlite:///var/gridpulse.db"
    data_dir: Path = DATA_DIR
    photo_dir: Path = Path("var/photos")
    timezone: str = "Asia/Shanghai"
    work_periods: str = "08:30-12:00,13:30-17:30"
    yellow_ratio: float = 0.8
    max_photo_bytes: int = 5 * 1024 * 1024
    max_photos: int = 6
    max_description_chars: int = 4000
    max_page_size: int = 500
    open311_max_span_days: int = 90
    outbox_stream: str = "gp:ticket-events"
    outbox_maxlen: int = 100_000
    outbox_batch: int = 500


_CASTS = {int: int, float: float, str: str, Path: Path}


def load_settings(**explicit) -> TicketSettings:
    """Resolve settings: explicit keyword > ``GRIDPULSE_<FIELD>`` environment variable > default.

    Examples
    --------
    >>> load_settings(max_photos=3).max_photos
    3
    """
    known = {f.name: f for f in fields(TicketSettings)}
    unknown = set(explicit) - set(known)
    if unknown:
        raise SettingsError(f"unknown ticket setting(s): {', '.join(sorted(unknown))}")
    values = {}
    for name, f in known.items():
        if explicit.get(name) is not None:
            raw, origin = explicit[name], f"argument {name}"
        elif f"GRIDPULSE_{name.upper()}" in os.environ:
            raw, origin = os.environ[f"GRIDPULSE_{name.upper()}"], f"GRIDPULSE_{name.upper()}"
        else:
            continue
        kind = Path if isinstance(f.default, Path) else type(f.default)
        try:
            values[name] = _CASTS[kind](raw)
        except (TypeError, ValueError):
            raise SettingsError(f"{origin}={raw!r} is not a valid {kind.__name__}") from None
    settings = TicketSettings(**values)
    _validate(settings)
    return settings


def _validate(s: TicketSettings) -> None:
    from tickets.domain.calendar import parse_periods

    if not 0 < s.yellow_ratio < 1:
        raise SettingsError(f"yellow_ratio must be between 0 and 1 (exclusive), got {s.yellow_ratio}")
    for name in ("max_photo_bytes", "max_photos", "max_description_chars", "max_page_size",
                 "open311_max_span_days", "outbox_maxlen", "outbox_batch"):
        if getattr(s, name) <= 0:
            raise SettingsError(f"{name} must be positive, got {getattr(s, name)}")
    try:
        parse_periods(s.work_periods)
    except ValueError as exc:
        raise SettingsError(f"work_periods={s.work_periods!r}: {exc}") from None
    for table in ("categories.csv", "time_limits.csv", "departments.csv", "holidays.txt"):
        if not (s.data_dir / table).exists():
            raise SettingsError(f"data_dir {s.data_dir} has no {table}")
    if "://" not in s.database_url:
        raise SettingsError(f"database_url {s.database_url!r} is not a SQLAlchemy URL (e.g. sqlite:///var/gridpulse.db)")
