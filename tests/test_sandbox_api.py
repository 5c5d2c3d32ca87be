"""The fake WeChat API, through the app's real WeChat client over HTTP: response shapes, the
errors WeChat gives, what it records, and the client's token handling."""

from __future__ import annotations

import io

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from bot.services import services
from qr.codes import decode_qr


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


@pytest.fixture
def api(app) -> str:
    return services(app).settings.wechat_api_base_url


@pytest.fixture
def wx(app):
    return services(app).wechat


def test_token_endpoints_answer_like_wechat(app, api):
    settings = services(app).settings
    credentials = {"grant_type": "client_credential", "appid": settings.wechat_appid,
                   "secret": settings.wechat_secret}
    first = requests.get(api + "token", params=credentials, timeout=5).json()
    assert set(first) == {"access_token", "expires_in"} and first["expires_in"] == 7200

    stable = requests.post(api + "stable_token", json=credentials, timeout=5).json()
    assert stable["access_token"] == first["access_token"]  # normal mode keeps the current token

    forced = requests.post(api + "stable_token", json={**credentials, "force_refresh": True}, timeout=5).json()
    assert forced["access_token"] != first["access_token"]
    old = requests.post(api + "message/custom/send", params={"access_token": first["access_token"]},
                        json={"touser": "o1", "msgtype": "text", "text": {"content": "x"}}, timeout=5).json()
    assert old["errcode"] == 40001 and old["errmsg"].startswith("invalid credential")

    assert requests.get(api + "token", params={**credentials, "secret": "wrong"}, timeout=5).json()["errcode"] == 40125
    assert requests.get(api + "token", params={**credentials, "appid": "wx1"}, timeout=5).json()["errcode"] == 40013
    missing = requests.post(api + "message/custom/send", json={}, timeout=5).json()
    assert missing["errcode"] == 41001


@pytest.fixture
def resident_writing(world, clock) -> str:
    """A resident who has just written to the account: their 48-hour window is open."""
    world.user_acted("o-resident", clock.time())
    return "o-resident"


def test_client_takes_a_stable_token_once_and_shares_it_through_redis(app, wx, world, resident_writing):
    wx.message.send_text("o-resident", "您好")
    wx.message.send_text("o-resident", "再次您好")
    assert [call["endpoint"] for call in world.calls()] == ["stable_token", "message/custom/send",
                                                            "message/custom/send"]
    assert services(app).redis.get(f"minyi:wechatpy:{wx.appid}_access_token") is not None
    assert all("access_token" not in call["query"] for call in world.calls())


def test_a_rejected_token_is_refreshed_and_the_call_retried_once(wx, world, resident_writing):
    wx.message.send_text("o-resident", "第一条")
    world.revoke_tokens()  # as if another program had taken a new token
    wx.message.send_text("o-resident", "第二条")
    endpoints = [call["endpoint"] for call in world.calls()]
    assert endpoints[1:] == ["message/custom/send", "message/custom/send", "stable_token", "message/custom/send"]
    assert world.calls("stable_token")[-1]["body"]["force_refresh"] is True


def test_a_token_refused_for_good_raises_after_one_retry(wx, world, resident_writing):
    world.fail_next("message/custom/send", 40001, times=5)
    with pytest.raises(WeChatClientException) as raised:
        wx.message.send_text("o-resident", "您好")
    assert raised.value.errcode == 40001
    assert len(world.calls("message/custom/send")) == 2


def test_customer_service_messages_keep_wechats_window_rules(app, wx, world, clock):
    world.user_acted("o-resident", clock.time())
    for number in range(5):
        wx.message.send_text("o-resident", f"第{number + 1}条")
    with pytest.raises(WeChatClientException) as too_many:
        wx.message.send_text("o-resident", "第6条")
    assert too_many.value.errcode == 45047

    world.user_acted("o-resident", clock.time())  # the resident writes again: a fresh window
    wx.message.send_text("o-resident", "新窗口")
    clock.advance(hours=48, seconds=1)
    with pytest.raises(WeChatClientException) as late:
        wx.message.send_text("o-resident", "太晚了")
    assert late.value.errcode == 45015

    world.user_known("o-gone", subscribed=False)
    with pytest.raises(WeChatClientException) as gone:
        wx.message.send_text("o-gone", "您好")
    assert gone.value.errcode == 43004

    texts = [entry["text"] for entry in world.chat("o-resident")]
    assert texts == ["第1条", "第2条", "第3条", "第4条", "第5条", "新窗口"]


def test_template_and_subscription_notices(wx, world):
    data = {"keyword1": {"value": "2026-000001"}, "keyword2": {"value": "已答复"}, "keyword3": {"value": "今天"}}
    with pytest.raises(WeChatClientException) as unknown:
        wx.message.send_template("o-resident", "no-such-template", data)
    assert unknown.value.errcode == 40037
    answer = wx.message.send_template("o-resident", "sandbox-case-notice", data)
    assert answer["errcode"] == 0 and isinstance(answer["msgid"], int)
    wx.post("message/subscribe/bizsend", data={"touser": "o-resident", "template_id": "sandbox-case-notice",
                                               "data": data})
    template, notice = world.chat("o-resident")
    assert template["via"] == "template" and template["title"] == "案件进度通知"
    assert template["lines"] == ["案件编号：2026-000001", "办理进度：已答复", "时间：今天"]
    assert notice["via"] == "subscribe"


def test_permanent_codes_are_created_once_per_scene_and_decode_to_their_url(api, wx, world):
    body = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "rep:wang01"}}}
    first = wx.qrcode.create(body)
    again = wx.qrcode.create(body)
    assert first == again and set(first) == {"ticket", "url"}
    temporary = wx.qrcode.create({"expire_seconds": 600, "action_name": "QR_STR_SCENE",
                                  "action_info": {"scene": {"scene_str": "bind:abc"}}})
    assert temporary["expire_seconds"] == 600 and temporary["ticket"] != first["ticket"]
    for bad in ({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "x" * 65}}},
                {"action_name": "QR_NOPE"}):
        with pytest.raises(WeChatClientException) as refused:
            wx.qrcode.create(bad)
        assert refused.value.errcode == 40053

    picture = requests.get(api + "showqrcode", params={"ticket": first["ticket"]}, timeout=5)
    assert picture.headers["Content-Type"] == "image/png"
    assert decode_qr(picture.content) == [first["url"]]
    assert world.qr_by_url(first["url"])["scene"] == "rep:wang01"


def test_media_round_trip(wx):
    uploaded = wx.media.upload("image", ("photo.jpg", io.BytesIO(b"\xff\xd8jpeg-bytes"), "image/jpeg"))
    assert set(uploaded) == {"type", "media_id", "created_at"}
    fetched = wx.media.download(uploaded["media_id"])
    assert fetched.content == b"\xff\xd8jpeg-bytes" and fetched.headers["Content-Type"] == "image/jpeg"
    with pytest.raises(WeChatClientException) as missing:
        wx.media.download("no-such-media")
    assert missing.value.errcode == 40007
    with pytest.raises(WeChatClientException) as bad_type:
        wx.media.upload("pdf", ("a.pdf", io.BytesIO(b"%PDF"), "application/pdf"))
    assert bad_type.value.errcode == 40004


def test_malformed_bodies_get_wechats_data_format_error(app, api, wx):
    token = wx.access_token
    for body in (b"not json", b"[1, 2]"):
        answer = requests.post(api + "message/custom/send", params={"access_token": token}, data=body, timeout=5)
        assert answer.json()["errcode"] == 47001
    empty = requests.post(api + "message/custom/send", params={"access_token": token}, timeout=5).json()
    assert empty["errcode"] == 44002


def test_the_client_never_leaves_the_configured_base_url(wx):
    with pytest.raises(ValueError):
        wx.get("https://api.weixin.qq.com/cgi-bin/menu/get")
