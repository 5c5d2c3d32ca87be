"""Jobs that make sure every case is heard by someone: the representative's notice of a new case,
and the working committee's (or the district office's) when nobody else would hear it.

A case goes to the committee when it has no representative once the resident's grouping window
has closed (they were asked to scan a poster or send their location first), when its
representative has no bound WeChat, or when its representative has not taken it within
``cases.take_within_working_hours``. Each is one ``escalate`` step through ``perform``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, exists, func, select

from bot.services import Services
from cases import actions, calendar
from cases import notices as notice_rules
from cases.calendar import Calendar
from cases.deadlines import policy_for
from cases.notifications import NEW_CASE_NOTICE_WITHIN
from cases.routing import store as routing
from cases.scope import SYSTEM
from cases.status import CaseStatus
from models import Case, CaseEvent, OutboxMessage, Representative

log = logging.getLogger(__name__)

BATCH = 50


def queue_new_case_notices(svc: Services, now: datetime) -> int:
    """A representative with a bound WeChat hears of each new case routed to them, once, when its
    text is complete (the resident's grouping window has closed), with the routing suggestion."""
    window = timedelta(minutes=svc.settings.intake_join_window_minutes)
    submitted = (select(func.min(CaseEvent.id)).where(CaseEvent.case_id == Case.id, CaseEvent.action == "submit")
                 .scalar_subquery())
    with svc.engine.begin() as conn:
        due = conn.execute(
            select(Case.id, Case.created_at, submitted.label("event_id"))
            .join(Representative, Representative.id == Case.representative_id)
            .where(
                Case.status == CaseStatus.SUBMITTED, Case.escalated_at.is_(None),
                Case.created_at >= now - NEW_CASE_NOTICE_WITHIN, routing.text_complete(window, now),
                Representative.openid.is_not(None),
                ~exists().where(and_(OutboxMessage.purpose == "new_case", OutboxMessage.case_id == Case.id,
                                     OutboxMessage.openid == Representative.openid)),
            )
            .order_by(Case.id).limit(BATCH)
        ).all()
        for row in due:
            notice = notice_rules.new_case(actions.case_facts(conn, row.id), row.created_at)
            actions.queue(conn, f"evt:{row.event_id or 'case' + str(row.id)}", [notice], row.id, now)
    return len(due)


def _unheard(conn: Connection, now: datetime, join_window: timedelta, take_within_hours: int,
             days: Calendar) -> list[tuple[int, str]]:
    """(case id, reason) for submitted cases nobody has been asked to hear yet."""
    waiting = and_(Case.status == CaseStatus.SUBMITTED, Case.escalated_at.is_(None))
    # The representative's clock starts when the case reached them: filed, or given by a clerk.
    routed_at = (select(func.max(CaseEvent.at)).where(CaseEvent.case_id == Case.id, CaseEvent.action == "route")
                 .scalar_subquery())
    since = func.coalesce(routed_at, Case.created_at)
    rows = conn.execute(
        select(Case.id, since.label("since"), Case.representative_id, Case.sub_district_id, Representative.openid)
        .outerjoin(Representative, Representative.id == Case.representative_id)
        .where(waiting)
        .where(
            # No representative: once the resident had their chance to choose one.
            (Case.representative_id.is_(None) & (Case.last_message_at <= now - join_window))
            | (Case.representative_id.is_not(None) & Representative.openid.is_(None))
            # Not taken: N working hours take at least N hours.
            | (since <= now - timedelta(hours=take_within_hours))
        )
        .order_by(Case.id).limit(BATCH)
    ).all()
    unheard = []
    for row in rows:
        if row.representative_id is None:
            unheard.append((row.id, "no_representative" if row.sub_district_id else "no_sub_district"))
        elif row.openid is None:
            unheard.append((row.id, "representative_unbound"))
        elif calendar.working_hours_between(row.since, now, days) >= take_within_hours:
            unheard.append((row.id, "not_taken"))
    return unheard


def escalate_unheard_cases(svc: Services, now: datetime) -> int:
    """Pass each unheard case to its working committee (or the district office)."""
    settings = svc.settings
    policy = policy_for(settings)
    hours = settings.cases_take_within_working_hours
    with svc.engine.begin() as conn:
        unheard = _unheard(conn, now, timedelta(minutes=settings.intake_join_window_minutes), hours, policy.calendar)
        for case_id, reason in unheard:
            actions.perform(conn, case_id, "escalate", SYSTEM, now, escalation_reason=reason, hours=hours,
                            deadlines=policy)
    return len(unheard)
