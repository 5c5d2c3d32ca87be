"""Chasing deadlines (督办): reminders before a deadline, the flag after it, the daily list; each
sent once and only once however often the jobs run, and a job killed halfway that runs again does
no harm. A frozen clock walks across weekends and into a second deadline after a reopen."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from accounts.staff import create_staff_user
from bot.services import services
from cases import supervision as rules
from cases.calendar import beijing_at, load_calendar
from cases.deadlines import Policy, Promises
from cases.notices import CaseFacts
from cases.status import CaseStatus, Tier
from models import Case, CaseEvent, Department, OutboxMessage, StaffUser
from scheduler import supervision as job
from scheduler.notices import escalate_unheard_cases
from tests.test_deadlines import close_of, file_case, step

CN = load_calendar("")
POLICY = Policy(Promises(), CN)
PASSWORD = "correct-horse-42"


def at(*parts) -> datetime:
    return beijing_at(date(*parts[:3]), *parts[3:])


def clock_of(**fields) -> rules.Clock:
    values = {"case_id": 7, "status": CaseStatus.SUBMITTED, "tier": None, "representative_id": 1,
              "escalated_at": None, "started_by": "submit", "started_at": at(2026, 11, 23, 10), "due_at": None,
              "supervised_at": None}
    return rules.Clock(**{**values, **fields})


# -- the rules, pure ----------------------------------------------------------------------------------

def test_a_representative_is_reminded_halfway_to_taking_a_case_and_never_after():
    clock = clock_of()
    assert rules.chase(clock, at(2026, 11, 23, 13, 59), POLICY) is None
    reminder = rules.chase(clock, at(2026, 11, 23, 14), POLICY)
    assert (reminder.kind, reminder.deadline) == ("take", at(2026, 11, 24, 10))
    assert reminder.cause == "remind:7:take:20261124T0200"
    assert rules.chase(clock, at(2026, 11, 24, 10), POLICY) is None        # escalation's turn, not a 督办
    unrouted = clock_of(representative_id=None)
    assert rules.chase(unrouted, at(2026, 11, 23, 16), POLICY) is None     # nobody to remind yet


def test_the_committee_is_reminded_halfway_and_flagged_when_late():
    # Passed to the committee on Friday 15:00: half its 8 working hours is Monday 11:00.
    clock = clock_of(escalated_at=at(2026, 11, 27, 15), started_by="escalate", started_at=at(2026, 11, 27, 15),
                     due_at=at(2026, 11, 30, 15))
    assert rules.chase(clock, at(2026, 11, 30, 10, 59), POLICY) is None
    assert rules.chase(clock, at(2026, 11, 30, 11), POLICY).kind == "claim"
    assert rules.chase(clock, at(2026, 11, 30, 15), POLICY).kind == rules.OVERDUE
    # An accepted case the department refused is the committee's too.
    refused = clock_of(status=CaseStatus.ACCEPTED, escalated_at=at(2026, 11, 27, 15), started_by="refuse",
                       started_at=at(2026, 11, 27, 15), due_at=at(2026, 11, 30, 15))
    assert rules.clock_of(refused) == "claim"


def test_the_unit_is_reminded_a_working_day_before_its_deadline_and_flagged_once_per_deadline():
    due = close_of(2026, 11, 30)   # Monday 17:00
    clock = clock_of(status=CaseStatus.ASSIGNED, tier=Tier.DEPARTMENT, started_by="assign", due_at=due)
    assert rules.chase(clock, at(2026, 11, 27, 16, 59), POLICY) is None
    assert rules.chase(clock, at(2026, 11, 27, 17), POLICY).kind == "due"   # Friday's close: 8 working hours left
    assert rules.chase(clock, at(2026, 11, 28, 10), POLICY).kind == "due"   # (sent once: the outbox key says so)
    overdue = rules.chase(clock, due, POLICY)
    assert overdue.kind == rules.OVERDUE and overdue.cause == "remind:7:overdue:20261130T0900"
    flagged = clock_of(status=CaseStatus.ASSIGNED, tier=Tier.DEPARTMENT, started_by="assign", due_at=due,
                       supervised_at=at(2026, 12, 1, 8))
    assert rules.chase(flagged, at(2026, 12, 2, 10), POLICY) is None
    reopened = clock_of(status=CaseStatus.ACCEPTED, tier=Tier.DEPARTMENT, started_by="reopen",
                        due_at=close_of(2026, 12, 10), supervised_at=at(2026, 12, 1, 8))
    assert rules.chase(reopened, close_of(2026, 12, 10), POLICY).kind == rules.OVERDUE   # a new deadline, late again


def test_replied_and_closed_cases_are_not_chased():
    for status in (CaseStatus.REPLIED, CaseStatus.CLOSED, CaseStatus.MERGED):
        clock = clock_of(status=status, started_by="assign", due_at=at(2026, 11, 20, 17))
        assert rules.chase(clock, at(2026, 11, 30, 10), POLICY) is None


@pytest.mark.parametrize("when, chasing", [
    (at(2026, 11, 23, 8), True), (at(2026, 11, 23, 19, 59), True), (at(2026, 11, 23, 20), False),
    (at(2026, 11, 23, 7, 59), False), (at(2026, 11, 28, 10), False),          # a Saturday
    (at(2026, 10, 10, 10), True), (at(2026, 10, 5, 10), False),               # a Saturday worked; 国庆
])
def test_nobody_is_chased_at_night_or_on_a_rest_day(when, chasing):
    assert rules.may_chase(when, CN) is chasing


FACTS = CaseFacts(number="2026-000007", short="7", submitted_at=at(2026, 11, 23, 10), summary="东街路灯坏了",
                  tier=None, resident_openid="o-res", representative_id=1, representative_name="王晓明",
                  representative_openid="o-wang", sub_district="东街街道", committee="东街街道人大工委",
                  department="区城市管理执法局", clerk_openids=("o-east",), department_openids=("o-cg",),
                  district_openids=("o-district",))


@pytest.mark.parametrize("fields, handling, overseeing, unit", [
    ({}, ("o-wang",), ("o-east",), "王晓明代表"),
    ({"status": CaseStatus.ACCEPTED, "started_by": "accept"}, ("o-wang",), ("o-east",), "王晓明代表"),
    ({"status": CaseStatus.ASSIGNED, "tier": Tier.SUBDISTRICT}, ("o-east",), ("o-district",), "东街街道"),
    ({"status": CaseStatus.ASSIGNED, "tier": Tier.DEPARTMENT}, ("o-cg",), ("o-east",), "区城市管理执法局"),
    ({"status": CaseStatus.ASSIGNED, "tier": Tier.HIGHER_CONGRESS}, ("o-district",), (), "上级人大"),
    ({"escalated_at": at(2026, 11, 24, 10), "started_by": "escalate"}, ("o-east",), ("o-district",), "东街街道人大工委"),
])
def test_who_handles_and_who_oversees(fields, handling, overseeing, unit):
    clock = clock_of(**fields)
    assert rules.handlers(clock, FACTS) == handling
    assert rules.overseers(clock, FACTS) == overseeing
    assert rules.handling_unit(clock, FACTS) == unit
    told = rules.notices(rules.Chase(7, rules.OVERDUE, at(2026, 11, 30, 17)), clock, FACTS, at(2026, 12, 1, 9))
    assert [notice.openid for notice in told] == [*handling, *overseeing]
    assert all(notice.purpose == "supervise" and "2026年11月30日 17:00" in notice.text for notice in told)
    assert all(len(notice.template_data["text"]) <= 20 for notice in told)
    if overseeing:
        assert f"{unit}办理的编号2026-000007已超过办理期限" in told[-1].text


def test_the_daily_list_groups_by_sub_district_and_fits_one_message():
    cases = [rules.Overdue("西街街道", "2026-000002", False), rules.Overdue("东街街道", "2026-000001", True),
             rules.Overdue("", "2026-000003", False)]
    text = rules.digest_text(cases, date(2026, 11, 24))
    assert text.splitlines()[:4] == ["【超期督办日报】2026年11月24日，全区共3件超过办理期限，尚未办结：",
                                     "东街街道1件：2026-000001（督办）", "西街街道1件：2026-000002",
                                     "未明确街道1件：2026-000003"]
    many = [rules.Overdue(f"第{unit}街道", f"2026-{unit:03d}{index:03d}", False)
            for unit in range(40) for index in range(12)]
    text = rules.digest_text(many, date(2026, 11, 24))
    assert len(text.encode()) <= 2048 and "共480件" in text and text.endswith("详见工作台“临期与超期”。")
    assert "其余街道的超期件数见工作台。" in text and "第0街道12件：" in text and "等" in text


# -- the jobs on a database ---------------------------------------------------------------------------

@pytest.fixture
def people(db, clock, district):
    """Bound WeChats: representative 王晓明, the 东街 clerk, the district office, the department's liaison."""
    east = district["sub_districts"]["east"]
    db.add(Department(district_id=east.district_id, code="cg", name="区城市管理执法局"))
    db.flush()
    for username, role, unit in (("east", "subdistrict", "dongjie"), ("district", "district", None),
                                 ("cg", "department", "cg")):
        create_staff_user(db, username=username, display_name=username, role=role, unit_code=unit,
                          password=PASSWORD, now=clock.now()).openid = f"o-{username}"
    district["reps"]["wang"].openid = "o-wang"
    db.commit()
    return {**district, "cg": db.scalar(select(Department.id).where(Department.code == "cg"))}


def chased(db) -> Counter:
    """(case, purpose, openid) → how many messages the outbox holds."""
    db.rollback()
    rows = db.execute(select(OutboxMessage.case_id, OutboxMessage.purpose, OutboxMessage.openid)
                      .where(OutboxMessage.purpose.in_([*rules.PURPOSES.values(), "digest"])))
    return Counter(tuple(row) for row in rows)


def flags(db, case_id) -> list[datetime]:
    db.rollback()
    return list(db.scalars(select(CaseEvent.at).where(CaseEvent.case_id == case_id, CaseEvent.action == "supervise")
                           .order_by(CaseEvent.id)))


def run_jobs(app, now) -> None:
    svc = services(app)
    escalate_unheard_cases(svc, now)
    job.supervise_cases(svc, now)


def test_reminders_and_flags_once_and_only_once_over_two_weeks(app, db, clock, people):
    start = clock.now()   # Monday Nov 23 10:00
    take = file_case(db, start, people)                                    # 王晓明 has not taken it
    red = file_case(db, start, people, colour="红")                         # a department, 1 working day
    step(app, red, "assign", start, tier=Tier.DEPARTMENT, department_id=people["cg"])
    sub = file_case(db, start, people)                                     # the clerk's own deadline
    step(app, sub, "assign", start, tier=Tier.SUBDISTRICT, due_at=at(2026, 11, 30, 23, 59))
    rep = file_case(db, start, people)                                     # 王晓明's 5 working days
    step(app, rep, "accept", start)
    times: dict[tuple, datetime] = {}
    now = start
    while now <= at(2026, 12, 9, 12):
        if now == at(2026, 12, 1, 10):   # answered late, and the resident is not satisfied: a new clock
            step(app, rep, "reply", now, note="已联系物业")
            step(app, rep, "reopen", now + timedelta(hours=1), note="还是没修")
        for _ in range(2):   # a job that runs twice at once changes nothing
            run_jobs(app, now)
        db.rollback()
        for row in db.execute(select(OutboxMessage.case_id, OutboxMessage.purpose, OutboxMessage.openid,
                                     OutboxMessage.created_at)
                              .where(OutboxMessage.purpose.in_(rules.PURPOSES.values()))):
            times.setdefault(tuple(row)[:3], row.created_at)
        now += timedelta(hours=1)
    assert chased(db) == Counter({
        (take, "remind_take", "o-wang"): 1, (take, "remind_claim", "o-east"): 1,
        (take, "supervise", "o-east"): 1, (take, "supervise", "o-district"): 1,
        (red, "remind_due", "o-cg"): 1, (red, "supervise", "o-cg"): 1, (red, "supervise", "o-east"): 1,
        (sub, "remind_due", "o-east"): 1, (sub, "supervise", "o-east"): 1, (sub, "supervise", "o-district"): 1,
        (rep, "remind_due", "o-wang"): 2, (rep, "supervise", "o-wang"): 2, (rep, "supervise", "o-east"): 2,
    })
    assert times[(take, "remind_take", "o-wang")] == at(2026, 11, 23, 14)       # halfway through 8 working hours
    assert times[(take, "remind_claim", "o-east")] == at(2026, 11, 24, 14)      # escalated Tuesday 10:00
    assert flags(db, take) == [at(2026, 11, 25, 10)]
    assert times[(red, "remind_due", "o-cg")] == at(2026, 11, 23, 17)
    assert flags(db, red) == [close_of(2026, 11, 24)]
    assert times[(sub, "remind_due", "o-east")] == at(2026, 11, 27, 17)         # Friday: Monday's 8 hours left
    assert flags(db, sub) == [at(2026, 12, 1, 8)]                              # late at Monday 23:59: Tuesday morning
    assert flags(db, rep) == [close_of(2026, 11, 30), close_of(2026, 12, 8)]
    case = db.get(Case, rep)
    assert case.supervised_at == close_of(2026, 12, 8) and case.due_at == close_of(2026, 12, 8)
    texts = db.scalars(select(OutboxMessage.text).where(OutboxMessage.case_id == rep,
                                                        OutboxMessage.purpose == "supervise")).all()
    assert any("【督办】编号" in text and "2026年12月8日 17:00" in text for text in texts)
    note = db.scalar(select(CaseEvent.note).where(CaseEvent.case_id == rep, CaseEvent.action == "supervise"))
    assert note == "超过办理期限（2026年11月30日 17:00），予以督办"


def test_a_breach_found_days_late_is_flagged_but_not_pushed_case_by_case(app, db, clock, people):
    """A scheduler back after days (or an upgrade that gave old cases deadlines) flags every late
    case, and tells nobody of the stale ones one by one: the digest lists them."""
    start = clock.now()   # Monday Nov 23 10:00
    fresh, stale = file_case(db, start, people), file_case(db, start, people)
    step(app, fresh, "accept", start)
    step(app, stale, "accept", start - timedelta(days=14))
    job.supervise_cases(services(app), at(2026, 12, 1, 9))     # fresh: due Monday Nov 30 17:00
    assert flags(db, fresh) and flags(db, stale)
    told = {case for case, purpose, _ in chased(db) if purpose == "supervise"}
    assert told == {fresh}
    assert job.send_daily_digest(services(app), at(2026, 12, 1, 9)) == 1
    db.rollback()
    [digest] = db.scalars(select(OutboxMessage.text).where(OutboxMessage.purpose == "digest"))
    assert db.get(Case, stale).number in digest


def test_a_supervision_job_killed_halfway_runs_again_without_harm(app, db, clock, people, monkeypatch):
    start = clock.now()
    late = [file_case(db, start, people) for _ in range(3)]
    for case in late:
        step(app, case, "assign", start, tier=Tier.SUBDISTRICT, due_at=at(2026, 11, 24, 12))
    now = at(2026, 11, 24, 12)
    real_queue, calls = job.actions.queue, []

    class Killed(BaseException):
        """The process is stopped in the middle of the second case's transaction."""

    def dying(conn, cause, notices, case_id, when):
        calls.append(case_id)
        if len(calls) == 2:
            raise Killed
        return real_queue(conn, cause, notices, case_id, when)

    monkeypatch.setattr(job.actions, "queue", dying)
    with pytest.raises(Killed):
        job.supervise_cases(services(app), now)
    assert [len(flags(db, case)) for case in late] == [1, 0, 0]       # the second's flag rolled back with its notices
    monkeypatch.setattr(job.actions, "queue", real_queue)
    assert job.supervise_cases(services(app), now) == 2
    assert job.supervise_cases(services(app), now + timedelta(minutes=5)) == 0
    assert [len(flags(db, case)) for case in late] == [1, 1, 1]
    assert chased(db) == Counter({(case, "supervise", openid): 1
                                  for case in late for openid in ("o-east", "o-district")})


def test_one_cases_trouble_does_not_hold_up_the_others(app, db, clock, people, monkeypatch):
    start = clock.now()
    late = [file_case(db, start, people) for _ in range(2)]
    for case in late:
        step(app, case, "assign", start, tier=Tier.SUBDISTRICT, due_at=at(2026, 11, 24, 12))
    real_facts = job.actions.case_facts

    def broken(conn, case_id, **options):
        if case_id == late[0]:
            raise ValueError("a broken case")
        return real_facts(conn, case_id, **options)

    monkeypatch.setattr(job.actions, "case_facts", broken)
    assert job.supervise_cases(services(app), at(2026, 11, 24, 12)) == 1     # logged; the other is chased
    assert [len(flags(db, case)) for case in late] == [0, 1]
    monkeypatch.setattr(job.actions, "case_facts", real_facts)
    assert job.supervise_cases(services(app), at(2026, 11, 24, 13)) == 1
    assert [len(flags(db, case)) for case in late] == [1, 1]


def test_the_district_office_gets_one_list_each_working_morning(app, db, clock, people, monkeypatch):
    start = clock.now()
    east = file_case(db, start, people)
    west = file_case(db, start, people, rep="zhao", sub="west")
    step(app, east, "assign", start, tier=Tier.SUBDISTRICT, due_at=at(2026, 11, 23, 23, 59))
    step(app, west, "assign", start, tier=Tier.SUBDISTRICT, due_at=at(2026, 11, 24, 8))
    svc = services(app)
    assert job.send_daily_digest(svc, at(2026, 11, 24, 8, 25)) == 0         # not before 08:30
    assert job.send_daily_digest(svc, at(2026, 11, 24, 8, 30)) == 1
    assert job.send_daily_digest(svc, at(2026, 11, 24, 8, 31)) == 0         # once a day
    db.rollback()
    [text] = db.scalars(select(OutboxMessage.text).where(OutboxMessage.purpose == "digest"))
    numbers = {case: db.get(Case, case).number for case in (east, west)}
    assert f"东街街道1件：{numbers[east]}" in text and f"西街街道1件：{numbers[west]}" in text and "共2件" in text
    assert job.send_daily_digest(svc, at(2026, 11, 28, 8, 30)) == 0         # Saturday
    assert job.send_daily_digest(svc, at(2026, 11, 27, 21)) == 0            # a scheduler started at night
    real_queue = job.actions.queue
    monkeypatch.setattr(job.actions, "queue", lambda *args: (real_queue(*args), 1 / 0))
    with pytest.raises(ZeroDivisionError):
        job.send_daily_digest(svc, at(2026, 11, 30, 8, 30))                 # killed after queueing: rolled back
    monkeypatch.setattr(job.actions, "queue", real_queue)
    assert job.send_daily_digest(svc, at(2026, 11, 30, 8, 30)) == 1
    assert chased(db)[(None, "digest", "o-district")] == 2
    step(app, east, "reply", at(2026, 11, 30, 9), note="已处理")
    step(app, west, "reply", at(2026, 11, 30, 9), note="已处理")
    assert job.send_daily_digest(svc, at(2026, 12, 1, 8, 30)) == 0         # nothing overdue: no list


def test_the_queue_and_the_case_page_show_the_flag(app, db, clock, people):
    start = clock.now()
    flagged, waiting = file_case(db, start, people), file_case(db, start, people)
    for case in (flagged, waiting):
        step(app, case, "assign", start, tier=Tier.SUBDISTRICT, due_at=at(2026, 11, 24, 12))
    job.supervise_cases(services(app), at(2026, 11, 24, 12))
    step(app, waiting, "assign", at(2026, 11, 24, 13), tier=Tier.SUBDISTRICT)   # passed on with a new deadline
    clock.advance(days=1)
    client = app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/console/login", data={"csrf_token": token, "username": "east",
                                                "password": PASSWORD}).status_code == 302
    queue = client.get("/console/?tab=due").get_data(as_text=True)
    db.rollback()
    numbers = {case: db.get(Case, case).number for case in (flagged, waiting)}
    rows = {number: row for number, row in re.findall(r'data-testid="case-link">([\d-]+)</a>(.*?)</tr>', queue, re.S)}
    assert 'data-testid="supervised">督办<' in rows[numbers[flagged]]
    assert numbers[waiting] not in rows                                        # not due for days
    page = client.get(f"/console/cases/{numbers[flagged]}").get_data(as_text=True)
    assert "督办" in page   # on its timeline at least; the badge once the case page reads supervised_at
    assert db.scalar(select(StaffUser.openid).where(StaffUser.username == "east")) == "o-east"
