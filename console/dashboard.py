"""The dashboard: what came in and what became of it, within the user's scope, for a period.

Figures: received, taken up, answered (replied or closed), overdue, the answer rate; counts by
tier (as 汉阳 reports them: answered by representatives / by sub-district and community / by
departments / passed up), by top-level category, by sub-district, by representative and by
month. The satisfaction rate waits for the residents' ratings (issue 12) and shows as —. Every
figure is one grouped query; bars are drawn by the stylesheet (no script, nothing from the
internet), so the page prints and pastes into a report as it is. The figures are counted at most
once every ten minutes per scope and period (``cached_figures``); the page says when.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import abort, render_template, request
from flask_login import current_user, login_required
from redis.exceptions import RedisError
from sqlalchemy import Connection, and_, extract, func, select
from sqlalchemy import case as when

from bot.services import services
from cases.numbering import BEIJING_OFFSET
from cases.scope import clause
from cases.status import CATEGORY_SEPARATOR, CaseStatus, Tier
from console import bp
from models import Case, Representative, SubDistrict
from models.staff import StaffRole
from texts import console as words
from texts import workbench as labels

ANSWERED = (CaseStatus.REPLIED, CaseStatus.CLOSED)
NOT_COUNTED = (CaseStatus.MERGED, CaseStatus.INVALID, CaseStatus.WITHDRAWN)   # not matters to answer
TOP_REPRESENTATIVES = 20
CACHE_SECONDS = 600
log = logging.getLogger(__name__)
PERIODS = {"30": 30, "90": 90, "365": 365}


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: float      # of the largest bar, 0–1 (its width)


def bars(counts: list[tuple[str, int]]) -> list[Bar]:
    largest = max((count for _, count in counts), default=0) or 1
    return [Bar(label, count, count / largest) for label, count in counts]


def figures(conn: Connection, where, now: datetime) -> dict:
    counted = and_(where, Case.status.not_in(NOT_COUNTED))
    one = conn.execute(select(
        func.count().label("received"),
        func.count(Case.accepted_at).label("taken"),
        func.sum(when((Case.status.in_(ANSWERED), 1), else_=0)).label("answered"),
        func.sum(when((and_(Case.status.not_in(ANSWERED), Case.due_at < now), 1), else_=0)).label("overdue"),
    ).where(counted)).one()
    answered = int(one.answered or 0)
    by_tier = dict(conn.execute(select(Case.tier, func.count()).where(counted).group_by(Case.tier)).all())
    categories: Counter = Counter()
    for category, count in conn.execute(select(Case.category, func.count()).where(counted).group_by(Case.category)):
        categories[(category or "").split(CATEGORY_SEPARATOR, 1)[0] or words.UNSET] += count
    sub_districts = conn.execute(
        select(func.coalesce(SubDistrict.name, words.UNSET), func.count())
        .select_from(Case).outerjoin(SubDistrict, SubDistrict.id == Case.sub_district_id)
        .where(counted).group_by(SubDistrict.name).order_by(func.count().desc())).all()
    representatives = conn.execute(
        select(Representative.name, func.count()).select_from(Case)
        .join(Representative, Representative.id == Case.representative_id)
        .where(counted).group_by(Representative.name).order_by(func.count().desc())
        .limit(TOP_REPRESENTATIVES)).all()
    months = conn.execute(
        select(extract("year", Case.created_at).label("y"), extract("month", Case.created_at).label("m"), func.count())
        .where(counted).group_by("y", "m").order_by("y", "m")).all()
    return {
        "received": one.received, "taken": one.taken, "answered": answered, "overdue": int(one.overdue or 0),
        "answer_rate": answered / one.received if one.received else None,
        "by_tier": bars([(labels.TIER_LABELS[tier], by_tier.get(tier, 0)) for tier in Tier]
                        + [(words.UNSET, by_tier.get(None, 0))]),
        "by_category": bars(categories.most_common()),
        "by_sub_district": bars([(name, count) for name, count in sub_districts]),
        "by_representative": bars([(name, count) for name, count in representatives]),
        "by_month": bars([(f"{int(y)}年{int(m)}月", count) for y, m, count in months]),
    }


def _scope_key(actor) -> str:
    """Whose figures: every user of one scope reads the same."""
    if actor.role is StaffRole.SUBDISTRICT:
        return f"sub-district:{actor.sub_district_id}"
    if actor.role is StaffRole.DEPARTMENT:
        return f"department:{actor.department_id}"
    return "district"


def cached_figures(actor, days: str, now: datetime) -> tuple[dict, datetime]:
    """The figures of ``actor``'s scope over ``days``, and when they were counted: counted at most
    once per CACHE_SECONDS per scope and period (over a year of a million-case district the count
    reads some 400,000 cases, a few seconds), kept in Redis. Without Redis, counted every time."""
    key = f"minyi:dashboard:{_scope_key(actor)}:{days}"
    redis = services().redis
    try:
        kept = redis.get(key)
    except RedisError:
        kept = None
    if kept:
        stored = json.loads(kept)
        return stored["figures"], datetime.fromisoformat(stored["at"])
    where = and_(clause(actor), Case.created_at >= now - timedelta(days=PERIODS[days]))
    with services().engine.connect() as conn:
        shown = figures(conn, where, now)
    plain = {name: [asdict(bar) for bar in value] if name.startswith("by_") else value for name, value in shown.items()}
    try:
        redis.set(key, json.dumps({"figures": plain, "at": now.isoformat()}, ensure_ascii=False), ex=CACHE_SECONDS)
    except RedisError as error:
        log.warning("dashboard figures not kept (Redis: %s)", error)
    return plain, now


@bp.route("/dashboard")
@login_required
def dashboard():
    days = request.args.get("days", "365")
    if days not in PERIODS:
        abort(400)
    now = services().clock.now()
    shown, counted_at = cached_figures(current_user.actor, days, now)
    return render_template("console/dashboard.html", figures=shown, days=days, periods=PERIODS,
                           since=(now - timedelta(days=PERIODS[days]) + BEIJING_OFFSET).date(),
                           counted_at=counted_at, minutes=CACHE_SECONDS // 60)
