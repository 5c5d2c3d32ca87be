"""Sandbox mode is a switch: its routes exist only when it is on, and it never runs with a real account."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from bot import create_app
from bot.cli import sandbox_overrides, served_api
from bot.config import DEFAULTS, SANDBOX_ACCOUNT, WECHAT_API, ConfigError, load_settings
from bot.services import services
from bot.wechat_client import IN_PROCESS_API
from sandbox.world import World


def test_no_sandbox_route_exists_when_sandbox_is_off(app, client):
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/sandbox")]
    for path in ("/sandbox/", "/sandbox/directory", "/sandbox/api/cgi-bin/token", "/sandbox/static/sandbox.js"):
        assert client.get(path).status_code == 404


def test_sandbox_routes_exist_when_it_is_on(sandbox_app):
    rules = {rule.rule for rule in sandbox_app.url_map.iter_rules()}
    assert {"/sandbox/", "/sandbox/api/cgi-bin/stable_token", "/sandbox/phones/<openid>/send"} <= rules


def test_sandbox_refuses_a_real_account():
    with pytest.raises(ConfigError) as refused:
        load_settings({"wechat.sandbox": True, "wechat.appid": "wx0123456789abcdef", "wechat.secret": "real",
                       "wechat.api_base_url": "http://127.0.0.1:5000/sandbox/api/cgi-bin/"}, environ={})
    assert refused.value.key == "wechat.sandbox"


def test_sandbox_never_points_at_the_real_api():
    with pytest.raises(ConfigError) as refused:
        load_settings({"wechat.sandbox": True}, environ={})
    assert refused.value.key == "wechat.api_base_url"


def test_sandbox_fills_in_its_own_account():
    settings = load_settings({"wechat.sandbox": True, "wechat.token": "my-token",
                              "wechat.api_base_url": "http://127.0.0.1:5000/sandbox/api/cgi-bin/"}, environ={})
    assert settings.wechat_appid == SANDBOX_ACCOUNT["wechat.appid"]
    assert settings.wechat_aes_key == SANDBOX_ACCOUNT["wechat.aes_key"] and settings.accepts_plaintext
    assert settings.wechat_token == "my-token"  # what is configured is kept


@pytest.mark.parametrize(
    ("configured", "flag", "expected"),
    [
        ({}, None, {"wechat.sandbox": True, "wechat.api_base_url": "http://127.0.0.1:8000/sandbox/api/cgi-bin/"}),
        ({"wechat.appid": "wx1", "wechat.secret": "s"}, None, {"wechat.sandbox": False}),
        ({"wechat.appid": "wx1", "wechat.secret": "s"}, True,
         {"wechat.sandbox": True, "wechat.api_base_url": "http://127.0.0.1:8000/sandbox/api/cgi-bin/"}),
        ({}, False, {"wechat.sandbox": False}),
        ({"wechat.api_base_url": "http://fake:9/cgi-bin/"}, None, {"wechat.sandbox": True}),
    ],
)
def test_minyi_run_turns_sandbox_on_without_an_account(configured, flag, expected):
    values = {**DEFAULTS, "wechat.api_base_url": WECHAT_API, **configured}
    assert sandbox_overrides(values, flag, served_api("0.0.0.0", 8000)) == expected


def test_commands_that_serve_nothing_get_the_fake_in_their_own_process():
    assert sandbox_overrides({**DEFAULTS}, None, IN_PROCESS_API) == {"wechat.sandbox": True,
                                                                     "wechat.api_base_url": IN_PROCESS_API}
    real = {**DEFAULTS, "wechat.appid": "wx1", "wechat.secret": "s"}
    assert sandbox_overrides(real, None, IN_PROCESS_API) == {"wechat.sandbox": False}


def test_the_in_process_fake_answers_every_kind_of_call_without_a_server(tmp_path, monkeypatch):
    """JSON, multipart upload, binary download, errors: through the app's own WSGI stack."""
    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", no_network)
    app = create_app({"database_url": f"sqlite:///{tmp_path / 'x.sqlite3'}", "wechat.sandbox": True,
                      "wechat.api_base_url": IN_PROCESS_API})
    client = services(app).wechat
    try:
        answer = client.qrcode.create({"action_name": "QR_LIMIT_STR_SCENE",
                                       "action_info": {"scene": {"scene_str": "rep:wang01"}}})
        assert answer["url"].startswith("http://weixin.qq.com/q/") and answer["ticket"]
        photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
        uploaded = client.media.upload("image", ("photo.jpg", io.BytesIO(photo), "image/jpeg"))
        downloaded = client.media.download(uploaded["media_id"])
        assert downloaded.content == photo and downloaded.headers["Content-Type"] == "image/jpeg"
        with pytest.raises(WeChatClientException) as refused:
            client.message.send_text("stranger", "你好")
        assert refused.value.errcode == 40003
        assert [call["endpoint"] for call in World(services(app).redis).calls()] == [
            "stable_token", "qrcode/create", "media/upload", "media/get", "message/custom/send"]
    finally:
        services(app).dispose()


def test_the_in_process_address_never_resolves():
    """A client whose in-process transport was not mounted cannot reach anyone by mistake."""
    assert urlsplit(IN_PROCESS_API).hostname.endswith(".invalid")  # RFC 2606: reserved, never resolves


def test_the_root_leads_to_the_simulator_in_sandbox_mode(sandbox_app, app):
    answer = sandbox_app.test_client().get("/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/sandbox/"
    assert app.test_client().get("/").status_code == 404  # outside sandbox mode there is nothing there


def test_a_sandbox_asked_for_beside_a_real_account_does_not_start(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"database_url": f"sqlite:///{tmp_path / 'x.sqlite3'}", "wechat.appid": "wx1",
                    "wechat.secret": "s", "wechat.sandbox": True,
                    "wechat.api_base_url": "http://127.0.0.1:1/sandbox/api/cgi-bin/"})
