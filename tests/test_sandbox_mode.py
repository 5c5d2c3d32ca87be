"""Sandbox mode is a switch: its routes exist only when it is on, and it never runs with a real account."""

from __future__ import annotations

import pytest

from bot import create_app
from bot.cli import sandbox_overrides
from bot.config import DEFAULTS, SANDBOX_ACCOUNT, WECHAT_API, ConfigError, load_settings


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
    assert sandbox_overrides(values, flag, "0.0.0.0", 8000) == expected


def test_a_sandbox_asked_for_beside_a_real_account_does_not_start(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"database_url": f"sqlite:///{tmp_path / 'x.sqlite3'}", "wechat.appid": "wx1",
                    "wechat.secret": "s", "wechat.sandbox": True,
                    "wechat.api_base_url": "http://127.0.0.1:1/sandbox/api/cgi-bin/"})
