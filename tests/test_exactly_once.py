"""A retried delivery never makes a second case, and gets the same passive reply as the first."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

import bot.delivery
import cases.intake
from bot.delivery import REDIS_PAUSE_SECONDS, seen_key
from bot.kv import make_redis
from bot.messages import parse_incoming
from bot.services import services
from models import Case, CaseMessage, InboundMessage, ResidentScan
from tests.support import WeChatServer, message_xml, next_msg_id

real_monotonic = time.monotonic


def count(db, model) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model))


def post_concurrently(app, clock, xml: str, times: int, mode: str = "plain"):
    """Post the same delivery from several threads at once, as WeChat's retries can arrive."""
    barrier = threading.Barrier(times)
    results: list = [None] * times

    def worker(index: int) -> None:
        server = WeChatServer.for_app(app)
        barrier.wait()
        results[index] = server.post(xml, mode)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def redis_down(app):
    """Point the app at a Redis that refuses connections."""
    svc = services(app)
    alive = svc.redis
    dead, _ = make_redis("redis://127.0.0.1:1/0")
    dead.alive = alive  # for a test that brings Redis back
    svc.redis = svc.deliveries.redis = dead
    yield dead
    svc.redis = svc.deliveries.redis = alive


@pytest.mark.parametrize("mode", ["plain", "safe", "compatible"])
def test_sequential_retries_make_one_case_and_the_same_reply(wechat, clock, db, district, mode):
    xml = message_xml("o-retry", "text", int(clock.time()), {"Content": "楼道灯坏了", "MsgId": next_msg_id()})
    replies = [wechat.post(xml, mode) for _ in range(3)]
    assert {reply.status for reply in replies} == {200}
    assert len({reply.text for reply in replies}) == 1
    assert "编号" in replies[0].text
    assert count(db, Case) == 1 and count(db, CaseMessage) == 1 and count(db, InboundMessage) == 1


@pytest.mark.parametrize("mode", ["plain", "safe", "compatible"])
def test_a_concurrent_retry_storm_makes_one_case(app, clock, db, district, mode):
    xml = message_xml("o-storm", "text", int(clock.time()), {"Content": "垃圾没人清", "MsgId": next_msg_id()})
    replies = post_concurrently(app, clock, xml, times=3, mode=mode)
    assert [reply.status for reply in replies] == [200, 200, 200]
    assert len({reply.text for reply in replies}) == 1 and "编号" in replies[0].text
    assert count(db, Case) == 1 and count(db, CaseMessage) == 1


def test_with_redis_down_the_database_still_guards(app, wechat, clock, db, district, redis_down):
    xml = message_xml("o-noredis", "text", int(clock.time()), {"Content": "下水道堵了", "MsgId": next_msg_id()})
    first, again = wechat.post(xml), wechat.post(xml)
    storm = post_concurrently(app, clock, xml, times=3)
    assert {first.status, again.status, *(r.status for r in storm)} == {200}
    assert {first.text, again.text, *(r.text for r in storm)} == {first.text}
    assert count(db, Case) == 1 and count(db, InboundMessage) == 1


def test_redis_is_used_again_once_it_is_back(app, wechat, clock, db, district, redis_down, monkeypatch):
    svc = services(app)
    assert "编号" in wechat.text("o-back", "路面塌陷").text  # Redis down: the pause begins
    svc.redis = svc.deliveries.redis = alive = redis_down.alive
    monkeypatch.setattr(bot.delivery.time, "monotonic", lambda: real_monotonic() + REDIS_PAUSE_SECONDS + 1)
    xml = message_xml("o-back", "text", int(clock.time()), {"Content": "补充照片", "MsgId": next_msg_id()})
    assert "已补充" in wechat.post(xml).text
    assert alive.exists(seen_key(parse_incoming(xml).dedup_key))


def test_a_storm_with_redis_down_makes_one_case(app, clock, db, district, redis_down):
    xml = message_xml("o-storm2", "text", int(clock.time()), {"Content": "噪音扰民", "MsgId": next_msg_id()})
    replies = post_concurrently(app, clock, xml, times=3)
    assert len({reply.text for reply in replies}) == 1
    assert count(db, Case) == 1


def test_when_redis_forgets_the_retry_gets_the_stored_reply(app, wechat, clock, db, district):
    xml = message_xml("o-forget", "text", int(clock.time()), {"Content": "占道经营", "MsgId": next_msg_id()})
    first = wechat.post(xml)
    services(app).redis.flushdb()
    again = wechat.post(xml)
    assert again.text == first.text
    assert count(db, Case) == 1


def _fail_once(monkeypatch, after_filing: bool) -> None:
    real = cases.intake.file_report
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            if after_filing:
                real(*args, **kwargs)
            raise RuntimeError("the worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(cases.intake, "file_report", flaky)


def test_a_delivery_that_failed_is_handled_by_the_retry(wechat, clock, db, district, monkeypatch):
    _fail_once(monkeypatch, after_filing=False)
    xml = message_xml("o-flaky", "text", int(clock.time()), {"Content": "井盖丢了", "MsgId": next_msg_id()})
    failed = wechat.post(xml)
    assert failed.status == 500 and "Traceback" not in failed.body
    assert count(db, Case) == 0 and count(db, InboundMessage) == 0
    retried = wechat.post(xml)
    assert retried.status == 200 and "编号" in retried.text
    assert count(db, Case) == 1


def test_a_delivery_that_failed_after_filing_is_answered_once(wechat, clock, db, district, monkeypatch):
    """The filing is all or nothing: on SQLite it is rolled back with the delivery; on
    PostgreSQL a text's filing is its own transaction and may have committed, reply and all.
    Either way the retry makes it exactly one case."""
    _fail_once(monkeypatch, after_filing=True)
    xml = message_xml("o-flaky", "text", int(clock.time()), {"Content": "井盖丢了", "MsgId": next_msg_id()})
    assert wechat.post(xml).status == 500
    assert (count(db, Case), count(db, CaseMessage), count(db, InboundMessage)) in {(0, 0, 0), (1, 1, 1)}
    retried = wechat.post(xml)
    assert retried.status == 200 and "编号2026-" in retried.text  # (a PostgreSQL sequence skips the lost id)
    assert count(db, Case) == 1 and count(db, CaseMessage) == 1 and count(db, InboundMessage) == 1


def test_messages_sent_together_by_one_resident_make_one_case(app, clock, db, district):
    """A resident sending several photos at once: their deliveries arrive together, and the
    resident's row lock files them one after another into the same case."""
    WeChatServer.for_app(app).scan_poster("o-burst", "wang01")
    clock.advance(seconds=5)
    barrier = threading.Barrier(4)
    replies: list = []

    def send(index: int) -> None:
        server = WeChatServer.for_app(app)
        barrier.wait()
        replies.append(server.image("o-burst", f"media-burst-{index}"))

    threads = [threading.Thread(target=send, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(reply.status for reply in replies) == [200] * 4
    assert count(db, Case) == 1 and count(db, CaseMessage) == 4
    assert sum("编号2026-000001" in reply.text for reply in replies) == 1
    assert sum("已补充到2026-000001" in reply.text for reply in replies) == 3


def test_a_retried_event_is_handled_once(wechat, db, district):
    first = wechat.scan_poster("o-scanner", "wang01")
    again = wechat.scan_poster("o-scanner", "wang01")
    assert first.text == again.text and "王晓明" in first.text
    assert count(db, ResidentScan) == 1


def test_distinct_messages_at_the_same_second_are_all_kept(wechat, db, district):
    for content in ("第一条", "第二条", "第三条"):
        assert wechat.text("o-fast", content).status == 200
    assert count(db, CaseMessage) == 3 and count(db, InboundMessage) == 3
