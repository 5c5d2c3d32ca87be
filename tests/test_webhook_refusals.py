"""Bad and hostile deliveries: each gets a clear status, no stack trace, and changes nothing."""

from __future__ import annotations

import io

import fakeredis
import pytest
import xmltodict
from sqlalchemy import func, select
from wechatpy.crypto import PrpCrypto

from bot import create_app
from bot.replay import QueryMemory, Verdict, query_key, signed_query
from bot.services import services
from bot.signing import signature
from models import Case, InboundMessage
from tests.support import ACCOUNT, APPID, TOKEN, Delivery, WeChatServer, message_xml, next_msg_id


def _text_xml(clock, content="路灯坏了") -> str:
    return message_xml("o-attacker", "text", int(clock.time()), {"Content": content, "MsgId": next_msg_id()})


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"
)


def _signed(clock, **changes) -> dict[str, str]:
    timestamp = str(int(clock.time()))
    query = {"timestamp": timestamp, "nonce": "4242", "signature": signature(TOKEN, timestamp, "4242")}
    query.update(changes)
    return {key: value for key, value in query.items() if value is not None}


# (id, query changes, body maker, expected status)
CASES = [
    ("no-signature", {"signature": None}, _text_xml, 403),
    ("forged-signature", {"signature": "0" * 40}, _text_xml, 403),
    ("signature-not-hex", {"signature": "签名"}, _text_xml, 403),
    ("no-timestamp", {"timestamp": None}, _text_xml, 403),
    ("timestamp-not-a-number", {"timestamp": "yesterday"}, _text_xml, 403),
    ("empty-body", {}, lambda clock: "", 400),
    ("not-xml", {}, lambda clock: "hello", 400),
    ("truncated-xml", {}, lambda clock: _text_xml(clock)[:-10], 400),
    ("wrong-root", {}, lambda clock: "<message><MsgType>text</MsgType></message>", 400),
    ("missing-sender", {}, lambda clock: "<xml><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>", 400),
    ("msgid-not-a-number", {}, lambda clock: _text_xml(clock).replace("<MsgId>", "<MsgId>x"), 400),
    ("nested-sender", {}, lambda clock: _text_xml(clock).replace(
        "<FromUserName><![CDATA[o-attacker]]></FromUserName>", "<FromUserName><a>1</a></FromUserName>"), 400),
    ("nested-content", {}, lambda clock: _text_xml(clock).replace("<![CDATA[路灯坏了]]>", "<a>1</a>"), 400),
    ("nested-event-key", {}, lambda clock: message_xml("o-x", "event", int(clock.time()), {"Event": "subscribe"})
     .replace("</xml>", "<EventKey><a>rep:x</a></EventKey></xml>"), 400),
    ("billion-laughs", {}, lambda clock: BILLION_LAUGHS, 400),
    ("external-entity", {}, lambda clock: EXTERNAL_ENTITY, 400),
    ("aes-without-msg-signature", {"encrypt_type": "aes"},
     lambda clock: f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt>AAAA</Encrypt></xml>", 403),
    ("aes-forged-msg-signature", {"encrypt_type": "aes", "msg_signature": "f" * 40},
     lambda clock: f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt>AAAA</Encrypt></xml>", 403),
    ("aes-no-encrypt-node", {"encrypt_type": "aes", "msg_signature": "f" * 40}, _text_xml, 400),
    ("aes-envelope-bomb", {"encrypt_type": "aes", "msg_signature": "f" * 40}, lambda clock: BILLION_LAUGHS, 400),
]


@pytest.mark.parametrize("query_changes, make_body, status", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_delivery_is_refused_cleanly(client, clock, db, query_changes, make_body, status):
    response = client.post("/wechat", query_string=_signed(clock, **query_changes),
                           data=make_body(clock).encode(), content_type="text/xml")
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and len(body) < 100
    assert db.scalar(select(func.count()).select_from(Case)) == 0
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 0


@pytest.mark.parametrize("skew, status", [
    (-301, 403), (301, 403), (86400 * 365 * 10, 403),  # outside the 5-minute replay window
    (-300, 200), (0, 200), (300, 200),  # inside it
])
def test_the_replay_window(client, clock, skew, status):
    query = _signed(clock)
    timestamp = str(int(clock.time()) + skew)
    query.update(timestamp=timestamp, signature=signature(TOKEN, timestamp, query["nonce"]))
    response = client.post("/wechat", query_string=query, data=_text_xml(clock), content_type="text/xml")
    assert response.status_code == status


@pytest.mark.parametrize("spelled", ["+{}", " {}", "{:_}", "0{}"], ids=["sign", "space", "underscores", "zero"])
def test_the_timestamp_is_plain_digits(client, clock, spelled):
    """int() reads these as the same second; WeChat writes digits only, and a query spelled
    otherwise must not pass for a different signed query."""
    timestamp = spelled.format(int(clock.time()))
    query = {"timestamp": timestamp, "nonce": "4242", "signature": signature(TOKEN, timestamp, "4242")}
    response = client.post("/wechat", query_string=query, data=_text_xml(clock), content_type="text/xml")
    assert response.status_code == 403


def test_fullwidth_timestamp_digits_are_refused(client, clock):
    timestamp = str(int(clock.time())).translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    query = {"timestamp": timestamp, "nonce": "4242", "signature": signature(TOKEN, timestamp, "4242")}
    assert client.post("/wechat", query_string=query, data=_text_xml(clock), content_type="text/xml").status_code == 403


@pytest.mark.parametrize("size", [65 * 1024, 10 * 1024 * 1024])
def test_oversized_bodies_get_413(client, clock, size):
    body = _text_xml(clock, content="长" * (size // 3))
    response = client.post("/wechat", query_string=_signed(clock), data=body.encode(), content_type="text/xml")
    assert response.status_code == 413


def test_oversized_body_without_content_length_gets_413(client, clock):
    response = client.post("/wechat", query_string=_signed(clock), input_stream=io.BytesIO(b"x" * 200_000),
                           content_type="text/xml", headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413


def test_a_body_just_under_the_limit_is_accepted(client, clock):
    xml = _text_xml(clock, content="")
    body = xml.replace("<![CDATA[]]>", "<![CDATA[" + "a" * (64 * 1024 - len(xml) - 20) + "]]>")
    assert len(body.encode()) < 64 * 1024
    response = client.post("/wechat", query_string=_signed(clock), data=body.encode(), content_type="text/xml")
    assert response.status_code == 200


def test_url_verification(client, clock):
    response = client.get("/wechat", query_string={**_signed(clock), "echostr": "echo-123"})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "echo-123")


@pytest.mark.parametrize("changes", [{"signature": "0" * 40}, {"signature": None}, {"timestamp": "1"}])
def test_url_verification_refuses_bad_signatures(client, clock, changes):
    response = client.get("/wechat", query_string={**_signed(clock, **changes), "echostr": "echo-123"})
    assert response.status_code == 403
    assert "echo-123" not in response.get_data(as_text=True)


def test_url_verification_in_safe_mode_decrypts_the_echo(client, clock, wechat):
    query = _signed(clock)
    echo = PrpCrypto(wechat.crypto.key).encrypt("echo-safe", APPID).decode()
    msg_signature = signature(TOKEN, query["timestamp"], query["nonce"], echo)
    response = client.get("/wechat", query_string={**query, "echostr": echo, "msg_signature": msg_signature})
    assert (response.status_code, response.get_data(as_text=True)) == (200, "echo-safe")
    forged = client.get("/wechat", query_string={**query, "echostr": echo, "msg_signature": "0" * 40})
    assert forged.status_code == 403


def test_unknown_routes_and_methods_answer_plainly(client):
    assert client.get("/nowhere").status_code == 404
    response = client.put("/wechat")
    assert response.status_code == 405
    assert "Traceback" not in response.get_data(as_text=True)


def test_without_a_token_the_webhook_is_closed(settings_overrides, clock):
    app = create_app({**settings_overrides, "wechat.token": "", "wechat.aes_key": ""})
    client = app.test_client()
    assert client.post("/wechat", query_string=_signed(clock), data=_text_xml(clock)).status_code == 503
    assert client.get("/wechat", query_string={**_signed(clock), "echostr": "e"}).status_code == 503
    services(app).dispose()


def test_an_account_in_safe_mode_refuses_plaintext(settings_overrides, clock, db):
    app = create_app({**settings_overrides, "wechat.allow_plaintext": False})
    services(app).set_clock(clock)
    server = WeChatServer.for_app(app)
    forged = server.text("o-victim", "假冒的消息")
    assert forged.status == 403
    assert server.text("o-real", "真实的消息", mode="safe").status == 200
    assert server.text("o-real", "兼容模式的消息", mode="compatible").status == 200
    db.rollback()
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 2
    services(app).dispose()


# -- plaintext replay: a signed query is good for one body ---------------------------------------

VICTIM_WORDS = "我家住东街8号3单元，电话13800000000，楼道灯坏了"


def _victim_with_a_case(wechat) -> None:
    wechat.scan_poster("o-victim", "wang01")
    assert "编号" in wechat.text("o-victim", VICTIM_WORDS).text


def test_a_captured_query_does_not_carry_another_body(client, wechat, clock, db, district):
    """The repro: reuse a real delivery's signed query with another user's FromUserName and
    「进度」 — whatever the unsigned openid parameter says."""
    _victim_with_a_case(wechat)
    query = wechat.query("o-attacker")
    own = message_xml("o-attacker", "text", int(clock.time()), {"Content": "你好", "MsgId": next_msg_id()})
    assert client.post("/wechat", query_string=query, data=own.encode(), content_type="text/xml").status_code == 200
    for word in ("进度", "我的"):
        forged = message_xml("o-victim", "text", int(clock.time()), {"Content": word, "MsgId": next_msg_id()})
        for openid in ("o-attacker", "o-victim", None):
            changed = {**query, "openid": openid} if openid else {k: v for k, v in query.items() if k != "openid"}
            response = client.post("/wechat", query_string=changed, data=forged.encode(), content_type="text/xml")
            assert response.status_code == 403
            assert "13800000000" not in response.get_data(as_text=True)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.openid == "o-victim")) == 2


def test_wechat_retrying_with_the_same_query_and_body_is_answered_again(client, wechat, clock, db, district):
    wechat.scan_poster("o-resident", "wang01")
    query = wechat.query("o-resident")
    xml = message_xml("o-resident", "text", int(clock.time()), {"Content": "井盖丢了", "MsgId": next_msg_id()})
    first = client.post("/wechat", query_string=query, data=xml.encode(), content_type="text/xml")
    clock.advance(seconds=5)  # WeChat waits five seconds for an answer, then tries again
    again = client.post("/wechat", query_string=query, data=xml.encode(), content_type="text/xml")
    assert (first.status_code, again.status_code) == (200, 200)
    assert Delivery(200, first.get_data(as_text=True), "plain").text == Delivery(200, again.get_data(as_text=True),
                                                                                  "plain").text
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Case)) == 1


def test_the_query_openid_must_be_the_sender(client, wechat, clock, db, district):
    xml = message_xml("o-resident", "text", int(clock.time()), {"Content": "路灯坏了", "MsgId": next_msg_id()})
    for openid, status in (("o-someone-else", 403), ("", 403), (None, 200), ("o-resident", 200)):
        query = wechat.query(openid)
        response = client.post("/wechat", query_string=query, data=xml.encode(), content_type="text/xml")
        assert response.status_code == status, openid


def test_the_same_signature_split_another_way_is_the_same_query(client, wechat, clock, district):
    """The signature is SHA-1 over token, timestamp and nonce sorted and joined: ("…200", "+0")
    and ("0…200", "+") sign the same, and the timestamp reads the same. One query, one body."""
    timestamp = str(int(clock.time()))
    captured = {"timestamp": timestamp, "nonce": "+0", "signature": signature(TOKEN, timestamp, "+0")}
    resplit = {"timestamp": "0" + timestamp, "nonce": "+", "signature": captured["signature"]}
    assert signature(TOKEN, resplit["timestamp"], resplit["nonce"]) == captured["signature"]
    own = message_xml("o-attacker", "text", int(clock.time()), {"Content": "你好", "MsgId": next_msg_id()})
    forged = message_xml("o-victim", "text", int(clock.time()), {"Content": "进度", "MsgId": next_msg_id()})
    assert client.post("/wechat", query_string=captured, data=own.encode(), content_type="text/xml").status_code == 200
    assert client.post("/wechat", query_string=resplit, data=forged.encode(), content_type="text/xml").status_code == 403


def test_safe_mode_repeats_are_retries(client, wechat, clock, db, district):
    """msg_signature covers the ciphertext: the same query and body again is WeChat retrying."""
    xml = message_xml("o-resident", "text", int(clock.time()), {"Content": "路灯坏了", "MsgId": next_msg_id()})
    query = wechat.query("o-resident")
    sealed = xmltodict.parse(wechat.crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))["xml"]
    query.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
    for _ in range(2):
        assert client.post("/wechat", query_string=query, data=body.encode(), content_type="text/xml").status_code == 200
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Case)) == 1


@pytest.mark.parametrize("age", [0, 200, -100])
def test_a_query_is_remembered_until_its_timestamp_is_stale(client, wechat, clock, app, age):
    timestamp = str(int(clock.time()) - age)
    query = wechat.query("o-resident", timestamp=timestamp)
    xml = message_xml("o-resident", "text", int(clock.time()), {"Content": "路灯坏了", "MsgId": next_msg_id()})
    assert client.post("/wechat", query_string=query, data=xml.encode(), content_type="text/xml").status_code == 200
    ttl = services(app).redis.ttl(query_key(query["signature"]))
    assert 300 - age <= ttl <= 301 - age


def test_on_redis_before_7_the_query_is_remembered_here_and_the_rest_still_uses_redis(
        client, wechat, clock, app, district):
    """Redis 6.2 refuses SET NX GET: the signed query falls back to this process's memory, while
    the claim and the conversation state keep using Redis."""
    svc = services(app)
    svc.deliveries.redis = fakeredis.FakeRedis(server=fakeredis.FakeServer(version=(6, 2)))
    query = wechat.query("o-attacker")
    own = message_xml("o-attacker", "text", int(clock.time()), {"Content": "你好", "MsgId": next_msg_id()})
    forged = message_xml("o-victim", "text", int(clock.time()), {"Content": "进度", "MsgId": next_msg_id()})
    assert client.post("/wechat", query_string=query, data=own.encode(), content_type="text/xml").status_code == 200
    query.pop("openid")
    assert client.post("/wechat", query_string=query, data=forged.encode(), content_type="text/xml").status_code == 403
    assert svc.deliveries._redis_usable()
    assert svc.deliveries.redis.keys("minyi:seen:*")  # the claim went to Redis


def test_with_redis_down_this_process_remembers(settings_overrides, clock, db, district, caplog):
    app = create_app({**settings_overrides, "redis_url": "redis://127.0.0.1:1/0"})  # nothing listens there
    services(app).set_clock(clock)
    client = app.test_client()
    server = WeChatServer.for_app(app, client)
    query = server.query("o-attacker")
    own = message_xml("o-attacker", "text", int(clock.time()), {"Content": "你好", "MsgId": next_msg_id()})
    forged = message_xml("o-victim", "text", int(clock.time()), {"Content": "进度", "MsgId": next_msg_id()})
    assert client.post("/wechat", query_string=query, data=own.encode(), content_type="text/xml").status_code == 200
    assert client.post("/wechat", query_string=query, data=own.encode(), content_type="text/xml").status_code == 200
    query.pop("openid")
    assert client.post("/wechat", query_string=query, data=forged.encode(), content_type="text/xml").status_code == 403
    assert "remembering signed queries in this process" in caplog.text
    services(app).dispose()


def test_the_fallback_memory_is_bounded_and_forgets_stale_queries(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("bot.replay.time.monotonic", lambda: now[0])
    memory = QueryMemory(max_entries=3)
    assert memory.check(signed_query("sig1", b"a", 60)) is Verdict.FIRST
    assert memory.check(signed_query("sig1", b"a", 60)) is Verdict.RETRY
    assert memory.check(signed_query("sig1", b"b", 60)) is Verdict.REPLAY
    for signed in ("sig2", "sig3", "sig4"):  # the oldest goes beyond three
        assert memory.check(signed_query(signed, b"a", 60)) is Verdict.FIRST
    assert memory.check(signed_query("sig1", b"b", 60)) is Verdict.FIRST
    now[0] += 61  # stale: forgotten
    assert memory.check(signed_query("sig4", b"b", 60)) is Verdict.FIRST
    assert len(memory._local) <= 3
