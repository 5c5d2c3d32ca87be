"""Odd but well-signed input: every delivery is either stored or refused with a 4xx, never a 500
(WeChat retries a 500 three times and then the resident's message is gone). Each is sent
through the real webhook, signature and all, as WeChat's servers would send it."""

from __future__ import annotations

import math

import pytest
import xmltodict
from sqlalchemy import func, select

from bot.messages import UINT64_MAX, Incoming, MalformedMessage, dedup_key, parse_incoming
from bot.webhook import render_text_reply
from handlers.workbench_parse import Command, Unparsed, parse
from models import Case, CaseMessage, InboundMessage, OutboxMessage, Resident
from tests.support import ACCOUNT, message_xml, next_msg_id

REP = "o-rep-wang"


def _stored(db, xml: str) -> bool:
    """Was this delivery recorded (under the key the webhook gives it)?"""
    db.rollback()
    key = parse_incoming(xml).dedup_key
    return db.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.dedup_key == key)) == 1


def _count(db, model) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model))


def _post(wechat, xml: str, mode: str = "plain"):
    delivery = wechat.post(xml, mode)
    assert delivery.status != 500 and "Traceback" not in delivery.body
    return delivery


def _text(clock, openid: str, content: str, **fields) -> str:
    return message_xml(openid, "text", int(clock.time()), {"Content": content, "MsgId": next_msg_id(), **fields})


def _location(clock, openid: str, lat: object, lng: object, scale: object = 15) -> str:
    return message_xml(openid, "location", int(clock.time()),
                       {"Location_X": str(lat), "Location_Y": str(lng), "Scale": str(scale), "Label": "东街",
                        "MsgId": next_msg_id()})


@pytest.fixture(params=["plain", "safe"])
def mode(request) -> str:
    return request.param


# -- the sender and the account --------------------------------------------------------------

SENDERS = [  # (openid, status)
    ("o" * 64, 200),  # the column's width
    ("oAbC-12_xyz", 200),
    ("o" * 65, 400),
    ("o" * 5000, 400),
    ("o]]><x>1</x>", 400),
    ("o 1", 400),
    ("o\n1", 400),
    ("居民", 400),
    ("o:1", 400),
]


def test_the_sender_must_be_an_openid(wechat, clock, db, district, mode):
    for openid, status in SENDERS:
        assert _post(wechat, _text(clock, openid, "路灯坏了"), mode).status == status, openid
    assert _count(db, InboundMessage) == sum(status == 200 for _, status in SENDERS)


def test_the_account_must_be_an_original_id(wechat, clock, db):
    xml = _text(clock, "o-resident", "路灯坏了").replace(ACCOUNT, "gh x")
    assert _post(wechat, xml).status == 400
    assert _count(db, InboundMessage) == 0


# -- MsgId and CreateTime ----------------------------------------------------------------------

@pytest.mark.parametrize("msg_id", [0, 2**63 - 1, 2**63, UINT64_MAX])
def test_every_unsigned_64_bit_msgid_is_stored_exactly(wechat, clock, db, district, mode, msg_id):
    xml = _text(clock, "o-resident", "路灯坏了", MsgId=msg_id)
    assert _post(wechat, xml, mode).status == 200
    db.rollback()
    assert db.scalar(select(CaseMessage.msg_id)) == msg_id
    assert _stored(db, xml)
    assert _post(wechat, xml, mode).status == 200  # the retry
    assert _count(db, CaseMessage) == 1


ODD_IDS_AND_TIMES = [
    ("MsgId", str(2**64)),
    ("MsgId", "9" * 5000),
    ("MsgId", "-1"),
    ("MsgId", "1e5"),
    ("MsgId", "1_000"),
    ("MsgId", "\u0663"),  # ARABIC-INDIC DIGIT THREE: int() reads it, WeChat never sends it
    ("MsgId", "0x10"),
    ("CreateTime", "-1"),
    ("CreateTime", str(2**32)),
    ("CreateTime", "9" * 5000),
    ("CreateTime", "nan"),
    ("CreateTime", "1.5"),
]


def test_odd_ids_and_times_are_refused(wechat, clock, db, district):
    for field, value in ODD_IDS_AND_TIMES:
        xml = _text(clock, "o-resident", "路灯坏了")
        if field == "MsgId":
            xml = xml.replace(f"<MsgId>{parse_incoming(xml).msg_id}</MsgId>", f"<MsgId>{value}</MsgId>")
        else:
            xml = xml.replace(f"<CreateTime>{int(clock.time())}</CreateTime>", f"<CreateTime>{value}</CreateTime>")
        assert value in xml
        assert _post(wechat, xml).status == 400, (field, value[:20])
    assert _count(db, InboundMessage) == 0


# -- locations -------------------------------------------------------------------------------

# Neither a latitude nor a longitude; then a latitude out of range, and a longitude.
NOT_COORDINATES = ["nan", "NaN", "inf", "-inf", "Infinity", "1e308", "30.5e0", "0x1p4", "一", "\u0663", "1_0",
                   "9" * 5000]


ODD_COORDINATES = [*((bad, "114.3") for bad in [*NOT_COORDINATES, "91", "-90.5"]),
                   *(("30.55", bad) for bad in [*NOT_COORDINATES, "181", "-180.01"])]


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "unbound"])
def test_a_location_with_odd_coordinates_is_refused(wechat, clock, db, district, bound):
    if bound:
        wechat.scan_poster("o-resident", "wang01")
    for lat, lng in ODD_COORDINATES:
        assert _post(wechat, _location(clock, "o-resident", lat, lng)).status == 400, (lat[:20], lng[:20])
    assert _count(db, CaseMessage) == 0


SCALES = [("15", 200), ("", 200), (str(2**31 - 1), 200), (str(2**31), 400), ("-1", 400), ("9" * 5000, 400),
          ("1.5", 400)]


def test_the_map_scale_fits_its_column(wechat, clock, db, district):
    wechat.scan_poster("o-resident", "wang01")
    for scale, status in SCALES:
        assert _post(wechat, _location(clock, "o-resident", 30.5512, 114.3015, scale)).status == status, scale[:20]
    db.rollback()
    stored = db.execute(select(CaseMessage.latitude, CaseMessage.longitude, CaseMessage.location_scale)
                        .order_by(CaseMessage.id)).all()
    assert stored == [(30.5512, 114.3015, int(scale) if scale else None) for scale, status in SCALES if status == 200]


def test_a_bound_residents_location_is_stored_finite(wechat, clock, db, district):
    wechat.scan_poster("o-resident", "wang01")
    assert _post(wechat, _location(clock, "o-resident", "-33.8688", "151.2093")).status == 200
    db.rollback()
    latitude, longitude = db.execute(select(CaseMessage.latitude, CaseMessage.longitude)).one()
    assert (latitude, longitude) == (-33.8688, 151.2093) and math.isfinite(latitude)
    # The sandbox's WeChat writes coordinates as WeChat does: six decimals, never "1e-05".
    assert wechat.location("o-resident", 0.00001, 114.3).status == 200


LOCATION_EVENTS = [
    ("Latitude", "30.5512", 200),
    ("Latitude", "nan", 400),
    ("Latitude", "95", 400),
    ("Longitude", "-inf", 400),
    ("Precision", "65.000000", 200),
    ("Precision", "inf", 400),
    ("Precision", "-1", 400),
]


def test_the_location_event_is_checked_too(wechat, clock, db):
    for field, value, status in LOCATION_EVENTS:
        fields = {"Event": "LOCATION", "Latitude": "30.5512", "Longitude": "114.3015", "Precision": "65.0",
                  field: value}
        xml = message_xml("o-resident", "event", int(clock.time()), fields)
        assert _post(wechat, xml).status == status, (field, value)
        clock.advance(seconds=1)


# -- a template message's receipt ------------------------------------------------------------

@pytest.mark.parametrize("msgid, status", [(UINT64_MAX, 200), (2**63, 200), (2**64, 400), (int("9" * 4000), 400)],
                         ids=["2^64-1", "2^63", "2^64", "4000-digits"])
def test_a_receipt_for_any_unsigned_msgid(wechat, clock, db, district, msgid, status):
    db.add(OutboxMessage(idempotency_key="k", openid="o-resident", purpose="reply", text="t", template="case_progress",
                         template_data={}, status="sent", channel="template", attempts=1,
                         next_attempt_at=clock.now(), created_at=clock.now(),
                         template_msgid=min(msgid, UINT64_MAX)))
    db.commit()
    xml = message_xml("o-resident", "event", int(clock.time()),
                      {"Event": "TEMPLATESENDJOBFINISH", "MsgID": str(msgid), "Status": "failed:user block"})
    assert _post(wechat, xml).status == status
    db.rollback()
    row = db.scalars(select(OutboxMessage)).one()
    assert row.template_msgid == min(msgid, UINT64_MAX)
    assert row.job_status == ("failed:user block" if status == 200 else None)


# -- a resident answering a question -----------------------------------------------------------

@pytest.mark.parametrize("answer, bound", [
    ("❶", False), ("➀", False), ("\u0663", False), ("9" * 5000, False), ("0", False), ("99", False),
    ("1" * 4400, False), ("①", True), ("１", True), ("1。", True), ("²", True),  # NFKC: 「²」 is 2
])
def test_any_answer_to_the_contact_point_question(wechat, clock, db, district, answer, bound):
    """An unbound resident was offered the nearest contact points; whatever they answer is
    stored: a number among the choices binds them, anything else is a report."""
    assert "回复序号" in wechat.location("o-stranger", 30.5512, 114.3015).text
    clock.advance(seconds=1)
    xml = _text(clock, "o-stranger", answer)
    delivery = _post(wechat, xml)
    assert delivery.status == 200 and delivery.text
    assert _stored(db, xml)
    resident = db.scalars(select(Resident).where(Resident.openid == "o-stranger")).one()
    assert (resident.contact_point_id is not None) is bound
    assert _count(db, Case) == (0 if bound else 1)


# -- a representative's command ----------------------------------------------------------------

ODD_COMMANDS = [
    "查看 " + "9" * 5000,
    "回复 " + "9" * 5000 + " 已处理",
    "查看 2026-" + "9" * 4400,
    "查看 99999999999999999999",
    "查看 2026-9999999999999999999",
    "查看 \u0663\u0663",
    "转部门 " + "1" * 30 + " 城管",
    "指派 " + "1" * 19 + " wang01",
]


def test_odd_case_numbers_in_commands(wechat, clock, db, district):
    district["reps"]["wang"].openid = REP
    db.commit()
    for command in ODD_COMMANDS:
        xml = _text(clock, REP, command)
        delivery = _post(wechat, xml)
        assert delivery.status == 200 and delivery.text and len(delivery.text) < 1000, command[:20]
        assert _stored(db, xml)


@pytest.mark.parametrize("typed, expected", [
    ("查看 123", Command("查看", "123")),
    ("查看 2026-000123", Command("查看", "2026-000123")),
    ("查看 " + "9" * 18, Command("查看", "9" * 18)),
    ("查看 " + "9" * 19, Unparsed("查看")),
    ("查看 2026-" + "9" * 19, Unparsed("查看")),
    ("回复 " + "9" * 5000 + " 好的", Unparsed("回复")),
    ("查看 ١٢", Unparsed("查看")),  # other scripts' digits are no case number
    ("查看 １２", Command("查看", "12")),  # full-width ones are folded
])
def test_command_numbers_are_ascii_and_bounded(typed, expected):
    assert parse(typed) == expected


# -- the reply XML -----------------------------------------------------------------------------

def _incoming(openid: str, account: str = ACCOUNT) -> Incoming:
    return Incoming(message=None, openid=openid, account=account, msg_type="text", event="", create_time=1,
                    dedup_key="k")


@pytest.mark.parametrize("openid, account, text", [
    ("o]]><x>1</x>", ACCOUNT, "您好"),
    ("o", "gh_]]><ToUserName>o-victim</ToUserName>", "您好"),
    ("o", ACCOUNT, "]]></Content><MsgType>news</MsgType><Content><![CDATA["),
    ("]]>]]>", "]]>", "]]]]>>"),
])
def test_no_field_breaks_out_of_the_reply(openid, account, text):
    reply = xmltodict.parse(render_text_reply(text, _incoming(openid, account), 1700000000))["xml"]
    assert reply == {"MsgType": "text", "Content": text, "FromUserName": account, "ToUserName": openid,
                     "CreateTime": "1700000000"}


# -- messages without a MsgId ----------------------------------------------------------------

def test_two_texts_without_msgid_in_one_second_are_two_deliveries(wechat, clock, db, district):
    wechat.scan_poster("o-resident", "wang01")
    first = message_xml("o-resident", "text", int(clock.time()), {"Content": "路灯坏了"})
    second = message_xml("o-resident", "text", int(clock.time()), {"Content": "井盖也丢了"})
    assert parse_incoming(first).dedup_key != parse_incoming(second).dedup_key
    for xml in (first, second, first):  # the last one is WeChat retrying the first
        assert _post(wechat, xml).status == 200
    db.rollback()
    assert sorted(db.scalars(select(CaseMessage.content))) == ["井盖也丢了", "路灯坏了"]


def test_dedup_keys_of_messages_without_msgid():
    raw = {"MsgType": "text", "FromUserName": "o", "CreateTime": "9", "Content": "a"}
    assert dedup_key(raw) == dedup_key(dict(raw)) and dedup_key(raw).startswith("msg:o:9:")
    assert dedup_key(raw) != dedup_key({**raw, "Content": "b"})
    assert dedup_key({**raw, "MsgId": "42"}) == "msg:42"
    assert len(dedup_key({**raw, "FromUserName": "o" * 64})) <= 160


def test_parse_incoming_reads_the_numbers_once():
    xml = message_xml("o", "location", 1700000000, {"Location_X": "30.5", "Location_Y": "114.25", "Scale": "15",
                                                    "MsgId": str(UINT64_MAX)})
    incoming = parse_incoming(xml)
    assert incoming.numbers == {"CreateTime": 1700000000, "Location_X": 30.5, "Location_Y": 114.25, "Scale": 15,
                                "MsgId": UINT64_MAX}
    assert incoming.msg_id == UINT64_MAX and incoming.dedup_key == f"msg:{UINT64_MAX}"
    for changed in (xml.replace("<![CDATA[o]]>", "<![CDATA[o:secret-openid]]>"),
                    xml.replace("<Location_X><![CDATA[30.5]]>", "<Location_X><![CDATA[secret]]>")):
        assert "secret" in changed
        with pytest.raises(MalformedMessage) as refused:
            parse_incoming(changed)
        assert "secret" not in str(refused.value)  # the log line names the field, not its value
