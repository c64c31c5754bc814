from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.domain.calendar import WorkCalendar, parse_periods, read_holidays
from tickets.settings import DATA_DIR

SH = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture(scope="module")
def cal():
    return WorkCalendar.from_file(DATA_DIR / "holidays.txt")


def test_day_is_seven_and_a_half_hours(cal):
    assert cal.day_s == 7.5 * 3600
    assert cal.working_seconds(local(2024, 11, 18, 0), local(2024, 11, 19, 0)) == 7.5 * 3600


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        (local(2024, 11, 18, 9, 0), 3600, local(2024, 11, 18, 10, 0)),
        (local(2024, 11, 18, 11, 30), 3600, local(2024, 11, 18, 14, 0)),  # over lunch
        (local(2024, 11, 18, 12, 30), 600, local(2024, 11, 18, 13, 40)),  # starts in lunch
        (local(2024, 11, 22, 17, 0), 3600, local(2024, 11, 25, 9, 0)),  # Friday evening → Monday
        (local(2024, 11, 23, 10, 0), 60, local(2024, 11, 25, 8, 31)),  # from Saturday
        (local(2024, 9, 30, 17, 0), 3600, local(2024, 10, 8, 9, 0)),  # National Day week off
        (local(2024, 10, 12, 8, 30), 3600, local(2024, 10, 12, 9, 30)),  # Saturday worked in lieu (调休)
        (local(2024, 11, 18, 9, 0), 0, local(2024, 11, 18, 9, 0)),
    ],
)
def test_add(cal, start, seconds, expected):
    assert cal.add(start, seconds) == expected.astimezone(UTC)


def test_working_seconds_sign_and_weekend(cal):
    assert cal.working_seconds(local(2024, 11, 23, 8), local(2024, 11, 24, 20)) == 0
    assert cal.working_seconds(local(2024, 11, 18, 10), local(2024, 11, 18, 9)) == -3600


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2026, 6, 1), timezones=st.just(UTC)),
       st.floats(min_value=1, max_value=40 * 7.5 * 3600))
def test_add_inverts_working_seconds(start, seconds):
    cal = WorkCalendar.from_file(DATA_DIR / "holidays.txt")
    end = cal.add(start, seconds)
    assert end > start
    assert cal.working_seconds(start, end) == pytest.approx(seconds, abs=1e-3)
    assert cal.is_working_time(end - timedelta(microseconds=1)) or cal.is_working_time(end)


def test_holiday_file_knows_spring_festival_2025():
    days = read_holidays(DATA_DIR / "holidays.txt")
    assert days[date(2025, 1, 29)] is False
    assert days[date(2025, 1, 26)] is True


@pytest.mark.parametrize("bad", ["8:30", "12:00-08:30", "08:00-12:00,11:00-13:00", "x-y"])
def test_bad_periods_are_refused(bad):
    with pytest.raises(ValueError):
        parse_periods(bad)


def test_bad_holiday_line(tmp_path):
    p = tmp_path / "h.txt"
    p.write_text("2024-01-01 party\n")
    with pytest.raises(ValueError, match="h.txt:1"):
        read_holidays(p)
