"""Issue 12's "done when": the sandbox left alone for a month, time advanced by the test, with the
scheduler's every job run each hour (twice, as two racing schedulers might). Residents report
through the webhook and answer in WeChat; a representative answers some cases and lets others
lie. The system reminds, flags 督办, asks for ratings, reopens what a resident rejects, settles
what nobody rates, produces the monthly workbooks and keeps the representative's record; and
nothing is ever pushed twice."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.services import services
from cases import duty
from cases.supervision import PURPOSES
from models import Case, CaseEvent, CaseRating, MonthlyReport, OutboxMessage, SubDistrict
from scheduler.jobs import run_pass
from tests.test_workbench import CLERK_EAST, DISTRICT, LIAISON, REP, phones, pushed, says  # noqa: F401 - phones: a fixture

RESIDENTS = {name: f"o-month-{name}" for name in ("pleased", "rejects", "unheard", "passed", "silent")}
START = datetime(2026, 11, 23, 2, 0)      # Monday 10:00 Beijing
END = datetime(2026, 12, 23, 2, 0)


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


def report(wechat, world, clock, who: str, text: str) -> str:
    wechat.scan_poster(RESIDENTS[who], "wang01")
    return re.search(r"\d{4}-\d{6}", says(wechat, world, clock, RESIDENTS[who], text)).group()


@pytest.mark.usefixtures("phones")
def test_a_month_left_alone(app, db, world, wechat, clock):
    svc = services(app)
    numbers = {
        "pleased": report(wechat, world, clock, "pleased", "小区东门的路灯坏了一个多月，晚上很黑。"),
        "rejects": report(wechat, world, clock, "rejects", "楼下餐馆油烟太大，窗户都不敢开。"),
        "unheard": report(wechat, world, clock, "unheard", "公园的健身器材坏了，小孩玩很危险。"),
        "passed": report(wechat, world, clock, "passed", "人行道被占道经营的摊贩堵住了。"),
        "silent": report(wechat, world, clock, "silent", "小区垃圾桶好几天没人清运。"),
    }
    script = {   # Beijing day and hour → what people do then
        (11, 23, 14): lambda: [says(wechat, world, clock, REP, f"回复 {numbers[name]} 已联系有关单位，近日处理。")
                               for name in ("pleased", "rejects", "silent")]
                              + [says(wechat, world, clock, REP, f"转部门 {numbers['passed']} 城管 请尽快清理")],
        (11, 24, 10): lambda: [says(wechat, world, clock, RESIDENTS["pleased"], answer) for answer in ("1", "1")]
                              + [says(wechat, world, clock, RESIDENTS["rejects"], answer)
                                 for answer in ("3", "3", "油烟还是很大")],
        (11, 25, 15): lambda: says(wechat, world, clock, REP, f"回复 {numbers['rejects']} 已督促餐馆加装净化器。"),
        (11, 26, 10): lambda: [says(wechat, world, clock, RESIDENTS["rejects"], answer) for answer in ("1", "2")],
    }
    now = START
    while now <= END:
        clock.set(now)
        local = now + timedelta(hours=8)
        action = script.get((local.month, local.day, local.hour))
        if action:
            action()
        for _ in range(2):                    # two schedulers' passes at once change nothing
            run_pass(svc, now)
        now += timedelta(hours=1)

    db.rollback()
    cases = {name: db.scalar(select(Case).where(Case.id == int(number.split("-")[1]))) for name, number in numbers.items()}
    # answered and rated: closed by the resident's verdict
    assert cases["pleased"].status == "closed"
    verdicts = {name: [(r.status, r.solved, r.satisfaction) for r in db.scalars(
        select(CaseRating).where(CaseRating.case_id == case.id).order_by(CaseRating.id))] for name, case in cases.items()}
    assert verdicts["pleased"] == [("rated", "solved", "satisfied")]
    # rejected: reopened to the representative with the reason, answered again, then rated well
    assert verdicts["rejects"] == [("rated", "unsolved", "dissatisfied"), ("rated", "solved", "basic")]
    reopen = db.scalar(select(CaseEvent.note).where(CaseEvent.case_id == cases["rejects"].id,
                                                    CaseEvent.action == "reopen"))
    comment = db.scalar(select(CaseRating.comment).where(CaseRating.case_id == cases["rejects"].id)
                        .order_by(CaseRating.id))
    assert "未解决" in reopen and comment == "油烟还是很大" and cases["rejects"].status == "closed"
    assert any("油烟还是很大" in text for text in pushed(world, REP))          # the unit heard why
    # nobody rated in time: 未评价, and closed by the system
    assert verdicts["silent"] == [("expired", None, None)] and cases["silent"].status == "closed"
    # never taken, never answered: reminded, passed to the committee, flagged 督办
    for name in ("unheard", "passed"):
        assert cases[name].supervised_at is not None, name
    chased = Counter((row.case_id, row.purpose, row.openid) for row in db.execute(
        select(OutboxMessage.case_id, OutboxMessage.purpose, OutboxMessage.openid)
        .where(OutboxMessage.purpose.in_(PURPOSES.values()))))
    assert chased[(cases["unheard"].id, "remind_take", REP)] == 1
    assert chased[(cases["unheard"].id, "remind_claim", CLERK_EAST)] == 1
    assert chased[(cases["passed"].id, "remind_due", LIAISON)] == 1
    assert chased[(cases["passed"].id, "supervise", LIAISON)] == 1
    # the district office's digest: once on each working day with something overdue, never twice a day
    digests = db.execute(select(OutboxMessage.created_at).where(OutboxMessage.purpose == "digest",
                                                                OutboxMessage.openid == DISTRICT)).all()
    days = [(at + timedelta(hours=8)).date() for (at,) in digests]
    assert days and len(days) == len(set(days))
    # nothing pushed twice: every message any phone received is there once
    for openid in (REP, CLERK_EAST, LIAISON, DISTRICT, *RESIDENTS.values()):
        every = [entry.get("text") or "\n".join(entry.get("lines", [])) for entry in world.chat(openid)
                 if entry["side"] == "account"]
        repeated = [text for text, n in Counter(every).items() if n > 1]
        assert repeated == [], (openid, repeated)
    assert pushed(world, REP)                 # (and the representative did hear of things)
    # the monthly workbooks: October's when the scheduler first ran, November's on 1 December, once each
    sub_districts = db.scalars(select(SubDistrict.id)).all()
    kept = Counter((row.scope_key, row.month.month) for row in db.execute(select(MonthlyReport.scope_key,
                                                                                 MonthlyReport.month)))
    assert kept == Counter({(key, month): 1 for month in (10, 11)
                            for key in ["district", *(f"sub_district:{sd}" for sd in sub_districts)]})
    november = db.scalar(select(MonthlyReport.path).where(MonthlyReport.scope_key == "district",
                                                          MonthlyReport.month == datetime(2026, 11, 1).date()))
    assert (Path(svc.settings.reports_dir) / november).is_file()
    # the representative's record for the month
    with svc.engine.connect() as conn:
        period = duty.checked_period(datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())
        record = duty.records(conn, [cases["pleased"].representative_id], period,
                              svc.settings.cases_take_within_working_hours)[cases["pleased"].representative_id]
    assert record.received == 5 and record.answered >= 3
