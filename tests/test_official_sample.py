"""WeChat's published 消息加解密 sample (2014), replayed through our webhook with the clock frozen
at its timestamp. The values are copied here; the project never reads them from elsewhere."""

from __future__ import annotations

import pytest
import xmltodict
from sqlalchemy import select
from wechatpy.crypto import WeChatCrypto

from bot.clock import FrozenClock
from bot.services import services
from bot.signing import SafeMode, signature
from models import Case, CaseMessage

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx2c2769f8efd9abc2"
TIMESTAMP = "1409735669"
NONCE = "1320562132"
MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
URL_VERIFY_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFV"
    "AFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSny"
    "U8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfR"
    "d5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVs"
    "NPfUM669WuMyVWQLCzpu9GhglF2PE="
)
POST_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]>"
    "</FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]>"
    "</Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[" + ENCRYPT + "]]></Encrypt></xml>"
)
EXPECTED_PLAINTEXT = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]>"
    "</FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]>"
    "</Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>"
)
QUERY = {"signature": URL_VERIFY_SIGNATURE, "timestamp": TIMESTAMP, "nonce": NONCE,
         "encrypt_type": "aes", "msg_signature": MSG_SIGNATURE, "openid": OPENID}


@pytest.fixture
def settings_overrides(settings_overrides):
    return {**settings_overrides, "wechat.token": TOKEN, "wechat.aes_key": AES_KEY, "wechat.appid": APPID}


@pytest.fixture
def sample_clock(app):
    clock = FrozenClock(int(TIMESTAMP))
    services(app).set_clock(clock)
    return clock


def test_signatures_match_the_published_values():
    assert signature(TOKEN, TIMESTAMP, NONCE) == URL_VERIFY_SIGNATURE
    assert signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT) == MSG_SIGNATURE


def test_safe_mode_opens_the_published_ciphertext():
    plaintext = SafeMode(TOKEN, AES_KEY, APPID).open(POST_BODY.encode(), MSG_SIGNATURE, TIMESTAMP, NONCE)
    assert plaintext == EXPECTED_PLAINTEXT


def test_url_verification_with_the_published_signature(client, sample_clock):
    response = client.get("/wechat", query_string={"signature": URL_VERIFY_SIGNATURE, "timestamp": TIMESTAMP,
                                                   "nonce": NONCE, "echostr": "4873416226380219146"})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "4873416226380219146"


def test_compatible_mode_sample_files_one_case_and_replies_encrypted(client, db, sample_clock):
    response = client.post("/wechat", query_string=QUERY, data=POST_BODY, content_type="text/xml")
    assert response.status_code == 200
    envelope = xmltodict.parse(response.get_data(as_text=True))["xml"]
    # Our reply is sealed for the same account, and its signature verifies with the sample's token.
    assert envelope["MsgSignature"] == signature(TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"])
    reply_xml = WeChatCrypto(TOKEN, AES_KEY, APPID).decrypt_message(
        response.get_data(as_text=True), envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    reply = xmltodict.parse(reply_xml)["xml"]
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == "gh_10f6c3c3ac5a"
    assert "编号2014-000001" in reply["Content"]

    case = db.scalars(select(Case)).one()
    assert case.number == "2014-000001"
    message = db.scalars(select(CaseMessage)).one()
    assert (message.content, message.msg_id) == ("abcdteT", 6054768590064713728)


def test_the_sample_replayed_later_is_refused(client, sample_clock):
    sample_clock.advance(minutes=6)
    response = client.post("/wechat", query_string=QUERY, data=POST_BODY, content_type="text/xml")
    assert response.status_code == 403


def test_a_tampered_ciphertext_is_refused(client, sample_clock, db):
    tampered = POST_BODY.replace(ENCRYPT[:12], "A" * 12)
    response = client.post("/wechat", query_string=QUERY, data=tampered, content_type="text/xml")
    assert response.status_code == 403
    assert db.scalars(select(Case)).all() == []
