"""What WeChat itself knows in the sandbox: access tokens, followers and their customer-service
windows, QR tickets, media, template messages and their delivery receipts, every API call it was
sent, and each phone's chat as its owner sees it.

It lives in Redis (the stand-in or the real one), so every worker sees the same fake WeChat.
Every key starts with ``sandbox:`` and expires; nothing here is business data.

Time. Every rule with a duration (windows, tokens, media, template dedup) is measured on the app's
clock, passed in as ``now`` (``services().clock.time()``), never by Redis TTLs: tests freeze and
advance that clock and must see WeChat's rules. Redis TTLs only keep the store from growing.

Who WeChat knows. An openid is known once the fake has seen it: a phone the simulator created
(``user_known``), a user who wrote (``user_wrote``) or tapped (``user_tapped``). Any other openid is
one WeChat never issued for this account, and pushes to it get 40003 (invalid openid) — except
openids starting with ``demo-``: the demo district's residents and representatives
(``demo/load.py``) are taken as followers from before the sandbox started, with no window open.

Customer-service windows (客服消息下发规则 in WeChat's 服务号 docs): a user's own message opens a
48-hour window allowing 5 customer-service messages; a follow, a QR-code scan or a menu click opens
a 1-minute window allowing 3, and does not open the message window. A user who unfollows has no
window. Template messages count against neither.

Access tokens. ``cgi-bin/token`` (kind "basic") and ``cgi-bin/stable_token`` (kind "stable") keep
separate current tokens that never invalidate each other; each lives 7200 s on the app's clock.

QR codes. WeChat never forgets a code it issued, but this memory may be new (the in-process
stand-in of an earlier run, or of a command such as ``minyi qr posters`` that ran no server). So
the fake's code URLs carry their scene and expiry (``qr_url``), and a URL it has no record of is
read back from itself (``qr_from_url``): a poster printed by yesterday's command still scans. (Real
WeChat URLs are opaque; minyi never reads them.)
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import redis

PREFIX = "sandbox:"
KEEP_SECONDS = 30 * 24 * 3600       # followers, QR tickets, chats, tokens: a month of demo
MEDIA_SECONDS = 3 * 24 * 3600       # WeChat keeps temporary media for 3 days
CALLS_KEPT = 2000

TOKEN_KINDS = ("basic", "stable")   # cgi-bin/token, cgi-bin/stable_token
TOKEN_SECONDS = 7200
FORCED_REFRESHES_PER_DAY = 20       # stable_token force_refresh: 20 a day ...
FORCED_REFRESH_SPACING = 30         # ... at least 30 s apart, or it does not refresh
WECHAT_DAY = timezone(timedelta(hours=8))  # daily quotas count Beijing days

CLIENT_MSG_SECONDS = 10 * 60        # template client_msg_id: one message per openid + id for 10 minutes
MSGID_BASE = 3_000_000_000_000_000_000  # template msgids look like WeChat's (64-bit)


QR_URL = "http://weixin.qq.com/q/"
_FAKE_QR_URL = re.compile(r"^http://weixin\.qq\.com/q/02[A-Za-z0-9_-]{8}\.([0-9]+)\.([A-Za-z0-9_-]+)$")


def qr_url(scene: str, expires_at: float | None) -> str:
    """A new code's URL: ``02`` and 8 random characters (two codes for one scene differ), its
    expiry (0: permanent) and its scene, base64url."""
    encoded = base64.urlsafe_b64encode(scene.encode()).decode().rstrip("=")
    return f"{QR_URL}02{secrets.token_urlsafe(6)}.{int(expires_at or 0)}.{encoded}"


def qr_from_url(url: str) -> dict[str, Any] | None:
    """The code a URL made by ``qr_url`` stands for (no ticket: this memory never saw it)."""
    found = _FAKE_QR_URL.match(url)
    if found is None:
        return None
    try:
        scene = base64.urlsafe_b64decode(found.group(2) + "=" * (-len(found.group(2)) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    expires_at = int(found.group(1)) or None
    return {"ticket": "", "url": url, "scene": scene, "permanent": expires_at is None, "expires_at": expires_at}


@dataclass(frozen=True)
class WindowRule:
    name: str
    seconds: int
    quota: int


MESSAGE_WINDOW = WindowRule("message", 48 * 3600, 5)
EVENT_WINDOW = WindowRule("event", 60, 3)
WINDOW_RULES = (MESSAGE_WINDOW, EVENT_WINDOW)  # the order a push spends them in


@dataclass(frozen=True)
class Window:
    rule: WindowRule
    opened_at: float
    sent: int

    def is_open(self, now: float) -> bool:
        return now - self.opened_at <= self.rule.seconds

    @property
    def left(self) -> int:
        return max(self.rule.quota - self.sent, 0)


@dataclass(frozen=True)
class Follower:
    openid: str
    known: bool
    subscribed: bool
    windows: tuple[Window, ...]
    templates_blocked: bool

    def open_windows(self, now: float) -> list[Window]:
        return [window for window in self.windows if window.is_open(now)]


class World:
    def __init__(self, redis_client: redis.Redis):
        self.redis = redis_client

    def _key(self, *parts: str) -> str:
        return PREFIX + ":".join(parts)

    def _get_json(self, key: str) -> Any:
        raw = self.redis.get(key)
        return json.loads(raw) if raw is not None else None

    def _set_json(self, key: str, value: Any, **options: Any) -> bool | None:
        return self.redis.set(key, json.dumps(value, ensure_ascii=False), ex=KEEP_SECONDS, **options)

    # -- access tokens ---------------------------------------------------------------------------
    def issue_token(self, kind: str, now: float, previous_valid_for: float | None) -> str:
        """A new current token of ``kind``. The one it replaces stays valid ``previous_valid_for``
        seconds more (0: killed at once), or until its own expiry when None."""
        token = f"SANDBOX_{kind.upper()}_" + secrets.token_urlsafe(48)
        pointer = self._key("token", "current", kind)
        previous = self.redis.get(pointer)
        self._set_json(self._key("token", token), {"kind": kind, "expires_at": now + TOKEN_SECONDS,
                                                   "revoked_at": None})
        self.redis.set(pointer, token, ex=KEEP_SECONDS)
        if previous is not None and previous_valid_for is not None:
            self._update_token(previous.decode(), revoked_at=now + previous_valid_for)
        return token

    def _update_token(self, token: str, **changes: float) -> None:
        key = self._key("token", token)
        record = self._get_json(key)
        if record is not None:
            self._set_json(key, {**record, **changes})

    def current_token(self, kind: str, now: float) -> tuple[str, float] | None:
        """The current token of ``kind`` and its remaining seconds, if it still works."""
        token = self.redis.get(self._key("token", "current", kind))
        if token is None or self.token_error(token.decode(), now) is not None:
            return None
        record = self._get_json(self._key("token", token.decode()))
        return token.decode(), record["expires_at"] - now

    def token_error(self, token: str, now: float) -> int | None:
        """None for a token that works; 40001 for one WeChat never issued or has replaced; 42001
        for one past its 7200 s."""
        record = self._get_json(self._key("token", token))
        if record is None or (record["revoked_at"] is not None and now >= record["revoked_at"]):
            return 40001
        if now >= record["expires_at"]:
            return 42001
        return None

    def revoke_tokens(self) -> None:
        """As if another program had taken new tokens: every current token now gets 40001."""
        for kind in TOKEN_KINDS:
            token = self.redis.get(self._key("token", "current", kind))
            if token is not None:
                self._update_token(token.decode(), revoked_at=0.0)
                self.redis.delete(self._key("token", "current", kind))

    def expire_tokens(self) -> None:
        """As if the current tokens' 7200 s had passed: they now get 42001."""
        for kind in TOKEN_KINDS:
            token = self.redis.get(self._key("token", "current", kind))
            if token is not None:
                self._update_token(token.decode(), expires_at=0.0)

    def claim_forced_refresh(self, now: float) -> str:
        """Whether a stable_token force_refresh may refresh now: "refresh", "too_soon" (within
        30 s of the last one: WeChat then does not refresh) or "over_limit" (20 today)."""
        last = self.redis.get(self._key("token", "forced", "last"))
        if last is not None and now - float(last) < FORCED_REFRESH_SPACING:
            return "too_soon"
        day = datetime.fromtimestamp(now, WECHAT_DAY).strftime("%Y%m%d")
        count_key = self._key("token", "forced", day)
        if int(self.redis.get(count_key) or 0) >= FORCED_REFRESHES_PER_DAY:
            return "over_limit"
        with self.redis.pipeline() as pipe:
            pipe.incr(count_key)
            pipe.expire(count_key, 3 * 24 * 3600)
            pipe.set(self._key("token", "forced", "last"), now, ex=KEEP_SECONDS)
            pipe.execute()
        return "refresh"

    # -- followers and their customer-service windows -------------------------------------------
    def follower(self, openid: str) -> Follower:
        raw = {k.decode(): v.decode() for k, v in self.redis.hgetall(self._key("user", openid)).items()}
        demo = openid.startswith("demo-")
        windows = tuple(
            Window(rule, float(raw[f"{rule.name}_at"]), int(raw.get(f"{rule.name}_sent", "0")))
            for rule in WINDOW_RULES if f"{rule.name}_at" in raw
        )
        return Follower(
            openid=openid,
            known=bool(raw) or demo,
            subscribed=raw["subscribed"] == "1" if "subscribed" in raw else demo,
            windows=windows,
            templates_blocked=raw.get("templates_blocked") == "1",
        )

    def _touch(self, openid: str, mapping: dict[str, Any], subscribed: bool | None) -> None:
        key = self._key("user", openid)
        with self.redis.pipeline() as pipe:
            if subscribed is None:
                pipe.hsetnx(key, "subscribed", 1)  # only a follower can write or tap
            else:
                pipe.hset(key, "subscribed", int(subscribed))
            if mapping:
                pipe.hset(key, mapping=mapping)
            pipe.expire(key, KEEP_SECONDS)
            pipe.execute()

    def user_known(self, openid: str, subscribed: bool) -> None:
        """WeChat knows this user, following or not; one who is not following has no window."""
        self._touch(openid, {}, subscribed)
        if not subscribed:
            self.redis.hdel(self._key("user", openid),
                            *[f"{rule.name}_{part}" for rule in WINDOW_RULES for part in ("at", "sent")])

    def user_wrote(self, openid: str, now: float) -> None:
        """The user sent a message (text, voice, image, location…): a 48-hour window for 5 opens afresh."""
        self._touch(openid, {"message_at": now, "message_sent": 0}, None)

    def user_tapped(self, openid: str, now: float, subscribed: bool | None = None) -> None:
        """The user followed, scanned a QR code or clicked a menu: a 1-minute window for 3 opens
        afresh. ``subscribed=False`` is an unfollow, which opens nothing."""
        if subscribed is False:
            self.user_known(openid, subscribed=False)
            return
        self._touch(openid, {"event_at": now, "event_sent": 0}, subscribed)

    def spend_window(self, openid: str, now: float) -> int:
        """Count one customer-service message against the user's open windows, the message window
        first: 0 when it may go, 45015 when no window is open, 45047 when their quotas are used."""
        open_windows = self.follower(openid).open_windows(now)
        if not open_windows:
            return 45015
        key = self._key("user", openid)
        for window in open_windows:
            # HINCRBY is atomic: two workers sending at once cannot both take the last message.
            if self.redis.hincrby(key, f"{window.rule.name}_sent", 1) <= window.rule.quota:
                return 0
            self.redis.hincrby(key, f"{window.rule.name}_sent", -1)
        return 45047

    def block_templates(self, openid: str) -> None:
        """The user refused this account's template messages (拒收): they are accepted, not shown,
        and the receipt says "failed:user block"."""
        self._touch(openid, {"templates_blocked": 1}, None)

    # -- template messages and their delivery receipts (TEMPLATESENDJOBFINISH) -------------------
    def next_msgid(self) -> int:
        return MSGID_BASE + int(self.redis.incr(self._key("msgid")))

    def claim_client_msg(self, openid: str, client_msg_id: str, msgid: int, now: float) -> int:
        """The msgid of the message this openid + client_msg_id stands for: ``msgid`` when it is
        new (or its last use is 10 minutes old), the first message's otherwise."""
        key = self._key("client_msg", openid, client_msg_id)
        record = {"msgid": msgid, "at": now}
        if self._set_json(key, record, nx=True):
            return msgid
        first = self._get_json(key)
        if first is not None and now - first["at"] < CLIENT_MSG_SECONDS:
            return first["msgid"]
        self._set_json(key, record)
        return msgid

    def fail_next_job(self, status: str = "failed: system failed") -> None:
        """The next template message accepted ends with this Status instead of "success"."""
        self.redis.rpush(self._key("job_faults"), status)
        self.redis.expire(self._key("job_faults"), KEEP_SECONDS)

    def take_job_fault(self) -> str | None:
        raw = self.redis.lpop(self._key("job_faults"))
        return raw.decode() if raw is not None else None

    def queue_job_event(self, openid: str, msgid: int, status: str, now: float) -> None:
        key = self._key("events")
        self.redis.rpush(key, json.dumps({"openid": openid, "msgid": msgid, "status": status, "at": now},
                                         ensure_ascii=False))
        self.redis.expire(key, KEEP_SECONDS)

    def pending_events(self) -> list[tuple[bytes, dict[str, Any]]]:
        """Receipts not yet delivered to the app, oldest first, each with its raw form for drop_event."""
        return [(raw, json.loads(raw)) for raw in self.redis.lrange(self._key("events"), 0, -1)]

    def drop_event(self, raw: bytes) -> None:
        self.redis.lrem(self._key("events"), 1, raw)

    def record_event_post(self, post: dict[str, Any]) -> None:
        self._append_capped("event_posts", post)

    def event_posts(self) -> list[dict[str, Any]]:
        """Every event the fake posted to the app's /wechat, with the HTTP status it got."""
        return [json.loads(raw) for raw in self.redis.lrange(self._key("event_posts"), 0, -1)]

    # -- parametric QR codes -----------------------------------------------------------------
    def create_qr(self, scene: str, permanent: bool, expire_seconds: int | None, now: float) -> dict[str, Any]:
        if permanent:
            existing = self.redis.get(self._key("qr", "scene", scene))
            if existing is not None:
                return json.loads(self.redis.get(self._key("qr", "ticket", existing.decode())))
        ticket = "gQ" + secrets.token_urlsafe(36)
        expires_at = None if permanent else now + (expire_seconds or 60)
        url = qr_url(scene, expires_at)
        record = {"ticket": ticket, "url": url, "scene": scene, "permanent": permanent, "expires_at": expires_at}
        self.redis.set(self._key("qr", "ticket", ticket), json.dumps(record), ex=KEEP_SECONDS)
        self.redis.set(self._key("qr", "url", url), ticket, ex=KEEP_SECONDS)
        if permanent:
            self.redis.set(self._key("qr", "scene", scene), ticket, ex=KEEP_SECONDS)
        return record

    def qr_by_ticket(self, ticket: str) -> dict[str, Any] | None:
        raw = self.redis.get(self._key("qr", "ticket", ticket))
        return json.loads(raw) if raw else None

    def qr_by_url(self, url: str) -> dict[str, Any] | None:
        ticket = self.redis.get(self._key("qr", "url", url))
        return self.qr_by_ticket(ticket.decode()) if ticket else qr_from_url(url)

    # -- temporary media -------------------------------------------------------------------
    def store_media(self, kind: str, data: bytes, content_type: str, filename: str, now: float) -> str:
        media_id = secrets.token_urlsafe(32)
        self.redis.hset(self._key("media", media_id), mapping={
            "type": kind, "data": data, "content_type": content_type, "filename": filename, "created_at": now,
        })
        self.redis.expire(self._key("media", media_id), MEDIA_SECONDS)
        return media_id

    def media(self, media_id: str, now: float | None = None) -> dict[str, Any] | None:
        """The media, or None when unknown or, given ``now``, 3 days old (WeChat has dropped it)."""
        raw = self.redis.hgetall(self._key("media", media_id))
        if not raw:
            return None
        media = {k.decode(): (v if k == b"data" else v.decode()) for k, v in raw.items()}
        if now is not None and now - float(media["created_at"]) >= MEDIA_SECONDS:
            return None
        return media

    # -- what the fake was asked, errors queued for the next calls, and its speed ----------
    def record_call(self, call: dict[str, Any]) -> None:
        self._append_capped("calls", call)

    def _append_capped(self, name: str, entry: dict[str, Any]) -> None:
        """Append to a log that keeps its latest CALLS_KEPT entries."""
        key = self._key(name)
        with self.redis.pipeline() as pipe:
            pipe.rpush(key, json.dumps(entry, ensure_ascii=False))
            pipe.ltrim(key, -CALLS_KEPT, -1)
            pipe.expire(key, KEEP_SECONDS)
            pipe.execute()

    def calls(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        every = [json.loads(raw) for raw in self.redis.lrange(self._key("calls"), 0, -1)]
        return [call for call in every if endpoint is None or call["endpoint"] == endpoint]

    def fail_next(self, endpoint: str, errcode: int, times: int = 1) -> None:
        """The next ``times`` calls to ``endpoint`` (e.g. "message/custom/send") answer ``errcode``."""
        key = self._key("faults", endpoint)
        self.redis.rpush(key, *([errcode] * times))
        self.redis.expire(key, KEEP_SECONDS)

    def take_fault(self, endpoint: str) -> int | None:
        raw = self.redis.lpop(self._key("faults", endpoint))
        return int(raw) if raw is not None else None

    def set_latency(self, milliseconds: int) -> None:
        """Every fake API call waits this long before answering (benchmarks; 0 by default)."""
        if milliseconds < 0:
            raise ValueError("latency cannot be negative")
        self.redis.set(self._key("latency_ms"), int(milliseconds), ex=KEEP_SECONDS)

    def latency(self) -> int:
        return int(self.redis.get(self._key("latency_ms")) or 0)

    # -- each phone's chat, in the order its owner sees it ---------------------------------
    def append_chat(self, openid: str, entry: dict[str, Any]) -> int:
        key = self._key("chat", openid)
        length = self.redis.rpush(key, json.dumps(entry, ensure_ascii=False))
        self.redis.expire(key, KEEP_SECONDS)
        return length

    def chat(self, openid: str, after: int = 0) -> list[dict[str, Any]]:
        entries = self.redis.lrange(self._key("chat", openid), after, -1)
        return [{"seq": after + index + 1, **json.loads(raw)} for index, raw in enumerate(entries)]

    # -- the simulator's phones, by their owners' WeChat nicknames (one phone per nickname) ------
    def name_phone(self, openid: str, name: str) -> bool:
        """Record the nickname of a phone the simulator made: False, and nothing kept, when another
        phone already has that nickname."""
        if not self.redis.hsetnx(self._key("phones", "names"), name, openid):
            return False
        with self.redis.pipeline() as pipe:
            pipe.hset(self._key("phones", "by-openid"), openid, name)
            pipe.lpush(self._key("phones", "order"), openid)
            for part in ("names", "by-openid", "order"):
                pipe.expire(self._key("phones", part), KEEP_SECONDS)
            pipe.execute()
        return True

    def next_phone_number(self) -> int:
        """1, 2, 3… for phones whose owner chose no nickname (居民1, 居民2…)."""
        key = self._key("phones", "numbered")
        number = int(self.redis.incr(key))
        self.redis.expire(key, KEEP_SECONDS)
        return number

    def phones(self, limit: int) -> list[tuple[str, str]]:
        """The phones the simulator made, newest first: (openid, nickname)."""
        openids = [raw.decode() for raw in self.redis.lrange(self._key("phones", "order"), 0, limit - 1)]
        return list(self.phone_names(openids).items())

    def phone_names(self, openids: list[str]) -> dict[str, str]:
        """The nicknames of those of ``openids`` the simulator made, in their order."""
        if not openids:
            return {}
        names = self.redis.hmget(self._key("phones", "by-openid"), openids)
        return {openid: name.decode() for openid, name in zip(openids, names, strict=True) if name is not None}
