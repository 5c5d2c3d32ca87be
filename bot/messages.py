"""Parse one delivered XML message into wechatpy's message object plus what we key it by.

The edge of the system: whatever a handler reads is checked here, so that a well-signed but odd
delivery is refused with 400 (``MalformedMessage``) instead of failing later with a 500, which
WeChat would retry three times and then give up on. Handlers read numbers from
``Incoming.numbers``, never by converting raw fields themselves.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

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

# An openid (FromUserName) or an account's original id (ToUserName): WeChat's are about 28
# characters of this alphabet; 64 is the width of every openid column.
OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
UINT64_MAX = 2**64 - 1  # WeChat's MsgId (and a template message's MsgID) is an unsigned 64-bit number
INT32_MAX = 2**31 - 1

_UNSIGNED = re.compile(r"[0-9]{1,20}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})")


@dataclass(frozen=True)
class NumberField:
    """A numeric field as WeChat sends it: plain ASCII digits (a decimal point for ``real``),
    within [low, high]. Never NaN, infinity, exponents, underscores or other scripts' digits."""

    real: bool
    low: float
    high: float

    def read(self, text: str) -> int | float:
        text = text.strip()
        if not (_DECIMAL if self.real else _UNSIGNED).fullmatch(text):
            raise ValueError("not a plain decimal number")
        value = float(text) if self.real else int(text)
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ValueError("out of range")
        return value


LATITUDE = NumberField(real=True, low=-90.0, high=90.0)
LONGITUDE = NumberField(real=True, low=-180.0, high=180.0)

# Every number a handler reads (and the LOCATION event's, stored nowhere yet), by field name.
NUMBER_FIELDS: Mapping[str, NumberField] = {
    "CreateTime": NumberField(real=False, low=0, high=2**32 - 1),  # Unix seconds
    "MsgId": NumberField(real=False, low=0, high=UINT64_MAX),
    "MsgID": NumberField(real=False, low=0, high=UINT64_MAX),
    "Location_X": LATITUDE,  # a location message: latitude,
    "Location_Y": LONGITUDE,  # longitude,
    "Scale": NumberField(real=False, low=0, high=INT32_MAX),  # and the map's zoom level
    "Latitude": LATITUDE,  # the LOCATION event (reported position)
    "Longitude": LONGITUDE,
    "Precision": NumberField(real=True, low=0.0, high=float(INT32_MAX)),  # metres
}


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
    # The numeric fields present (NUMBER_FIELDS), checked and converted.
    numbers: Mapping[str, int | float] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return f"event:{self.event}" if self.event else self.msg_type

    @property
    def msg_id(self) -> int | None:
        """WeChat's MsgId of a message (a receipt event calls it MsgID), if it has one."""
        value = self.numbers.get("MsgId", self.numbers.get("MsgID"))
        return None if value is None else int(value)

    @property
    def opens_service_window(self) -> bool:
        """A person wrote or tapped: we may send them customer-service messages for 48 hours."""
        return self.msg_type != "event" or self.event in SERVICE_WINDOW_EVENTS

    @property
    def subscribes(self) -> bool:
        return self.event in ("subscribe", "subscribe_scan")


def body_digest(raw: Mapping) -> str:
    """A digest of the message's fields, the same for every retry of one message."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def dedup_key(raw: dict) -> str:
    """MsgId for messages; FromUserName + CreateTime + Event (+ EventKey) for events, and the
    MsgID that delivery receipts carry, so two receipts in one second stay two. A message
    without a MsgId is keyed by its sender, its second and a digest of its fields, so a second,
    different message in the same second is a delivery of its own."""
    is_event = raw.get("MsgType", "").lower() == "event"
    if not is_event and raw.get("MsgId"):
        return f"msg:{int(raw['MsgId'])}"
    if not is_event:
        return f"msg:{raw['FromUserName']}:{raw['CreateTime']}:{body_digest(raw)}"
    key = f"evt:{raw['FromUserName']}:{raw['CreateTime']}:{raw.get('Event', '')}:{raw.get('EventKey') or ''}"
    if raw.get("MsgID"):
        key += f":{raw['MsgID']}"
    if len(key) > MAX_KEY_LENGTH:
        key = "evt:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def read_numbers(raw: Mapping) -> dict[str, int | float]:
    """The numeric fields present in ``raw``, converted; MalformedMessage names the first bad one
    (never its value: the log line that reports it must not carry what a sender typed)."""
    numbers: dict[str, int | float] = {}
    for name, number in NUMBER_FIELDS.items():
        text = raw.get(name)
        if text is None or (isinstance(text, str) and not text.strip()):
            continue  # absent or empty: handlers treat it as missing
        if not isinstance(text, str):
            raise MalformedMessage(f"{name} must be text")
        try:
            numbers[name] = number.read(text)
        except ValueError as error:
            raise MalformedMessage(f"{name}: {error}") from None
    return numbers


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
        for name in ("FromUserName", "ToUserName"):
            if not OPENID.fullmatch(fields[name]):
                raise MalformedMessage(f"{name} is not an openid")
        numbers = read_numbers(raw)
        if "CreateTime" not in numbers:
            raise MalformedMessage("CreateTime: not a plain decimal number")
        key = dedup_key(raw)
    except MalformedMessage:
        raise
    except Exception as error:  # expat errors, forbidden entities, missing fields
        raise MalformedMessage(f"{type(error).__name__}: {error}"[:200]) from None
    return Incoming(
        message=message,
        openid=fields["FromUserName"],
        account=fields["ToUserName"],
        msg_type=fields["MsgType"].lower(),
        event=str(raw.get("Event") or "").lower() if fields["MsgType"].lower() == "event" else "",
        create_time=int(numbers["CreateTime"]),
        dedup_key=key,
        numbers=numbers,
    )
