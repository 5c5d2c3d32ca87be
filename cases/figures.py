"""A scope's figures over a period of Beijing months: received, taken up, answered (replied or
closed), overdue, the residents' verdicts (each case's final one: the satisfaction rate, the
solved rate 办成率, and 未评价 apart; ``cases.ratings``); counts by tier, top-level category,
sub-district, representative and month.
What the dashboard shows and the monthly reports keep.

Counted on the spot (``counted_live``: any condition on cases) or summed from the monthly tallies
(``counted_from_tallies``: the district or one sub-district, ``cases.tallies``); the overdue
count is always counted on the spot, since it moves with the clock (only open cases can be
overdue, and a partial index holds them). Merged, invalid and withdrawn cases are not counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, and_, func, select
from sqlalchemy import case as when

from cases import ratings
from cases.status import CATEGORY_SEPARATOR, OPEN_STATUSES, Tier
from cases.tallies import ANSWERED, COUNTS, NOT_COUNTED, add_months, month_of, month_start
from models import Case, CaseTally, Representative, SubDistrict
from texts import console as words
from texts import workbench as labels

TOP_REPRESENTATIVES = 20
WAITING = tuple(status for status in OPEN_STATUSES if status not in ANSWERED)   # can be overdue


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: float      # of the largest bar, 0–1 (its width)


def bars(counts: list[tuple[str, int]]) -> list[Bar]:
    largest = max((count for _, count in counts), default=0) or 1
    return [Bar(label, count, count / largest) for label, count in counts]


@dataclass
class Counts:
    """A scope's counts over a period, however they were counted."""

    received: int = 0
    taken: int = 0
    answered: int = 0
    overdue: int = 0
    rated: int = 0               # residents' final verdicts: rated, of those satisfied and solved;
    satisfied: int = 0           # and requests never answered (未评价)
    solved: int = 0
    unrated: int = 0
    tiers: Counter = field(default_factory=Counter)            # tier value or "" → received
    categories: Counter = field(default_factory=Counter)       # top-level category or ""
    sub_districts: Counter = field(default_factory=Counter)    # sub-district id or None
    representatives: Counter = field(default_factory=Counter)  # representative id
    months: Counter = field(default_factory=Counter)           # first day of a Beijing month


def counted_live(conn: Connection, where, first: date, now: datetime) -> Counts:
    """Count the cases filed since the month ``first`` that ``where`` admits."""
    counted = and_(where, Case.created_at >= month_start(first), Case.status.not_in(NOT_COUNTED))
    months = months_of(first, now)
    one = conn.execute(select(
        func.count(), func.count(Case.accepted_at), func.sum(when((Case.status.in_(ANSWERED), 1), else_=0)),
        *(func.sum(when((Case.created_at >= month_start(month), 1), else_=0)) for month in months),
    ).where(counted)).one()
    verdicts = ratings.rating_figures(conn, counted, latest_only=True)
    counts = Counts(received=one[0], taken=one[1], answered=int(one[2] or 0), rated=verdicts.rated,
                    satisfied=verdicts.satisfied + verdicts.basic, solved=verdicts.solved, unrated=verdicts.expired)
    # each month's count is the cases since its start less those since the next one's
    since = [int(n or 0) for n in one[3:]] + [0]
    counts.months.update({month: since[i] - since[i + 1] for i, month in enumerate(months)})
    def grouped(column):
        return conn.execute(select(column, func.count()).where(counted).group_by(column)).all()

    counts.tiers.update({tier or "": n for tier, n in grouped(Case.tier)})
    counts.sub_districts.update(dict(grouped(Case.sub_district_id)))
    counts.representatives.update({rep: n for rep, n in grouped(Case.representative_id) if rep is not None})
    for category, n in grouped(Case.category):
        counts.categories[(category or "").split(CATEGORY_SEPARATOR, 1)[0]] += n
    return counts


def counted_from_tallies(conn: Connection, sub_district_id: int | None, first: date) -> Counts:
    """The same counts summed from the monthly tallies: the whole district (``sub_district_id``
    None) or one sub-district."""
    where = [CaseTally.month >= first]
    if sub_district_id is not None:
        where.append(CaseTally.sub_district_id == sub_district_id)
    counts = Counts()
    for row in conn.execute(
            select(CaseTally.month, CaseTally.sub_district_id, CaseTally.kind, CaseTally.key,
                   *(getattr(CaseTally, name) for name in COUNTS)).where(*where)):
        kind, key, received = row.kind, row.key, row.received
        if kind == "total":
            for name in COUNTS:
                setattr(counts, name, getattr(counts, name) + getattr(row, name))
            counts.months[row.month] += received
            counts.sub_districts[row.sub_district_id] += received
        elif kind == "tier":
            counts.tiers[key] += received
        elif kind == "category":
            counts.categories[key] += received
        elif kind == "representative":
            counts.representatives[int(key)] += received
    return counts


def overdue(conn: Connection, where, first: date, now: datetime) -> int:
    """Open cases filed since the month ``first`` whose deadline has passed."""
    return conn.scalar(select(func.count()).where(
        where, Case.status.in_(WAITING), Case.due_at < now, Case.created_at >= month_start(first)))


def shown(conn: Connection, counts: Counts) -> dict:
    """The figures and bars the page draws."""
    sub_districts = dict(conn.execute(select(SubDistrict.id, SubDistrict.name)
                                      .where(SubDistrict.id.in_([k for k in counts.sub_districts if k]))).all())
    top = counts.representatives.most_common(TOP_REPRESENTATIVES)
    names = dict(conn.execute(select(Representative.id, Representative.name)
                              .where(Representative.id.in_([rep for rep, _ in top]))).all())
    return {
        "received": counts.received, "taken": counts.taken, "answered": counts.answered, "overdue": counts.overdue,
        "answer_rate": counts.answered / counts.received if counts.received else None,
        "rated": counts.rated, "unrated": counts.unrated,
        "satisfaction_rate": counts.satisfied / counts.rated if counts.rated else None,
        "solved_rate": counts.solved / counts.rated if counts.rated else None,
        "by_tier": bars([(labels.TIER_LABELS[tier], counts.tiers[tier.value]) for tier in Tier]
                        + [(words.UNSET, counts.tiers[""])]),
        "by_category": bars([(name or words.UNSET, n) for name, n in counts.categories.most_common()]),
        "by_sub_district": bars([(sub_districts.get(sd, words.UNSET), n)
                                 for sd, n in counts.sub_districts.most_common() if n]),
        "by_representative": bars([(names.get(rep, ""), n) for rep, n in top]),
        "by_month": bars([(f"{month.year}年{month.month}月", counts.months[month]) for month in sorted(counts.months)]),
    }


def months_of(first: date, now: datetime) -> list[date]:
    """The months from ``first`` to ``now``'s."""
    last = month_of(now)
    return [add_months(first, n) for n in range((last.year - first.year) * 12 + last.month - first.month + 1)]
