"""What WeChat itself knows in the sandbox: tokens, followers and their 48-hour windows, QR
tickets, media, every API call it was sent, and each phone's chat as its owner sees it.

It lives in Redis (the stand-in or the real one), so every worker sees the same fake WeChat.
Every key starts with ``sandbox:`` and expires; nothing here is business data.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import redis

PREFIX = "sandbox:"
KEEP_SECONDS = 30 * 24 * 3600       # followers, QR tickets, chats: a month of demo
MEDIA_SECONDS = 3 * 24 * 3600       # WeChat keeps temporary media for 3 days
TOKEN_SECONDS = 7200
SERVICE_WINDOW_SECONDS = 48 * 3600  # customer-service messages: within 48 h of the user's last message
SERVICE_WINDOW_MESSAGES = 5         # ... and at most 5 of them per window
CALLS_KEPT = 2000


@dataclass(frozen=True)
class Follower:
    openid: str
    subscribed: bool
    last_interaction: float | None
    pushes_in_window: int


class World:
    def __init__(self, redis_client: redis.Redis):
        self.redis = redis_client

    def _key(self, *parts: str) -> str:
        return PREFIX + ":".join(parts)

    # -- access tokens: a new one kills the old (cgi-bin/token, stable_token force_refresh) --
    def current_token(self) -> tuple[str, int] | None:
        token = self.redis.get(self._key("token", "current"))
        if token is None:
            return None
        return token.decode(), max(int(self.redis.ttl(self._key("token", "current"))), 0)

    def issue_token(self) -> str:
        token = "SANDBOX_" + secrets.token_urlsafe(48)
        self.redis.set(self._key("token", "current"), token, ex=TOKEN_SECONDS)
        return token

    def token_valid(self, token: str) -> bool:
        current = self.current_token()
        return current is not None and secrets.compare_digest(current[0], token)

    def revoke_tokens(self) -> None:
        """As if another program had fetched a new token: the next call gets 40001."""
        self.redis.delete(self._key("token", "current"))

    # -- followers and their service window ------------------------------------------------
    def follower(self, openid: str) -> Follower:
        """An openid the fake has never seen is taken as a follower from before the sandbox
        started (the demo's residents and representatives), outside their 48-hour window."""
        raw = {k.decode(): v.decode() for k, v in self.redis.hgetall(self._key("user", openid)).items()}
        return Follower(
            openid=openid,
            subscribed=raw.get("subscribed", "1") == "1",
            last_interaction=float(raw["last_interaction"]) if "last_interaction" in raw else None,
            pushes_in_window=int(raw.get("pushes", "0")),
        )

    def user_known(self, openid: str, subscribed: bool) -> None:
        self.redis.hset(self._key("user", openid), "subscribed", int(subscribed))
        self.redis.expire(self._key("user", openid), KEEP_SECONDS)

    def user_acted(self, openid: str, now: float, subscribed: bool | None = None) -> None:
        """The user sent something: their 48-hour window opens afresh."""
        mapping: dict[str, Any] = {"last_interaction": now, "pushes": 0}
        if subscribed is not None:
            mapping["subscribed"] = int(subscribed)
        self.redis.hset(self._key("user", openid), mapping=mapping)
        self.redis.expire(self._key("user", openid), KEEP_SECONDS)

    def count_push(self, openid: str) -> None:
        self.redis.hincrby(self._key("user", openid), "pushes", 1)

    # -- parametric QR codes -----------------------------------------------------------------
    def create_qr(self, scene: str, permanent: bool, expire_seconds: int | None, now: float) -> dict[str, Any]:
        if permanent:
            existing = self.redis.get(self._key("qr", "scene", scene))
            if existing is not None:
                return json.loads(self.redis.get(self._key("qr", "ticket", existing.decode())))
        ticket = "gQ" + secrets.token_urlsafe(36)
        url = "http://weixin.qq.com/q/" + secrets.token_urlsafe(16)
        record = {"ticket": ticket, "url": url, "scene": scene, "permanent": permanent,
                  "expires_at": None if permanent else now + (expire_seconds or 60)}
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
        return self.qr_by_ticket(ticket.decode()) if ticket else None

    # -- temporary media -------------------------------------------------------------------
    def store_media(self, kind: str, data: bytes, content_type: str, filename: str, now: float) -> str:
        media_id = secrets.token_urlsafe(32)
        self.redis.hset(self._key("media", media_id), mapping={
            "type": kind, "data": data, "content_type": content_type, "filename": filename, "created_at": int(now),
        })
        self.redis.expire(self._key("media", media_id), MEDIA_SECONDS)
        return media_id

    def media(self, media_id: str) -> dict[str, Any] | None:
        raw = self.redis.hgetall(self._key("media", media_id))
        if not raw:
            return None
        return {k.decode(): (v if k == b"data" else v.decode()) for k, v in raw.items()}

    # -- what the fake was asked, and errors queued for the next calls ---------------------
    def record_call(self, call: dict[str, Any]) -> None:
        key = self._key("calls")
        with self.redis.pipeline() as pipe:
            pipe.rpush(key, json.dumps(call, ensure_ascii=False))
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

    # -- each phone's chat, in the order its owner sees it ---------------------------------
    def append_chat(self, openid: str, entry: dict[str, Any]) -> int:
        key = self._key("chat", openid)
        length = self.redis.rpush(key, json.dumps(entry, ensure_ascii=False))
        self.redis.expire(key, KEEP_SECONDS)
        return length

    def chat(self, openid: str, after: int = 0) -> list[dict[str, Any]]:
        entries = self.redis.lrange(self._key("chat", openid), after, -1)
        return [{"seq": after + index + 1, **json.loads(raw)} for index, raw in enumerate(entries)]
