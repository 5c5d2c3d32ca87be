"""Rules for pushing messages to WeChat users, as pure functions of what we know and ``now``.

WeChat's rules, applied before calling rather than learned from its errors:
- a customer-service message (客服消息) may follow a user's own message for 48 hours, at most 5
  of them; a follow, a scan or a menu click opens 1 minute for 3;
- outside those windows, the template message (模板消息) configured for the notice stands in.
Then what WeChat answers decides: 45015/45047 (window gone after all): the template; 43004
(unfollowed) or 40003 (unknown openid): stop; a configuration error (47003 a value does not fit
the template, 48001 no permission, 40164 our IP not whitelisted, 40037 no such template): stop at
once, visibly, because retrying for hours cannot fix it; 45009 (the day's quota): wait for the
next day; anything else (network, WeChat busy): retry with a growing pause.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cases.numbering import BEIJING_OFFSET

WINDOW_CLOSED = frozenset({45015, 45047})
UNDELIVERABLE = frozenset({43004, 40003})
UNFOLLOWED = 43004
MISCONFIGURED = frozenset({47003, 48001, 40164, 40037, 40013, 40125})
DAILY_QUOTA = 45009
RETRY_PAUSES = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
                timedelta(hours=1), timedelta(hours=3))
MAX_ATTEMPTS = len(RETRY_PAUSES) + 1

MESSAGE_WINDOW = (timedelta(hours=48), 5)
TAP_WINDOW = (timedelta(minutes=1), 3)

# A new case is worth a representative's notice while it is fresh; one that waited longer
# (say, for the representative to bind their WeChat) shows in their list instead.
NEW_CASE_NOTICE_WITHIN = timedelta(days=3)


@dataclass(frozen=True)
class Window:
    """A customer-service window: opened at ``start`` by a message or a tap, ``limit`` sends."""

    kind: str  # message / tap
    start: datetime
    end: datetime
    limit: int


def open_windows(last_message_at: datetime | None, last_tap_at: datetime | None, now: datetime) -> list[Window]:
    """The customer-service windows open at ``now``, the 48-hour one first (it allows more)."""
    windows = []
    for kind, opened, (length, limit) in (("message", last_message_at, MESSAGE_WINDOW),
                                           ("tap", last_tap_at, TAP_WINDOW)):
        if opened is not None and opened <= now < opened + length:
            windows.append(Window(kind, opened, opened + length, limit))
    return windows


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
    if errcode in UNDELIVERABLE or errcode in MISCONFIGURED or attempts >= MAX_ATTEMPTS:
        return Outcome("failed", channel)
    if errcode == DAILY_QUOTA:
        return Outcome("pending", channel, next_beijing_day(now))
    return Outcome("pending", channel, retry_at(attempts, now))


def retry_at(attempts: int, now: datetime) -> datetime:
    """When to call WeChat again after ``attempts`` failed calls (also used for media downloads)."""
    return now + RETRY_PAUSES[min(max(attempts, 1), len(RETRY_PAUSES)) - 1]


def next_beijing_day(now: datetime) -> datetime:
    """Midnight after ``now`` in Beijing (when WeChat's daily quotas start again), plus a minute."""
    local = now + BEIJING_OFFSET
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1, minutes=1)
    return midnight - BEIJING_OFFSET
