"""The job that keeps the dashboard's monthly tallies up to date (``cases.tallies``)."""

from __future__ import annotations

from datetime import datetime

from bot.services import Services
from cases import tallies


def count_tallies(svc: Services, now: datetime) -> int:
    return tallies.refresh(svc.engine, svc.redis, now)
