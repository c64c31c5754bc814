"""The tickets package's settings: one frozen object, resolved explicit argument > ``GRIDPULSE_*`` env > default
(:func:`geo.settings.resolve`, the one resolver of every package).

Every field names its unit. :func:`load_settings` validates and raises :class:`SettingsError`
with a sentence naming the variable and what is wrong, so a bad deployment fails at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from geo.settings import SettingsError, invalid, resolve

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
__all__ = ["DATA_DIR", "SettingsError", "TicketSettings", "load_settings"]


@dataclass(frozen=True)
class TicketSettings:
    """Settings of the ticket closed loop (each field's comment is its documentation)."""

    database_url: str = ""  # SQLAlchemy URL of the ticket store; empty: SQLite at {GRIDPULSE_VAR_DIR}/gridpulse.db
    data_dir: Path = DATA_DIR  # folder with categories.csv, time_limits.csv, departments.csv, holidays.txt
    photo_dir: Path | None = None  # where uploaded photos are stored; empty: {GRIDPULSE_VAR_DIR}/photos
    timezone: str = "Asia/Shanghai"  # the district's time zone (one variable for every package)
    work_periods: str = "08:30-12:00,13:30-17:30"  # working periods of a working day (local time)
    yellow_ratio: float = 0.8  # share of a step's limit used before its light turns yellow (a supervision notice)
    max_photo_bytes: int = 5 * 1024 * 1024  # largest accepted photo (bytes)
    max_photos: int = 6  # most photos on one request
    max_description_chars: int = 4000  # longest accepted description (Open311 allows 4,000)
    max_page_size: int = 500  # largest page a ticket list returns
    open311_max_span_days: int = 90  # longest start_date..end_date span of Open311's GET requests (days)
    outbox_maxlen: int = 100_000  # approximate length the ticket-event stream is trimmed to
    outbox_batch: int = 500  # outbox rows moved to Redis per round trip


def load_settings(env=None, /, **explicit) -> TicketSettings:
    """Resolve settings: explicit keyword > ``GRIDPULSE_<FIELD>`` environment variable > default; validated, with
    the store and photos under ``GRIDPULSE_VAR_DIR`` unless set.

    Examples
    --------
    >>> load_settings(max_photos=3).max_photos
    3
    """
    s = resolve(TicketSettings, env, **explicit)
    if s.photo_dir is not None and not isinstance(s.photo_dir, Path):
        s = replace(s, photo_dir=Path(s.photo_dir))
    if not s.database_url or s.photo_dir is None:
        from geo.paths import var_dir

        var = var_dir()
        s = replace(s, database_url=s.database_url or f"sqlite:///{var / 'gridpulse.db'}",
                    photo_dir=s.photo_dir if s.photo_dir is not None else var / "photos")
    _validate(s)
    return s


def _validate(s: TicketSettings) -> None:
    from tickets.domain.calendar import parse_periods

    if not 0 < s.yellow_ratio < 1:
        raise invalid("yellow_ratio", s.yellow_ratio, "between 0 and 1 (exclusive)")
    for name in ("max_photo_bytes", "max_photos", "max_description_chars", "max_page_size",
                 "open311_max_span_days", "outbox_maxlen", "outbox_batch"):
        if getattr(s, name) <= 0:
            raise invalid(name, getattr(s, name), "a positive number")
    try:
        parse_periods(s.work_periods)
    except ValueError as exc:
        raise invalid("work_periods", s.work_periods, f"periods like 08:30-12:00,13:30-17:30 ({exc})") from None
    for table in ("categories.csv", "time_limits.csv", "departments.csv", "holidays.txt"):
        if not (s.data_dir / table).exists():
            raise invalid("data_dir", str(s.data_dir), f"a folder with {table}")
    if "://" not in s.database_url:
        raise invalid("database_url", s.database_url, "a SQLAlchemy URL (e.g. sqlite:///var/gridpulse.db)")
