"""Changing the account's EncodingAESKey: while deliveries sealed with the old key are still in
flight, both keys open them (``wechat.previous_aes_key``); replies are sealed with the new key only;
once the old key is removed from the configuration, what it sealed is refused."""

from __future__ import annotations

import pytest
import xmltodict
from sqlalchemy import func, select
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from bot import create_app
from bot.config import ConfigError, load_settings
from bot.services import services
from bot.signing import signature
from models import Case, InboundMessage
from tests.support import ACCOUNT, AES_KEY, APPID, TOKEN, message_xml, next_msg_id

OLD_KEY = AES_KEY
NEW_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"


@pytest.fixture
def settings_overrides(settings_overrides):
    """An account in safe mode that has just switched from OLD_KEY to NEW_KEY."""
    return {**settings_overrides, "wechat.aes_key": NEW_KEY, "wechat.previous_aes_key": OLD_KEY,
            "wechat.allow_plaintext": False}


def _deliver(client, clock, key: str, openid: str, content: str, appid: str = APPID):
    """Post a text as WeChat does in safe mode, sealed with ``key`` for ``appid``."""
    timestamp, nonce = str(int(clock.time())), str(next_msg_id())
    xml = message_xml(openid, "text", int(timestamp), {"Content": content, "MsgId": next_msg_id()})
    encrypted = PrpCrypto(WeChatCrypto(TOKEN, key, appid).key).encrypt(xml, appid).decode()
    query = {"timestamp": timestamp, "nonce": nonce, "signature": signature(TOKEN, timestamp, nonce),
             "openid": openid, "encrypt_type": "aes",
             "msg_signature": signature(TOKEN, timestamp, nonce, encrypted)}
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return client.post("/wechat", query_string=query, data=body.encode(), content_type="text/xml")


def _open_reply(response, key: str) -> str:
    text = response.get_data(as_text=True)
    envelope = xmltodict.parse(text)["xml"]
    reply = WeChatCrypto(TOKEN, key, APPID).decrypt_message(text, envelope["MsgSignature"], envelope["TimeStamp"],
                                                            envelope["Nonce"])
    return xmltodict.parse(reply)["xml"]["Content"]


def test_during_the_switch_both_keys_open_deliveries_and_replies_use_the_new_one(client, clock, db):
    in_flight = _deliver(client, clock, OLD_KEY, "o-resident-a", "路灯坏了")  # sealed before the switch
    after = _deliver(client, clock, NEW_KEY, "o-resident-b", "井盖丢了")
    assert (in_flight.status_code, after.status_code) == (200, 200)
    for response in (in_flight, after):
        assert "编号" in _open_reply(response, NEW_KEY)
        with pytest.raises(Exception):  # noqa: B017 - wrong key: garbage, an AppID mismatch or bad bytes
            assert "编号" in _open_reply(response, OLD_KEY)
    assert db.scalar(select(func.count()).select_from(Case)) == 2


def test_the_url_check_echo_opens_with_either_key(client, clock):
    timestamp, nonce = str(int(clock.time())), "777"
    for key in (OLD_KEY, NEW_KEY):
        echo = PrpCrypto(WeChatCrypto(TOKEN, key, APPID).key).encrypt(f"echo-{key[:4]}", APPID).decode()
        response = client.get("/wechat", query_string={
            "timestamp": timestamp, "nonce": nonce, "signature": signature(TOKEN, timestamp, nonce),
            "echostr": echo, "msg_signature": signature(TOKEN, timestamp, nonce, echo)})
        assert (response.status_code, response.get_data(as_text=True)) == (200, f"echo-{key[:4]}")


def test_ciphertext_for_another_appid_is_still_refused(client, clock, db):
    for key in (NEW_KEY, OLD_KEY):
        response = _deliver(client, clock, key, "o-intruder", "冒充的消息", appid="wx_another_account")
        assert response.status_code == 403
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_once_the_old_key_is_removed_it_is_refused(settings_overrides, clock, db):
    app = create_app({**settings_overrides, "wechat.previous_aes_key": ""})
    services(app).set_clock(clock)
    client = app.test_client()
    try:
        assert _deliver(client, clock, OLD_KEY, "o-late", "迟到的旧密钥消息").status_code in (400, 403)
        assert _deliver(client, clock, NEW_KEY, "o-on-time", "新密钥的消息").status_code == 200
    finally:
        services(app).dispose()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 1


@pytest.mark.parametrize("changes, problem", [
    ({"wechat.previous_aes_key": "short"}, "43 characters, got 5"),
    ({"wechat.previous_aes_key": "!" * 43}, "A-Z, a-z and 0-9"),
    ({"wechat.aes_key": "", "wechat.previous_aes_key": OLD_KEY}, "needs the current one"),
])
def test_the_previous_key_is_checked_like_the_current_one(changes, problem):
    base = {"wechat.appid": APPID, "wechat.secret": "s", "wechat.token": TOKEN, "wechat.aes_key": NEW_KEY}
    with pytest.raises(ConfigError, match="wechat.previous_aes_key") as error:
        load_settings({**base, **changes}, environ={})
    assert problem in str(error.value)
