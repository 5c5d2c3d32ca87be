"""Sending the outbox: claim due messages, send them with bounded concurrency, record each outcome.

- Claim: one short transaction marks a batch of due rows with this sender's token and a lease
  (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent senders take disjoint rows; SQLite
  serializes writers). Nothing is sent inside a transaction: a WeChat call may take seconds.
- Send: each recipient's messages in order, recipients in parallel (``outbox.concurrency``).
  The customer-service window is worked out from our own inbound records and its quota counted
  in Redis (shared by every sender), so WeChat's limits are respected before calling.
- Record: the outcome is written only while the claim is still ours. A sender that dies after
  WeChat accepted a message but before recording it leaves the claim to lapse; the message is
  then sent again: at most one duplicate for a customer-service message, none for a template
  message, whose ``client_msg_id`` lets WeChat drop the repeat.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
import requests
from sqlalchemy import Engine, case, func, or_, select, update
from wechatpy.exceptions import WeChatClientException

from bot.logs import pseudonym, scrub
from bot.services import Services
from cases.notifications import (
    MISCONFIGURED,
    UNFOLLOWED,
    Outcome,
    Window,
    after_attempt,
    open_windows,
)
from models import InboundMessage, OutboxMessage, Resident

log = logging.getLogger(__name__)

BATCH = 200
# Renew a claim this long before it lapses: more than one WeChat call with its token refresh and retry.
CLAIM_MARGIN = timedelta(seconds=30)
outbox = OutboxMessage.__table__

# Deliveries that open the 1-minute window (inbound_messages.msg_type).
TAP_KINDS = ("event:subscribe", "event:subscribe_scan", "event:scan", "event:click", "event:scancode_push",
             "event:scancode_waitmsg")


@dataclass(frozen=True)
class Claimed:
    id: int
    openid: str
    purpose: str
    text: str
    template: str
    template_data: dict
    channel: str
    attempts: int
    idempotency_key: str
    url: str | None = None  # the page a template message opens when tapped


def claim(engine: Engine, now: datetime, limit: int, lease_seconds: int) -> tuple[str, list[Claimed]]:
    """Take up to ``limit`` due messages for this sender; returns the claim's token and the rows."""
    token = uuid.uuid4().hex
    due = (
        select(outbox.c.id)
        .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= now,
               or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now))
        .order_by(outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    with engine.begin() as conn:
        rows = conn.execute(
            update(outbox).where(outbox.c.id.in_(due))
            .values(claim_token=token, claimed_until=now + timedelta(seconds=lease_seconds))
            .returning(outbox.c.id, outbox.c.openid, outbox.c.purpose, outbox.c.text, outbox.c.template,
                       outbox.c.template_data, outbox.c.channel, outbox.c.attempts, outbox.c.idempotency_key,
                       outbox.c.url)
        ).all()
    return token, sorted((Claimed(*row) for row in rows), key=lambda row: row.id)


def deliver_outbox(svc: Services, now: datetime, *, limit: int = BATCH) -> int:
    """Send every message that is due (up to ``limit``); return how many were sent."""
    if svc.wechat is None:
        return 0  # no account: messages wait, and minyi run says why
    token, rows = claim(svc.engine, now, limit, svc.settings.outbox_claim_seconds)
    by_recipient: dict[str, list[Claimed]] = defaultdict(list)
    for row in rows:
        by_recipient[row.openid].append(row)
    if not by_recipient:
        return 0
    workers = min(svc.settings.outbox_concurrency, len(by_recipient))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox") as pool:
        return sum(pool.map(lambda messages: _send_to(svc, token, messages, now), by_recipient.values()))


def _send_to(svc: Services, token: str, messages: list[Claimed], now: datetime) -> int:
    """One recipient's messages, in order, each only while this sender's claim on it lasts."""
    windows = _windows(svc.engine, messages[0].openid, now)
    lease = timedelta(seconds=svc.settings.outbox_claim_seconds)
    claimed_until = now + lease
    sent = 0
    for index, message in enumerate(messages):
        if svc.clock.now() + CLAIM_MARGIN >= claimed_until:
            # A long pass: renew the claim on what is left, or leave it to whoever took it over.
            claimed_until = svc.clock.now() + lease
            if not renew(svc.engine, token, [m.id for m in messages[index:]], claimed_until):
                log.warning("outbox: claim on %d message(s) lapsed mid-pass; left to the next sender",
                            len(messages) - index)
                return sent
        outcome, attempts, errcode, error, msgid = _attempt(svc, message, windows, now)
        if errcode in MISCONFIGURED:
            log.error("outbox %s (%s) to %s refused by WeChat as misconfigured: %s %s", message.id,
                      message.purpose, pseudonym(message.openid), errcode, error)
        elif errcode:
            log.info("outbox %s (%s) to %s: WeChat answered %s %s", message.id, message.purpose,
                     pseudonym(message.openid), errcode, error)
        elif errcode is None:
            log.warning("outbox %s (%s) to %s: no answer from WeChat: %s", message.id, message.purpose,
                        pseudonym(message.openid), error)
        if record(svc.engine, token, message.id, outcome, attempts, errcode, error, msgid, now):
            sent += outcome.status == "sent"
        if errcode == UNFOLLOWED:
            _mark_unfollowed(svc.engine, message.openid, now)
    return sent


def _attempt(svc: Services, message: Claimed, windows: list[Window], now: datetime):
    """Send ``message`` on the channel the rules allow, falling back to its template once."""
    template_id, _ = svc.settings.template(message.template)
    channel, attempts = message.channel, message.attempts
    if channel == "custom" and not _take_quota(svc.redis, message.openid, windows, now) and template_id:
        channel = "template"
    while True:
        attempts += 1
        errcode, error, msgid = _send(svc, message, channel)
        outcome = after_attempt(channel, errcode, attempts, bool(template_id), now)
        if not outcome.try_now:
            return outcome, attempts, errcode, error, msgid
        channel = outcome.channel


def _send(svc: Services, message: Claimed, channel: str) -> tuple[int | None, str, int | None]:
    """Return (errcode, error, template msgid): errcode 0 on success, None when WeChat gave no answer."""
    try:
        if channel == "custom":
            svc.wechat.message.send_text(message.openid, message.text)
            return 0, "", None
        template_id, fields = svc.settings.template(message.template)
        answer = svc.wechat.post("message/template/send", data={
            "touser": message.openid, "template_id": template_id,
            "data": {key: {"value": message.template_data.get(value, "")} for key, value in fields.items()},
            # WeChat sends one message per openid and client_msg_id: a retry after a lost answer is dropped.
            "client_msg_id": hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32],
            **({"url": message.url} if message.url else {}),  # tapping the message opens it (the rating page)
        })
        return 0, "", answer.get("msgid") if isinstance(answer, dict) else None
    except WeChatClientException as error:
        return error.errcode, scrub(str(error.errmsg or error), message.openid)[:255], None
    except requests.RequestException as error:
        return None, scrub(f"{type(error).__name__}: {error}", message.openid)[:255], None


def renew(engine: Engine, token: str, ids: list[int], until: datetime) -> bool:
    """Extend this sender's claim on ``ids``; False when it has lost any of them."""
    with engine.begin() as conn:
        renewed = conn.execute(update(outbox).where(outbox.c.id.in_(ids), outbox.c.claim_token == token)
                               .values(claimed_until=until))
    return renewed.rowcount == len(ids)


def record(engine: Engine, token: str, message_id: int, outcome: Outcome, attempts: int, errcode: int | None,
           error: str, msgid: int | None, now: datetime) -> bool:
    """Write the outcome if this sender still holds the claim; False when the claim was lost."""
    values = {"status": outcome.status, "channel": outcome.channel, "attempts": attempts,
              "last_errcode": errcode or None, "last_error": error or None, "claim_token": None,
              "claimed_until": None}
    if outcome.next_attempt_at is not None:
        values["next_attempt_at"] = outcome.next_attempt_at
    if outcome.status == "sent":
        values.update(sent_at=now, template_msgid=msgid)
    with engine.begin() as conn:
        done = conn.execute(update(outbox).where(outbox.c.id == message_id, outbox.c.claim_token == token)
                            .values(**values))
    if done.rowcount != 1:
        log.warning("outbox %s: claim lapsed before the outcome was recorded; it may be sent again", message_id)
    return done.rowcount == 1


def _windows(engine: Engine, openid: str, now: datetime) -> list[Window]:
    inbound = InboundMessage.__table__
    is_tap = inbound.c.msg_type.in_(TAP_KINDS)
    with engine.connect() as conn:
        row = conn.execute(
            select(func.max(case((~inbound.c.msg_type.like("event:%"), inbound.c.received_at))),
                   func.max(case((is_tap, inbound.c.received_at))))
            .where(inbound.c.openid == openid, inbound.c.received_at > now - timedelta(hours=48))
        ).one()
    return open_windows(row[0], row[1], now)


def _take_quota(redis_client: redis.Redis, openid: str, windows: list[Window], now: datetime) -> bool:
    """Count one customer-service message against the first open window with room left.

    The count lives until the window ends, measured on our clock (``now``), not Redis's: an
    absolute expiry would drop the count at once whenever the two clocks disagree."""
    for window in windows:
        key = f"minyi:cs-quota:{openid}:{window.kind}:{int(window.start.timestamp())}"
        ttl = max(1, int((window.end - now + timedelta(minutes=5)).total_seconds()))
        try:
            with redis_client.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, ttl)
                used, _ = pipe.execute()
        except redis.RedisError as error:
            log.warning("service-window quota unknown (Redis: %s); trying the window", error)
            return True
        if used <= window.limit:
            return True
    return False


def _mark_unfollowed(engine: Engine, openid: str, now: datetime) -> None:
    """WeChat says the user unfollowed: stop pushing to them (their cases stay)."""
    with engine.begin() as conn:
        conn.execute(update(Resident).where(Resident.openid == openid, Resident.subscribed.is_(True))
                     .values(subscribed=False, unsubscribed_at=now))


def failed(engine: Engine, limit: int = 100) -> list:
    """Notices that finally failed, newest first: for staff to follow up by other means."""
    with engine.connect() as conn:
        return conn.execute(
            select(outbox.c.id, outbox.c.openid, outbox.c.purpose, outbox.c.case_id, outbox.c.channel,
                   outbox.c.attempts, outbox.c.last_errcode, outbox.c.last_error, outbox.c.created_at,
                   outbox.c.job_status)
            .where(outbox.c.status == "failed").order_by(outbox.c.id.desc()).limit(limit)
        ).all()
