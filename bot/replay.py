"""Plaintext replay: a signed query is good for one body.

In plaintext mode WeChat signs only (token, timestamp, nonce), not the body, so anyone who saw
one delivery's query could post any body with it while the timestamp is fresh (the replay
window, on either side of our clock). We remember each signed query (its timestamp, nonce and
signature, by the signature: see query_key) with a digest of the body it came with until the
timestamp is stale: the same query with the same body again is WeChat retrying (the exactly-once
handling answers it), with another body it is refused. Safe mode's msg_signature covers the ciphertext, so a repeat there is only a retry
and is not checked here: safe mode is the production mode.

Cost: one Redis round trip per plaintext delivery (``SET key digest NX EX ttl GET``, Redis 7.0
or later: it claims the query and returns the digest already there, if any).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from enum import Enum

import redis

log = logging.getLogger(__name__)

REDIS_PAUSE_SECONDS = 5.0  # after a Redis failure, use the memory this long (no timeout per delivery)
# The fallback's bound per process (some 15 MB): with 4 workers, 600 deliveries a second for the
# 5-minute window.
MEMORY_ENTRIES = 50_000


class Verdict(Enum):
    FIRST = "first"  # never seen: go on
    RETRY = "retry"  # seen with this very body: WeChat's retry, go on
    REPLAY = "replay"  # seen with another body: refuse


def query_key(signature: str) -> str:
    """The key of a signed query: its signature alone. The signature is SHA-1 over the sorted
    token, timestamp and nonce joined with no separator, so another split of the same characters
    signs the same; keyed by the signature it is the same query, however it is split. It was
    checked before (40 hex digits), so the key's length is bounded."""
    return f"minyi:query:{signature}"


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def _verdict(stored: bytes | str | None, digest: str) -> Verdict:
    if stored is None:
        return Verdict.FIRST
    if isinstance(stored, bytes):
        stored = stored.decode("ascii", "replace")
    return Verdict.RETRY if stored == digest else Verdict.REPLAY


class ReplayMemory:
    """The queries seen, in Redis (shared by every worker), or while Redis is unreachable in
    this process's memory: bounded (the oldest entries go first) and seen by this worker only,
    so a replay sent to another worker during a Redis outage is not caught. That is the price of
    not refusing WeChat's deliveries while Redis is down; safe mode does not depend on it."""

    def __init__(self, redis_client: redis.Redis, max_entries: int = MEMORY_ENTRIES):
        self.redis = redis_client
        self.max_entries = max_entries
        self._local: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._redis_paused_until = 0.0

    def check(self, signature: str, body: bytes, ttl_seconds: int) -> Verdict:
        """Remember this query with ``body`` for ``ttl_seconds`` (until its timestamp is stale),
        and say whether it was seen before, with this body or another."""
        key, digest, ttl = query_key(signature), body_digest(body), max(1, int(ttl_seconds))
        if time.monotonic() >= self._redis_paused_until:
            try:
                return _verdict(self.redis.set(key, digest, nx=True, ex=ttl, get=True), digest)
            except redis.RedisError as error:
                log.warning("Redis unavailable (%s); remembering signed queries in this process for %.0fs",
                            type(error).__name__, REDIS_PAUSE_SECONDS)
                self._redis_paused_until = time.monotonic() + REDIS_PAUSE_SECONDS
        return self._check_locally(key, digest, ttl)

    def _check_locally(self, key: str, digest: str, ttl: int) -> Verdict:
        now = time.monotonic()
        with self._lock:
            seen = self._local.get(key)
            if seen is not None and seen[1] > now:
                return _verdict(seen[0], digest)
            self._local[key] = (digest, now + ttl)
            self._local.move_to_end(key)
            while self._local:  # drop what expired, then the oldest beyond the bound
                oldest_key, (_, expires) = next(iter(self._local.items()))
                if expires > now and len(self._local) <= self.max_entries:
                    break
                del self._local[oldest_key]
        return Verdict.FIRST
