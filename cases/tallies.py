"""Monthly tallies of cases per sub-district (``case_tallies``), kept by a job so that the dashboard
sums a few thousand rows instead of counting a year of cases on every visit.

A month is a Beijing calendar month. A month's tally counts the cases filed in it as they stand
when counted: received, taken up, answered, and the residents' final verdicts (each case's latest
rating request: rated, satisfied, solved, or 未评价); by tier, top-level category and
representative.
The job recounts only the months of cases changed since its last run (a case changed long after
it was filed moves its own month's figures), and every month of the last year when it has no
record of a last run.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy import case as when

from cases import ratings
from cases.calendar import beijing_at, beijing_date
from cases.status import CATEGORY_SEPARATOR, CaseStatus
from models import Case, CaseRating, CaseTally

log = logging.getLogger(__name__)

ANSWERED = (CaseStatus.REPLIED, CaseStatus.CLOSED)
NOT_COUNTED = (CaseStatus.MERGED, CaseStatus.INVALID, CaseStatus.WITHDRAWN)   # not matters to answer
MONTHS_KEPT = 12               # the dashboard's longest period: this month and the eleven before
COUNTED_KEY = "minyi:tallies:counted_at"
# A step's transaction may commit a little after the time it stamps on the case: changes are
# looked for from a little before the last run.
OVERLAP = timedelta(minutes=5)
KINDS = ("total", "tier", "category", "representative")
COUNTS = ("received", "taken", "answered", "rated", "satisfied", "solved", "unrated")
SATISFIED = ("satisfied", "basic")       # 满意 and 基本满意 count towards the satisfaction rate


def month_of(at: datetime) -> date:
    """The Beijing month (its first day) of a naive-UTC time."""
    return beijing_date(at).replace(day=1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    """00:00 Beijing time on the month's first day, as naive UTC."""
    return beijing_at(month.replace(day=1), 0)


def tally_rows(grouped, month: date, now: datetime) -> list[dict]:
    """``case_tallies`` rows from counts grouped by (sub-district, tier, category, representative):
    each of COUNTS added up per sub-district and kind."""
    sums: dict[tuple, Counter] = {}
    for sub_district_id, tier, category, representative_id, *numbers in grouped:
        top = (category or "").split(CATEGORY_SEPARATOR, 1)[0]
        keys = [("total", ""), ("tier", tier or ""), ("category", top)]
        if representative_id is not None:
            keys.append(("representative", str(representative_id)))
        for kind, key in keys:
            sums.setdefault((sub_district_id, kind, key), Counter()).update(dict(zip(COUNTS, numbers, strict=True)))
    return [{"month": month, "sub_district_id": sub_district_id, "kind": kind, "key": key, "counted_at": now,
             **{name: counts[name] for name in COUNTS}}
            for (sub_district_id, kind, key), counts in sums.items()]


def recount(conn: Connection, month: date, now: datetime) -> int:
    """Count the month again: its rows replaced in the caller's transaction."""
    def number(condition):
        return func.coalesce(func.sum(when((condition, 1), else_=0)), 0)

    rated = CaseRating.status == "rated"
    grouped = conn.execute(
        select(Case.sub_district_id, Case.tier, Case.category, Case.representative_id, func.count(),
               func.count(Case.accepted_at), number(Case.status.in_(ANSWERED)), number(rated),
               number(rated & CaseRating.satisfaction.in_(SATISFIED)), number(rated & (CaseRating.solved == "solved")),
               number(CaseRating.status == "expired"))
        .outerjoin(CaseRating, (CaseRating.case_id == Case.id) & ratings.latest())
        .where(Case.created_at >= month_start(month), Case.created_at < month_start(add_months(month, 1)),
               Case.status.not_in(NOT_COUNTED))
        .group_by(Case.sub_district_id, Case.tier, Case.category, Case.representative_id)).all()
    rows = tally_rows(grouped, month, now)
    conn.execute(delete(CaseTally.__table__).where(CaseTally.month == month))
    if rows:
        conn.execute(insert(CaseTally.__table__), rows)
    return len(rows)


def changed_months(conn: Connection, since: datetime, first: date) -> set[date]:
    """The months (from ``first`` on) of the cases changed, or whose rating was settled, after
    ``since``."""
    recent = Case.created_at >= month_start(first)
    changed = select(Case.created_at).where(Case.updated_at > since, recent)
    rated = (select(Case.created_at).join(CaseRating, CaseRating.case_id == Case.id)
             .where(CaseRating.rated_at > since, recent))
    return {month_of(created) for created in conn.scalars(changed.union(rated))}


def counted_at(redis: Redis) -> datetime | None:
    """When the tallies were last brought up to date; None when there is no record of it."""
    try:
        kept = redis.get(COUNTED_KEY)
    except RedisError as error:
        log.warning("tallies' time unknown (Redis: %s)", error)
        return None
    return datetime.fromisoformat(kept.decode()) if kept else None


def refresh(engine: Engine, redis: Redis, now: datetime) -> int:
    """Bring the tallies up to date; returns how many months were counted. The time of the run
    is kept only once its counts are committed."""
    first = add_months(month_of(now), 1 - MONTHS_KEPT)
    last_run = counted_at(redis)
    with engine.begin() as conn:
        conn.execute(delete(CaseTally.__table__).where(CaseTally.month < first))
        months = ({add_months(first, n) for n in range(MONTHS_KEPT)} if last_run is None
                  else changed_months(conn, last_run - OVERLAP, first))
        for month in sorted(months):
            recount(conn, month, now)
    try:
        redis.set(COUNTED_KEY, now.isoformat())
    except RedisError as error:
        log.warning("tallies' time not kept (Redis: %s)", error)
    return len(months)
