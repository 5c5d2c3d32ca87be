"""Pushing messages to WeChat: the pure rules, then the sender against the one fake WeChat API,
asserting what it was sent: windows and quotas with a frozen clock, fallbacks, refusals, a sender
killed half-way, two senders on one outbox."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.redact import redact
from bot.services import services
from cases.notifications import (
    MAX_ATTEMPTS,
    RETRY_PAUSES,
    Outcome,
    Window,
    after_attempt,
    next_beijing_day,
    open_windows,
)
from models import OutboxMessage, Resident
from scheduler import outbox as sender
from scheduler.jobs import run_pass
from scheduler.notices import queue_new_case_notices
from scheduler.outbox import deliver_outbox

NOW = datetime(2026, 11, 23, 2, 0)
PHONE = "o-rep-wang"


@pytest.mark.parametrize(
    ("channel", "errcode", "attempts", "has_template", "expected"),
    [
        ("custom", 0, 1, True, Outcome("sent", "custom")),
        ("custom", 45015, 1, True, Outcome("pending", "template", NOW, try_now=True)),
        ("custom", 45047, 1, True, Outcome("pending", "template", NOW, try_now=True)),
        ("custom", 45015, 1, False, Outcome("failed", "custom")),
        ("template", 0, 2, True, Outcome("sent", "template")),
        ("custom", 43004, 1, True, Outcome("failed", "custom")),
        ("template", 40003, 1, True, Outcome("failed", "template")),
        ("template", 40037, 2, True, Outcome("failed", "template")),  # misconfigured: at once
        ("template", 47003, 1, True, Outcome("failed", "template")),
        ("custom", 48001, 1, True, Outcome("failed", "custom")),
        ("custom", 40164, 1, True, Outcome("failed", "custom")),
        ("custom", None, 1, True, Outcome("pending", "custom", NOW + RETRY_PAUSES[0])),
        ("custom", -1, 2, True, Outcome("pending", "custom", NOW + RETRY_PAUSES[1])),
        ("template", 45009, 1, True, Outcome("pending", "template", datetime(2026, 11, 23, 16, 1))),
        ("custom", -1, MAX_ATTEMPTS, True, Outcome("failed", "custom")),
    ],
)
def test_what_follows_an_attempt(channel, errcode, attempts, has_template, expected):
    assert after_attempt(channel, errcode, attempts, has_template, NOW) == expected


def test_windows_a_message_opens_48_hours_for_5_a_tap_1_minute_for_3():
    wrote, tapped = NOW - timedelta(hours=47), NOW - timedelta(seconds=30)
    assert open_windows(wrote, tapped, NOW) == [
        Window("message", wrote, wrote + timedelta(hours=48), 5), Window("tap", tapped, tapped + timedelta(minutes=1), 3)]
    assert open_windows(NOW - timedelta(hours=48), NOW - timedelta(minutes=1), NOW) == []
    assert open_windows(None, None, NOW) == []


def test_the_daily_quota_waits_for_beijing_midnight():
    assert next_beijing_day(datetime(2026, 11, 23, 15, 59)) == datetime(2026, 11, 23, 16, 1)
    assert next_beijing_day(datetime(2026, 11, 23, 16, 0)) == datetime(2026, 11, 24, 16, 1)


def test_no_token_or_signature_survives_in_an_error():
    text = "ConnectionError: https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=SECRET1&x=1"
    assert "SECRET1" not in redact(text) and "x=1" in redact(text)
    assert "abc" not in redact("/wechat?signature=abc&timestamp=1")


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


@pytest.fixture
def phone(db, district) -> str:
    district["reps"]["wang"].openid = PHONE
    db.commit()
    return PHONE


def _outbox(db) -> list[OutboxMessage]:
    db.rollback()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _queue(db, clock, openid: str, count: int, template: str = "case_notice") -> None:
    for index in range(count):
        db.add(OutboxMessage(idempotency_key=f"test:{openid}:{index}", openid=openid, purpose="test",
                             text=f"消息{index}", template=template,
                             template_data={"number": "2026-000001", "text": f"第{index}条进展", "time": "10:00"},
                             next_attempt_at=clock.now(), created_at=clock.now()))
    db.commit()


def _received(world, openid: str) -> list[tuple[str, str]]:
    return [(entry["via"], entry.get("text") or entry["lines"][1]) for entry in world.chat(openid)
            if entry["side"] == "account"]


def test_a_new_case_reaches_its_representative_once(app, wechat, db, clock, world, phone):
    svc = services(app)
    world.user_wrote(phone, clock.time())
    wechat.text(phone, "帮助")  # the representative wrote: our records open the 48-hour window
    wechat.scan_poster("o-resident", "wang01")
    wechat.text("o-resident", "小区门口的路灯坏了一个月了")
    assert queue_new_case_notices(svc, clock.now()) == 0   # the resident may still add to it
    clock.advance(minutes=10)
    assert queue_new_case_notices(svc, clock.now()) == 1
    assert queue_new_case_notices(svc, clock.now()) == 0  # queued once
    assert deliver_outbox(svc, clock.now()) == 1
    assert deliver_outbox(svc, clock.now()) == 0
    [message] = _outbox(db)
    assert (message.status, message.channel, message.attempts) == ("sent", "custom", 1)
    [(via, text)] = _received(world, phone)
    assert via == "custom" and "编号2026-000001" in text and "路灯坏了" in text


def test_five_in_a_window_then_the_template_without_asking_wechat_first(app, wechat, db, clock, world, phone):
    world.user_wrote(phone, clock.time())
    wechat.text(phone, "帮助")
    _queue(db, clock, phone, 7)
    assert deliver_outbox(services(app), clock.now()) == 7
    assert [via for via, _ in _received(world, phone)] == ["custom"] * 5 + ["template"] * 2
    assert [call["errcode"] for call in world.calls() if call["endpoint"].startswith("message/")] == [0] * 7


def test_a_scan_opens_one_minute_for_three(app, wechat, db, clock, world, phone):
    world.user_tapped(phone, clock.time(), subscribed=True)
    wechat.scan_poster(phone, "li02")
    _queue(db, clock, phone, 4)
    deliver_outbox(services(app), clock.now())
    assert [via for via, _ in _received(world, phone)] == ["custom"] * 3 + ["template"]
    clock.advance(minutes=2)
    db.add(OutboxMessage(idempotency_key="later", openid=phone, purpose="test", text="晚到的", template="case_notice",
                         template_data={"number": "2026-000001", "text": "进展", "time": "10:02"},
                         next_attempt_at=clock.now(), created_at=clock.now()))
    db.commit()
    deliver_outbox(services(app), clock.now())
    assert _received(world, phone)[-1][0] == "template"  # the minute is over


def test_outside_any_window_the_template_carries_its_configured_fields(app, db, clock, world, phone):
    world.user_wrote(phone, clock.time() - 3 * 24 * 3600)  # wrote days ago, as WeChat knows
    _queue(db, clock, phone, 1)
    deliver_outbox(services(app), clock.now())
    [call] = world.calls("message/template/send")
    assert call["body"]["template_id"] == "sandbox-case-notice"
    assert call["body"]["data"] == {"character_string1": {"value": "2026-000001"}, "thing2": {"value": "第0条进展"},
                                    "time3": {"value": "10:00"}}
    assert len(call["body"]["client_msg_id"]) == 32
    [message] = _outbox(db)
    assert (message.status, message.channel) == ("sent", "template") and message.template_msgid


def test_a_resident_who_unfollowed_is_not_retried_and_is_marked(app, wechat, db, clock, world, phone):
    world.user_wrote("o-gone", clock.time())
    wechat.scan_poster("o-gone", "wang01")
    wechat.text("o-gone", "噪音扰民")
    world.user_tapped("o-gone", clock.time(), subscribed=False)  # unfollowed on the phone, WeChat knows
    _queue(db, clock, "o-gone", 1, template="case_progress")
    run_pass(services(app), clock.now())
    clock.advance(hours=5)
    run_pass(services(app), clock.now())
    [message] = [m for m in _outbox(db) if m.openid == "o-gone"]
    assert (message.status, message.last_errcode) == ("failed", 43004)
    assert [c["errcode"] for c in world.calls() if c["body"] and c["body"].get("touser") == "o-gone"] == [45015, 43004]
    assert not db.scalars(select(Resident).where(Resident.openid == "o-gone")).one().subscribed


def test_a_misconfigured_template_fails_at_once_and_is_listed(app, db, clock, world, phone):
    world.user_known(phone, subscribed=True)
    _queue(db, clock, phone, 1)
    world.fail_next("message/template/send", 47003)
    deliver_outbox(services(app), clock.now())
    clock.advance(hours=5)
    deliver_outbox(services(app), clock.now())
    [message] = _outbox(db)
    assert (message.status, message.last_errcode, message.attempts) == ("failed", 47003, 1)
    assert [row.id for row in sender.failed(services(app).engine)] == [message.id]


def test_a_busy_wechat_is_retried_later(app, wechat, db, clock, world, phone):
    svc = services(app)
    world.user_wrote(phone, clock.time())
    wechat.text(phone, "帮助")
    _queue(db, clock, phone, 1)
    world.fail_next("message/custom/send", -1)
    deliver_outbox(svc, clock.now())
    [message] = _outbox(db)
    assert (message.status, message.attempts, message.last_errcode) == ("pending", 1, -1)
    assert message.next_attempt_at == clock.now() + RETRY_PAUSES[0] and message.claim_token is None
    clock.advance(seconds=10)
    assert deliver_outbox(svc, clock.now()) == 0  # not yet due
    clock.advance(seconds=25)
    assert deliver_outbox(svc, clock.now()) == 1


def test_the_template_outcome_reported_later_updates_the_row(app, wechat, db, clock, world, phone):
    world.user_known(phone, subscribed=True)
    world.block_templates(phone)
    _queue(db, clock, phone, 1)
    deliver_outbox(services(app), clock.now())
    [message] = _outbox(db)
    assert message.status == "sent"
    # WeChat's later word, as its servers post it to the webhook.
    assert wechat.event(phone, "TEMPLATESENDJOBFINISH", extra={"MsgID": message.template_msgid,
                                                                "Status": "failed:user block"}).status == 200
    [message] = _outbox(db)
    assert (message.status, message.job_status) == ("failed", "failed:user block")


class Killed(BaseException):
    """The sender process dies between WeChat's answer and the commit."""


@pytest.mark.parametrize(("wrote", "received"), [(True, 2), (False, 1)])
def test_a_sender_killed_after_wechat_accepted(app, wechat, db, clock, world, phone, monkeypatch, wrote, received):
    """A customer-service message is sent again once the claim lapses: exactly one duplicate. A
    template message is not: WeChat drops the repeat by its client_msg_id."""
    if wrote:
        world.user_wrote(phone, clock.time())
        wechat.text(phone, "帮助")
    else:
        world.user_known(phone, subscribed=True)
    _queue(db, clock, phone, 1)
    record = sender.record

    def die(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(sender, "record", die)
    with pytest.raises(Killed):
        deliver_outbox(services(app), clock.now())
    monkeypatch.setattr(sender, "record", record)
    assert deliver_outbox(services(app), clock.now()) == 0  # still claimed by the dead sender
    clock.advance(seconds=services(app).settings.outbox_claim_seconds + 1)
    assert deliver_outbox(services(app), clock.now()) == 1
    assert len(_received(world, phone)) == received
    assert _outbox(db)[0].status == "sent"


def test_two_senders_never_send_one_message_twice(app, wechat, db, clock, world):
    recipients = [f"o-many-{index:02d}" for index in range(12)]
    for openid in recipients:
        world.user_wrote(openid, clock.time())
        wechat.text(openid, "你好")
        _queue(db, clock, openid, 3)
    svc = services(app)
    barrier = threading.Barrier(2)
    counts = []

    def one_sender():
        barrier.wait()
        counts.append(deliver_outbox(svc, clock.now(), limit=20))

    threads = [threading.Thread(target=one_sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts.append(deliver_outbox(svc, clock.now()))
    assert sum(counts) == 36
    texts = [(openid, text) for openid in recipients for _, text in _received(world, openid)]
    assert len(texts) == len(set(texts)) == 36


def test_a_long_pass_renews_its_claim_so_no_other_sender_takes_over(app, wechat, db, clock, world, phone,
                                                                    monkeypatch):
    world.user_wrote(phone, clock.time())
    wechat.text(phone, "帮助")
    _queue(db, clock, phone, 4)
    svc = services(app)
    send, stolen = sender._send, []

    def slow_send(svc_, message, channel):  # each WeChat call takes 50 s of the clock
        clock.advance(seconds=50)
        stolen.extend(sender.claim(svc.engine, svc.clock.now(), 10, 120)[1])  # a second sender tries
        return send(svc_, message, channel)

    monkeypatch.setattr(sender, "_send", slow_send)
    assert deliver_outbox(svc, clock.now()) == 4
    assert stolen == [] and len(_received(world, phone)) == 4
