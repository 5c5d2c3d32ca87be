"""The one source of "now": the replay window, dedup keys' times and every timestamp use it.

Tests freeze it (``FrozenClock``) to replay WeChat's 2014 sample or to step through windows.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class SystemClock:
    def time(self) -> float:
        return time.time()

    def now(self) -> datetime:
        """Naive UTC, the form every timestamp column holds."""
        return datetime.fromtimestamp(self.time(), UTC).replace(tzinfo=None)


class FrozenClock(SystemClock):
    def __init__(self, at: float | datetime):
        self._at = at.replace(tzinfo=UTC).timestamp() if isinstance(at, datetime) else float(at)

    def time(self) -> float:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta).total_seconds()

    def set(self, at: datetime) -> None:
        """Stand at ``at`` (naive UTC)."""
        self._at = at.replace(tzinfo=UTC).timestamp()
