"""Jobs that chase deadlines (督办): reminders before a deadline and the 督办 flag after it
(``supervise_cases``), and the district office's daily list of overdue cases
(``send_daily_digest``). The rules are ``cases.supervision``'s.

Both are safe to run twice and to kill halfway. Each case is chased in a transaction of its own:
its reminder is queued under a key naming the case, the kind and the deadline (``Chase.cause``),
and a case already holding that key is passed over; its 督办 sets ``supervised_at``, adds the
``supervise`` step and queues the notices together, or not at all. The daily list is queued for
all its readers in one transaction, under a key naming the day.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.orm import aliased

from bot.services import Services
from cases import actions
from cases import supervision as rules
from cases.calendar import add_working_hours, beijing_date
from cases.deadlines import RUNNING, Policy, policy_for
from cases.numbering import BEIJING_OFFSET, case_number
from cases.scope import SYSTEM
from cases.status import CaseStatus
from models import Case, CaseEvent, OutboxMessage, StaffUser, SubDistrict
from models.staff import StaffRole

log = logging.getLogger(__name__)

BATCH = 500
REMINDER_PURPOSES = tuple(rules.PURPOSES[kind] for kind in rules.REMINDERS)


def _clock_query(policy: Policy, now: datetime):
    """Cases whose clock may call for a reminder or a 督办 now: due within the reminders' horizon,
    past due and not flagged for it, or filed and waiting for their representative."""
    promises = policy.promises
    longest = max(promises.remind_before_working_hours, promises.take_working_hours, promises.claim_working_hours)
    # A deadline later than this is more than every reminder's working hours away.
    horizon = add_working_hours(now, longest + 1, policy.calendar)
    steps = aliased(CaseEvent)
    started = (select(func.max(steps.id))
               .where(steps.case_id == Case.id, steps.action.in_(list(rules.CLOCK_STEPS)))
               .correlate(Case).scalar_subquery())
    return (
        select(Case.id, Case.status, Case.tier, Case.representative_id, Case.escalated_at, Case.due_at,
               Case.supervised_at, func.coalesce(CaseEvent.action, "submit").label("started_by"),
               func.coalesce(CaseEvent.at, Case.created_at).label("started_at"))
        .outerjoin(CaseEvent, CaseEvent.id == started)
        .where(Case.status.in_(RUNNING))
        .where(or_(
            and_(Case.due_at > now, Case.due_at <= horizon),
            and_(Case.due_at <= now, or_(Case.supervised_at.is_(None), Case.supervised_at < Case.due_at)),
            # filed (or escalated before deadlines were kept): the clock's start implies the deadline
            and_(Case.due_at.is_(None), Case.status == CaseStatus.SUBMITTED, Case.escalated_at.is_(None),
                 Case.representative_id.is_not(None)),
            and_(Case.due_at.is_(None), Case.status.in_([CaseStatus.SUBMITTED, CaseStatus.ACCEPTED]),
                 Case.escalated_at.is_not(None)),
        ))
        .order_by(Case.id)
    )


def _clock(row) -> rules.Clock:
    return rules.Clock(row.id, CaseStatus(row.status), row.tier, row.representative_id, row.escalated_at,
                       row.started_by, row.started_at, row.due_at, row.supervised_at)


def _sent(conn: Connection, case_ids: list[int]) -> set[str]:
    """The reminders already queued for these cases, by cause (``Chase.cause``)."""
    keys = conn.scalars(select(OutboxMessage.idempotency_key).where(
        OutboxMessage.case_id.in_(case_ids), OutboxMessage.purpose.in_(REMINDER_PURPOSES)))
    return {":".join(key.split(":", 4)[:4]) for key in keys}


def supervise_cases(svc: Services, now: datetime) -> int:
    """Send the reminders that are due and flag the cases past their deadline; return how many
    cases were chased."""
    policy = policy_for(svc.settings)
    if not rules.may_chase(now, policy.calendar):
        return 0
    query = _clock_query(policy, now)
    chased, after = 0, 0
    while True:
        with svc.engine.connect() as conn:
            rows = conn.execute(query.where(Case.id > after).limit(BATCH)).all()
            due = [(row.id, item) for row in rows if (item := rules.chase(_clock(row), now, policy))]
            sent = _sent(conn, [case_id for case_id, item in due if item.kind != rules.OVERDUE])
        for case_id, item in due:
            if item.cause in sent:
                continue
            try:
                chased += _chase_one(svc, case_id, now, policy)
            except Exception:  # noqa: BLE001 - one case's trouble must not hold up the others; it is logged
                log.exception("case %s: %s not sent; tried again at the next run", case_id, item.kind)
        if len(rows) < BATCH:
            return chased
        after = rows[-1].id


def _chase_one(svc: Services, case_id: int, now: datetime, policy: Policy) -> bool:
    """One case's reminder or 督办, decided again on the locked case, in one transaction."""
    with svc.engine.begin() as conn:
        row = conn.execute(_clock_query(policy, now).where(Case.id == case_id).with_for_update(of=Case)).first()
        item = rules.chase(_clock(row), now, policy) if row else None
        if item is None:
            return False
        if item.kind != rules.OVERDUE and _sent(conn, [case_id]) & {item.cause}:
            return False
        clock = _clock(row)
        if item.kind == rules.OVERDUE:
            actions.perform(conn, case_id, "supervise", SYSTEM, now, note=rules.ledger_note(item), notify=False,
                            deadlines=policy)
        if rules.tells(item, now, policy.calendar):
            actions.queue(conn, item.cause, rules.notices(item, clock, actions.case_facts(conn, case_id), now),
                          case_id, now)
    return True


DIGEST_FROM = time(8, 30)   # Beijing time


def _warn_of_missing_years(policy: Policy, day: date) -> None:
    """Once a day: deadlines run weeks ahead (a higher congress's 90 days), so from November next
    year's holidays are needed too."""
    for year in (day.year, day.year + 1) if day.month >= 11 else (day.year,):
        if not policy.calendar.covers(date(year, 1, 1)):
            log.warning("the holiday calendar has no %s: deadlines in it count Monday to Friday; add the year "
                        "to the file of calendar.holidays", year)


def send_daily_digest(svc: Services, now: datetime) -> int:
    """On a working day, the district office's list of overdue cases by sub-district (none when
    nothing is overdue); once a day, from 08:30 (the first run after it: the job runs every few
    minutes, so a scheduler down at 08:30 sends it when it is back) until 20:00. Returns how many
    messages were queued."""
    policy = policy_for(svc.settings)
    day = beijing_date(now)
    if not rules.may_chase(now, policy.calendar) or (now + BEIJING_OFFSET).time() < DIGEST_FROM:
        return 0   # a rest day, too early, or a scheduler started late at night: not now
    cause = rules.digest_cause(now)
    with svc.engine.begin() as conn:
        if conn.scalar(select(func.count()).where(OutboxMessage.idempotency_key.startswith(cause + ":"))):
            return 0
        _warn_of_missing_years(policy, day)
        overdue = [rules.Overdue(row.name or "", case_number(row.id, row.created_at), bool(row.supervised))
                   for row in conn.execute(
                       select(SubDistrict.name, Case.id, Case.created_at,
                              (Case.supervised_at >= Case.due_at).label("supervised"))
                       .outerjoin(SubDistrict, SubDistrict.id == Case.sub_district_id)
                       .where(Case.status.in_(RUNNING), Case.due_at < now)
                       .order_by(SubDistrict.name, Case.due_at, Case.id))]
        readers = conn.scalars(select(StaffUser.openid).where(
            StaffUser.role == StaffRole.DISTRICT, StaffUser.active.is_(True), StaffUser.openid.is_not(None))
            .order_by(StaffUser.id)).all()
        return actions.queue(conn, cause, rules.digest_notices(readers, overdue, now), None, now)
