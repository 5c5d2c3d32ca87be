"""Every message and event type of the Official Account docs is accepted by POST /wechat.

Fixture-driven, one delivery per fixture file (tests/fixtures/wechat/*.xml), each posted in
plaintext, safe and compatible mode. The files keep the docs' field layouts and carry three
placeholders that the test fills in: ``{openid}`` (FromUserName), ``{create_time}`` (CreateTime)
and ``{msg_id}`` (MsgId). Adding a fixture file without adding its row to EXPECTATIONS fails.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import xmltodict
from sqlalchemy import func, select

from bot.messages import parse_incoming
from bot.services import services
from models import Case, InboundMessage, Representative, Resident
from tests.support import ACCOUNT, next_msg_id

FIXTURES = Path(__file__).parent / "fixtures" / "wechat"
FIXTURE_FILES = sorted(FIXTURES.glob("*.xml"))
MODES = ("plain", "safe", "compatible")

PLACEHOLDER = re.compile(r"\{(openid|create_time|msg_id)\}")
CJK = re.compile(r"[\u4e00-\u9fff]")

SUCCESS = "success"
TEXT = "text"


@dataclass(frozen=True)
class Expect:
    reply: str  # SUCCESS (plain "success") or TEXT (a passive text reply)
    contains: tuple[str, ...] = ()  # words the text reply must contain
    cases: int = 0  # cases that exist afterwards
    bound_to: str | None = None  # code of the representative the resident is bound to afterwards
    follow_first: bool = False  # post a plain subscribe (event_subscribe.xml) one second before
    subscribed: bool | None = None  # the resident's subscribed flag afterwards (None: not checked)


REPORT = Expect(TEXT, contains=("已登记",), cases=1)
PLATFORM = Expect(SUCCESS)
POLITE = Expect(TEXT, contains=("抱歉",))

EXPECTATIONS: dict[str, Expect] = {
    # Messages from a resident who has not scanned a poster yet: each opens one case...
    "text": REPORT,
    "image": REPORT,
    "voice": REPORT,
    "voice_no_recognition": REPORT,
    "video": REPORT,
    "shortvideo": REPORT,
    "link": REPORT,
    # ...but a location alone is a question of where to go: the nearest contact points, no case.
    "location": Expect(TEXT, contains=("联系点", "东街第一联系点", "回复序号"), cases=0),
    # Follows, poster scans and unfollows.
    "event_subscribe": Expect(TEXT, contains=("欢迎关注",), subscribed=True),
    "event_subscribe_qrscene": Expect(TEXT, contains=("王晓明",), bound_to="wang01", subscribed=True),
    "event_scan": Expect(TEXT, contains=("王晓明",), bound_to="wang01"),
    "event_unsubscribe": Expect(SUCCESS, follow_first=True, subscribed=False),
    # The platform talking: nothing to say.
    "event_location": PLATFORM,
    "event_view": PLATFORM,
    "event_templatesendjobfinish": PLATFORM,
    "event_masssendjobfinish": PLATFORM,
    "event_subscribe_msg_popup_event": PLATFORM,
    "event_subscribe_msg_sent_event": PLATFORM,
    "event_view_miniprogram": PLATFORM,
    "event_scancode_push": PLATFORM,
    "unknown_event": PLATFORM,
    # Photo and location menus: the image or location message that follows gets the answer.
    "event_pic_sysphoto": PLATFORM,
    "event_pic_photo_or_album": PLATFORM,
    "event_pic_weixin": PLATFORM,
    "event_location_select": PLATFORM,
    # A person tapped something and waits on screen: a polite word.
    "event_click": POLITE,
    "event_scancode_waitmsg": POLITE,
    "unknown_message_type": POLITE,
}


def fill(template: str, openid: str, create_time: int, msg_id: int) -> str:
    xml = (
        template.replace("{openid}", openid)
        .replace("{create_time}", str(create_time))
        .replace("{msg_id}", str(msg_id))
    )
    assert not PLACEHOLDER.search(xml)
    return xml


def new_openid() -> str:
    """28 characters, like a real openid."""
    return "o" + uuid.uuid4().hex[:27]


def reply_text(delivery, openid: str) -> str | None:
    """Check a delivery's answer is well formed; return the reply's text (None for "success")."""
    assert delivery.status == 200, delivery.body
    assert "Traceback" not in delivery.body
    if delivery.body == SUCCESS:
        return None
    reply = xmltodict.parse(delivery.body)["xml"]
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == openid
    assert reply["FromUserName"] == ACCOUNT
    assert reply["CreateTime"].isdigit()
    content = reply.get("Content") or ""
    assert content.strip() and CJK.search(content), content
    return content


@pytest.fixture
def deliver(wechat, clock):
    """Fill a fixture for ``openid`` at the clock's time and post it; returns (xml, delivery)."""

    def post(name: str, openid: str, mode: str):
        template = (FIXTURES / f"{name}.xml").read_text(encoding="utf-8")
        xml = fill(template, openid, int(clock.time()), next_msg_id())
        return xml, wechat.post(xml, mode)

    return post


def test_every_fixture_has_an_expectation():
    assert {path.stem for path in FIXTURE_FILES} == set(EXPECTATIONS)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda path: path.stem)
def test_message_type_is_accepted(fixture: Path, mode: str, deliver, clock, db, district, app):
    name = fixture.stem
    assert name in EXPECTATIONS, f"add a row for {name} to EXPECTATIONS"
    expect = EXPECTATIONS[name]
    openid = new_openid()
    posted: list[str] = []

    if expect.follow_first:
        xml, delivery = deliver("event_subscribe", openid, mode)
        reply_text(delivery, openid)
        posted.append(xml)
        clock.advance(seconds=1)

    xml, delivery = deliver(name, openid, mode)
    posted.append(xml)
    text = reply_text(delivery, openid)

    if expect.reply == SUCCESS:
        assert delivery.body == SUCCESS
    else:
        assert text is not None, f"{name} got no text reply"
        for word in expect.contains:
            assert word in text, text

    db.rollback()
    assert db.scalar(select(func.count()).select_from(Case)) == expect.cases
    if expect.cases:
        case = db.scalars(select(Case)).one()
        assert case.resident_id == db.scalar(select(Resident.id).where(Resident.openid == openid))

    if expect.bound_to is not None or expect.subscribed is not None:
        resident = db.scalars(select(Resident).where(Resident.openid == openid)).one()
        if expect.bound_to is not None:
            rep_id = db.scalar(select(Representative.id).where(Representative.code == expect.bound_to))
            assert resident.representative_id == rep_id
        if expect.subscribed is not None:
            assert resident.subscribed is expect.subscribed
            if expect.subscribed is False:
                assert resident.unsubscribed_at is not None

    # Every delivery was recorded exactly once, under its own dedup key, with the reply it got.
    rows = db.scalars(select(InboundMessage).where(InboundMessage.openid == openid)).all()
    expected_keys = [parse_incoming(sent).dedup_key for sent in posted]
    assert len(set(expected_keys)) == len(posted)
    assert sorted(row.dedup_key for row in rows) == sorted(expected_keys)
    last = next(row for row in rows if row.dedup_key == expected_keys[-1])
    assert services(app).deliveries.stored_reply(last.dedup_key) == text
    if expect.cases:
        assert last.case_id == case.id
