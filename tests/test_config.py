"""Settings layers and the start-up refusals that name the bad key."""

from __future__ import annotations

import pytest

from bot import create_app
from bot.config import ConfigError, load_settings


def test_defaults_are_the_embedded_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.redis_url == "" and not settings.wechat_configured
    assert settings.webhook_max_body_bytes == 65536 and settings.intake_join_window_minutes == 10


def test_file_then_environment_then_overrides(tmp_path):
    path = tmp_path / "minyi.toml"
    path.write_text(
        'database_url = "postgresql+psycopg://db/minyi"\n[wechat]\ntoken = "from-file"\nappid = "wx1"\n'
        'secret = "s"\n[intake]\njoin_window_minutes = 15\n',
        encoding="utf-8",
    )
    environ = {"MINYI_CONFIG": str(path), "MINYI_WECHAT_TOKEN": "from-env"}
    settings = load_settings(environ=environ)
    assert settings.database_url == "postgresql+psycopg://db/minyi"
    assert settings.wechat_token == "from-env" and settings.wechat_appid == "wx1"
    assert settings.intake_join_window_minutes == 15
    assert load_settings({"wechat.token": "override"}, environ=environ).wechat_token == "override"


BAD = [
    ({"MINYI_WECHAT_AES_KEY": "short", "MINYI_WECHAT_TOKEN": "t", "MINYI_WECHAT_APPID": "wx"}, "wechat.aes_key"),
    ({"MINYI_WECHAT_AES_KEY": "!" * 43, "MINYI_WECHAT_TOKEN": "t", "MINYI_WECHAT_APPID": "wx"}, "wechat.aes_key"),
    ({"MINYI_WECHAT_ALLOW_PLAINTEXT": "maybe"}, "wechat.allow_plaintext"),
    ({"MINYI_DATABASE_URL": "mysql://root@localhost/minyi"}, "database_url"),
    ({"MINYI_DATABASE_URL": "minyi.db"}, "database_url"),
    ({"MINYI_REDIS_URL": "127.0.0.1:6379"}, "redis_url"),
    ({"MINYI_WEBHOOK_MAX_BODY_BYTES": "lots"}, "webhook.max_body_bytes"),
    ({"MINYI_INTAKE_JOIN_WINDOW_MINUTES": "0"}, "intake.join_window_minutes"),
    ({"MINYI_WECHAT_APPID": "wx1"}, "wechat.secret"),
    ({"MINYI_WECHAT_AES_KEY": "a" * 43}, "wechat.token"),
    ({"MINYI_WECHAT_AES_KEY": "a" * 43, "MINYI_WECHAT_TOKEN": "t"}, "wechat.appid"),
    ({"MINYI_CONFIG": "/nonexistent/minyi.toml"}, "MINYI_CONFIG"),
]


@pytest.mark.parametrize("environ, key", BAD, ids=[f"{key}-{index}" for index, (_, key) in enumerate(BAD)])
def test_a_bad_value_names_its_key(environ, key):
    with pytest.raises(ConfigError) as raised:
        load_settings(environ=environ)
    assert raised.value.key == key and key in str(raised.value)


def test_unknown_and_malformed_file_keys_are_refused(tmp_path):
    path = tmp_path / "minyi.toml"
    path.write_text("[wechat]\ntokne = 'typo'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="wechat.tokne"):
        load_settings(environ={"MINYI_CONFIG": str(path)})
    path.write_text("database_url = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(environ={"MINYI_CONFIG": str(path)})


def test_create_app_stops_on_a_bad_value(tmp_path):
    with pytest.raises(ConfigError, match="wechat.aes_key"):
        create_app({"database_url": f"sqlite:///{tmp_path}/x.db", "wechat.token": "t", "wechat.appid": "wx",
                    "wechat.aes_key": "x" * 42})


def test_the_example_config_lists_every_key():
    import tomllib
    from pathlib import Path

    from bot.config import DEFAULTS, _flatten

    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    keys = set(_flatten(tomllib.loads(example.read_text(encoding="utf-8"))))
    assert keys == set(DEFAULTS)
