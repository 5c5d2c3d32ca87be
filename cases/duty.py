"""Representatives' duty records (履职登记), kept automatically: for each representative and a
period of Beijing dates, what reached them and what they did with it — read from the cases and
their timeline (``case_events``), the residents' ratings (``case_ratings``) and the offline work
staff entered (``models.duty``) — and points by the configured rules (积分制, ``duty.points``).

Points are for the congress office's own use. The national 2026 rules against formalism in
government apps (国办函〔2026〕12号) bar mandatory check-ins and public points rankings: nothing here
ranks representatives, no page sorts by points, and nothing asks a representative to clock in.
Offline work is what staff record of work done, never a check-in.

What counts, per representative and period:

- received: cases that reached them in the period — filed to them (a resident who scanned their
  poster) or given to them by a clerk (指派, the latest one) — and the cases they sent back (退回)
  after receiving them in the period. Merged, invalid and withdrawn cases are not counted (as on
  the dashboard).
- taken in time: of those, the ones they accepted, answered or passed on (接单, 答复, 转办) within
  ``cases.take_within_working_hours`` working hours of reaching them (``cases.calendar``).
- first response: working hours from reaching them to their first step on the case (接单, 答复,
  转办 or 退回); the median over the received cases they responded to.
- answered directly: cases they answered themselves (「回复」, tier 1) in the period.
- passed on: cases they passed on in the period (「转街道」「转部门」「转上级」), by tier: the tier
  the step recorded in its ``code`` when it did, else the case's tier.
- ratings: residents' verdicts on the cases they hold, asked for in the period, counted as
  ``cases.ratings.rating_figures`` counts them.
- offline work: the activities staff entered for them, dated in the period.

Everything is a handful of grouped queries for all the representatives asked about at once; only
each received case's working hours are reckoned in Python (the holiday calendar is Python's).
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    distinct,
    func,
    insert,
    literal_column,
    or_,
    select,
    union_all,
)

from cases import calendar as working_time
from cases.numbering import BEIJING_OFFSET
from cases.ratings import RatingFigures
from cases.status import CaseStatus, Tier
from models import Case, CaseEvent, CaseRating, ContactPoint, DutyActivity, Representative, StaffUser
from models.duty import ACTIVITY_KINDS, duty_activity_representatives
from models.rating import SATISFACTION_VALUES, SOLVED_VALUES
from texts import duty as words

NOT_COUNTED = (CaseStatus.MERGED, CaseStatus.INVALID, CaseStatus.WITHDRAWN)   # not matters to answer
TAKING = ("accept", "reply", "assign")          # a representative takes a case up
RESPONDING = (*TAKING, "return")                # … or at least answers that it is not theirs
PASSED_ON_TIERS = (Tier.SUBDISTRICT, Tier.DEPARTMENT, Tier.HIGHER_CONGRESS)
# Written out, not bound: the partial indexes of models.duty match these predicates only so.
_BY_REPRESENTATIVE = literal_column("'representative'")
_ROUTE = literal_column("'route'")
_RETURN = literal_column("'return'")

# What points may be given for (``duty.points``): a record's figures, and its kinds of offline work.
POINT_ITEMS = ("received", "taken_in_time", "answered", "passed_on", "satisfied", "basic", *ACTIVITY_KINDS)
MAX_POINTS_PER_ITEM = 1000
LONGEST_PERIOD_DAYS = 366


# -- periods ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Beijing dates, ``first`` to ``last`` inclusive."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """Its first moment, naive UTC as stored."""
        return working_time.beijing_at(self.first, 0)

    @property
    def end(self) -> datetime:
        """The moment after it, naive UTC."""
        return working_time.beijing_at(self.last + timedelta(days=1), 0)


def month_to_date(now: datetime) -> Period:
    today = working_time.beijing_date(now)
    return Period(today.replace(day=1), today)


def year_to_date(now: datetime) -> Period:
    today = working_time.beijing_date(now)
    return Period(today.replace(month=1, day=1), today)


def last_month(now: datetime) -> Period:
    first_of_this = working_time.beijing_date(now).replace(day=1)
    last = first_of_this - timedelta(days=1)
    return Period(last.replace(day=1), last)


def last_year(now: datetime) -> Period:
    year = working_time.beijing_date(now).year - 1
    return Period(date(year, 1, 1), date(year, 12, 31))


FIRST_YEAR, LAST_YEAR = 2000, 2099


def checked_period(first: date, last: date) -> Period:
    """A period people asked for; raises ValueError when it is backwards, longer than a year, or
    outside the years the system can hold (2000–2099)."""
    if not (FIRST_YEAR <= first.year and last.year <= LAST_YEAR):
        raise ValueError(f"a period lies between {FIRST_YEAR} and {LAST_YEAR}")
    if last < first:
        raise ValueError("the period ends before it begins")
    if (last - first).days >= LONGEST_PERIOD_DAYS:
        raise ValueError(f"a period is at most {LONGEST_PERIOD_DAYS} days")
    return Period(first, last)


# -- a record -----------------------------------------------------------------------------------

@dataclass
class Record:
    """One representative's record for one period."""

    received: int = 0
    taken: int = 0                   # of received: taken up at all (接单, 答复 or 转办)
    taken_in_time: int = 0           # … within the promise
    responded: int = 0               # of received: any first step, 退回 included
    median_response_hours: float | None = None   # working hours, over the responded
    answered: int = 0                # cases answered directly (tier 1)
    passed_on: dict[str, int] = field(default_factory=dict)   # tier → cases
    returned: int = 0                # cases sent back (退回)
    ratings: RatingFigures = field(default_factory=RatingFigures)
    activities: dict[str, int] = field(default_factory=dict)  # kind → activities

    @property
    def passed_on_total(self) -> int:
        return sum(self.passed_on.values())

    @property
    def activities_total(self) -> int:
        return sum(self.activities.values())

    @property
    def in_time_rate(self) -> float | None:
        return self.taken_in_time / self.received if self.received else None

    def figure(self, item: str) -> int:
        """The count a point rule multiplies (POINT_ITEMS)."""
        if item in ACTIVITY_KINDS:
            return self.activities.get(item, 0)
        if item in ("satisfied", "basic"):
            return getattr(self.ratings, item)
        if item == "passed_on":
            return self.passed_on_total
        return getattr(self, item)


def records(conn: Connection, representative_ids: Collection[int], period: Period, take_within_hours: float,
            calendar: working_time.Calendar | None = None, *, offline: bool = True) -> dict[int, Record]:
    """Each representative's record for ``period``, by id (every id asked for has one);
    ``offline=False`` leaves out the offline work (``count_offline`` adds it)."""
    ids = sorted(set(representative_ids))
    found = {rep_id: Record() for rep_id in ids}
    if not ids:
        return found
    if conn.dialect.name == "postgresql":
        # Compiling these grouped queries to machine code takes longer than running them.
        conn.exec_driver_sql("SET LOCAL jit = off")
    _count_arrivals(conn, found, ids, period, take_within_hours, calendar)
    _count_steps(conn, found, ids, period)
    _count_ratings(conn, found, ids, period)
    if offline:
        count_offline(conn, found, period)
    return found


def as_plain(record: Record) -> dict:
    """A record as JSON can keep it (``from_plain`` reads it back)."""
    return asdict(record)


def from_plain(plain: dict) -> Record:
    ratings = {name: plain["ratings"][name] for name in ("asked", "rated", "expired", "satisfied", "basic",
                                                            "dissatisfied", "solved", "partly", "unsolved")}
    return Record(**{**plain, "ratings": RatingFigures(**ratings)})


def _arrivals(ids: list[int], period: Period):
    """(case_id, rep, reached_at) for each case that reached one of ``ids`` in the period."""
    events, cases = CaseEvent.__table__, Case.__table__
    start, end = period.start, period.end
    counted = cases.c.status.not_in(NOT_COUNTED)
    # The representative's clock starts when the case reached them: filed, or given by a clerk
    # (the latest 指派), as scheduler.notices reckons it. A case filed in the period was given
    # in it or later; one filed before reached its holder in the period only if given since.
    latest_route = (select(events.c.case_id, func.max(events.c.at).label("at"))
                    .where(events.c.action == _ROUTE, events.c.at >= start)
                    .group_by(events.c.case_id).subquery("latest_route"))
    held = (cases.c.id.label("case_id"), cases.c.representative_id.label("rep"),
            func.coalesce(latest_route.c.at, cases.c.created_at).label("reached_at"))
    theirs = cases.c.representative_id.in_(ids)
    filed = (select(*held).select_from(cases.outerjoin(latest_route, latest_route.c.case_id == cases.c.id))
             .where(theirs, counted, cases.c.created_at >= start, cases.c.created_at < end))
    routed = (select(*held).select_from(latest_route.join(cases, cases.c.id == latest_route.c.case_id))
              .where(theirs, counted, cases.c.created_at < start))
    # Cases they sent back are no longer theirs, but they did reach them.
    back = events.alias("back")
    routed_before = (select(func.max(events.c.at))
                     .where(events.c.case_id == back.c.case_id, events.c.action == _ROUTE, events.c.at <= back.c.at)
                     .correlate(back).scalar_subquery())
    returned = (select(back.c.case_id, back.c.actor_id.label("rep"),
                       func.coalesce(routed_before, cases.c.created_at).label("reached_at"))
                .join(cases, cases.c.id == back.c.case_id)
                .where(back.c.actor_kind == _BY_REPRESENTATIVE, back.c.actor_id.in_(ids), back.c.action == _RETURN,
                       back.c.at >= start, counted,
                       or_(cases.c.representative_id.is_(None), cases.c.representative_id != back.c.actor_id)))
    every = union_all(filed, routed, returned).subquery("every")
    return select(every).where(every.c.reached_at >= start, every.c.reached_at < end).subquery("arrivals")


def _first_steps(ids: list[int], period: Period):
    """(rep, reached_at, taken_at, responded_at) for each case that reached one of ``ids``: when
    it reached them, and their first step that took it up and their first step at all on it."""
    arrivals = _arrivals(ids, period)
    steps = CaseEvent.__table__.alias("steps")
    # The steps of these representatives since the period began (their partial index), joined on
    # the case; whose and which steps decide in the aggregates.
    since = and_(steps.c.actor_kind == _BY_REPRESENTATIVE, steps.c.actor_id.in_(ids), steps.c.at >= period.start)
    theirs = and_(steps.c.actor_id == arrivals.c.rep, steps.c.at >= arrivals.c.reached_at)
    query = (
        select(arrivals.c.rep, arrivals.c.reached_at,
               func.min(case((and_(theirs, steps.c.action.in_(TAKING)), steps.c.at))).label("taken_at"),
               func.min(case((and_(theirs, steps.c.action.in_(RESPONDING)), steps.c.at))).label("responded_at"))
        .select_from(arrivals.outerjoin(steps, and_(steps.c.case_id == arrivals.c.case_id, since)))
        .group_by(arrivals.c.case_id, arrivals.c.rep, arrivals.c.reached_at)
    )
    return query


class WorkingHours:
    """``cases.calendar.working_hours_between`` for many spans at once, by the same calendar: the
    working hours from ``origin`` to each time, each whole day's asked of the calendar once, the
    part of a day by its working window (``WORKDAY_START_HOUR`` to ``WORKDAY_END_HOUR`` of a
    working day). Tested to agree with the calendar's own function."""

    def __init__(self, calendar: working_time.Calendar | None, origin: date):
        self.calendar = calendar
        self.origin = origin
        self.before: list[float] = [0.0]      # working hours from ``origin`` to the start of origin + i
        self.working: dict[date, bool] = {}

    def _until(self, day: date) -> float:
        index = (day - self.origin).days
        while len(self.before) <= index:
            first = self.origin + timedelta(days=len(self.before) - 1)
            whole = working_time.working_hours_between(working_time.beijing_at(first, 0),
                                                       working_time.beijing_at(first + timedelta(days=1), 0),
                                                       self.calendar)
            self.before.append(self.before[-1] + whole)
        return self.before[index]

    def _since_origin(self, at: datetime) -> float:
        local = at + BEIJING_OFFSET
        day = local.date()
        if day not in self.working:
            self.working[day] = working_time.is_working_day(day, self.calendar)
        hour = (local - datetime.combine(day, time())).total_seconds() / 3600
        start, end = working_time.WORKDAY_START_HOUR, working_time.WORKDAY_END_HOUR
        within = min(max(hour, start), end) - start if self.working[day] else 0.0
        return self._until(day) + within

    def between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        if working_time.beijing_date(start) < self.origin:
            return working_time.working_hours_between(start, end, self.calendar)
        return round(self._since_origin(end) - self._since_origin(start), 6)


def _count_arrivals(conn: Connection, found: dict[int, Record], ids: list[int], period: Period,
                    take_within_hours: float, calendar) -> None:
    promise = timedelta(hours=take_within_hours)
    hours_between = WorkingHours(calendar, period.first).between
    responses: dict[int, list[float]] = {rep_id: [] for rep_id in ids}
    for rep_id, reached_at, taken_at, responded_at in conn.execute(_first_steps(ids, period)):
        record = found[rep_id]
        record.received += 1
        if responded_at is None:
            continue
        hours = hours_between(reached_at, responded_at)
        responses[rep_id].append(hours)
        if taken_at is None:
            continue
        record.taken += 1
        if taken_at - reached_at <= promise:     # working hours are never more than the hours
            record.taken_in_time += 1
        elif (hours_between(reached_at, taken_at) if taken_at != responded_at else hours) <= take_within_hours:
            record.taken_in_time += 1
    for rep_id, hours in responses.items():
        found[rep_id].responded = len(hours)
        found[rep_id].median_response_hours = round(statistics.median(hours), 1) if hours else None


def _count_steps(conn: Connection, found: dict[int, Record], ids: list[int], period: Period) -> None:
    """Answers, cases passed on (by tier) and sent back: their own steps in the period."""
    events, cases = CaseEvent.__table__, Case.__table__
    recorded = case((events.c.code.in_([value.value for value in Tier]), events.c.code),
                    else_=func.coalesce(cases.c.tier, ""))
    step_tier = case((events.c.action == "assign", recorded), else_="")
    query = (
        select(events.c.actor_id, events.c.action, step_tier.label("tier"), func.count(distinct(events.c.case_id)))
        .join(cases, cases.c.id == events.c.case_id)
        .where(events.c.actor_kind == _BY_REPRESENTATIVE, events.c.actor_id.in_(ids),
               events.c.at >= period.start, events.c.at < period.end,
               events.c.action.in_(("reply", "assign", "return")))
        .group_by(events.c.actor_id, events.c.action, step_tier)
    )
    for rep_id, action, tier_value, count in conn.execute(query):
        record = found[rep_id]
        if action == "reply":
            record.answered += count
        elif action == "return":
            record.returned += count
        else:
            key = tier_value if tier_value in PASSED_ON_TIERS else ""
            record.passed_on[key] = record.passed_on.get(key, 0) + count


def _count_ratings(conn: Connection, found: dict[int, Record], ids: list[int], period: Period) -> None:
    """``cases.ratings.rating_figures`` for each representative's cases at once (the same counts)."""
    ratings, cases = CaseRating.__table__, Case.__table__

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rated = ratings.c.status == "rated"
    query = (
        select(cases.c.representative_id, func.count(ratings.c.id), count(rated), count(ratings.c.status == "expired"),
               *(count(and_(rated, ratings.c.satisfaction == value)) for value in SATISFACTION_VALUES),
               *(count(and_(rated, ratings.c.solved == value)) for value in SOLVED_VALUES))
        .join(cases, cases.c.id == ratings.c.case_id)
        .where(cases.c.representative_id.in_(ids), ratings.c.asked_at >= period.start, ratings.c.asked_at < period.end,
               ratings.c.status != "superseded")
        .group_by(cases.c.representative_id)
    )
    for rep_id, *counts in conn.execute(query):
        found[rep_id].ratings = RatingFigures(*(int(value) for value in counts))


def count_offline(conn: Connection, found: dict[int, Record], period: Period) -> None:
    """Add to each record the offline work entered for its representative in ``period``."""
    ids = sorted(found)
    if not ids:
        return
    link, table = duty_activity_representatives, DutyActivity.__table__
    query = (
        select(link.c.representative_id, table.c.kind, func.count())
        .join(table, table.c.id == link.c.activity_id)
        .where(link.c.representative_id.in_(ids), table.c.day >= period.first, table.c.day <= period.last)
        .group_by(link.c.representative_id, table.c.kind)
    )
    for rep_id, kind, count in conn.execute(query):
        found[rep_id].activities[kind] = count


# -- points (积分制) -----------------------------------------------------------------------------

def parse_point_rules(spec: str) -> dict[str, int]:
    """"received=1,taken_in_time=2,reception=5" → {"received": 1, …}: points per item of a
    record (POINT_ITEMS), whole numbers from 0 to MAX_POINTS_PER_ITEM. Empty: no points kept."""
    rules: dict[str, int] = {}
    for pair in filter(None, (part.strip() for part in spec.split(","))):
        item, _, value = (piece.strip() for piece in pair.partition("="))
        if item not in POINT_ITEMS or item in rules:
            raise ValueError(f"{pair!r}: the item is not one of {', '.join(POINT_ITEMS)} (each at most once)")
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_POINTS_PER_ITEM:
            raise ValueError(f"{pair!r}: points are a whole number from 0 to {MAX_POINTS_PER_ITEM}")
        rules[item] = int(value)
    return rules


def points(record: Record, rules: Mapping[str, int]) -> int:
    return sum(record.figure(item) * weight for item, weight in rules.items())


def points_breakdown(record: Record, rules: Mapping[str, int]) -> list[tuple[str, int, int, int]]:
    """(item, count, points each, points) for every rule, in the rules' order."""
    return [(item, record.figure(item), weight, record.figure(item) * weight) for item, weight in rules.items()]


# -- offline work -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Activity:
    id: int
    kind: str
    day: date
    notes: str
    contact_point: str
    entered_by: str
    entered_at: datetime
    representatives: tuple[tuple[int, str], ...]   # (id, name)


def add_activity(conn: Connection, *, kind: str, day: date, representative_ids: Collection[int], notes: str,
                 contact_point_id: int | None, entered_by: int, now: datetime) -> int:
    """Record offline work; raises ValueError when it is incomplete or dated in the future."""
    if kind not in ACTIVITY_KINDS:
        raise ValueError(f"unknown kind of offline work {kind!r}")
    if not representative_ids:
        raise ValueError("offline work is someone's: at least one representative")
    if day > working_time.beijing_date(now):
        raise ValueError("offline work is recorded once done, not ahead")
    activity_id = conn.execute(insert(DutyActivity.__table__).returning(DutyActivity.__table__.c.id), {
        "kind": kind, "day": day, "notes": notes.strip(), "contact_point_id": contact_point_id,
        "entered_by": entered_by, "entered_at": now}).scalar_one()
    people = sorted(set(representative_ids))
    conn.execute(insert(duty_activity_representatives),
                 [{"activity_id": activity_id, "representative_id": rep_id} for rep_id in people])
    return activity_id


def remove_activity(conn: Connection, activity_id: int) -> None:
    link = duty_activity_representatives
    conn.execute(delete(link).where(link.c.activity_id == activity_id))
    conn.execute(delete(DutyActivity.__table__).where(DutyActivity.__table__.c.id == activity_id))


def activities(conn: Connection, representative_ids: Collection[int], period: Period | None = None,
               activity_id: int | None = None) -> list[Activity]:
    """The offline work of any of ``representative_ids`` in ``period`` (or the one activity),
    newest first, each with all its representatives."""
    link, table = duty_activity_representatives, DutyActivity.__table__
    ids = sorted(set(representative_ids))
    if not ids:
        return []
    wanted = select(link.c.activity_id).where(link.c.representative_id.in_(ids))
    query = (select(table.c.id, table.c.kind, table.c.day, table.c.notes, table.c.entered_at,
                    ContactPoint.name.label("point"), StaffUser.display_name.label("by"))
             .outerjoin(ContactPoint, ContactPoint.id == table.c.contact_point_id)
             .outerjoin(StaffUser, StaffUser.id == table.c.entered_by)
             .where(table.c.id.in_(wanted)).order_by(table.c.day.desc(), table.c.id.desc()))
    if period is not None:
        query = query.where(table.c.day >= period.first, table.c.day <= period.last)
    if activity_id is not None:
        query = query.where(table.c.id == activity_id)
    rows = conn.execute(query).all()
    people: dict[int, list[tuple[int, str]]] = {row.id: [] for row in rows}
    if rows:
        for activity, rep_id, name in conn.execute(
                select(link.c.activity_id, Representative.id, Representative.name)
                .join(Representative, Representative.id == link.c.representative_id)
                .where(link.c.activity_id.in_(list(people))).order_by(Representative.code)):
            people[activity].append((rep_id, name))
    return [Activity(row.id, row.kind, row.day, row.notes, row.point or "", row.by or "", row.entered_at,
                     tuple(people[row.id])) for row in rows]


# -- a representative's own record, in WeChat ---------------------------------------------------

def own_record(conn: Connection, representative_id: int, name: str, now: datetime, take_within_hours: float,
               calendar: working_time.Calendar | None = None) -> str:
    """The answer to 「我的履职」: this month's record and this year's, in plain words, no points."""
    sections = []
    for title, period in ((words.MONTH, month_to_date(now)), (words.YEAR, year_to_date(now))):
        record = records(conn, [representative_id], period, take_within_hours, calendar)[representative_id]
        sections.append((title, words.period_label(period.first, period.last),
                         words.record_lines(record, take_within_hours)))
    return words.my_record(name, sections)
