"""Handle each WeChat delivery exactly once and answer every retry of it the same way.

Fast path: Redis ``SET NX`` on the delivery's key (pipelined with reading the resident's
conversation state: one round trip). Guard: the unique ``inbound_messages.dedup_key``, inserted
in the same transaction as everything the handlers wrote, together with the reply. If Redis is
down, forgot the key, or the first delivery died half-way, the database still lets exactly one
transaction commit; a retry then reads the stored reply.
"""

from __future__ import annotations

import json
import logging
import time

import redis
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.clock import SystemClock
from bot.config import Settings
from bot.messages import Incoming
from cases.intake import fill_number
from cases.numbering import case_number
from handlers import HANDLERS
from handlers.context import Context, ConversationState
from handlers.conversation import STATE_TTL_SECONDS
from handlers.registry import dispatch
from models import Case, InboundMessage

log = logging.getLogger(__name__)

inbound = InboundMessage.__table__
case_table = Case.__table__

# After Redis fails, go straight to the database guard for this long instead of paying a
# connection timeout on every delivery.
REDIS_PAUSE_SECONDS = 5.0
# Attempts for a delivery that keeps meeting concurrent ones (a resident's burst of photos).
CONFLICT_ATTEMPTS = 8
CONFLICT_SQLSTATES = ("40001", "40P01")  # serialization failure, deadlock

MISSING = object()  # no delivery recorded under that key


def seen_key(dedup_key: str) -> str:
    return f"minyi:seen:{dedup_key}"


def state_key(openid: str) -> str:
    return f"minyi:conv:{openid}"


class Deliveries:
    def __init__(self, settings: Settings, engine: Engine, redis_client: redis.Redis, clock: SystemClock):
        self.settings = settings
        self.engine = engine
        self.redis = redis_client
        self.clock = clock
        self._redis_paused_until = 0.0

    def handle(self, incoming: Incoming) -> str | None:
        claimed, state = self._claim(incoming)
        if not claimed:
            stored = self.stored_reply(incoming.dedup_key)
            if stored is not MISSING:
                return stored
            # Still in progress elsewhere, or its attempt died: handle it under the database
            # guard, which makes this attempt wait for a concurrent one and then fail as a whole.
            log.info("delivery %s claimed in Redis but not recorded yet", incoming.dedup_key)
        try:
            return self._process_retrying(incoming, state)
        except Exception:
            if claimed:
                self._release(incoming.dedup_key)  # let WeChat's retry try again
            raise

    # -- Redis fast path -------------------------------------------------------------------
    def _redis_usable(self) -> bool:
        return time.monotonic() >= self._redis_paused_until

    def _redis_failed(self, error: redis.RedisError) -> None:
        log.warning("Redis unavailable (%s); relying on the database guard for %.0fs", error, REDIS_PAUSE_SECONDS)
        self._redis_paused_until = time.monotonic() + REDIS_PAUSE_SECONDS

    def _claim(self, incoming: Incoming) -> tuple[bool, ConversationState | None]:
        if not self._redis_usable():
            return True, None
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(seen_key(incoming.dedup_key), b"1", nx=True, ex=self.settings.webhook_dedup_ttl_seconds)
            pipe.get(state_key(incoming.openid))
            claimed, raw_state = pipe.execute()
        except redis.RedisError as error:
            self._redis_failed(error)
            return True, None
        return bool(claimed), _decode_state(raw_state)

    def _release(self, dedup_key: str) -> None:
        if not self._redis_usable():
            return
        try:
            self.redis.delete(seen_key(dedup_key))
        except redis.RedisError as error:
            self._redis_failed(error)

    def _save_state(self, openid: str, state: ConversationState | None) -> None:
        if not self._redis_usable():
            return
        try:
            if state is None:
                self.redis.delete(state_key(openid))
            else:
                payload = json.dumps({"name": state.name, "data": state.data}, ensure_ascii=False)
                self.redis.set(state_key(openid), payload, ex=STATE_TTL_SECONDS)
        except redis.RedisError as error:
            self._redis_failed(error)

    # -- the database guard ----------------------------------------------------------------
    def stored_reply(self, dedup_key: str) -> str | None | object:
        with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            row = conn.execute(
                select(inbound.c.reply, inbound.c.case_id, case_table.c.created_at)
                .outerjoin(case_table, case_table.c.id == inbound.c.case_id)
                .where(inbound.c.dedup_key == dedup_key)
            ).first()
        if row is None:
            return MISSING
        if row.reply is None or row.case_id is None:
            return row.reply
        return fill_number(row.reply, case_number(row.case_id, row.created_at))

    def _process_retrying(self, incoming: Incoming, state: ConversationState | None) -> str | None:
        """A delivery that met a concurrent one (SQLSTATE 40001/40P01 at REPEATABLE READ) was
        rolled back whole; it runs again on fresh data."""
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return self._process(incoming, state)
            except DBAPIError as error:
                if attempt == CONFLICT_ATTEMPTS or not _is_conflict(error):
                    raise
                log.debug("delivery %s met a concurrent one; attempt %d", incoming.dedup_key, attempt + 1)
        raise AssertionError("unreachable")

    def _process(self, incoming: Incoming, state: ConversationState | None) -> str | None:
        """One transaction: the first matching handler acts, and the delivery is recorded with
        its reply. If another attempt recorded it first, the unique key fails the insert, this
        attempt's writes are rolled back, and the first attempt's reply is the answer."""
        now = self.clock.now()
        try:
            with self.engine.connect() as conn, conn.begin():
                ctx = Context(incoming=incoming, conn=conn, now=now, settings=self.settings, state=state)
                handler, reply = dispatch(HANDLERS, ctx)
                if not ctx.recorded:
                    if incoming.opens_service_window and ctx.worker() is None:
                        ctx.resident()  # touch: a resident is known from their first word
                    conn.execute(
                        insert(inbound),
                        {"dedup_key": incoming.dedup_key, "openid": incoming.openid,
                         "msg_type": incoming.kind[:32], "received_at": now, "case_id": ctx.case_id,
                         "reply": reply},
                    )
        except IntegrityError:
            stored = self.stored_reply(incoming.dedup_key)
            if stored is MISSING:
                raise  # some other constraint: a real error
            return stored
        if ctx.state_changed:
            self._save_state(incoming.openid, ctx.next_state)
        log.debug("delivery %s handled by %s", incoming.dedup_key, handler)
        return reply


def _is_conflict(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) in CONFLICT_SQLSTATES


def _decode_state(raw: bytes | None) -> ConversationState | None:
    if not raw:
        return None
    try:
        payload = json.loads(raw)
        return ConversationState(str(payload["name"]), dict(payload.get("data") or {}))
    except (ValueError, KeyError, TypeError):
        return None
