"""What one app instance holds: settings, clock, database, Redis, safe-mode crypto, deliveries,
and the WeChat API client (None without an account)."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import Flask, current_app
from sqlalchemy import Engine

from bot.clock import SystemClock
from bot.config import Settings
from bot.delivery import Deliveries
from bot.signing import SafeMode
from bot.wechat_client import MinyiWeChatClient

EXTENSION = "minyi"


@dataclass
class Services:
    settings: Settings
    clock: SystemClock
    engine: Engine
    redis: redis.Redis
    redis_shared: bool
    safe_mode: SafeMode | None
    deliveries: Deliveries
    wechat: MinyiWeChatClient | None

    def dispose(self) -> None:
        """Stop the spool's drainer and close every pooled database connection (tests, shutdown)."""
        self.deliveries.drainer.stop()
        self.engine.dispose()
        self.deliveries.engine.dispose()

    def set_clock(self, clock: SystemClock) -> None:
        """Tests freeze time here; everything that asks for "now" asks this clock."""
        self.clock = clock
        self.deliveries.clock = clock


def services(app: Flask | None = None) -> Services:
    return (app or current_app).extensions[EXTENSION]
