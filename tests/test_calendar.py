"""Working days and hours in Beijing: weekends, the State Council's 2026 holidays and 调休 working
weekends, month and year ends, a district's own holiday file, and the refusals of a bad one."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.config import ConfigError, load_settings
from cases import calendar
from cases.calendar import PLAIN, add_working_days, is_working_day, load_calendar

CN = load_calendar("")   # the packaged file


def beijing(*parts) -> datetime:
    """A Beijing wall-clock time as the naive UTC the database keeps."""
    return calendar.beijing_at(date(*parts[:3]), *parts[3:])


@pytest.mark.parametrize("day, working", [
    (date(2026, 1, 1), False),    # 元旦, a Thursday
    (date(2026, 1, 2), False),
    (date(2026, 1, 4), True),     # a Sunday worked (调休)
    (date(2026, 2, 13), True),    # the Friday before 春节
    (date(2026, 2, 14), True),    # a Saturday worked
    (date(2026, 2, 16), False),   # 春节, a Monday
    (date(2026, 2, 23), False),   # the last day of 春节, a Monday
    (date(2026, 2, 24), True),
    (date(2026, 2, 28), True),    # a Saturday worked, the month's last day
    (date(2026, 4, 6), False),    # 清明, a Monday
    (date(2026, 5, 5), False),    # 劳动节, a Tuesday
    (date(2026, 5, 9), True),     # a Saturday worked
    (date(2026, 6, 19), False),   # 端午, a Friday
    (date(2026, 9, 20), True),    # a Sunday worked
    (date(2026, 9, 25), False),   # 中秋, a Friday
    (date(2026, 10, 7), False),   # 国庆, a Wednesday
    (date(2026, 10, 10), True),   # a Saturday worked
    (date(2026, 11, 28), False),  # an ordinary Saturday
    (date(2026, 11, 30), True),   # an ordinary Monday
])
def test_working_days_of_2026(day, working):
    assert is_working_day(day, CN) is working
    assert is_working_day(day) is working   # no calendar given: the packaged one


def test_a_year_without_a_notice_counts_monday_to_friday():
    assert CN.covers(date(2026, 12, 31)) and not CN.covers(date(2027, 1, 1))
    assert is_working_day(date(2027, 1, 1), CN)        # a Friday: unknown until the 2027 notice is added
    assert not is_working_day(date(2027, 1, 2), CN)


@pytest.mark.parametrize("start, n, expected", [
    (date(2026, 11, 23), 5, date(2026, 11, 30)),    # Monday + 5: the next Monday
    (date(2026, 11, 28), 1, date(2026, 11, 30)),    # from a Saturday: Monday is the first
    (date(2026, 11, 27), 3, date(2026, 12, 2)),     # across the month's end
    (date(2026, 9, 29), 5, date(2026, 10, 12)),     # 国庆: Sep 30, Oct 8, 9, 10 (Saturday worked), 12
    (date(2026, 9, 18), 1, date(2026, 9, 20)),      # a Friday: the Sunday worked comes first
    (date(2026, 2, 13), 1, date(2026, 2, 14)),      # 春节: the Saturday worked
    (date(2026, 2, 13), 2, date(2026, 2, 24)),      # ... then nine days off
    (date(2026, 2, 27), 1, date(2026, 2, 28)),      # the month's end is a Saturday worked
    (date(2025, 12, 31), 1, date(2026, 1, 4)),      # 元旦: the Sunday after is worked
    (date(2026, 12, 31), 1, date(2027, 1, 1)),      # into a year the file does not cover
    (date(2026, 11, 23), 0, date(2026, 11, 23)),
])
def test_adding_working_days(start, n, expected):
    assert add_working_days(start, n, CN) == expected


def test_plain_weeks_ignore_holidays():
    assert add_working_days(date(2026, 9, 29), 5, PLAIN) == date(2026, 10, 6)
    assert is_working_day(date(2026, 10, 1), PLAIN) and not is_working_day(date(2026, 10, 10), PLAIN)


def test_working_hours_skip_holidays_and_count_working_weekends():
    # 国庆: Wednesday Sep 30 16:00 to Thursday Oct 8 10:00 is one hour each side.
    assert calendar.working_hours_between(beijing(2026, 9, 30, 16), beijing(2026, 10, 8, 10), CN) == 2
    assert calendar.add_working_hours(beijing(2026, 9, 30, 16), 2, CN) == beijing(2026, 10, 8, 10)
    # Friday Oct 9 16:00 to Monday Oct 12 10:00: the Saturday is a full working day.
    assert calendar.working_hours_between(beijing(2026, 10, 9, 16), beijing(2026, 10, 12, 10), CN) == 10
    assert calendar.add_working_hours(beijing(2026, 10, 9, 16), 2, CN) == beijing(2026, 10, 10, 10)
    # The same span on a plain calendar: the holiday's weekdays count.
    assert calendar.working_hours_between(beijing(2026, 9, 30, 16), beijing(2026, 10, 8, 10), PLAIN) == 1 + 5 * 8 + 1
    # An ordinary weekend, with the packaged calendar by default.
    assert calendar.working_hours_between(beijing(2026, 11, 27, 16), beijing(2026, 11, 30, 10)) == 2
    assert calendar.in_working_hours(beijing(2026, 10, 10, 10), CN)
    assert not calendar.in_working_hours(beijing(2026, 10, 1, 10), CN)
    assert not calendar.in_working_hours(beijing(2026, 11, 30, 17), CN)


def test_a_districts_own_file(tmp_path):
    own = tmp_path / "holidays.toml"
    own.write_text('[2026]\nholidays = [{ name = "区庆", from = 2026-11-25, to = 2026-11-25 }]\n'
                   'workdays = [2026-11-29]\n', encoding="utf-8")
    days = load_calendar(str(own))
    assert load_calendar(str(own)) is days   # read once per process
    assert not is_working_day(date(2026, 11, 25), days) and is_working_day(date(2026, 11, 29), days)
    assert is_working_day(date(2026, 10, 1), days)   # its own file replaces the packaged one
    assert add_working_days(date(2026, 11, 24), 2, days) == date(2026, 11, 27)
    settings = load_settings({"calendar.holidays": str(own)}, environ={})
    assert settings.calendar_holidays == str(own)


BAD_FILES = [
    ("[2026\n", "not valid TOML"),
    ("[twenty]\nholidays = []\n", "a table per year"),
    ("[2026]\nholiday = []\n", "unknown key 'holiday'"),
    ('[2026]\nholidays = [{ name = "国庆节", from = 2026-10-07, to = 2026-10-01 }]\n', "'国庆节' runs from 2026-10-07"),
    ('[2026]\nholidays = [{ name = "国庆节", from = 2026-10-01 }]\n', "each holiday is"),
    ('[2026]\nholidays = [{ name = "春节", from = 2025-02-15, to = 2025-02-20 }]\n', "is not in 2026"),
    ("[2026]\nworkdays = [2026-10-09]\n", "2026-10-09 is a weekday"),
    ('[2026]\nworkdays = ["2026-10-10"]\n', "workdays holds dates"),
    ('[2026]\nholidays = [{ name = "x", from = 2026-10-10, to = 2026-10-10 }]\nworkdays = [2026-10-10]\n',
     "both a holiday and a workday"),
]


@pytest.mark.parametrize("content, problem", BAD_FILES, ids=[problem for _, problem in BAD_FILES])
def test_a_bad_file_is_one_line_naming_the_key_the_file_and_the_problem(tmp_path, content, problem):
    bad = tmp_path / "holidays.toml"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings({"calendar.holidays": str(bad)}, environ={})
    message = str(raised.value)
    assert raised.value.key == "calendar.holidays" and "\n" not in message
    assert str(bad) in message and problem in message


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="calendar.holidays.*cannot be read"):
        load_settings({"calendar.holidays": str(tmp_path / "nowhere.toml")}, environ={})
