"""The durable spool and its drainer, with the database made unreachable by pointing the
deliveries at a closed port (tests/test_db_outage.py stops a real PostgreSQL instead)."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import NullPool

import bot.delivery
from bot.cli import main
from bot.drainer import PURPOSE, Drainer, drain, push_cause
from bot.messages import parse_incoming
from bot.services import services
from bot.spool import Spool, SpooledDelivery, is_outage
from cases.numbering import case_number
from models import Case, CaseMessage, InboundMessage, OutboxMessage, Resident
from tests.conftest import START
from tests.support import message_xml, next_msg_id
from texts import residents as texts

FIXTURES = Path(__file__).parent / "fixtures" / "wechat"
REAL_NOTIFY = Drainer.notify


@pytest.fixture
def settings_overrides(settings_overrides, tmp_path):
    return {**settings_overrides, "spool.dir": str(tmp_path / "spool")}


@pytest.fixture(autouse=True)
def drainer_by_hand(monkeypatch):
    """The tests drain by hand; the background thread has a test of its own."""
    notified: list[int] = []
    monkeypatch.setattr(Drainer, "notify", lambda self: notified.append(1))
    return notified


@pytest.fixture
def deliveries(app):
    return services(app).deliveries


class Outage:
    """The deliveries' database refuses connections (a closed port) between ``down()`` and ``back()``."""

    def __init__(self, deliveries):
        self.deliveries = deliveries
        self.alive = deliveries.engine
        self.dead = create_engine("postgresql+psycopg://minyi@127.0.0.1:1/minyi", poolclass=NullPool)

    def down(self) -> None:
        self.deliveries.engine = self.dead

    def back(self) -> None:
        self.deliveries.engine = self.alive
        self.deliveries._database_paused_until = 0.0  # as if the pause after the outage had run out


@pytest.fixture
def outage(deliveries):
    """Starts with the database down."""
    outage = Outage(deliveries)
    outage.down()
    yield outage
    outage.back()
    outage.dead.dispose()


def count(db, model, *where) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model).where(*where))


def text_xml(openid: str, content: str, at: datetime = START) -> str:
    return message_xml(openid, "text", int(at.replace(tzinfo=UTC).timestamp()),
                       {"Content": content, "MsgId": next_msg_id()})


# -- what counts as an outage ---------------------------------------------------------------------
def _wrapped(orig: BaseException, kind=sa_exc.OperationalError, invalidated: bool = False):
    return kind("SELECT 1", {}, orig, connection_invalidated=invalidated)


def _sqlite_error(message: str, code: int) -> sqlite3.Error:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(("error", "expected"), [
    (_wrapped(psycopg.OperationalError("connection refused")), True),
    (_wrapped(psycopg.errors.AdminShutdown()), True),
    (_wrapped(psycopg.errors.CannotConnectNow()), True),
    (_wrapped(psycopg.errors.ConnectionFailure()), True),
    (_wrapped(psycopg.errors.QueryCanceled()), True),
    (_wrapped(psycopg.InterfaceError("the connection is closed"), sa_exc.InterfaceError), True),
    (_wrapped(psycopg.errors.SerializationFailure(), invalidated=True), True),
    (sa_exc.DisconnectionError("dead"), True),
    (sa_exc.TimeoutError("QueuePool limit reached"), True),
    (_wrapped(_sqlite_error("database is locked", sqlite3.SQLITE_BUSY)), True),
    (_wrapped(_sqlite_error("disk I/O error", sqlite3.SQLITE_IOERR_SHORT_READ)), True),
    (_wrapped(psycopg.errors.SerializationFailure()), False),
    (_wrapped(psycopg.errors.UniqueViolation(), sa_exc.IntegrityError), False),
    (_wrapped(psycopg.errors.UndefinedTable(), sa_exc.ProgrammingError), False),
    (_wrapped(_sqlite_error("no such table: cases", sqlite3.SQLITE_ERROR)), False),
    (RuntimeError("a bug"), False),
])
def test_only_an_unreachable_database_counts_as_an_outage(error, expected):
    assert is_outage(error) is expected


# -- the spool file ---------------------------------------------------------------------------------
def test_a_delivery_is_written_durably_and_only_once(tmp_path, monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    spool = Spool(tmp_path / "spool")
    incoming = parse_incoming(text_xml("o-durable", "路灯不亮"))
    first = SpooledDelivery.of(incoming, START)

    assert spool.keep(first) is True
    assert synced == ["folder", "file", "folder"]  # the new folder's entry, the file, its name
    path = spool.path_for(incoming.dedup_key)
    assert path.parent == spool.directory and "o-durable" not in path.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Spool.read(path) == first
    assert [p.name for p in spool.paths()] == [path.name]  # no temporary file left behind

    assert spool.keep(SpooledDelivery.of(incoming, START + timedelta(seconds=5))) is False  # WeChat's retry
    assert Spool.read(path).received_at == START  # the first attempt's time stays
    assert spool.load(incoming.dedup_key) == first and spool.holds(incoming.dedup_key)
    assert spool.discard(incoming.dedup_key) and not spool.holds(incoming.dedup_key)
    assert spool.load(incoming.dedup_key) is None and not spool.discard(incoming.dedup_key)


@pytest.mark.parametrize("fixture", sorted(path.name for path in FIXTURES.glob("*.xml")))
def test_every_kind_of_delivery_replays_as_it_came(fixture):
    xml = (FIXTURES / fixture).read_text().format(openid="oReplay_0123456789abcdefghijk", create_time=1795000000,
                                                  msg_id=next_msg_id())
    incoming = parse_incoming(xml)
    again = SpooledDelivery.from_bytes(SpooledDelivery.of(incoming, START).to_bytes()).incoming()
    assert again.dedup_key == incoming.dedup_key
    assert (again.openid, again.kind, again.create_time) == (incoming.openid, incoming.kind, incoming.create_time)
    assert again.message._data == incoming.message._data
    assert type(again.message) is type(incoming.message)


# -- the webhook while the database is down ---------------------------------------------------------
def test_while_the_database_is_down_deliveries_are_kept_and_answered(wechat, deliveries, outage,
                                                                     drainer_by_hand):
    xml = text_xml("o-down", "小区门口的路灯坏了")
    first = wechat.post(xml)
    assert (first.status, first.text) == (200, texts.SPOOLED_MESSAGE)
    assert len(deliveries.spool.paths()) == 1 and drainer_by_hand

    for _ in range(2):  # WeChat's retries, with Redis remembering the delivery
        assert (wechat.post(xml).status, wechat.post(xml).text) == (200, texts.SPOOLED_MESSAGE)
    deliveries.redis.flushdb()  # and with Redis having forgotten it
    assert wechat.post(xml).text == texts.SPOOLED_MESSAGE
    assert len(deliveries.spool.paths()) == 1

    assert wechat.event("o-down", "unsubscribe").text is None  # "success": nothing to say
    assert wechat.scan_poster("o-tap", "wang01").text == texts.SPOOLED_TAP
    assert len(deliveries.spool.paths()) == 3


def test_the_drain_files_at_the_time_received_and_pushes_the_number(wechat, clock, db, deliveries, district,
                                                                    outage):
    first_xml = text_xml("o-later", "楼道灯坏了")
    first = wechat.post(first_xml)
    clock.advance(seconds=30)
    second = wechat.post(message_xml("o-later", "text", int(clock.time()), {"Content": "三楼也是", "MsgId": next_msg_id()}))
    assert first.text == second.text == texts.SPOOLED_MESSAGE
    clock.advance(minutes=20)  # the database is back well after the resident's join window
    outage.back()

    result = drain(deliveries)
    assert (result.filed, result.left, result.database_down) == (2, 0, False)
    db.rollback()
    case = db.scalars(select(Case)).one()  # the second joined the first: filed in order, as of then
    assert case.created_at == START and case.last_message_at == START + timedelta(seconds=30)
    assert sorted(db.scalars(select(InboundMessage.received_at))) == [START, START + timedelta(seconds=30)]
    assert count(db, CaseMessage) == 2
    pushes = db.scalars(select(OutboxMessage).where(OutboxMessage.purpose == PURPOSE).order_by(OutboxMessage.id)).all()
    number = case_number(case.id, case.created_at)
    assert [push.openid for push in pushes] == ["o-later", "o-later"]
    assert "已登记" in pushes[0].text and number in pushes[0].text and number in pushes[1].text
    assert pushes[0].template_data["number"] == number and pushes[0].status == "pending"
    assert pushes[0].idempotency_key == f"{push_cause(parse_incoming(first_xml).dedup_key)}:{PURPOSE}:o-later"

    assert drain(deliveries).filed == 0  # nothing left, nothing pushed twice
    assert count(db, OutboxMessage) == 2


def test_a_late_filed_message_never_moves_the_case_back_in_time(wechat, clock, db, deliveries, district, outage):
    """A live message after the database is back, then the drain of one kept during the outage
    that joins the same case: last_message_at stays at the live one."""
    wechat.scan_poster("o-order", "wang01")  # kept: the resident is routed once drained
    kept = text_xml("o-order", "楼道灯坏了")
    assert wechat.post(kept).text == texts.SPOOLED_MESSAGE
    assert drain(deliveries).database_down  # still down: nothing filed
    outage.back()
    assert drain(deliveries).filed == 2  # the scan and the first message
    clock.advance(minutes=2)
    outage.down()
    assert wechat.post(message_xml("o-order", "text", int(clock.time()),
                                   {"Content": "三楼也是", "MsgId": next_msg_id()})).text == texts.SPOOLED_MESSAGE
    outage.back()
    clock.advance(minutes=1)
    live = wechat.text("o-order", "四楼也坏了")  # answered live before the drainer runs
    assert live.status == 200 and live.text != texts.SPOOLED_MESSAGE
    assert drain(deliveries).filed == 1  # the one kept at +2 min, filed after the live one at +3 min
    db.rollback()
    case = db.scalars(select(Case)).one()
    assert case.last_message_at == START + timedelta(minutes=3)
    assert count(db, CaseMessage) == 3


def test_a_poster_scan_in_safe_mode_is_kept_and_binds_once_drained(wechat, db, deliveries, district, outage):
    """The spool keeps the plaintext after decryption; a follow through a poster replays as one."""
    assert wechat.scan_poster("o-scan", "wang01").text == texts.SPOOLED_TAP
    safe = wechat.post(text_xml("o-scan", "小区健身器材坏了"), "safe")
    assert (safe.status, safe.text) == (200, texts.SPOOLED_MESSAGE)
    assert "Encrypt" not in Spool.read(deliveries.spool.paths()[0]).xml
    outage.back()

    assert drain(deliveries).filed == 2
    db.rollback()
    resident = db.scalars(select(Resident).where(Resident.openid == "o-scan")).one()
    assert resident.representative_id == district["reps"]["wang"].id and resident.subscribed_at == START
    case = db.scalars(select(Case)).one()
    assert case.representative_id == district["reps"]["wang"].id  # filed after the scan, as they came
    pushes = db.scalars(select(OutboxMessage.text).where(OutboxMessage.purpose == PURPOSE)
                        .order_by(OutboxMessage.id)).all()
    assert len(pushes) == 2 and any("王晓明" in text for text in pushes)
    assert any(case_number(case.id, case.created_at) in text for text in pushes)


def test_a_retry_after_the_database_is_back_files_it_itself_without_a_push(wechat, clock, db, deliveries, district,
                                                                           outage):
    xml = text_xml("o-retry-back", "井盖丢了")
    assert wechat.post(xml).text == texts.SPOOLED_MESSAGE
    clock.advance(seconds=12)
    outage.back()

    answer = wechat.post(xml)  # WeChat's retry reaches a worker before the drainer ran
    db.rollback()
    case = db.scalars(select(Case)).one()
    assert answer.status == 200 and case_number(case.id, case.created_at) in answer.text
    assert case.created_at == START
    assert deliveries.spool.paths() == []
    assert count(db, OutboxMessage, OutboxMessage.purpose == PURPOSE) == 0
    assert drain(deliveries).filed == 0 and count(db, CaseMessage) == 1


def test_a_delivery_recorded_before_the_outage_is_not_filed_twice(wechat, db, deliveries, district, outage):
    """Its first attempt committed but its answer was lost; the retry met the outage."""
    outage.back()
    xml = text_xml("o-before", "噪音扰民")
    answered = wechat.post(xml).text
    outage.down()
    assert wechat.post(xml).text == texts.SPOOLED_MESSAGE
    outage.back()

    assert drain(deliveries).filed == 1
    assert count(db, CaseMessage) == 1 and count(db, InboundMessage) == 1
    push = db.scalars(select(OutboxMessage).where(OutboxMessage.purpose == PURPOSE)).one()
    assert push.text == answered  # the number it was promised


@pytest.mark.parametrize("crash_at", ["before the push", "before the file is deleted"])
def test_a_crash_after_the_commit_pushes_once(wechat, db, deliveries, district, outage, monkeypatch, crash_at):
    assert wechat.post(text_xml("o-crash", "垃圾桶满了")).text == texts.SPOOLED_MESSAGE
    outage.back()
    target = (bot.delivery, "queue_follow_up") if crash_at == "before the push" else (Spool, "discard")
    real = getattr(*target)

    def crash(*args, **kwargs):
        raise SystemExit("the worker died")

    monkeypatch.setattr(*target, crash)
    with pytest.raises(SystemExit):
        drain(deliveries)
    assert count(db, CaseMessage) == 1 and len(deliveries.spool.paths()) == 1
    monkeypatch.setattr(*target, real)

    assert drain(deliveries).filed == 1  # the restarted worker's drainer
    assert count(db, CaseMessage) == 1 and count(db, InboundMessage) == 1
    assert count(db, OutboxMessage, OutboxMessage.purpose == PURPOSE) == 1
    assert deliveries.spool.paths() == []


def test_the_drain_stops_while_the_database_is_still_down(wechat, deliveries, district, outage):
    wechat.post(text_xml("o-still", "路面积水"))
    result = drain(deliveries)
    assert (result.filed, result.left, result.database_down) == (0, 1, True)


def test_one_drainer_at_a_time(wechat, db, deliveries, district, outage):
    wechat.post(text_xml("o-lock", "电梯坏了"))
    outage.back()
    with deliveries.spool.draining(wait=True) as held:  # another worker is draining
        assert held
        result = drain(deliveries)
        assert (result.locked, result.filed, result.left) == (True, 0, 1)
    assert drain(deliveries).filed == 1


def test_a_delivery_that_cannot_be_filed_is_set_aside_not_lost(wechat, db, deliveries, district, outage,
                                                               monkeypatch):
    wechat.post(text_xml("o-bug", "树枝挡路"))
    outage.back()
    monkeypatch.setattr(bot.delivery, "dispatch", lambda handlers, ctx: (_ for _ in ()).throw(RuntimeError("a bug")))
    result = drain(deliveries)
    assert (result.filed, result.set_aside, result.left) == (0, 1, 0)
    assert len(deliveries.spool.failed_paths()) == 1 and count(db, InboundMessage) == 0
    monkeypatch.undo()
    assert deliveries.spool.restore_failed() == 1 and drain(deliveries).filed == 1


# -- what must not change when the database is up ---------------------------------------------------
def test_a_normal_delivery_never_touches_the_spool(wechat, deliveries, district, monkeypatch):
    wechat.text("o-first", "你好")  # the process's first delivery looks once for an earlier one's files

    def untouched(*args, **kwargs):
        raise AssertionError("the spool was touched with the database up")

    for name in ("keep", "load", "holds", "discard", "paths", "has_pending"):
        monkeypatch.setattr(Spool, name, untouched)
    monkeypatch.setattr(os, "fsync", untouched)
    xml = text_xml("o-fast", "路灯坏了")
    assert "编号" in wechat.post(xml).text and "编号" in wechat.post(xml).text


def test_errors_other_than_an_outage_are_not_spooled(wechat, deliveries, district, monkeypatch):
    def broken(handlers, ctx):
        raise sa_exc.ProgrammingError("SELECT", {}, psycopg.errors.UndefinedTable())

    monkeypatch.setattr(bot.delivery, "dispatch", broken)
    assert wechat.text("o-broken", "路灯坏了").status == 500
    assert deliveries.spool.paths() == []


def test_a_spool_that_cannot_be_written_leaves_the_delivery_to_wechats_retry(wechat, db, deliveries, district,
                                                                            outage, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    deliveries.spool = Spool(blocker / "spool")
    xml = text_xml("o-nospool", "下水道堵了")
    assert wechat.post(xml).status == 500  # not acknowledged: WeChat tries again
    outage.back()
    assert "编号" in wechat.post(xml).text and count(db, CaseMessage) == 1


# -- the thread and the command line -----------------------------------------------------------------
def test_the_drainer_thread_files_once_the_database_is_back(wechat, db, deliveries, district, outage,
                                                           monkeypatch):
    monkeypatch.setattr(Drainer, "notify", REAL_NOTIFY)
    monkeypatch.setattr("bot.drainer.FIRST_PAUSE_SECONDS", 0.05)
    monkeypatch.setattr("bot.drainer.MAX_PAUSE_SECONDS", 0.2)
    assert wechat.post(text_xml("o-thread", "路灯坏了")).text == texts.SPOOLED_MESSAGE
    assert deliveries.drainer.running
    time.sleep(0.3)  # it tries, and backs off
    assert len(deliveries.spool.paths()) == 1
    outage.back()
    deadline = time.monotonic() + 10
    while deliveries.drainer.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not deliveries.drainer.running and deliveries.spool.paths() == []
    assert count(db, CaseMessage) == 1 and count(db, OutboxMessage, OutboxMessage.purpose == PURPOSE) == 1


def test_spool_commands(wechat, db, deliveries, district, outage, settings_overrides, monkeypatch):
    wechat.post(text_xml("o-cli", "路灯坏了"))
    outage.back()
    for key in ("database_url", "spool.dir"):
        if key in settings_overrides:
            monkeypatch.setenv("MINYI_" + key.upper().replace(".", "_"), str(settings_overrides[key]))
    runner = CliRunner()
    status = runner.invoke(main, ["spool", "status"])
    assert status.exit_code == 0 and "1 waiting, 0 set aside" in status.output
    assert "oldest received 2026年11月23日 10:00" in status.output
    drained = runner.invoke(main, ["spool", "drain"])
    assert drained.exit_code == 0, drained.output
    assert "filed 1, set aside 0, 0 left" in drained.output
    assert count(db, CaseMessage) == 1 and "0 waiting" in runner.invoke(main, ["spool", "status"]).output
