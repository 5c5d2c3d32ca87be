"""Test constants for the account the tests' app is configured with; WeChat's side of the
conversation is the sandbox's (``sandbox.webhook_client``), the one fake of WeChat."""

from __future__ import annotations

import os
from pathlib import Path

from sandbox.webhook_client import ACCOUNT, Delivery, WeChatServer, cdata, message_xml, next_msg_id

TOKEN = "minyi-test-token"
APPID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

__all__ = ["ACCOUNT", "AES_KEY", "APPID", "TOKEN", "Delivery", "WeChatServer", "cdata", "cli_environment",
           "message_xml", "next_msg_id"]


def cli_environment(database: Path) -> dict[str, str | None]:
    """The environment of a `minyi` command on the embedded defaults but for the database: no
    WeChat account, no Redis, no config file."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("MINYI_")}
    env["MINYI_DATABASE_URL"] = f"sqlite:///{database}"
    return env
