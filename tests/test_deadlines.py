"""The promise per tier and colour, and the deadline (due_at) every step that starts a clock sets."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from bot.config import ConfigError, load_settings
from bot.services import services
from cases import actions
from cases.calendar import beijing_at, load_calendar
from cases.deadlines import Policy, Promises, claim_deadline, deadline, take_deadline
from cases.scope import SYSTEM
from cases.status import CaseStatus, MessageKind, Tier
from console.queues import TABS
from models import Case, CaseEvent, CaseMessage, Department, Resident

CN = load_calendar("")
PROMISES = Promises()


def close_of(*day) -> datetime:
    """17:00 Beijing on a day, as stored."""
    return beijing_at(date(*day), 17)


# -- the promise, pure ----------------------------------------------------------------------------

START = beijing_at(date(2026, 11, 23), 10)   # Monday 10:00 Beijing


@pytest.mark.parametrize("tier, colour, due", [
    (None, None, close_of(2026, 11, 30)),                   # accepted with no tier yet: the representative's
    (Tier.REPRESENTATIVE, None, close_of(2026, 11, 30)),    # 5 working days
    (Tier.SUBDISTRICT, None, close_of(2026, 12, 7)),        # 10
    (Tier.DEPARTMENT, "黄", close_of(2026, 12, 14)),        # 15
    (Tier.DEPARTMENT, "红", close_of(2026, 11, 24)),        # 红: 1 working day at every tier
    (Tier.HIGHER_CONGRESS, "红", close_of(2026, 11, 24)),
    (Tier.REPRESENTATIVE, "蓝", close_of(2026, 11, 30)),
])
def test_the_promise_per_tier_and_colour(tier, colour, due):
    assert deadline(tier, colour, START, CN, PROMISES) == due


def test_a_higher_congress_has_ninety_calendar_days_ending_on_a_working_day():
    # July 3 + 90 days is October 1, 国庆: the deadline moves to the first working day after it.
    assert deadline(Tier.HIGHER_CONGRESS, None, beijing_at(date(2026, 7, 3), 10), CN, PROMISES) == close_of(2026, 10, 8)
    assert deadline(Tier.HIGHER_CONGRESS, None, START, CN, PROMISES) == close_of(2027, 2, 22)   # Feb 21 is a Sunday


def test_deadlines_skip_holidays_and_count_working_weekends():
    national_day = beijing_at(date(2026, 9, 29), 10)
    assert deadline(Tier.REPRESENTATIVE, None, national_day, CN, PROMISES) == close_of(2026, 10, 12)
    spring = beijing_at(date(2026, 2, 13), 16)   # the Friday before 春节
    # Feb 14 (a Saturday worked), 24, 25, 26, 27, 28 (a Saturday worked), Mar 2, 3, 4, 5
    assert deadline(Tier.SUBDISTRICT, None, spring, CN, PROMISES) == close_of(2026, 3, 5)
    assert deadline(Tier.SUBDISTRICT, "红", spring, CN, PROMISES) == close_of(2026, 2, 14)
    # A clock started on a rest day or after work counts from the next working day.
    saturday, evening = beijing_at(date(2026, 11, 28), 10), beijing_at(date(2026, 11, 23), 20)
    assert deadline(Tier.REPRESENTATIVE, None, saturday, CN, PROMISES) == close_of(2026, 12, 4)
    assert deadline(Tier.REPRESENTATIVE, None, evening, CN, PROMISES) == close_of(2026, 11, 30)


def test_the_take_and_claim_clocks_are_working_hours():
    assert take_deadline(START, CN, PROMISES) == beijing_at(date(2026, 11, 24), 10)
    friday = beijing_at(date(2026, 9, 30), 15)
    assert claim_deadline(friday, CN, Promises(claim_working_hours=4)) == beijing_at(date(2026, 10, 8), 11)


def test_promises_come_from_the_configuration():
    settings = load_settings({"deadlines.subdistrict_working_days": 3, "deadlines.red_working_days": 2,
                              "cases.take_within_working_hours": 4}, environ={})
    assert deadline(Tier.SUBDISTRICT, None, START, CN, settings) == close_of(2026, 11, 26)
    assert deadline(Tier.DEPARTMENT, "红", START, CN, settings) == close_of(2026, 11, 25)
    assert take_deadline(START, CN, settings) == beijing_at(date(2026, 11, 23), 14)


def test_the_poster_prints_the_representatives_promise():
    with pytest.raises(ConfigError) as raised:
        load_settings({"deadlines.representative_working_days": 3}, environ={})
    assert raised.value.key == "posters.reply_working_days" and "(3)" in str(raised.value)
    settings = load_settings({"deadlines.representative_working_days": 3, "posters.reply_working_days": 3}, environ={})
    assert settings.posters_reply_working_days == settings.deadlines_representative_working_days == 3


# -- every step that starts a clock sets due_at ---------------------------------------------------

def file_case(db, now, district, *, rep="wang", sub="east", colour=None, summary="小区路灯坏了") -> int:
    """A case as filed: the case, its message and its submit event."""
    openid = f"o-res-{db.scalar(select(func.count(Resident.id))) + 1}"
    resident = Resident(openid=openid, created_at=now)
    db.add(resident)
    db.flush()
    case = Case(resident_id=resident.id, representative_id=district["reps"][rep].id if rep else None,
                sub_district_id=district["sub_districts"][sub].id if sub else None, status=CaseStatus.SUBMITTED,
                summary=summary, colour=colour, created_at=now, updated_at=now, last_message_at=now)
    db.add(case)
    db.flush()
    db.add(CaseMessage(case_id=case.id, kind=MessageKind.TEXT, content=summary, created_at=now))
    db.add(CaseEvent(case_id=case.id, at=now, actor_kind="resident", actor_id=resident.id, action="submit",
                     to_status=CaseStatus.SUBMITTED, note=""))
    case_id = case.id
    db.commit()   # (reading case.id after this would open a read that later writes could not follow)
    return case_id


def step(app, case_id, action, now, **options):
    with services(app).engine.begin() as conn:
        return actions.perform(conn, case_id, action, SYSTEM, now, **options)


def due_of(db, case_id) -> datetime | None:
    db.rollback()
    return db.get(Case, case_id).due_at


def test_each_step_sets_or_stops_the_clock(app, db, clock, district):
    now = clock.now()   # Monday 10:00 Beijing
    case = file_case(db, now, district)
    step(app, case, "accept", now)
    assert due_of(db, case) == close_of(2026, 11, 30)                  # the representative's 5 working days
    step(app, case, "assign", now, tier=Tier.SUBDISTRICT)
    assert due_of(db, case) == close_of(2026, 12, 7)                   # the sub-district's 10
    given = beijing_at(date(2026, 12, 2), 23, 59)
    step(app, case, "assign", now, tier=Tier.SUBDISTRICT, due_at=given)
    assert due_of(db, case) == given                                    # the clerk's own deadline wins
    step(app, case, "reply", now, note="已修好")
    assert due_of(db, case) == given                                    # kept for the ledger, but the clock stopped
    later = beijing_at(date(2026, 12, 3), 10)
    step(app, case, "reopen", later, note="没有修好")
    assert due_of(db, case) == close_of(2026, 12, 17)                  # a new clock: the tier's 10 working days


def test_turning_a_case_red_brings_its_deadline_forward_never_back(app, db, clock, district):
    now = clock.now()   # Monday 10:00 Beijing
    case = file_case(db, now, district)
    step(app, case, "accept", now)
    assert due_of(db, case) == close_of(2026, 11, 30)                  # 5 working days
    step(app, case, "classify", now, category="城乡建设/市政")
    assert due_of(db, case) == close_of(2026, 11, 30)                  # a category alone changes nothing
    step(app, case, "classify", now, colour="红")
    assert due_of(db, case) == close_of(2026, 11, 24)                  # a hazard: 1 working day from now
    step(app, case, "classify", now, colour="蓝", tier=Tier.DEPARTMENT)
    assert due_of(db, case) == close_of(2026, 11, 24)                  # never pushed back


def test_the_committees_and_representatives_clocks(app, db, clock, district):
    now = clock.now()
    nobody = file_case(db, now, district, rep=None)
    step(app, nobody, "escalate", now, escalation_reason="no_representative")
    assert due_of(db, nobody) == beijing_at(date(2026, 11, 24), 10)     # the committee's 8 working hours
    step(app, nobody, "route", now, representative_id=district["reps"]["li"].id)
    assert due_of(db, nobody) == beijing_at(date(2026, 11, 24), 10)     # the representative's 8 to take it
    step(app, nobody, "return", beijing_at(date(2026, 11, 23), 15), note="不在我的选区")
    assert due_of(db, nobody) == beijing_at(date(2026, 11, 24), 15)     # back to the committee

    refused = file_case(db, now, district)
    db.add(Department(district_id=district["sub_districts"]["east"].district_id, code="cg", name="区城市管理执法局"))
    db.commit()
    department = db.scalar(select(Department.id).where(Department.code == "cg"))
    step(app, refused, "assign", now, tier=Tier.DEPARTMENT, department_id=department)
    assert due_of(db, refused) == close_of(2026, 12, 14)
    step(app, refused, "refuse", now, code="not_ours", reasons={"not_ours": "不属于本单位职责"})
    assert due_of(db, refused) == beijing_at(date(2026, 11, 24), 10)    # the clock goes back to the committee


@pytest.mark.parametrize("action, options", [
    ("merge", {}), ("invalidate", {"note": "不属于本区"}), ("withdraw", {}),
    ("refer", {"code": "12345", "reference": "GD1"}),
])
def test_leaving_the_loop_clears_the_deadline(app, db, clock, district, action, options):
    now = clock.now()
    other = file_case(db, now, district)
    case = file_case(db, now, district, colour="红")
    step(app, case, "accept", now)
    assert due_of(db, case) == close_of(2026, 11, 24)                  # 红: 1 working day
    if action == "merge":
        options = {"merged_into_id": other}
    step(app, case, action, now, **options)
    assert due_of(db, case) is None


def test_an_explicit_policy_overrides_the_configured_one(app, db, clock, district):
    case = file_case(db, clock.now(), district)
    own = Policy(Promises(representative_working_days=2), CN)
    step(app, case, "accept", clock.now(), deadlines=own)
    assert due_of(db, case) == close_of(2026, 11, 25)


def test_answered_cases_are_not_due_in_the_queue(app, db, clock, district):
    now = clock.now()
    answered, waiting = file_case(db, now, district), file_case(db, now, district)
    for case in (answered, waiting):
        step(app, case, "assign", now, tier=Tier.SUBDISTRICT, due_at=beijing_at(date(2026, 11, 24), 23, 59))
    step(app, answered, "reply", now, note="已处理")
    clock.advance(days=3)
    db.rollback()
    due = set(db.scalars(select(Case.id).where(TABS["due"](clock.now()))))
    assert due == {waiting}
