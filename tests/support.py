"""Test constants for the account the tests' app is configured with; WeChat's side of the
conversation is the sandbox's (``sandbox.webhook_client``), the one fake of WeChat."""

from __future__ import annotations

from sandbox.webhook_client import ACCOUNT, Delivery, WeChatServer, cdata, message_xml, next_msg_id

TOKEN = "minyi-test-token"
APPID = "wx0123456789abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

__all__ = ["ACCOUNT", "AES_KEY", "APPID", "TOKEN", "Delivery", "WeChatServer", "cdata", "message_xml",
           "next_msg_id"]
