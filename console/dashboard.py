"""The dashboard: what came in and what became of it, within the user's scope, for a period of
Beijing months (this month, the last three, the last twelve): the figures of ``cases.figures``.
Bars are drawn by the stylesheet (no script, nothing from the internet), so the page prints and
pastes into a report as it is.

The district's and a sub-district's figures are summed from the monthly tallies
(``cases.tallies``, kept up to date by a job every minute; the page says when they were counted);
a department's few cases, and every scope before the first tally, are counted on the spot.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import Connection

from bot.services import services
from cases.figures import counted_from_tallies, counted_live, months_of, overdue, shown
from cases.scope import clause
from cases.tallies import add_months, counted_at, month_of
from console import bp
from models.staff import StaffRole

PERIODS = {"1": 1, "3": 3, "12": 12}     # months, this one included


def figures(conn: Connection, actor, first: date, now: datetime, tallied: bool) -> dict:
    """``actor``'s figures since the month ``first``: from the tallies when ``tallied`` and the
    scope is the district's or a sub-district's, otherwise counted on the spot."""
    where = clause(actor)
    if tallied and actor.role in (StaffRole.DISTRICT, StaffRole.OBSERVER):
        counts = counted_from_tallies(conn, None, first)
    elif tallied and actor.role is StaffRole.SUBDISTRICT:
        counts = counted_from_tallies(conn, actor.sub_district_id, first)
    else:
        counts = counted_live(conn, where, first, now)
    counts.months.update(dict.fromkeys(months_of(first, now), 0))    # a month without cases shows as 0
    counts.overdue = overdue(conn, where, first, now)
    return shown(conn, counts)


@bp.route("/dashboard")
@login_required
def dashboard():
    period = request.args.get("months", "12")
    if period not in PERIODS:
        abort(400)
    svc = services()
    now = svc.clock.now()
    first = add_months(month_of(now), 1 - PERIODS[period])
    tallied_at = counted_at(svc.redis)
    with svc.engine.connect() as conn:
        page = figures(conn, current_user.actor, first, now, tallied=tallied_at is not None)
    return render_template("console/dashboard.html", figures=page, period=period, periods=PERIODS, since=first,
                           counted_at=tallied_at or now)
