"""Bad and hostile deliveries: each gets a clear status, no stack trace, and changes nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from wechatpy.crypto import PrpCrypto

from bot import create_app
from bot.services import services
from bot.signing import signature
from models import Case, InboundMessage
from tests.support import ACCOUNT, APPID, TOKEN, WeChatServer, message_xml, next_msg_id


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
