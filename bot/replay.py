"""Plaintext replay: a signed query is good for one body.

In plaintext mode WeChat signs only (token, timestamp, nonce), not the body, so anyone who saw
one delivery's query could post any body with it while the timestamp is fresh (the replay
window, on either side of our clock). We remember each signed query (its timestamp, nonce and
signature, by the signature: see query_key) with a digest of the body it came with until the
timestamp is stale: the same query with the same body again is WeChat retrying (the exactly-once
handling answers it), with another body it is refused. Safe mode's msg_signature covers the
ciphertext, so a repeat there is only a retry and is not checked here: safe mode is the
production mode.

Cost: nothing of its own. The check rides in the exactly-once claim's Redis pipeline
(``bot.delivery``): ``SET key digest NX EX ttl GET`` (Redis 7.0 or later) claims the query and
returns the digest already there, if any. While Redis is unreachable, each process remembers the
queries it saw (``QueryMemory``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum

# The fallback's bound per process (some 15 MB): with 4 workers, 600 deliveries a second for the
# 5-minute window.
MEMORY_ENTRIES = 50_000


class Verdict(Enum):
    FIRST = "first"  # never seen: go on
    RETRY = "retry"  # seen with this very body: WeChat's retry, go on
    REPLAY = "replay"  # seen with another body: refuse


class Replayed(Exception):
    """A signed plaintext query came again with another body."""


def query_key(signature: str) -> str:
    """The key of a signed query: its signature alone. The signature is SHA-1 over the sorted
    token, timestamp and nonce joined with no separator, so another split of the same characters
    signs the same; keyed by the signature it is the same query, however it is split. It was
    checked before (40 hex digits), so the key's length is bounded."""
    return f"minyi:query:{signature}"


@dataclass(frozen=True)
class SignedQuery:
    """A plaintext delivery's signed query, the digest of the body it came with, and how long to
    remember it (until its timestamp is stale)."""

    key: str
    digest: str
    ttl: int


def signed_query(signature: str, body: bytes, ttl_seconds: int) -> SignedQuery:
    return SignedQuery(query_key(signature), hashlib.sha256(body).hexdigest()[:32], max(1, int(ttl_seconds)))


def verdict(stored: bytes | str | None, query: SignedQuery) -> Verdict:
    """What the digest remembered under the query's key (None: nothing) says of this body."""
    if stored is None:
        return Verdict.FIRST
    if isinstance(stored, bytes):
        stored = stored.decode("ascii", "replace")
    return Verdict.RETRY if stored == query.digest else Verdict.REPLAY


class QueryMemory:
    """The queries seen while Redis is unreachable, in this process's memory: bounded (the
    oldest entries go first) and seen by this worker only, so a replay sent to another worker
    during a Redis outage is not caught. That is the price of not refusing WeChat's deliveries
    while Redis is down; safe mode does not depend on it."""

    def __init__(self, max_entries: int = MEMORY_ENTRIES):
        self.max_entries = max_entries
        self._local: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, query: SignedQuery) -> Verdict:
        """Remember the query with its body's digest, and say whether it was seen before."""
        now = time.monotonic()
        with self._lock:
            seen = self._local.get(query.key)
            if seen is not None and seen[1] > now:
                return verdict(seen[0], query)
            self._local[query.key] = (query.digest, now + query.ttl)
            self._local.move_to_end(query.key)
            while self._local:  # drop what expired, then the oldest beyond the bound
                oldest_key, (_, expires) = next(iter(self._local.items()))
                if expires > now and len(self._local) <= self.max_entries:
                    break
                del self._local[oldest_key]
        return Verdict.FIRST
