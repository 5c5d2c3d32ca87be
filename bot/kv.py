"""The Redis connection every worker shares, or an in-process stand-in when none is configured."""

from __future__ import annotations

import fakeredis
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def make_redis(url: str) -> tuple[redis.Redis, bool]:
    """Return (client, shared): ``shared`` is False for the in-process stand-in."""
    if not url:
        return fakeredis.FakeRedis(server=fakeredis.FakeServer()), False
    # Short timeouts and no retries: Redis is the fast path, and a delivery has five seconds in
    # all; when Redis stalls the database guard takes over (see bot.delivery).
    client = redis.Redis.from_url(
        url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30,
        retry=Retry(NoBackoff(), 0),
    )
    return client, True
