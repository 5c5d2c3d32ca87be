"""The Redis connection every worker shares, or an in-process stand-in when none is configured."""

from __future__ import annotations

import fakeredis
import redis


def make_redis(url: str) -> tuple[redis.Redis, bool]:
    """Return (client, shared): ``shared`` is False for the in-process stand-in."""
    if not url:
        return fakeredis.FakeRedis(server=fakeredis.FakeServer()), False
    # Short timeouts: Redis is the fast path; when it stalls the database guard takes over.
    client = redis.Redis.from_url(
        url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30
    )
    return client, True
