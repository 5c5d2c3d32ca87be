"""Pushing messages to WeChat: the pure rules, then the scheduler's jobs against the fake API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services import services
from cases.notifications import MAX_ATTEMPTS, RETRY_PAUSES, Outcome, after_attempt
from models import OutboxMessage
from scheduler.jobs import run_pass
from scheduler.outbox import deliver_outbox, queue_new_case_notices

NOW = datetime(2026, 11, 23, 2, 0)


@pytest.mark.parametrize(
    ("channel", "errcode", "attempts", "has_template", "expected"),
    [
        ("custom", 0, 1, True, Outcome("sent", "custom")),
        ("custom", 45015, 1, True, Outcome("pending", "template", NOW, try_now=True)),
        ("custom", 45047, 1, True, Outcome("pending", "template", NOW, try_now=True)),
        ("custom", 45015, 1, False, Outcome("failed", "custom")),
        ("template", 0, 2, True, Outcome("sent", "template")),
        ("custom", 43004, 1, True, Outcome("failed", "custom")),
        ("template", 40037, 2, True, Outcome("failed", "template")),
        ("custom", None, 1, True, Outcome("pending", "custom", NOW + RETRY_PAUSES[0])),
        ("custom", -1, 2, True, Outcome("pending", "custom", NOW + RETRY_PAUSES[1])),
        ("template", 45009, 5, True, Outcome("pending", "template", NOW + RETRY_PAUSES[4])),
        ("custom", -1, MAX_ATTEMPTS, True, Outcome("failed", "custom")),
    ],
)
def test_what_follows_an_attempt(channel, errcode, attempts, has_template, expected):
    assert after_attempt(channel, errcode, attempts, has_template, NOW) == expected


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


@pytest.fixture
def rep_phone(db, district) -> str:
    wang = district["reps"]["wang"]
    wang.openid = "o-rep-wang"
    db.commit()
    return wang.openid


def _outbox(db) -> list[OutboxMessage]:
    db.rollback()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_new_case_reaches_its_representative_once(app, wechat, db, clock, world, rep_phone):
    svc = services(app)
    wechat.scan_poster("o-resident", "wang01")
    reply = wechat.text("o-resident", "小区门口的路灯坏了一个月了").text
    number = re.search(r"\d{4}-\d{6}", reply).group()

    assert queue_new_case_notices(svc, clock.now()) == 1
    assert queue_new_case_notices(svc, clock.now()) == 0  # queued once
    world.user_acted(rep_phone, clock.time())  # the representative wrote recently: window open
    assert deliver_outbox(svc, clock.now()) == 1
    assert deliver_outbox(svc, clock.now()) == 0

    [message] = _outbox(db)
    assert (message.status, message.channel, message.attempts) == ("sent", "custom", 1)
    [pushed] = [entry for entry in world.chat(rep_phone) if entry["side"] == "account"]
    assert pushed["via"] == "custom"
    assert f"案件编号：{number}" in pushed["text"] and "路灯坏了" in pushed["text"]


def test_past_the_window_the_notice_goes_as_a_template_message(app, wechat, db, clock, world, rep_phone):
    wechat.scan_poster("o-resident", "wang01")
    wechat.text("o-resident", "垃圾清运不及时")
    run_pass(services(app), clock.now())  # the representative has not written for days: 45015

    [message] = _outbox(db)
    assert (message.status, message.channel, message.attempts) == ("sent", "template", 2)
    [card] = world.chat(rep_phone)
    assert card["via"] == "template" and card["lines"][1] == "办理进度：新的群众反映：垃圾清运不及时"
    assert [call["errcode"] for call in world.calls() if call["endpoint"].startswith("message/")] == [45015, 0]


def test_an_unfollowed_representative_is_not_retried(app, wechat, db, clock, world, rep_phone):
    world.user_known(rep_phone, subscribed=False)
    wechat.scan_poster("o-resident", "wang01")
    wechat.text("o-resident", "噪音扰民")
    run_pass(services(app), clock.now())
    clock.advance(hours=5)
    run_pass(services(app), clock.now())
    [message] = _outbox(db)
    assert (message.status, message.last_errcode) == ("failed", 43004)
    assert len(world.calls("message/custom/send")) == 1


def test_a_busy_wechat_is_retried_later(app, wechat, db, clock, world, rep_phone):
    svc = services(app)
    world.user_acted(rep_phone, clock.time())
    wechat.scan_poster("o-resident", "wang01")
    wechat.text("o-resident", "井盖松动")
    world.fail_next("message/custom/send", -1)
    run_pass(svc, clock.now())
    [message] = _outbox(db)
    assert (message.status, message.attempts, message.last_errcode) == ("pending", 1, -1)
    assert message.next_attempt_at == clock.now() + RETRY_PAUSES[0]

    clock.advance(seconds=10)
    assert deliver_outbox(svc, clock.now()) == 0  # not yet due
    clock.advance(seconds=25)
    assert deliver_outbox(svc, clock.now()) == 1
    assert _outbox(db)[0].status == "sent"


def test_no_notice_without_a_bound_representative_or_for_old_cases(app, wechat, db, clock, district):
    svc = services(app)
    wechat.scan_poster("o-resident", "li02")  # 李芳 has not bound her WeChat
    wechat.text("o-resident", "公交站台破损")
    assert queue_new_case_notices(svc, clock.now()) == 0
    district["reps"]["li"].openid = "o-rep-li"
    db.commit()
    assert queue_new_case_notices(svc, clock.now() + timedelta(days=4)) == 0  # too old to announce
    assert queue_new_case_notices(svc, clock.now()) == 1  # she bound in time


def test_without_an_account_messages_wait(app, db, clock, rep_phone):
    svc = services(app)
    client, svc.wechat = svc.wechat, None
    try:
        db.add(OutboxMessage(openid=rep_phone, purpose="new_case", text="您好", template_data={},
                             next_attempt_at=clock.now(), created_at=clock.now()))
        db.commit()
        assert deliver_outbox(svc, clock.now()) == 0
        assert _outbox(db)[0].status == "pending"
    finally:
        svc.wechat = client
