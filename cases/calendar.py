"""Working time in Beijing: the hours in which a representative is expected to take a case.

Pure functions of naive-UTC times (as stored). Monday to Friday, 09:00 to 17:00 Beijing time;
the district's holiday calendar (with its 调休 working weekends) comes with the deadlines work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cases.numbering import BEIJING_OFFSET

WORKDAY_START_HOUR = 9
WORKDAY_END_HOUR = 17


def _is_workday(day: datetime) -> bool:
    return day.weekday() < 5


def working_hours_between(start: datetime, end: datetime) -> float:
    """Working hours from ``start`` to ``end`` (naive UTC); 0 when ``end`` is not later."""
    if end <= start:
        return 0.0
    local_start, local_end = start + BEIJING_OFFSET, end + BEIJING_OFFSET
    total = 0.0
    day = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < local_end:
        if _is_workday(day):
            open_at = max(day.replace(hour=WORKDAY_START_HOUR), local_start)
            close_at = min(day.replace(hour=WORKDAY_END_HOUR), local_end)
            if close_at > open_at:
                total += (close_at - open_at).total_seconds() / 3600
        day += timedelta(days=1)
    return total


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The naive-UTC moment when ``hours`` working hours have passed since ``start``."""
    local = start + BEIJING_OFFSET
    left = timedelta(hours=hours)
    while True:
        if _is_workday(local):
            open_at = local.replace(hour=WORKDAY_START_HOUR, minute=0, second=0, microsecond=0)
            close_at = local.replace(hour=WORKDAY_END_HOUR, minute=0, second=0, microsecond=0)
            begin = max(local, open_at)
            if begin < close_at:
                if begin + left <= close_at:
                    return begin + left - BEIJING_OFFSET
                left -= close_at - begin
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
