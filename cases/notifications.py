"""Rules for pushing messages to WeChat users, as pure functions of WeChat's answer and ``now``.

A message goes first as a customer-service message (客服消息), which WeChat accepts only within
48 hours of the user's last message (45015) and only 5 times per window (45047). Past that it
falls back to a template message (模板消息) when one is configured. A user who has unfollowed
(43004) or an openid WeChat does not know (40003) will never receive it: give up at once. Any
other failure (a network error, WeChat busy, the daily quota) is retried with a growing pause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW_CLOSED = frozenset({45015, 45047})
UNDELIVERABLE = frozenset({43004, 40003, 40037})
RETRY_PAUSES = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
                timedelta(hours=1), timedelta(hours=3))
MAX_ATTEMPTS = len(RETRY_PAUSES) + 1

# A new case is worth a representative's notice while it is fresh; one that waited longer
# (say, for the representative to bind their WeChat) shows in their list instead.
NEW_CASE_NOTICE_WITHIN = timedelta(days=3)


@dataclass(frozen=True)
class Outcome:
    status: str  # pending / sent / failed
    channel: str
    next_attempt_at: datetime | None = None
    try_now: bool = False  # send again on the new channel in the same pass


def after_attempt(channel: str, errcode: int | None, attempts: int, has_template: bool, now: datetime) -> Outcome:
    """What to do after an attempt: ``errcode`` 0 is success, None a failure with no answer
    (network, HTTP error); ``attempts`` counts this one."""
    if errcode == 0:
        return Outcome("sent", channel)
    if errcode in WINDOW_CLOSED and channel == "custom":
        if has_template:
            return Outcome("pending", "template", now, try_now=True)
        return Outcome("failed", channel)
    if errcode in UNDELIVERABLE or attempts >= MAX_ATTEMPTS:
        return Outcome("failed", channel)
    return Outcome("pending", channel, retry_at(attempts, now))


def retry_at(attempts: int, now: datetime) -> datetime:
    """When to call WeChat again after ``attempts`` failed calls (also used for media downloads)."""
    return now + RETRY_PAUSES[min(max(attempts, 1), len(RETRY_PAUSES)) - 1]
