"""The promises a district makes, and the deadline (``due_at``) each step that starts a clock sets.

The clocks a case runs on, one at a time (``cases.actions`` sets ``due_at`` for each):

- take: a representative takes a new case (接单) within ``cases.take_within_working_hours``
  working hours of it reaching them (filed, or given by a clerk: ``route``); otherwise the case
  goes to the working committee (``scheduler.notices.escalate_unheard_cases``).
- claim: the working committee passes on a case that came to it (``escalate``, ``return``,
  ``refuse``) within ``deadlines.claim_working_hours`` working hours.
- answer: the unit that handles the case answers the resident within its tier's promise, from
  ``accept`` (the representative's own, tier 1, unless a tier was chosen), ``assign`` (the
  tier's, unless the clerk gave a deadline) or ``reopen`` (a new clock): tier 1 the
  representative 5 working days, tier 2 the sub-district 10, tier 3 a department 15, tier 4 a
  higher congress 90 calendar days (代表法: a proposal is answered within three months; the last
  day moves to the next working day). A 红 case (hazards to life and property) is answered, at
  least a first answer, within ``deadlines.red_working_days`` (1) working day at every tier.

A promise of N working days ends at 17:00 Beijing time (the close of work) on the N-th working
day after the day the clock starts. ``reply``, ``answer_proposal`` and ``close`` stop the clock
(the deadline stays on the case, so the ledger can tell an answer in time from a late one: only
cases in ``RUNNING`` statuses are ever overdue); ``merge``, ``invalidate``, ``withdraw`` and
``refer`` clear it.

Settings are read duck-typed (``bot.config.Settings`` has these attributes); ``cases`` does not
import ``bot``. ``configure`` (called when settings are loaded) gives ``perform`` the process's
promises and calendar when its caller passes none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from cases.calendar import (
    WORKDAY_END_HOUR,
    Calendar,
    add_working_days,
    add_working_hours,
    beijing_at,
    beijing_date,
    load_calendar,
    next_working_day,
)
from cases.status import RUNNING_STATUSES, Tier

RED = "红"
RUNNING = RUNNING_STATUSES


@dataclass(frozen=True)
class Promises:
    """How long each clock runs (the defaults are the built-in configuration's)."""

    take_working_hours: int = 8
    claim_working_hours: int = 8
    representative_working_days: int = 5
    subdistrict_working_days: int = 10
    department_working_days: int = 15
    higher_congress_days: int = 90   # calendar days
    red_working_days: int = 1
    remind_before_working_hours: int = 8

    @classmethod
    def of(cls, settings) -> Promises:
        """The promises configured in ``settings`` (``deadlines.*``, ``cases.take_within_working_hours``)."""
        if isinstance(settings, Promises):
            return settings
        return cls(
            take_working_hours=settings.cases_take_within_working_hours,
            claim_working_hours=settings.deadlines_claim_working_hours,
            representative_working_days=settings.deadlines_representative_working_days,
            subdistrict_working_days=settings.deadlines_subdistrict_working_days,
            department_working_days=settings.deadlines_department_working_days,
            higher_congress_days=settings.deadlines_higher_congress_days,
            red_working_days=settings.deadlines_red_working_days,
            remind_before_working_hours=settings.deadlines_remind_before_working_hours,
        )

    def working_days(self, tier: Tier | None) -> int | None:
        """The answer promise of ``tier`` in working days; None for tier 4 (calendar days)."""
        return {None: self.representative_working_days, Tier.REPRESENTATIVE: self.representative_working_days,
                Tier.SUBDISTRICT: self.subdistrict_working_days, Tier.DEPARTMENT: self.department_working_days,
                }.get(tier)


@dataclass(frozen=True)
class Policy:
    """The promises and the calendar they are counted in."""

    promises: Promises
    calendar: Calendar


def end_of_working_day(day: date) -> datetime:
    """17:00 Beijing on ``day`` (naive UTC): a deadline in working days ends at the close of work."""
    return beijing_at(day, WORKDAY_END_HOUR)


def deadline(tier: Tier | None, colour: str | None, start: datetime, calendar: Calendar, settings) -> datetime:
    """When the answer to a case of ``tier`` and ``colour`` is due if its clock starts at ``start``
    (naive UTC). ``settings``: ``Promises`` or anything with the configuration's attributes."""
    promises = Promises.of(settings)
    days = promises.working_days(tier)
    if colour == RED:
        days = promises.red_working_days if days is None else min(days, promises.red_working_days)
    if days is None:   # a higher congress: calendar days, the last one moved to a working day
        last = beijing_date(start) + timedelta(days=promises.higher_congress_days)
        return end_of_working_day(next_working_day(last, calendar))
    return end_of_working_day(add_working_days(beijing_date(start), days, calendar))


def take_deadline(start: datetime, calendar: Calendar, settings) -> datetime:
    """When a representative must have taken a case that reached them at ``start``."""
    return add_working_hours(start, Promises.of(settings).take_working_hours, calendar)


def claim_deadline(start: datetime, calendar: Calendar, settings) -> datetime:
    """When the working committee must have passed on a case that came to it at ``start``."""
    return add_working_hours(start, Promises.of(settings).claim_working_hours, calendar)


# -- the process's policy --------------------------------------------------------------------------

_configured: Policy | None = None


@cache
def policy_for(settings) -> Policy:
    """The promises and calendar ``settings`` configure (the calendar file read once per process)."""
    return Policy(Promises.of(settings), load_calendar(getattr(settings, "calendar_holidays", "")))


def configure(settings) -> Policy:
    """Make ``settings``' policy the one ``configured`` returns (each time settings are loaded)."""
    global _configured
    _configured = policy_for(settings)
    return _configured


def configured() -> Policy:
    """The process's policy: the last settings loaded, or the defaults with the packaged calendar."""
    return _configured or Policy(Promises(), load_calendar(""))
