"""Residents rate answers (验单): asked once per round, answered by digits (full-width, two at once,
words, mistyped), what a verdict does (closed, or reopened to the unit that answered, which is
told why), the comment, expiry as 未评价, the figures, the ledger's 满意度, and the question going
out as a template message with the rating page's link when WeChat's window is closed."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, true

from accounts.staff import create_staff_user
from bot.rating_page import base_url
from bot.services import services
from cases import actors, ratings
from cases.actions import perform
from cases.notices import CaseFacts, for_step, handling_openids
from cases.scope import Actor
from cases.status import ActorKind, CaseStatus, Tier
from cases.transitions import apply
from handlers.rating import MISTYPED, Answer, looks_like_new_report, parse_answer, split_verdict
from models import Case, CaseEvent, CaseMessage, CaseRating, Department, OutboxMessage, Resident, StaffUser
from scheduler.outbox import deliver_outbox
from scheduler.ratings import ask_for_ratings, expire_ratings
from tests.support import WeChatServer

BASE = "https://minyi.example.gov.cn"
RES = "o-resident-zhang"
REP = "o-rep-wang"
LIAISON = "o-liaison-cg"
CLERK = "o-clerk-east"
PASSWORD = "correct-horse-42"


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "ratings.base_url": BASE}


@pytest.fixture
def people(db, district, clock):
    """The representative's, a department liaison's and a sub-district clerk's bound WeChats."""
    district["reps"]["wang"].openid = REP
    db.add(Department(district_id=district["sub_districts"]["east"].district_id, code="cg", name="区城市管理执法局"))
    db.flush()
    for username, role, unit, openid in (("cg", "department", "cg", LIAISON),
                                         ("east", "subdistrict", "dongjie", CLERK)):
        create_staff_user(db, username=username, display_name=username, role=role, unit_code=unit, password=PASSWORD,
                          now=clock.now()).openid = openid
    db.commit()
    return district


def report(wechat, db, openid: str = RES, text: str = "小区门口的路灯坏了一个月了") -> int:
    wechat.scan_poster(openid, "wang01")
    wechat.text(openid, text)
    db.rollback()
    return db.scalars(select(Case.id).join(Resident, Resident.id == Case.resident_id)
                      .where(Resident.openid == openid).order_by(Case.id.desc())).first()


def actor(app, openid: str):
    with services(app).engine.connect() as conn:
        return actors.by_openid(conn, openid)


def step(app, case_id: int, action: str, who, **options) -> int:
    svc = services(app)
    with svc.engine.begin() as conn:
        return perform(conn, case_id, action, who, svc.clock.now(), **options).event_id


def ask(app) -> int:
    svc = services(app)
    return ask_for_ratings(svc, svc.clock.now())


def rows(db, model, *where, order=None):
    db.rollback()
    return db.scalars(select(model).where(*where).order_by(order if order is not None else model.id)).all()


def fresh(db, case_id: int) -> Case:
    db.rollback()
    return db.get(Case, case_id)


def outbox(db, openid: str, purpose: str | None = None) -> list[OutboxMessage]:
    where = [OutboxMessage.openid == openid] + ([OutboxMessage.purpose == purpose] if purpose else [])
    return rows(db, OutboxMessage, *where)


def answered(app, wechat, db, people, clock, text: str = "小区门口的路灯坏了一个月了") -> int:
    """A case the representative answered, the resident asked about it."""
    case_id = report(wechat, db, text=text)
    clock.advance(minutes=30)
    step(app, case_id, "reply", actor(app, REP), note="已联系物业，本周内修好。")
    assert ask(app) == 1
    return case_id


# -- the rules, without a database ----------------------------------------------------------------
@pytest.mark.parametrize(("text", "awaiting", "expected"), [
    ("1", "solved", Answer(solved="solved")),
    ("３", "solved", Answer(solved="unsolved")),                     # full-width
    ("２。", "satisfaction", Answer(satisfaction="basic")),          # full-width, with a full stop
    ("①", "satisfaction", Answer(satisfaction="satisfied")),        # circled
    ("三", "solved", Answer(solved="unsolved")),
    ("13", "solved", Answer("solved", "dissatisfied")),              # both at once
    (" 2 1 ", "solved", Answer("partly", "satisfied")),
    ("解决了", "satisfaction", Answer(solved="solved")),
    ("部分解决", "solved", Answer(solved="partly")),
    ("不满意！", "solved", Answer(satisfaction="dissatisfied")),
    ("基本满意", "solved", Answer(satisfaction="basic")),
    ("4", "solved", MISTYPED), ("0", "satisfaction", MISTYPED), ("123", "solved", MISTYPED),
    ("13", "satisfaction", MISTYPED),                                # the first question is answered
    ("13800001111", "solved", None),                                 # a phone number: a report
    ("路灯还是不亮", "solved", None),
])
def test_what_a_resident_may_type(text, awaiting, expected):
    assert parse_answer(text, awaiting) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("不满意，还是漏水", (Answer(satisfaction="dissatisfied"), "还是漏水")),
    ("不满意还是漏水", (Answer(satisfaction="dissatisfied"), "还是漏水")),    # a rejection may run on
    ("没解决，不满意：灯还是不亮，楼上说不归他们管", (Answer("unsolved", "dissatisfied"), "灯还是不亮，楼上说不归他们管")),
    ("没有解决好。楼道还是黑的", (Answer(solved="unsolved"), "楼道还是黑的")),    # the longest word
    ("满意，谢谢你们", (Answer(satisfaction="satisfied"), "谢谢你们")),
    ("  部分解决 ", (Answer(solved="partly"), "")),
    ("解决一下楼道的灯", None),                                               # a request, not a verdict
    ("满意度怎么算", None),
    ("路灯还是不亮", None),
])
def test_a_verdict_said_first_in_a_longer_text(text, expected):
    assert split_verdict(text) == expected


@pytest.mark.parametrize(("text", "new"), [
    ("另外3楼又漏水了", True), ("新问题：小区门口的井盖丢了", True), ("还有一个问题，垃圾没人清", True),
    ("还是漏水，楼上说不归他们管", False), ("只修了一半", False),
])
def test_what_looks_like_a_new_report(text, new):
    assert looks_like_new_report(text) is new


def test_the_figures_count_real_ratings_only():
    figures = ratings.RatingFigures(asked=10, rated=6, expired=3, satisfied=3, basic=1, dissatisfied=2, solved=2,
                                    partly=3, unsolved=1)
    assert (figures.pending, figures.satisfaction_rate, figures.solved_rate) == (1, 4 / 6, 2 / 6)
    assert ratings.RatingFigures(asked=2, expired=2).satisfaction_rate is None


def test_the_token_is_signed_dated_and_carries_the_rating_only(clock):
    token = ratings.sign_token("key", 42, clock.now())
    assert ratings.read_token("key", token, clock.now() + timedelta(days=6), timedelta(days=7)) == 42
    with pytest.raises(ratings.TokenExpired):
        ratings.read_token("key", token, clock.now() + timedelta(days=7, seconds=1), timedelta(days=7))
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x" + token, ""):
        with pytest.raises(ratings.BadToken):
            ratings.read_token("key", bad, clock.now(), timedelta(days=7))
    with pytest.raises(ratings.BadToken):
        ratings.read_token("another key", token, clock.now(), timedelta(days=7))


@pytest.mark.parametrize(("tier", "status"), [
    (Tier.DEPARTMENT, CaseStatus.ASSIGNED), (Tier.SUBDISTRICT, CaseStatus.ASSIGNED),
    (Tier.HIGHER_CONGRESS, CaseStatus.ASSIGNED), (Tier.REPRESENTATIVE, CaseStatus.ACCEPTED),
    (None, CaseStatus.ACCEPTED),
])
def test_a_reopened_case_goes_back_to_the_unit_that_answered(tier, status):
    for start in (CaseStatus.REPLIED, CaseStatus.CLOSED):
        assert apply(start, "reopen", tier=tier, note="群众评价：未解决、不满意").to_status is status


FACTS = CaseFacts(number="2026-000007", short="7", submitted_at=datetime(2026, 11, 23, 2), summary="楼道灯坏了",
                  tier=Tier.SUBDISTRICT, resident_openid=RES, representative_id=1, representative_name="王晓明",
                  representative_openid=REP, sub_district="东街街道", committee="东街街道人大工委",
                  clerk_openids=(CLERK,), district_openids=("o-district",))


def test_who_hears_a_reopen_and_why():
    resident = Actor(ActorKind.RESIDENT, 5)
    told = for_step("reopen", resident, FACTS, "群众评价：未解决、不满意", datetime(2026, 11, 24, 2))
    assert {(n.openid, n.purpose) for n in told} == {(CLERK, "reopened"), (REP, "told_representative")}
    assert all("群众" in n.text and "未解决、不满意" in n.text for n in told)
    nobody_bound = replace(FACTS, tier=Tier.DEPARTMENT, department="区城市管理执法局", clerk_openids=())
    assert handling_openids(nobody_bound) == ("o-district",)   # the department has no bound WeChat
    clerk = Actor(ActorKind.STAFF, 3, "东街街道人大工委", openid=CLERK)
    by_clerk = for_step("reopen", clerk, FACTS, "答复不完整", datetime(2026, 11, 24, 2))
    assert [n.purpose for n in by_clerk if n.openid == RES] == ["reopen"]   # staff's step: the resident hears it


# -- asking -----------------------------------------------------------------------------------------
def test_an_answer_is_asked_about_once_and_a_close_soon_after_is_not(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    assert ask(app) == 0
    clock.advance(minutes=5)
    step(app, case_id, "close", actor(app, CLERK), note="已修好")
    assert ask(app) == 0   # the round was asked about: one question per answer
    [rating] = rows(db, CaseRating)
    reply = db.scalars(select(CaseEvent.id).where(CaseEvent.action == "reply")).one()
    assert (rating.case_id, rating.event_id, rating.status) == (case_id, reply, "asked")
    [question] = outbox(db, RES, "rating")
    assert "编号2026-000001" in question.text and "回复数字" in question.text and "1：解决" in question.text
    assert question.url.startswith(f"{BASE}/rate?t=") and f'<a href="{question.url}">' in question.text
    assert question.template == "case_progress" and question.template_data["text"] == "已答复，请点击评价"
    reply_notice = outbox(db, RES, "reply")[0]
    assert reply_notice.id < question.id   # the answer reaches the phone before the question


def test_a_reply_closed_before_the_scheduler_looked_is_asked_about_once(app, wechat, db, clock, people):
    case_id = report(wechat, db)
    step(app, case_id, "reply", actor(app, REP), note="已修好。")
    close = step(app, case_id, "close", actor(app, CLERK))
    assert ask(app) == 1 and ask(app) == 0
    assert [r.event_id for r in rows(db, CaseRating)] == [close]
    assert "已经办结" in outbox(db, RES, "rating")[0].text
    assert "感谢您对编号2026-000001的评价（解决、满意）" in wechat.text(RES, "11").text   # closed already


def test_a_case_answered_again_after_a_reopen_is_asked_again(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    wechat.text(RES, "3")
    wechat.text(RES, "3")
    wechat.text(RES, "0")
    step(app, case_id, "reply", actor(app, REP), note="今天已换了灯泡。")
    assert ask(app) == 1
    assert [r.status for r in rows(db, CaseRating)] == ["rated", "asked"]


def test_nobody_is_asked_who_cannot_be_reached(app, wechat, db, clock, people):
    case_id = report(wechat, db)
    assert wechat.event(RES, "unsubscribe").text is None
    step(app, case_id, "reply", actor(app, REP), note="已修好。")
    assert ask(app) == 0 and rows(db, CaseRating) == []


def test_two_schedulers_asking_at_once_ask_once(app, wechat, db, clock, people):
    case_id = report(wechat, db)
    event_id = step(app, case_id, "reply", actor(app, REP), note="已修好。")
    with services(app).engine.begin() as conn:
        assert ratings.ask(conn, case_id, event_id, clock.now()) is not None
        assert ratings.ask(conn, case_id, event_id, clock.now()) is None
    [question] = outbox(db, RES, "rating")
    assert question.template_data["text"] == "请回复“评价”为这次办理评个价"   # no link: the chat's command


def test_questions_and_the_close_of_an_expiry_wait_for_the_daytime(app, wechat, db, clock, people):
    case_id = report(wechat, db)
    clock.advance(hours=11)   # Monday 21:00 in Beijing
    step(app, case_id, "reply", actor(app, REP), note="已修好。")
    assert ask(app) == 0 and rows(db, CaseRating) == []
    clock.advance(hours=10, minutes=59)   # Tuesday 07:59
    assert ask(app) == 0
    clock.advance(minutes=1)
    assert ask(app) == 1
    svc = services(app)
    clock.advance(days=7, hours=13)   # a week later, 21:00: due, but the resident would hear 「已办结」 at night
    assert expire_ratings(svc, clock.now()) == 0
    assert rows(db, CaseRating)[0].status == "asked" and fresh(db, case_id).status is CaseStatus.REPLIED
    clock.advance(hours=11)   # 08:00
    assert expire_ratings(svc, clock.now()) == 1
    assert fresh(db, case_id).status is CaseStatus.CLOSED and len(outbox(db, RES, "close")) == 1


# -- answering in the chat ------------------------------------------------------------------------
def test_two_digits_one_at_a_time_and_a_satisfied_resident_closes_the_case(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    second = wechat.text(RES, "1").text
    assert "解决" in second and "1：满意" in second
    assert rows(db, CaseRating)[0].solved == "solved"
    done = wechat.text(RES, "１").text   # full-width
    assert "感谢您的评价（解决、满意）" in done and "已办结" in done
    [rating] = rows(db, CaseRating)
    assert (rating.status, rating.solved, rating.satisfaction, rating.rated_at) == ("rated", "solved", "satisfied",
                                                                                   clock.now())
    assert fresh(db, case_id).status is CaseStatus.CLOSED
    [close] = rows(db, CaseEvent, CaseEvent.action == "close")
    assert (close.actor_kind, close.note) == (ActorKind.RESIDENT, "群众评价：解决、满意")
    assert outbox(db, RES, "close") == []   # the chat's reply said it; no push of their own step
    [told] = outbox(db, REP, "told_representative")
    assert "群众已确认办结（群众评价：解决、满意）" in told.text
    assert len(rows(db, Case)) == 1   # no digit became a case
    assert ask(app) == 0   # the close is in the round already rated


def test_mistyped_answers_get_a_hint_and_other_words_are_still_reports(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    for typed in ("4", "０", "123"):
        hint = wechat.text(RES, typed).text
        assert "没能看懂" in hint and "1：解决" in hint
    wechat.text(RES, "2")
    assert "1：满意" in wechat.text(RES, "5").text   # the hint is the open question's
    clock.advance(minutes=30)
    wechat.text(RES, "路灯修好了，但是楼道里的灯也坏了")
    assert len(rows(db, Case)) == 2   # a new problem is still filed
    again = wechat.text(RES, "评价").text
    assert "还有一个小问题" in again and "1：满意" in again
    wechat.text(RES, "基本满意")
    assert fresh(db, case_id).status is CaseStatus.CLOSED
    assert [(r.solved, r.satisfaction) for r in rows(db, CaseRating)] == [("partly", "basic")]


def test_with_nothing_to_rate_a_verdicts_words_reach_the_open_case(app, wechat, db, clock, people):
    case_id = report(wechat, db)
    assert "没有需要评价" in wechat.text(RES, "评价").text   # the command is answered
    said = ("已经解决了", "满意", "不满意", "没解决", "1", "不满意，还是不亮")
    for text in said:
        assert "已补充到2026-000001" in wechat.text(RES, text).text   # as before ratings: added to the open case
    assert [m.content for m in rows(db, CaseMessage, CaseMessage.case_id == case_id)][-len(said):] == list(said)
    assert rows(db, CaseRating) == []


def test_dissatisfied_reopens_to_the_department_that_answered_and_tells_it_why(app, wechat, db, clock, people):
    case_id = report(wechat, db, text="路面坑洼，雨天积水")
    department = db.scalars(select(Department.id)).one()
    step(app, case_id, "assign", actor(app, REP), tier=Tier.DEPARTMENT, department_id=department)
    clock.advance(days=2)
    step(app, case_id, "reply", actor(app, LIAISON), note="已安排修补路面。")
    assert ask(app) == 1
    answer = wechat.text(RES, "23").text   # both at once: 部分解决, 不满意
    assert "已请区城市管理执法局重新办理" in answer and "哪里不满意" in answer
    case = fresh(db, case_id)
    assert (case.status, case.tier, case.department_id) == (CaseStatus.ASSIGNED, Tier.DEPARTMENT, department)
    [reopen] = rows(db, CaseEvent, CaseEvent.action == "reopen")
    assert (reopen.actor_kind, reopen.from_status, reopen.to_status) == (ActorKind.RESIDENT, "replied", "assigned")
    assert reopen.note == "群众评价：部分解决、不满意"
    [told] = outbox(db, LIAISON, "reopened")
    assert "【重新办理】编号2026-000001由群众退回重新办理" in told.text and "部分解决、不满意" in told.text
    assert "退回重新办理（群众评价：部分解决、不满意）" in outbox(db, REP, "told_representative")[-1].text
    assert outbox(db, RES, "reopen") == []
    thanks = wechat.text(RES, "雨天还是积水，只补了一半").text
    assert "已转告区城市管理执法局" in thanks
    assert rows(db, CaseRating)[0].comment == "雨天还是积水，只补了一半"
    [comment] = outbox(db, LIAISON, "rating_comment")
    assert "群众对编号2026-000001的答复不满意，原因：\n雨天还是积水，只补了一半" in comment.text
    assert len(rows(db, Case)) == 1   # the comment is not a new case
    step(app, case_id, "reply", actor(app, LIAISON), note="已全部重铺。")   # the department answers again
    assert ask(app) == 1


def test_unsolved_reopens_a_representatives_own_answer_to_the_representative(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    wechat.text(RES, "未解决")
    answer = wechat.text(RES, "满意").text   # satisfied with the people, but not solved: reopened all the same
    assert "还有哪些没有解决" in answer and "不满意" not in answer   # they are not asked what displeased them
    case = fresh(db, case_id)
    assert (case.status, case.tier) == (CaseStatus.ACCEPTED, Tier.REPRESENTATIVE)
    [told] = outbox(db, REP, "reopened")
    assert "未解决、满意" in told.text and "回复 1 内容" in told.text
    assert outbox(db, REP, "told_representative") == []   # told once
    clock.advance(minutes=11)
    wechat.text(RES, "灯还是不亮")   # too late to be the comment: a report
    assert rows(db, CaseRating)[0].comment == "" and len(rows(db, Case)) == 2


def test_the_representative_reads_why_a_resident_says_unsolved(app, wechat, db, clock, people):
    answered(app, wechat, db, people, clock)
    wechat.text(RES, "31")
    assert "已转告" in wechat.text(RES, "灯泡换了还是不亮").text
    [comment] = outbox(db, REP, "rating_comment")
    assert "群众反映编号2026-000001的问题未解决，原因：\n灯泡换了还是不亮" in comment.text


@pytest.mark.parametrize(("text", "cases", "reply"), [
    ("另外3楼又漏水了", 2, "已登记"),                       # a new problem: filed
    ("新问题：小区门口的井盖丢了", 2, "已登记"),
    ("路灯" * 101, 2, "已登记"),                            # too long for a comment: a report
    ("评价", 1, "没有需要评价"),                            # the command, as usual
])
def test_after_a_rejection_a_new_problem_or_a_command_is_no_comment(app, wechat, db, clock, people, text, cases,
                                                                    reply):
    answered(app, wechat, db, people, clock)
    assert "哪里不满意" in wechat.text(RES, "33").text
    answer = wechat.text(RES, text).text
    assert reply in answer and "已转告" not in answer
    assert len(rows(db, Case)) == cases and rows(db, CaseRating)[0].comment == ""
    assert outbox(db, REP, "rating_comment") == []


def test_a_verdict_said_with_its_reason_takes_the_reason_as_the_comment(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    first = wechat.text(RES, "不满意，灯还是不亮，物业说不归他们管").text
    assert "不满意" in first and "1：解决" in first   # the other question
    done = wechat.text(RES, "3").text
    assert "编号2026-000001的问题已请" in done and "一并转告" in done and "哪里不满意" not in done
    [rating] = rows(db, CaseRating)
    assert (rating.solved, rating.satisfaction, rating.comment) == ("unsolved", "dissatisfied",
                                                                    "灯还是不亮，物业说不归他们管")
    [reopen] = rows(db, CaseEvent, CaseEvent.action == "reopen")
    assert reopen.note == "群众评价：未解决、不满意。群众意见：灯还是不亮，物业说不归他们管"
    assert fresh(db, case_id).status is CaseStatus.ACCEPTED and len(rows(db, Case)) == 1
    step(app, case_id, "reply", actor(app, REP), note="已换了灯。")
    assert ask(app) == 1
    both = wechat.text(RES, "没解决，不满意：还是黑的").text   # both questions and the reason at once
    assert "已请" in both and "一并转告" in both
    assert [r.comment for r in rows(db, CaseRating)] == ["灯还是不亮，物业说不归他们管", "还是黑的"]


def test_digits_go_to_the_half_answered_rating_and_the_verdict_names_its_case(app, wechat, db, clock, people):
    first = answered(app, wechat, db, people, clock)
    wechat.text(RES, "1")   # the first case's first question
    second = answered(app, wechat, db, people, clock, text="公园的长椅坏了")   # asked later
    done = wechat.text(RES, "1").text
    assert "编号2026-000001" in done and "（解决、满意）" in done
    assert fresh(db, first).status is CaseStatus.CLOSED and fresh(db, second).status is CaseStatus.REPLIED
    assert [(r.status, r.solved) for r in rows(db, CaseRating)] == [("rated", "solved"), ("asked", None)]
    assert "还有编号2026-000002的答复没有评价" in done
    wechat.text(RES, "1")
    assert "（解决、基本满意）！编号2026-000002的问题已办结" in wechat.text(RES, "2").text


def test_a_request_a_staff_reopen_superseded_takes_no_digits_and_counts_nowhere(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    step(app, case_id, "reopen", actor(app, CLERK), note="答复不完整，请写明维修时间")
    assert "1：满意" not in (wechat.text(RES, "1").text or "")   # no question is open any more
    assert ask(app) == 0   # the ask job settles it
    [rating] = rows(db, CaseRating)
    assert (rating.status, rating.solved) == ("superseded", None)
    with services(app).engine.connect() as conn:
        figures = ratings.rating_figures(conn, true())
    assert (figures.asked, figures.pending, figures.expired) == (0, 0, 0)
    clock.advance(days=8)
    assert expire_ratings(services(app), clock.now()) == 0 and rows(db, CaseRating)[0].status == "superseded"
    step(app, case_id, "reply", actor(app, REP), note="周五前修好。")
    assert ask(app) == 1
    with services(app).engine.connect() as conn:
        final = ratings.rating_figures(conn, Case.id == case_id, latest_only=True)
    assert (final.asked, final.pending) == (1, 1)


def test_a_request_superseded_before_the_ask_job_looked_never_expires_as_not_rated(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    step(app, case_id, "reopen", actor(app, CLERK), note="答复不完整")
    clock.advance(days=8)
    assert expire_ratings(services(app), clock.now()) == 0
    assert rows(db, CaseRating)[0].status == "superseded"
    assert fresh(db, case_id).status is CaseStatus.ACCEPTED and outbox(db, RES, "close") == []


def test_the_final_verdict_is_the_latest_real_one(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    wechat.text(RES, "11")   # closed, satisfied
    step(app, case_id, "reopen", actor(app, CLERK), note="群众来电说又坏了")
    step(app, case_id, "reply", actor(app, REP), note="已再次修好。")
    assert ask(app) == 1
    step(app, case_id, "reopen", actor(app, CLERK), note="答复不完整")
    ask(app)
    assert [r.status for r in rows(db, CaseRating)] == ["rated", "superseded"]
    with services(app).engine.connect() as conn:
        final = ratings.rating_figures(conn, Case.id == case_id, latest_only=True)
        latest = conn.scalars(select(CaseRating.status).where(ratings.latest())).all()
    assert (final.asked, final.rated, final.satisfied, final.pending) == (1, 1, 1, 0)
    assert latest == ["rated"]


def test_a_comment_can_be_skipped_and_a_command_is_not_a_comment(app, wechat, db, clock, people):
    answered(app, wechat, db, people, clock)
    wechat.text(RES, "33")
    assert "好的" in wechat.text(RES, "０").text
    assert rows(db, CaseRating)[0].comment == ""
    answered_again = rows(db, Case)[0].id
    step(app, answered_again, "reply", actor(app, REP), note="已换灯。")
    ask(app)
    wechat.text(RES, "33")
    assert "您最近反映的问题" in wechat.text(RES, "进度").text
    assert [r.comment for r in rows(db, CaseRating)] == ["", ""]


class Killed(BaseException):
    """The scheduler dies halfway through a step."""


def test_jobs_killed_halfway_leave_nothing_half_done_and_rerun_cleanly(app, wechat, db, clock, people, monkeypatch):
    case_id = report(wechat, db)
    step(app, case_id, "reply", actor(app, REP), note="已修好。")
    queue = ratings.actions.queue

    def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(ratings.actions, "queue", die)
    with pytest.raises(Killed):
        ask(app)
    assert rows(db, CaseRating) == []   # the request and its message commit together or not at all
    monkeypatch.setattr(ratings.actions, "queue", queue)
    assert ask(app) == 1 and ask(app) == 0
    clock.advance(days=8)
    perform_ = ratings.actions.perform
    monkeypatch.setattr(ratings.actions, "perform", die)
    with pytest.raises(Killed):
        expire_ratings(services(app), clock.now())
    assert rows(db, CaseRating)[0].status == "asked" and fresh(db, case_id).status is CaseStatus.REPLIED
    monkeypatch.setattr(ratings.actions, "perform", perform_)
    assert expire_ratings(services(app), clock.now()) == 1
    assert rows(db, CaseRating)[0].status == "expired" and fresh(db, case_id).status is CaseStatus.CLOSED
    assert len(outbox(db, RES, "rating")) == 1 and len(outbox(db, RES, "close")) == 1


# -- expiry, figures, the ledger --------------------------------------------------------------------
def test_no_answer_in_time_is_not_rated_and_closes_the_case(app, wechat, db, clock, people):
    case_id = answered(app, wechat, db, people, clock)
    svc = services(app)
    clock.advance(days=7, minutes=-1)
    assert expire_ratings(svc, clock.now()) == 0
    clock.advance(minutes=1)
    assert expire_ratings(svc, clock.now()) == 1
    assert expire_ratings(svc, clock.now()) == 0
    assert rows(db, CaseRating)[0].status == "expired"
    assert fresh(db, case_id).status is CaseStatus.CLOSED
    [close] = rows(db, CaseEvent, CaseEvent.action == "close")
    assert (close.actor_kind, close.note) == (ActorKind.SYSTEM, "群众7日内未评价，自动办结")
    with svc.engine.connect() as conn:
        figures = ratings.rating_figures(conn, true())
    assert (figures.asked, figures.rated, figures.expired, figures.satisfied, figures.satisfaction_rate) == (
        1, 0, 1, 0, None)
    wechat.text(RES, "1")   # too late: no question is open, the digit is not a rating
    assert rows(db, CaseRating)[0].status == "expired"
    assert ask(app) == 0   # the system's close is in the round already asked about


def _rating(db, case_id: int, status: str, solved=None, satisfaction=None, at=None) -> None:
    event = CaseEvent(case_id=case_id, at=at, actor_kind=ActorKind.SYSTEM, action="reply", note="答复")
    db.add(event)
    db.flush()
    db.add(CaseRating(case_id=case_id, event_id=event.id, status=status, solved=solved, satisfaction=satisfaction,
                      comment="", asked_at=at))


def test_the_figures_of_a_scope(app, wechat, db, clock, people):
    east = report(wechat, db)
    west = report(wechat, db, openid="o-west", text="西街的公园没人打扫")
    fresh(db, west).sub_district_id = people["sub_districts"]["west"].id
    now = clock.now()
    for verdict in (("rated", "solved", "satisfied"), ("rated", "partly", "basic"),
                    ("rated", "unsolved", "dissatisfied"), ("expired",), ("asked",)):
        _rating(db, east, *verdict, at=now)
    _rating(db, west, "rated", "solved", "satisfied", at=now)
    db.commit()
    with services(app).engine.connect() as conn:
        everything = ratings.rating_figures(conn, true())
        figures = ratings.rating_figures(conn, Case.sub_district_id == people["sub_districts"]["east"].id)
        final = ratings.rating_figures(conn, Case.id == east, latest_only=True)
    assert (everything.asked, everything.rated) == (6, 4)
    assert (figures.asked, figures.rated, figures.expired, figures.pending) == (5, 3, 1, 1)
    assert (figures.satisfied, figures.basic, figures.dissatisfied) == (1, 1, 1)
    assert (figures.solved, figures.partly, figures.unsolved) == (1, 1, 1)
    assert figures.satisfaction_rate == pytest.approx(2 / 3) and figures.solved_rate == pytest.approx(1 / 3)
    assert (final.asked, final.rated, final.pending) == (1, 0, 1)


def test_the_ledger_shows_the_latest_rating(app, wechat, db, clock, people, client):
    rated = answered(app, wechat, db, people, clock)
    wechat.text(RES, "1")
    wechat.text(RES, "2")
    expired = answered(app, wechat, db, people, clock, text="公园的长椅坏了")
    db.rollback()
    db.execute(CaseRating.__table__.update().where(CaseRating.case_id == expired).values(status="expired"))
    db.commit()
    create_staff_user(db, username="district", display_name="区人大", role="district", unit_code=None,
                      password=PASSWORD, now=clock.now())
    db.commit()
    form = client.get("/console/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    assert client.post("/console/login", data={"csrf_token": csrf, "username": "district",
                                               "password": PASSWORD}).status_code == 302
    with client.get("/console/ledger.xlsx?tab=all") as answer:
        book = load_workbook(io.BytesIO(answer.data))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    column = header.index("满意度")
    labels = {row[0].value: row[column].value for row in sheet.iter_rows(min_row=2)}
    assert labels[fresh(db, rated).number] == "基本满意"
    assert labels[fresh(db, expired).number] == "未评价"


# -- WeChat's push rules ----------------------------------------------------------------------------
@pytest.fixture
def sandboxed(sandbox_app, db, district, clock):
    district["reps"]["wang"].openid = REP
    db.commit()
    return sandbox_app


def test_outside_the_window_the_question_is_a_template_whose_link_opens_the_page(sandboxed, db, clock, world):
    app = sandboxed
    wechat = WeChatServer.for_app(app, app.test_client())
    world.user_wrote(RES, clock.time())
    case_id = report(wechat, db)
    clock.advance(hours=49)   # the resident's 48 hours are over
    step(app, case_id, "reply", actor(app, REP), note="已修好。")
    assert ask(app) == 1
    svc = services(app)
    deliver_outbox(svc, clock.now())
    [question] = outbox(db, RES, "rating")
    assert (question.status, question.channel) == ("sent", "template")
    call = world.calls("message/template/send")[-1]
    assert call["body"]["url"] == question.url and question.url.startswith(f"{BASE}/rate?t=")
    assert call["body"]["data"]["thing2"]["value"] == "已答复，请点击评价"
    card = [entry for entry in world.chat(RES) if entry.get("kind") == "template"][-1]
    assert card["url"] == question.url
    reply_call = world.calls("message/template/send")[0]
    assert "url" not in reply_call["body"]   # only the question carries a link
    link = urlsplit(question.url)
    page = app.test_client().get(f"{link.path}?{link.query}")
    assert page.status_code == 200 and "2026-000001" in page.get_data(as_text=True)


def test_inside_the_window_the_question_is_a_text_with_digits_and_the_sandbox_link(sandbox_app, db, district, clock,
                                                                                  world, settings_overrides):
    app = sandbox_app
    district["reps"]["wang"].openid = REP
    db.commit()
    wechat = WeChatServer.for_app(app, app.test_client())
    world.user_wrote(RES, clock.time())
    case_id = report(wechat, db)
    step(app, case_id, "reply", actor(app, REP), note="已修好。")
    ask(app)
    deliver_outbox(services(app), clock.now())
    [question] = outbox(db, RES, "rating")
    assert (question.status, question.channel) == ("sent", "custom")
    [text] = [entry["text"] for entry in world.chat(RES) if "回复数字" in entry.get("text", "")]
    assert "1：解决" in text and f'<a href="{question.url}">' in text
    assert question.url.startswith(BASE)   # ratings.base_url wins over the sandbox's own address


def test_the_sandbox_links_to_its_own_address_without_a_base_url(sandbox_app):
    settings = services(sandbox_app).settings
    assert base_url(settings) == BASE  # this module sets one; without it, the fake API's own host
    own = base_url(replace(settings, ratings_base_url=""))
    assert own.startswith("http://127.0.0.1:") and not own.endswith("/")
    assert base_url(replace(settings, ratings_base_url="", wechat_sandbox=False)) == ""


def test_a_resident_who_became_a_clerk_rates_nothing_by_typing_digits(app, wechat, db, clock, people):
    """A resident asked to rate an answer is then bound to a staff account: their digits and
    words are the workbench's, not a rating (on PostgreSQL the message is first handled as a
    resident's, and the rating handler looks who it is before it writes)."""
    from texts import workbench as work_words

    case_id = answered(app, wechat, db, people, clock)
    db.rollback()
    db.scalars(select(StaffUser).where(StaffUser.username == "east")).one().openid = RES
    db.commit()
    assert wechat.text(RES, "13").text == work_words.NOT_A_COMMAND
    assert wechat.text(RES, "不满意，还是漏水").text == work_words.NOT_A_COMMAND
    [rating] = rows(db, CaseRating)
    assert (rating.status, rating.solved, rating.satisfaction) == ("asked", None, None)
    assert fresh(db, case_id).status is CaseStatus.REPLIED
    assert rows(db, CaseEvent, CaseEvent.action.in_(("close", "reopen"))) == []
