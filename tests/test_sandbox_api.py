"""The fake WeChat API, through the app's real WeChat client and plain HTTP: response shapes, the
errors WeChat gives, the rules it enforces on the app's clock, and what it records."""

from __future__ import annotations

import dataclasses
import io
import time

import pytest
import requests
from wechatpy import parse_message
from wechatpy.events import TemplateSendJobFinishEvent
from wechatpy.exceptions import WeChatClientException

from bot.services import services
from qr.codes import decode_qr
from sandbox.api import _value_ok
from sandbox.events import deliver_pending_events, receipt_xml

CASE = {"character_string1": {"value": "2026-000001"}, "thing2": {"value": "已转交东街街道办理"},
        "time3": {"value": "2026年11月23日 10:00"}}


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


@pytest.fixture
def api(app) -> str:
    return services(app).settings.wechat_api_base_url


@pytest.fixture
def wx(app):
    return services(app).wechat


@pytest.fixture
def credentials(app) -> dict[str, str]:
    settings = services(app).settings
    return {"grant_type": "client_credential", "appid": settings.wechat_appid, "secret": settings.wechat_secret}


def _errcode(api: str, token: str) -> int:
    """What a call with ``token`` gets: 40007 (no such media) means the token itself was accepted."""
    return requests.get(api + "media/get", params={"access_token": token, "media_id": "x"}, timeout=5).json()["errcode"]


def _stable(api: str, credentials: dict[str, str], force: bool = False) -> dict:
    return requests.post(api + "stable_token", json={**credentials, "force_refresh": force}, timeout=5).json()


# -- access tokens ------------------------------------------------------------------------------
def test_token_endpoints_answer_like_wechat(api, credentials):
    basic = requests.get(api + "token", params=credentials, timeout=5).json()
    assert set(basic) == {"access_token", "expires_in"} and basic["expires_in"] == 7200
    stable = _stable(api, credentials)
    assert set(stable) == {"access_token", "expires_in"} and stable["expires_in"] == 7200
    assert stable["access_token"] != basic["access_token"]  # two separate tokens, both good
    assert _errcode(api, basic["access_token"]) == _errcode(api, stable["access_token"]) == 40007

    assert requests.get(api + "token", params={**credentials, "secret": "wrong"}, timeout=5).json()["errcode"] == 40125
    assert requests.get(api + "token", params={**credentials, "appid": "wx1"}, timeout=5).json()["errcode"] == 40013
    assert requests.get(api + "token", params={**credentials, "grant_type": "x"}, timeout=5).json()["errcode"] == 40002
    assert _stable(api, {**credentials, "secret": "wrong"})["errcode"] == 40125
    missing = requests.post(api + "message/custom/send", json={}, timeout=5).json()
    assert missing["errcode"] == 41001 and missing["errmsg"].startswith("access_token missing")
    forged = requests.get(api + "media/get", params={"access_token": "forged", "media_id": "x"}, timeout=5).json()
    assert forged["errcode"] == 40001 and forged["errmsg"].startswith("invalid credential")


def test_a_new_basic_token_replaces_only_the_previous_basic_token(api, credentials, clock):
    stable = _stable(api, credentials)["access_token"]
    first = requests.get(api + "token", params=credentials, timeout=5).json()["access_token"]
    second = requests.get(api + "token", params=credentials, timeout=5).json()["access_token"]
    assert first != second
    clock.advance(seconds=299)
    assert _errcode(api, first) == 40007  # WeChat keeps the old and the new working for 5 minutes
    clock.advance(seconds=1)
    assert _errcode(api, first) == 40001
    assert _errcode(api, second) == _errcode(api, stable) == 40007
    assert _stable(api, credentials)["access_token"] == stable


def test_stable_token_normal_mode_keeps_its_token_then_renews_it_five_minutes_early(api, credentials, clock):
    first = _stable(api, credentials)
    clock.advance(hours=1)
    again = _stable(api, credentials)
    assert again == {"access_token": first["access_token"], "expires_in": 3600}
    clock.advance(seconds=3300)  # 300 s left: still the same token
    assert _stable(api, credentials) == {"access_token": first["access_token"], "expires_in": 300}
    clock.advance(seconds=1)  # 299 s left: a new one, and the old one works to its end
    renewed = _stable(api, credentials)
    assert renewed["access_token"] != first["access_token"] and renewed["expires_in"] == 7200
    assert _errcode(api, first["access_token"]) == 40007
    clock.advance(seconds=299)
    assert _errcode(api, first["access_token"]) == 42001
    assert _errcode(api, renewed["access_token"]) == 40007


def test_tokens_expire_on_the_apps_clock(api, credentials, world, clock):
    basic = requests.get(api + "token", params=credentials, timeout=5).json()["access_token"]
    clock.advance(seconds=7199)
    assert _errcode(api, basic) == 40007
    clock.advance(seconds=1)
    assert _errcode(api, basic) == 42001
    stable = _stable(api, credentials)["access_token"]
    world.expire_tokens()
    assert _errcode(api, stable) == 42001
    assert _stable(api, credentials)["access_token"] != stable  # normal mode replaces an expired token


def test_force_refresh_kills_the_previous_token_and_is_limited_to_20_a_day_30_s_apart(
        api, credentials, world, clock):
    before = _stable(api, credentials)["access_token"]
    forced = _stable(api, credentials, force=True)
    assert forced["expires_in"] == 7200 and forced["access_token"] != before
    assert _errcode(api, before) == 40001
    clock.advance(seconds=29)
    assert _stable(api, credentials, force=True)["access_token"] == forced["access_token"]  # too soon: no refresh
    tokens = {forced["access_token"]}
    for _ in range(19):
        clock.advance(seconds=30)
        tokens.add(_stable(api, credentials, force=True)["access_token"])
    assert len(tokens) == 20
    clock.advance(seconds=30)
    over = _stable(api, credentials, force=True)
    assert over["errcode"] == 45009 and over["errmsg"].startswith("reach max api daily quota limit")
    assert _stable(api, credentials)["access_token"] in tokens  # normal mode still answers
    clock.advance(hours=14)  # past midnight in Beijing: a new day's quota
    assert "access_token" in _stable(api, credentials, force=True)
    assert [call["errcode"] for call in world.calls("stable_token")].count(45009) == 1


# -- the app's client against the fake -------------------------------------------------------------
@pytest.fixture
def resident_writing(world, clock) -> str:
    """A resident who has just written to the account: their 48-hour window is open."""
    world.user_wrote("o-resident", clock.time())
    return "o-resident"


def test_client_takes_a_stable_token_once_and_shares_it_through_redis(app, wx, world, resident_writing):
    wx.message.send_text("o-resident", "您好")
    wx.message.send_text("o-resident", "再次您好")
    assert [call["endpoint"] for call in world.calls()] == ["stable_token", "message/custom/send",
                                                            "message/custom/send"]
    assert services(app).redis.get(f"minyi:wechatpy:{wx.appid}_access_token") is not None
    assert all("access_token" not in call["query"] for call in world.calls())


def test_a_token_replaced_elsewhere_is_recovered_without_forcing(wx, world, resident_writing):
    wx.message.send_text("o-resident", "第一条")
    world.revoke_tokens()  # as if another program had taken a new token
    wx.message.send_text("o-resident", "第二条")
    calls = world.calls()
    assert [(call["endpoint"], call["errcode"]) for call in calls[1:]] == [
        ("message/custom/send", 0), ("message/custom/send", 40001), ("stable_token", 0), ("message/custom/send", 0)]
    assert [call["body"]["force_refresh"] for call in world.calls("stable_token")] == [False, False]


def test_a_token_refused_for_good_is_forced_once_and_raises_after_one_retry(wx, world, resident_writing):
    world.fail_next("message/custom/send", 40001, times=5)
    with pytest.raises(WeChatClientException) as raised:
        wx.message.send_text("o-resident", "您好")
    assert raised.value.errcode == 40001
    assert len(world.calls("message/custom/send")) == 2
    assert [call["body"]["force_refresh"] for call in world.calls("stable_token")] == [False, False, True]


def test_the_client_never_leaves_the_configured_base_url(wx):
    with pytest.raises(ValueError):
        wx.get("https://api.weixin.qq.com/cgi-bin/menu/get")


# -- customer-service windows --------------------------------------------------------------------
def _send(wx, openid: str, text: str) -> int:
    try:
        wx.message.send_text(openid, text)
    except WeChatClientException as error:
        return error.errcode
    return 0


def test_a_message_opens_48_hours_for_five_customer_service_messages(wx, world, clock):
    world.user_wrote("o-resident", clock.time())
    assert [_send(wx, "o-resident", f"第{n}条") for n in range(1, 7)] == [0, 0, 0, 0, 0, 45047]
    world.user_wrote("o-resident", clock.time())  # the resident writes again: a fresh window
    assert _send(wx, "o-resident", "新窗口") == 0
    clock.advance(hours=48)
    assert _send(wx, "o-resident", "最后一刻") == 0
    clock.advance(seconds=1)
    assert _send(wx, "o-resident", "太晚了") == 45015
    texts = [entry["text"] for entry in world.chat("o-resident")]
    assert texts == ["第1条", "第2条", "第3条", "第4条", "第5条", "新窗口", "最后一刻"]
    refused = world.calls("message/custom/send")[-1]
    assert (refused["body"]["text"]["content"], refused["errcode"]) == ("太晚了", 45015)


def test_a_follow_scan_or_click_opens_one_minute_for_three(wx, world, clock):
    world.user_tapped("o-new", clock.time(), subscribed=True)
    assert [_send(wx, "o-new", f"欢迎{n}") for n in range(1, 5)] == [0, 0, 0, 45047]
    world.user_tapped("o-new", clock.time())  # a menu click: three more
    assert _send(wx, "o-new", "再来") == 0
    clock.advance(seconds=61)
    assert _send(wx, "o-new", "过了一分钟") == 45015
    follower = world.follower("o-new")
    assert follower.subscribed and [window.rule.name for window in follower.windows] == ["event"]


def test_the_message_window_is_spent_before_the_tap_window(wx, world, clock):
    world.user_wrote("o-resident", clock.time())
    world.user_tapped("o-resident", clock.time())
    assert [_send(wx, "o-resident", f"{n}") for n in range(9)] == [0] * 8 + [45047]
    world.user_tapped("o-resident", clock.time())
    assert _send(wx, "o-resident", "点了菜单") == 0
    [message, event] = world.follower("o-resident").windows
    assert (message.rule.name, message.sent, message.left) == ("message", 5, 0)
    assert (event.rule.name, event.sent, event.left) == ("event", 1, 2)
    clock.advance(seconds=61)  # the tap window has closed; the message window is open but used
    assert _send(wx, "o-resident", "没有额度") == 45047


def test_who_wechat_knows(wx, world, clock):
    assert _send(wx, "o-never-seen", "您好") == 40003
    with pytest.raises(WeChatClientException) as unknown:
        wx.message.send_template("o-never-seen", "sandbox-case-notice", CASE)
    assert unknown.value.errcode == 40003

    # The demo district's people follow from before the sandbox started, with no window open.
    assert _send(wx, "demo-rep-wang01", "您好") == 45015
    assert wx.message.send_template("demo-rep-wang01", "sandbox-case-notice", CASE)["errcode"] == 0

    world.user_wrote("o-gone", clock.time())
    world.user_tapped("o-gone", clock.time(), subscribed=False)  # unfollowed
    assert _send(wx, "o-gone", "还在吗") == 45015
    with pytest.raises(WeChatClientException) as gone:
        wx.message.send_template("o-gone", "sandbox-case-notice", CASE)
    assert gone.value.errcode == 43004
    assert world.follower("o-gone").windows == () and world.chat("o-gone") == []


def test_customer_service_content_is_checked(api, wx, world, resident_writing):
    token = wx.access_token

    def send(body):
        return requests.post(api + "message/custom/send", params={"access_token": token}, json=body,
                             timeout=5).json()["errcode"]
    assert send({"touser": "o-resident", "msgtype": "text", "text": {"content": ""}}) == 47001
    assert send({"touser": "o-resident", "msgtype": "music", "music": {}}) == 47001
    assert send({"touser": "o-resident", "msgtype": "image", "image": {"media_id": "nope"}}) == 40007
    assert world.follower("o-resident").windows[0].sent == 0  # refused messages spend nothing


def test_malformed_bodies_get_wechats_data_format_error(api, wx):
    token = wx.access_token
    for body in (b"not json", b"[1, 2]"):
        answer = requests.post(api + "message/custom/send", params={"access_token": token}, data=body, timeout=5)
        assert answer.json()["errcode"] == 47001
    empty = requests.post(api + "message/custom/send", params={"access_token": token}, timeout=5).json()
    assert empty["errcode"] == 44002


# -- template messages ---------------------------------------------------------------------------
def test_a_template_message_lands_on_the_phone_outside_any_window(wx, world, clock):
    world.user_wrote("o-resident", clock.time())
    clock.advance(days=3)
    answer = wx.message.send_template("o-resident", "sandbox-case-notice", CASE, url="https://example.org/c/1")
    assert set(answer) == {"errcode", "errmsg", "msgid"} and answer["errcode"] == 0 and answer["errmsg"] == "ok"
    assert isinstance(answer["msgid"], int)
    [card] = world.chat("o-resident")
    assert (card["via"], card["title"], card["url"]) == ("template", "新事项提醒", "https://example.org/c/1")
    assert card["lines"] == ["编号：2026-000001", "事项内容：已转交东街街道办理", "提交时间：2026年11月23日 10:00"]
    progress = wx.message.send_template("o-resident", "sandbox-case-progress", CASE)
    assert progress["msgid"] != answer["msgid"] and world.chat("o-resident")[-1]["title"] == "事项进度提醒"


def test_template_messages_do_not_spend_customer_service_quota(wx, world, clock):
    world.user_wrote("o-resident", clock.time())
    for _ in range(3):
        wx.message.send_template("o-resident", "sandbox-case-notice", CASE)
    assert world.follower("o-resident").windows[0].sent == 0
    assert [_send(wx, "o-resident", f"{n}") for n in range(6)] == [0, 0, 0, 0, 0, 45047]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**CASE, "thing2": {"value": "超" * 21}}, "thing2"),
        ({**CASE, "character_string1": {"value": "编号2026"}}, "character_string1"),
        ({**CASE, "character_string1": {"value": "x" * 33}}, "character_string1"),
        ({**CASE, "time3": {"value": "2026-11-23T10:00:00Z"}}, "time3"),
        ({**CASE, "time3": {"value": "明天上午"}}, "time3"),
        ({**CASE, "time3": {"value": 1700000000}}, "time3"),
        ({key: value for key, value in CASE.items() if key != "thing2"}, "thing2"),
        ({**CASE, "keyword1": {"value": "多余"}}, "keyword1"),
        ({**CASE, "thing2": "不是对象"}, "thing2"),
    ],
)
def test_a_bad_field_gets_47003_naming_it(wx, world, resident_writing, data, field):
    with pytest.raises(WeChatClientException) as refused:
        wx.message.send_template("o-resident", "sandbox-case-notice", data)
    assert refused.value.errcode == 47003
    assert refused.value.errmsg.startswith(f"argument invalid! data.{field}.value invalid rid: ")
    assert world.chat("o-resident") == [] and world.pending_events() == []


def test_an_unknown_template_gets_40037(wx, resident_writing):
    with pytest.raises(WeChatClientException) as unknown:
        wx.message.send_template("o-resident", "no-such-template", CASE)
    assert unknown.value.errcode == 40037


@pytest.mark.parametrize(
    ("key", "good", "bad"),
    [
        ("thing2", ["东街1号楼道灯不亮", "A" * 20], ["", "字" * 21, "换\n行"]),
        ("character_string1", ["2026-000123", "AB_12/#"], ["", "中文", "x" * 33, "a b"]),
        ("number4", ["42", "3.14", "9" * 32], ["", "1,000", "-1", "9" * 33]),
        ("letter5", ["abcXYZ"], ["", "abc1", "a" * 33]),
        ("symbol6", ["-", "#*&"], ["", "a", "######"]),
        ("time3", ["15:01", "15:01:30", "2019年10月1日 15:01", "2026-11-23 10:00", "10:00~12:00"],
         ["25:00", "15", "2019年10月1日", "10:00~11:00~12:00"]),
        ("date7", ["2019年10月1日", "2019年10月1日 15:01", "2018-01-01", "2018/01/01", "10月1日", "2018-01",
                   "2019年10月1日~2019年10月7日"], ["15:01", "2018-13-01", "2018-01/01", "昨天"]),
        ("amount8", ["¥39.80", "￥100元", "$1234567890"], ["39.8元", "¥", "¥12345678901", "¥1,000"]),
        ("phone_number9", ["+86-0766-66888866", "13800138000"], ["", "1" * 18, "电话123"]),
        ("car_number10", ["粤A8Z888挂", "京A12345"], ["", "粤A8Z888挂X", "粤A-8Z88"]),
        ("name11", ["王晓明", "John·Smith", "Li"], ["", "王" * 11, "A" * 21, "王2"]),
        ("phrase12", ["配送中", "已答复"], ["", "配送中了吗吗", "done"]),
        ("const13", ["anything at all"], []),
    ],
)
def test_wechats_rules_for_typed_template_fields(key, good, bad):
    assert all(_value_ok(key, value) for value in good), [v for v in good if not _value_ok(key, v)]
    assert not any(_value_ok(key, value) for value in bad), [v for v in bad if _value_ok(key, v)]


def test_the_same_client_msg_id_within_ten_minutes_is_sent_once(app, wx, world, clock, resident_writing):
    def send(openid: str = "o-resident") -> int:
        return wx.post("message/template/send", data={
            "touser": openid, "template_id": "sandbox-case-notice", "data": CASE, "client_msg_id": "notice-7",
        })["msgid"]

    first = send()
    clock.advance(minutes=9, seconds=59)
    assert send() == first
    assert len(world.chat("o-resident")) == 1 and len(world.pending_events()) == 1
    world.user_wrote("o-other", clock.time())
    assert send("o-other") != first  # the id counts per openid
    clock.advance(seconds=1)
    assert send() != first and len(world.chat("o-resident")) == 2


def test_subscription_notices_fill_the_same_templates(wx, world, resident_writing):
    wx.post("message/subscribe/bizsend", data={"touser": "o-resident", "template_id": "sandbox-case-progress",
                                               "data": CASE, "page": "pages/case?id=1"})
    [notice] = world.chat("o-resident")
    assert (notice["via"], notice["title"], notice["url"]) == ("subscribe", "事项进度提醒", "pages/case?id=1")
    assert world.pending_events() == []  # only template messages have TEMPLATESENDJOBFINISH


# -- delivery receipts (TEMPLATESENDJOBFINISH) -----------------------------------------------------
def test_each_template_message_gets_its_receipt_posted_to_the_apps_webhook(app, wx, world, clock):
    for openid in ("o-ok", "o-blocking", "o-unlucky"):
        world.user_wrote(openid, clock.time())
    world.block_templates("o-blocking")
    ok = wx.message.send_template("o-ok", "sandbox-case-notice", CASE)["msgid"]
    blocked = wx.message.send_template("o-blocking", "sandbox-case-notice", CASE)["msgid"]
    world.fail_next_job("failed: system failed")
    unlucky = wx.message.send_template("o-unlucky", "sandbox-case-notice", CASE)["msgid"]
    assert [(event["openid"], event["msgid"], event["status"]) for _, event in world.pending_events()] == [
        ("o-ok", ok, "success"), ("o-blocking", blocked, "failed:user block"),
        ("o-unlucky", unlucky, "failed: system failed")]
    assert len(world.chat("o-ok")) == 1 and world.chat("o-blocking") == world.chat("o-unlucky") == []

    assert deliver_pending_events(services(app), clock.now()) == 3
    assert [(post["msgid"], post["status"], post["http_status"]) for post in world.event_posts()] == [
        (ok, "success", 200), (blocked, "failed:user block", 200), (unlucky, "failed: system failed", 200)]
    assert world.pending_events() == [] and deliver_pending_events(services(app), clock.now()) == 0


def test_a_receipt_is_the_xml_wechat_documents():
    xml = receipt_xml({"openid": "o-rep", "msgid": 3000000000000000007, "status": "failed:user block"}, 1795000000)
    event = parse_message(xml)
    assert isinstance(event, TemplateSendJobFinishEvent)
    assert (event.source, event.target, event.id, event.status) == (
        "o-rep", "gh_minyi_sandbox", 3000000000000000007, "failed:user block")
    assert "<MsgType><![CDATA[event]]></MsgType>" in xml and "<MsgID>3000000000000000007</MsgID>" in xml


@pytest.mark.parametrize("broken", [{"wechat_token": "not-the-apps-token"},
                                    {"wechat_api_base_url": "http://127.0.0.1:9/sandbox/api/cgi-bin/"}])
def test_a_receipt_the_app_did_not_take_stays_queued(app, wx, world, clock, resident_writing, broken):
    msgid = wx.message.send_template("o-resident", "sandbox-case-notice", CASE)["msgid"]
    svc = services(app)
    elsewhere = dataclasses.replace(svc, settings=dataclasses.replace(svc.settings, **broken))
    assert deliver_pending_events(elsewhere, clock.now()) == 0
    assert [event["msgid"] for _, event in world.pending_events()] == [msgid]
    assert world.event_posts()[-1]["http_status"] == (403 if "wechat_token" in broken else None)
    assert deliver_pending_events(svc, clock.now()) == 1 and world.pending_events() == []


# -- QR codes ------------------------------------------------------------------------------------
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


# -- temporary media -----------------------------------------------------------------------------
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


def test_a_video_is_answered_with_its_address(wx, world, clock):
    media_id = world.store_media("video", b"\x00\x00\x00\x18ftypmp42", "video/mp4", "clip.mp4", clock.time())
    answer = wx.media.download(media_id)
    assert set(answer) == {"video_url"}
    assert requests.get(answer["video_url"], timeout=5).content == b"\x00\x00\x00\x18ftypmp42"


def test_temporary_media_is_gone_after_three_days(wx, world, clock):
    media_id = world.store_media("voice", b"#!AMR\n", "audio/amr", "voice.amr", clock.time())
    clock.advance(days=3, seconds=-1)
    assert wx.media.download(media_id).content == b"#!AMR\n"
    clock.advance(seconds=1)
    with pytest.raises(WeChatClientException) as gone:
        wx.media.download(media_id)
    assert gone.value.errcode == 40007


# -- speed ---------------------------------------------------------------------------------------
def test_latency_slows_every_call(api, credentials, world):
    started = time.perf_counter()
    _stable(api, credentials)
    fast = time.perf_counter() - started
    world.set_latency(300)
    started = time.perf_counter()
    assert "access_token" in _stable(api, credentials)
    assert time.perf_counter() - started >= 0.3 > fast
    world.set_latency(0)
    assert world.latency() == 0
    with pytest.raises(ValueError):
        world.set_latency(-1)
