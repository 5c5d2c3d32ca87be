"""Working time in Beijing: working days (the district's holiday calendar, with its 调休 working
weekends) and working hours, Monday to Friday 09:00 to 17:00 on working days.

Pure functions of naive-UTC times (as stored) and dates, given a ``Calendar``. The calendar is
read from a TOML file (the packaged ``data/holidays.toml`` or the district's own, config key
``calendar.holidays``) once per process (``load_calendar`` is cached); a function given no
calendar uses the packaged one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from cases.numbering import BEIJING_OFFSET

WORKDAY_START_HOUR = 9
WORKDAY_END_HOUR = 17
DEFAULT_FILE = Path(__file__).parent / "data" / "holidays.toml"
LONGEST_HOLIDAY_DAYS = 15   # a range longer than this is a typing error, not a holiday


class CalendarError(ValueError):
    """The holiday file cannot be read or says something impossible; the message names the file."""


@dataclass(frozen=True)
class Calendar:
    """Days off on weekdays, and weekend days worked (调休), for the years the file covers."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()

    def covers(self, day: date) -> bool:
        """Does the calendar know this year's holidays (else Monday to Friday are counted)?"""
        return day.year in self.years


PLAIN = Calendar()   # Monday to Friday, no holidays


def is_working_day(day: date, calendar: Calendar | None = None) -> bool:
    calendar = calendar or default_calendar()
    if day in calendar.workdays:
        return True
    return day.weekday() < 5 and day not in calendar.holidays


def add_working_days(start: date, n: int, calendar: Calendar | None = None) -> date:
    """The ``n``-th working day after ``start`` (``start`` itself not counted); ``start`` for 0."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day, calendar):
            n -= 1
    return day


def next_working_day(day: date, calendar: Calendar | None = None) -> date:
    """``day`` if it is a working day, else the first working day after it."""
    while not is_working_day(day, calendar):
        day += timedelta(days=1)
    return day


def beijing_date(at: datetime) -> date:
    """The Beijing date of a naive-UTC time."""
    return (at + BEIJING_OFFSET).date()


def beijing_at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour``:``minute`` Beijing time on ``day``, as naive UTC."""
    return datetime(day.year, day.month, day.day, hour, minute) - BEIJING_OFFSET


def working_hours_between(start: datetime, end: datetime, calendar: Calendar | None = None) -> float:
    """Working hours from ``start`` to ``end`` (naive UTC); 0 when ``end`` is not later."""
    if end <= start:
        return 0.0
    local_start, local_end = start + BEIJING_OFFSET, end + BEIJING_OFFSET
    total = 0.0
    day = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < local_end:
        if is_working_day(day.date(), calendar):
            open_at = max(day.replace(hour=WORKDAY_START_HOUR), local_start)
            close_at = min(day.replace(hour=WORKDAY_END_HOUR), local_end)
            if close_at > open_at:
                total += (close_at - open_at).total_seconds() / 3600
        day += timedelta(days=1)
    return total


def add_working_hours(start: datetime, hours: float, calendar: Calendar | None = None) -> datetime:
    """The naive-UTC moment when ``hours`` working hours have passed since ``start``."""
    local = start + BEIJING_OFFSET
    left = timedelta(hours=hours)
    while True:
        if is_working_day(local.date(), calendar):
            open_at = local.replace(hour=WORKDAY_START_HOUR, minute=0, second=0, microsecond=0)
            close_at = local.replace(hour=WORKDAY_END_HOUR, minute=0, second=0, microsecond=0)
            begin = max(local, open_at)
            if begin < close_at:
                if begin + left <= close_at:
                    return begin + left - BEIJING_OFFSET
                left -= close_at - begin
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def in_working_hours(at: datetime, calendar: Calendar | None = None) -> bool:
    local = at + BEIJING_OFFSET
    return is_working_day(local.date(), calendar) and WORKDAY_START_HOUR <= local.hour < WORKDAY_END_HOUR


# -- the file ------------------------------------------------------------------------------------

def default_calendar() -> Calendar:
    return load_calendar("")


@cache
def load_calendar(path: str = "") -> Calendar:
    """The holiday file at ``path`` (empty: the packaged one), read once per process; raises
    CalendarError naming the file and what is wrong with it."""
    file = Path(path) if path else DEFAULT_FILE
    try:
        with open(file, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise CalendarError(f"{file}: cannot be read ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise CalendarError(f"{file}: not valid TOML ({error})") from None
    return parse_calendar(data, str(file))


def parse_calendar(data: dict, source: str) -> Calendar:
    """A calendar from the file's tables (one per year); raises CalendarError naming ``source``."""
    holidays: set[date] = set()
    workdays: set[date] = set()
    years: set[int] = set()
    for year, table in data.items():
        where = f"{source}: [{year}]"
        if not (year.isascii() and year.isdigit() and len(year) == 4) or not isinstance(table, dict):
            raise CalendarError(f"{source}: expected a table per year such as [2026], found {year!r}")
        unknown = set(table) - {"holidays", "workdays"}
        if unknown:
            raise CalendarError(f"{where}: unknown key {sorted(unknown)[0]!r}; expected holidays and workdays")
        years.add(int(year))
        for entry in table.get("holidays", []):
            first, last, name = _holiday(entry, where)
            if first.year != int(year) and last.year != int(year):
                raise CalendarError(f"{where}: holiday {name!r} ({first}–{last}) is not in {year}")
            holidays.update(first + timedelta(days=offset) for offset in range((last - first).days + 1))
        for day in table.get("workdays", []):
            if not isinstance(day, date) or isinstance(day, datetime):
                raise CalendarError(f"{where}: workdays holds dates such as 2026-01-04, found {day!r}")
            if day.weekday() < 5:
                raise CalendarError(f"{where}: workday {day} is a weekday; list only weekend days worked (调休)")
            workdays.add(day)
    clash = holidays & workdays
    if clash:
        raise CalendarError(f"{source}: {min(clash)} is both a holiday and a workday")
    return Calendar(frozenset(holidays), frozenset(workdays), frozenset(years))


def _holiday(entry, where: str) -> tuple[date, date, str]:
    if not isinstance(entry, dict) or set(entry) != {"name", "from", "to"}:
        raise CalendarError(f"{where}: each holiday is {{ name = \"…\", from = YYYY-MM-DD, to = YYYY-MM-DD }}, "
                            f"found {entry!r}")
    first, last, name = entry["from"], entry["to"], entry["name"]
    if not all(isinstance(day, date) and not isinstance(day, datetime) for day in (first, last)):
        raise CalendarError(f"{where}: holiday {name!r} needs dates for from and to")
    if not isinstance(name, str) or not name.strip():
        raise CalendarError(f"{where}: a holiday from {first} has no name")
    if last < first or (last - first).days >= LONGEST_HOLIDAY_DAYS:
        raise CalendarError(f"{where}: holiday {name!r} runs from {first} to {last}; "
                            f"expected at most {LONGEST_HOLIDAY_DAYS} days, the first not after the last")
    return first, last, name.strip()
