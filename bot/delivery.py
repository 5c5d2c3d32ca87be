"""Handle each WeChat delivery exactly once and answer every retry of it the same way.

Fast path: Redis ``SET NX`` on the delivery's key (pipelined with reading the resident's
conversation state: one round trip). Guard: the unique ``inbound_messages.dedup_key``, inserted
in the same transaction as everything the handlers wrote, together with the reply. If Redis is
down, forgot the key, or the first delivery died half-way, the database still lets exactly one
transaction commit; a retry then reads the stored reply.

Outage: when the database cannot be reached (``bot.spool.is_outage``), the delivery is kept in
the durable local spool and answered that its number will follow; retries while it is down get
the same answer. ``bot.drainer`` files it when the database is back, at the time it came, and
pushes the reply; a retry that comes first files it itself and gets the reply as its answer.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime

import redis
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.clock import SystemClock
from bot.config import Settings
from bot.drainer import Drainer, queue_follow_up
from bot.logs import pseudonym, scrub
from bot.messages import Incoming
from bot.replay import QueryMemory, Replayed, SignedQuery, Verdict, verdict
from bot.spool import Spool, SpooledDelivery, is_outage, spooled_answer
from cases.actors import WorkerAssumedResident
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
# After the database could not be reached, keep deliveries in the spool for this long without
# trying it again: one attempt a second, not one per delivery, meets a server that is down or
# only slowly refusing.
DATABASE_PAUSE_SECONDS = 1.0
# Attempts for a delivery that keeps meeting concurrent ones (a resident's burst of photos).
CONFLICT_ATTEMPTS = 8
CONFLICT_SQLSTATES = ("40001", "40P01")  # serialization failure, deadlock

MISSING = object()  # no delivery recorded under that key


@dataclass(frozen=True)
class Recorded:
    """A delivery as the database recorded it."""

    reply: str | None  # what it was answered, with the case number filled in
    case_id: int | None
    number: str  # the case's number, "" when it was filed on none


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
        self.queries = QueryMemory()  # signed queries seen while Redis is unreachable
        self._database_paused_until = 0.0
        self.spool = Spool(settings.spool_dir)
        self.drainer = Drainer(self)
        self._spool_unchecked = True  # this process has not looked for what an earlier one left

    def handle(self, incoming: Incoming, query: SignedQuery | None = None) -> str | None:
        """Answer the delivery, exactly once. ``query``: a plaintext delivery's signed query, which
        is good for one body (``bot.replay``); another body under it raises ``Replayed``."""
        received_at = self.clock.now()
        if self._spool_unchecked:
            self._spool_unchecked = False
            if self.spool.has_pending():  # left by an earlier process: file it once the database is up
                self.drainer.notify()
        claimed, state, seen = self._claim(incoming, query)
        if seen is Verdict.REPLAY:
            if claimed:
                self._release(incoming.dedup_key)
            raise Replayed()
        if not self._database_usable():
            return self._keep(incoming, received_at, claimed, None)
        try:
            if not claimed:
                return self._handle_retry(incoming, state, received_at)
            return self._process_retrying(incoming, state, received_at)
        except Exception as error:
            if is_outage(error):
                return self._keep(incoming, received_at, claimed, error)
            if claimed:
                self._release(incoming.dedup_key)  # let WeChat's retry try again
            raise

    def _handle_retry(self, incoming: Incoming, state: ConversationState | None, received_at: datetime) -> str | None:
        """Redis has seen this delivery: answer from the database, or handle it under the guard."""
        stored = self.stored_reply(incoming.dedup_key)
        if stored is not MISSING:
            return stored
        # Still in progress elsewhere, or its attempt died: handle it under the database
        # guard, which makes this attempt wait for a concurrent one and then fail as a whole.
        log.info("delivery %s claimed in Redis but not recorded yet", scrub(incoming.dedup_key, incoming.openid))
        # Or it was kept in the spool while the database was down: file it now, at the time it
        # came; its answer is the reply, so nothing is pushed for it.
        spooled = self.spool.load(incoming.dedup_key)
        reply = self._process_retrying(incoming, state, spooled.received_at if spooled else received_at)
        if spooled is not None:
            self.spool.discard(incoming.dedup_key)
        return reply

    # -- the database is down: the spool -----------------------------------------------------
    def _database_usable(self) -> bool:
        return time.monotonic() >= self._database_paused_until

    def _keep(self, incoming: Incoming, received_at: datetime, claimed: bool, error: Exception | None) -> str | None:
        """Keep the delivery in the spool (durably, before answering) and answer that its
        number will follow. If even the spool fails, WeChat must try again: the error stands."""
        if error is not None:
            self._database_paused_until = time.monotonic() + DATABASE_PAUSE_SECONDS
        try:
            written = self.spool.keep(SpooledDelivery.of(incoming, received_at))
        except OSError:
            log.exception("the database is unreachable and the spool %s cannot be written: delivery not kept",
                          self.spool.directory)
            if claimed:
                self._release(incoming.dedup_key)
            raise
        if written:
            cause = "" if error is None else f" ({_first_line(error)})"
            log.warning("database unreachable%s: delivery from %s kept in the spool as %s", cause,
                        pseudonym(incoming.openid), self.spool.path_for(incoming.dedup_key).name)
        self.drainer.notify()
        return spooled_answer(incoming)

    def file_spooled(self, spooled: SpooledDelivery) -> None:
        """File a kept delivery at the time it came (once, whoever else tries), push its reply
        unless a retry of it was answered meanwhile (that retry took the file), and forget it."""
        incoming = spooled.incoming()
        self._process_retrying(incoming, self.read_state(incoming.openid), spooled.received_at)
        if self.spool.holds(spooled.dedup_key):
            try:
                with self.engine.begin() as conn:
                    found = self._recorded(conn, spooled.dedup_key)
                    if found is not None and found.reply is not None:
                        queue_follow_up(conn, incoming.openid, found, spooled.dedup_key, spooled.received_at,
                                        self.clock.now())
            except IntegrityError:
                pass  # queued already: by an earlier pass that crashed before the delete, or another drainer
        self.spool.discard(spooled.dedup_key)
        self._database_paused_until = 0.0  # it is back

    # -- Redis fast path -------------------------------------------------------------------
    def _redis_usable(self) -> bool:
        return time.monotonic() >= self._redis_paused_until

    def _redis_failed(self, error: redis.RedisError) -> None:
        log.warning("Redis unavailable (%s); relying on the database guard, and remembering signed queries "
                    "in this process, for %.0fs", error, REDIS_PAUSE_SECONDS)
        self._redis_paused_until = time.monotonic() + REDIS_PAUSE_SECONDS

    def _claim(self, incoming: Incoming, query: SignedQuery | None) -> tuple[bool, ConversationState | None, Verdict]:
        """One round trip: remember the signed query (if any), claim the delivery, read the
        resident's conversation state. Without Redis: claimed, no state, the query checked in
        this process's memory."""
        if self._redis_usable():
            try:
                pipe = self.redis.pipeline(transaction=False)
                if query is not None:
                    pipe.set(query.key, query.digest, nx=True, ex=query.ttl, get=True)
                pipe.set(seen_key(incoming.dedup_key), b"1", nx=True, ex=self.settings.webhook_dedup_ttl_seconds)
                pipe.get(state_key(incoming.openid))
                *remembered, claimed, raw_state = pipe.execute(raise_on_error=False)
                for reply in (claimed, raw_state):
                    if isinstance(reply, Exception):
                        raise reply
                if query is None:
                    seen = Verdict.FIRST
                elif isinstance(remembered[0], redis.ResponseError):  # Redis before 7.0: no SET NX GET
                    seen = self.queries.check(query)
                else:
                    seen = verdict(remembered[0], query)
                return bool(claimed), _decode_state(raw_state), seen
            except redis.RedisError as error:
                self._redis_failed(error)
        return True, None, self.queries.check(query) if query is not None else Verdict.FIRST

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

    def read_state(self, openid: str) -> ConversationState | None:
        """The resident's conversation state now (for a delivery filed from the spool)."""
        if not self._redis_usable():
            return None
        try:
            return _decode_state(self.redis.get(state_key(openid)))
        except redis.RedisError as error:
            self._redis_failed(error)
            return None

    # -- the database guard ----------------------------------------------------------------
    def stored_reply(self, dedup_key: str) -> str | None | object:
        found = self.recorded(dedup_key)
        return MISSING if found is None else found.reply

    def recorded(self, dedup_key: str) -> Recorded | None:
        with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            return self._recorded(conn, dedup_key)

    @staticmethod
    def _recorded(conn: Connection, dedup_key: str) -> Recorded | None:
        row = conn.execute(
            select(inbound.c.reply, inbound.c.case_id, case_table.c.created_at)
            .outerjoin(case_table, case_table.c.id == inbound.c.case_id)
            .where(inbound.c.dedup_key == dedup_key)
        ).first()
        if row is None:
            return None
        if row.case_id is None:
            return Recorded(row.reply, None, "")
        number = case_number(row.case_id, row.created_at)
        return Recorded(None if row.reply is None else fill_number(row.reply, number), row.case_id, number)

    def _process_retrying(self, incoming: Incoming, state: ConversationState | None,
                          received_at: datetime) -> str | None:
        """A delivery that met a concurrent one (SQLSTATE 40001/40P01 at REPEATABLE READ) was
        rolled back whole; it runs again on fresh data. A pooled connection found dead (the
        server restarted) is replaced once at once, before the delivery is taken for an outage."""
        reconnected = False
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return self._process(incoming, state, received_at)
            except DBAPIError as error:
                if error.connection_invalidated and not reconnected and attempt < CONFLICT_ATTEMPTS:
                    reconnected = True
                    continue
                if attempt == CONFLICT_ATTEMPTS or not _is_conflict(error):
                    raise
                log.debug("delivery %s met a concurrent one; attempt %d", scrub(incoming.dedup_key, incoming.openid),
                          attempt + 1)
        raise AssertionError("unreachable")

    def _process(self, incoming: Incoming, state: ConversationState | None, now: datetime) -> str | None:
        """On PostgreSQL a message is first handled as a resident's: whether its sender is a
        representative or a clerk is then asked by the report's own statement, not by a round
        trip of its own (``Context.assume_resident``). When the assumption was wrong, nothing it
        wrote stands and the delivery is handled again, knowing."""
        if self.engine.dialect.name == "postgresql" and incoming.msg_type != "event":
            try:
                return self._process_once(incoming, state, now, assume_resident=True)
            except WorkerAssumedResident:
                pass
        return self._process_once(incoming, state, now, assume_resident=False)

    def _process_once(self, incoming: Incoming, state: ConversationState | None, now: datetime,
                      *, assume_resident: bool) -> str | None:
        """One transaction: the first matching handler acts, as of ``now`` (when the delivery
        came), and the delivery is recorded with its reply. If another attempt recorded it first,
        the unique key fails the insert, this attempt's writes are rolled back, and the first
        attempt's reply is the answer."""
        try:
            with self.engine.connect() as conn, conn.begin():
                ctx = Context(incoming=incoming, conn=conn, now=now, settings=self.settings, state=state,
                              assume_resident=assume_resident)
                handler, reply = dispatch(HANDLERS, ctx)
                ctx.confirm_resident()  # before anything is recorded for a resident
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
        if log.isEnabledFor(logging.DEBUG):  # scrubbing costs an HMAC: not on every delivery for nothing
            log.debug("delivery %s from %s handled by %s", scrub(incoming.dedup_key, incoming.openid),
                      pseudonym(incoming.openid), handler)
        return reply


def _first_line(error: Exception) -> str:
    """What a database error says, without the statement SQLAlchemy appends."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return scrub(f"{type(cause).__name__}: {lines[0] if lines else ''}")[:200]


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
