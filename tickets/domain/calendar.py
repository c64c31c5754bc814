"""Working time: the clock deadlines run on.

A working day has working periods (default 08:30–12:00 and 13:30–17:30 Asia/Shanghai, 7.5 h);
Monday–Friday are working days except the holidays listed in ``data/holidays.txt``, and the weekend
days listed there as ``workday`` are worked in lieu (调休). "N working days" means N full working days
of working time, so a limit in days and one in hours live on one scale of working seconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

MAX_DAYS = 3660  # add() gives up after ten years: a limit that long is a data error


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """Parse ``"08:30-12:00,13:30-17:30"`` into ordered, non-overlapping (start, end) pairs."""
    out = []
    for part in text.split(","):
        try:
            a, b = part.strip().split("-")
            start, end = time.fromisoformat(a.strip()), time.fromisoformat(b.strip())
        except ValueError:
            raise ValueError(f"period {part.strip()!r} is not HH:MM-HH:MM") from None
        if end <= start or (out and start < out[-1][1]):
            raise ValueError(f"period {part.strip()!r} is empty, reversed or overlaps the previous one")
        out.append((start, end))
    if not out:
        raise ValueError("no working periods")
    return tuple(out)


def read_holidays(path: str | Path) -> dict[date, bool]:
    """Read the override file: ``{date: True (worked in lieu) | False (holiday)}``."""
    out: dict[date, bool] = {}
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) < 2 or parts[1] not in ("holiday", "workday"):
            raise ValueError(f"{path}:{n}: expected 'YYYY-MM-DD holiday|workday [name]', got {line!r}")
        out[date.fromisoformat(parts[0])] = parts[1] == "workday"
    return out


class WorkCalendar:
    """Working-time arithmetic on aware datetimes (returned in UTC).

    Examples
    --------
    >>> cal = WorkCalendar()
    >>> fri = datetime(2024, 11, 22, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    >>> cal.add(fri, 3600).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%a %H:%M")
    'Mon 09:00'
    """

    def __init__(self, tz: str = "Asia/Shanghai", periods: str = "08:30-12:00,13:30-17:30",
                 overrides: dict[date, bool] | None = None):
        self.tz = ZoneInfo(tz)
        self.periods = parse_periods(periods)
        self.overrides = dict(overrides or {})
        self.day_s = sum(
            (datetime.combine(date.min, b) - datetime.combine(date.min, a)).total_seconds() for a, b in self.periods
        )
        self._cache: dict[date, tuple[tuple[float, float], ...]] = {}

    @classmethod
    def from_file(cls, holidays: str | Path, **kw) -> WorkCalendar:
        return cls(overrides=read_holidays(holidays), **kw)

    def is_workday(self, day: date) -> bool:
        return self.overrides.get(day, day.weekday() < 5)

    def _day(self, day: date) -> tuple[tuple[float, float], ...]:
        # cache[day] = ((start_epoch, end_epoch), ...) of that day's working periods
        got = self._cache.get(day)
        if got is None:
            got = ()
            if self.is_workday(day):
                got = tuple(
                    (datetime.combine(day, a, self.tz).timestamp(), datetime.combine(day, b, self.tz).timestamp())
                    for a, b in self.periods
                )
            self._cache[day] = got
        return got

    def _local_date(self, t: float) -> date:
        return datetime.fromtimestamp(t, self.tz).date()

    def working_seconds(self, a: datetime, b: datetime) -> float:
        """Working seconds from ``a`` to ``b``; negative when ``b`` is before ``a``."""
        ta, tb = a.timestamp(), b.timestamp()
        if tb < ta:
            return -self.working_seconds(b, a)
        day, last = self._local_date(ta), self._local_date(tb)
        if (last - day).days > MAX_DAYS:
            raise ValueError(f"span {a} .. {b} is longer than {MAX_DAYS} days")
        total = 0.0
        while day <= last:
            for s, e in self._day(day):
                total += max(0.0, min(e, tb) - max(s, ta))
            day += timedelta(days=1)
        return total

    def add(self, a: datetime, seconds: float) -> datetime:
        """The instant at which ``seconds`` of working time have passed after ``a`` (``a`` itself for 0)."""
        if seconds <= 0:
            return a.astimezone(UTC)
        t, left = a.timestamp(), float(seconds)
        day = self._local_date(t)
        for _ in range(MAX_DAYS):
            for s, e in self._day(day):
                if e <= t:
                    continue
                start = max(s, t)
                if left <= e - start:
                    return datetime.fromtimestamp(start + left, UTC)
                left -= e - start
            day += timedelta(days=1)
        raise ValueError(f"{seconds} working seconds after {a} is more than {MAX_DAYS} days away")

    def is_working_time(self, at: datetime) -> bool:
        t = at.timestamp()
        return any(s <= t < e for s, e in self._day(self._local_date(t)))
