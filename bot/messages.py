"""Parse one delivered XML message into wechatpy's message object plus what we key it by."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from wechatpy.messages import BaseMessage
from wechatpy.parser import parse_message

MAX_KEY_LENGTH = 160

# Fields any handler reads: they must be plain text (another field may hold a nested list, as
# ScanCodeInfo or SendPicsInfo do).
READ_FIELDS = frozenset({
    "ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "MsgID", "Event", "EventKey", "Content",
    "MediaId", "PicUrl", "Format", "Recognition", "ThumbMediaId", "Location_X", "Location_Y", "Scale", "Label",
    "Title", "Description", "Url", "Ticket",
})

# Besides every message, these events open WeChat's 48-hour customer-service window.
SERVICE_WINDOW_EVENTS = frozenset({"subscribe", "subscribe_scan", "scan", "click", "scancode_push",
                                   "scancode_waitmsg"})


class MalformedMessage(ValueError):
    pass


@dataclass(frozen=True)
class Incoming:
    message: BaseMessage
    openid: str  # FromUserName: the resident or representative
    account: str  # ToUserName: our official account
    msg_type: str  # "text", "image", … or "event"
    # The event, lower case, or "" for messages. wechatpy's parser renames a follow through a
    # parametric QR code to "subscribe_scan" (and strips "qrscene_" from its EventKey).
    event: str
    create_time: int
    dedup_key: str

    @property
    def kind(self) -> str:
        return f"event:{self.event}" if self.event else self.msg_type

    @property
    def opens_service_window(self) -> bool:
        """A person wrote or tapped: we may send them customer-service messages for 48 hours."""
        return self.msg_type != "event" or self.event in SERVICE_WINDOW_EVENTS

    @property
    def subscribes(self) -> bool:
        return self.event in ("subscribe", "subscribe_scan")


def dedup_key(raw: dict) -> str:
    """MsgId for messages; FromUserName + CreateTime + Event (+ EventKey) for events, and the
    MsgID that delivery receipts carry, so two receipts in one second stay two."""
    if raw.get("MsgType", "").lower() != "event" and raw.get("MsgId"):
        return f"msg:{raw['MsgId']}"
    key = f"evt:{raw['FromUserName']}:{raw['CreateTime']}:{raw.get('Event', '')}:{raw.get('EventKey') or ''}"
    if raw.get("MsgID"):
        key += f":{raw['MsgID']}"
    if len(key) > MAX_KEY_LENGTH:
        key = "evt:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def parse_incoming(xml: str) -> Incoming:
    try:
        message = parse_message(xml)
        raw = message._data  # wechatpy keeps the parsed dict; its typed fields read from it
        if not isinstance(raw, dict):
            raise TypeError("root element is empty")
        nested = [name for name, value in raw.items() if value is not None and not isinstance(value, str)]
        if nested:  # WeChat's fields we read are all text; menu events' lists are not read
            if set(nested) & READ_FIELDS:
                raise TypeError(f"{', '.join(sorted(nested))} must be text")
        fields = {name: raw.get(name) for name in ("FromUserName", "ToUserName", "MsgType", "CreateTime")}
        if not all(isinstance(value, str) and value for value in fields.values()):
            raise KeyError("FromUserName, ToUserName, MsgType and CreateTime are required")
        create_time = int(fields["CreateTime"])
        if raw.get("MsgId") is not None:
            int(raw["MsgId"])
        key = dedup_key(raw)
    except MalformedMessage:
        raise
    except Exception as error:  # expat errors, forbidden entities, missing or non-numeric fields
        raise MalformedMessage(f"{type(error).__name__}: {error}"[:200]) from None
    return Incoming(
        message=message,
        openid=fields["FromUserName"],
        account=fields["ToUserName"],
        msg_type=fields["MsgType"].lower(),
        event=str(raw.get("Event") or "").lower() if fields["MsgType"].lower() == "event" else "",
        create_time=create_time,
        dedup_key=key,
    )
