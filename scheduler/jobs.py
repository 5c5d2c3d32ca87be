"""The scheduled jobs, as data: a stable id, what runs, and when.

A job runs every ``scheduler.poll_seconds`` unless it says otherwise: ``every=`` seconds, or
``cron=`` a crontab line in Beijing time. Adding one is one line in ``JOBS``:

    Job("ratings.expire", expire_ratings, "close answered cases nobody rated in time", every=600),
    Job("ratings.ask", ask_for_ratings, "ask residents to rate answered and closed cases (验单)"),
    Job("ratings.expire", expire_ratings, "settle ratings nobody gave in time as 未评价", every=3600),
    Job("reports.monthly", make_monthly_reports, "the month's report workbooks", cron="0 6 1 * *"),

Crontab fields are minute, hour, day of month, month, day of week; name the days of the week
(``mon-fri``): APScheduler 3 counts numbered days from Monday, unlike cron, so numbers are refused.
Working days (holidays, 调休) are the job's own to check (``cases.calendar.is_working_day``).

A job is a function of the app's services and ``now`` that returns a count. It must be safe to
run twice and to be killed halfway: key every effect (outbox rows are unique by the cause given
to ``cases.actions.queue``: ``digest:<day>``, ``report:<month>``) or record what is done in the
database in the transaction that does it. A cron job runs at its times; if no scheduler was
running (or leading) at one of them, it runs as soon as one is, once however many were missed.
The time of its last run is kept in Redis (which may forget it: the job then runs once more, and
does no harm).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import redis
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.services import Services
from cases.numbering import BEIJING_OFFSET
from scheduler.media import fetch_media
from scheduler.notices import escalate_unheard_cases, queue_new_case_notices
from scheduler.outbox import deliver_outbox
from scheduler.ratings import ask_for_ratings, expire_ratings
from scheduler.reports import produce_monthly_reports, remind_reception_days
from scheduler.routing import retrain_when_due, suggest_new_cases
from scheduler.supervision import send_daily_digest, supervise_cases
from scheduler.tallies import count_tallies

BEIJING = timezone(BEIJING_OFFSET, "Asia/Shanghai")   # no summer time: a fixed offset needs no tzdata
LAST_RUN_KEY = "minyi:scheduler:ran:{id}"
LAST_RUN_KEPT = timedelta(days=400)
# A cron job with no recorded run looks this far back for a time it missed (a monthly job's).
LOOK_BACK = timedelta(days=32)

log = logging.getLogger("minyi.scheduler")


def cron_trigger(spec: str) -> CronTrigger:
    """A crontab line in Beijing time as an APScheduler trigger; ValueError when it is not one."""
    fields = spec.split()
    if len(fields) != 5:
        raise ValueError(f"cron {spec!r}: expected 5 fields (minute hour day month day-of-week)")
    if any(char.isdigit() for char in fields[4]):
        raise ValueError(f"cron {spec!r}: name the days of the week (mon-fri), APScheduler 3 numbers them from Monday")
    return CronTrigger.from_crontab(spec, timezone=BEIJING)


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[Services, datetime], int]
    description: str
    every: int | None = None   # seconds between runs; None: every scheduler.poll_seconds
    cron: str | None = None    # a crontab line in Beijing time, e.g. "30 8 * * *"

    def __post_init__(self) -> None:
        if self.every is not None and (self.cron is not None or self.every <= 0):
            raise ValueError(f"job {self.id}: every is a positive number of seconds, and excludes cron")
        if self.cron is not None:
            cron_trigger(self.cron)

    def trigger(self, poll_seconds: int) -> BaseTrigger:
        if self.cron is not None:
            return cron_trigger(self.cron)
        return IntervalTrigger(seconds=self.every or poll_seconds, timezone=UTC)

    def due(self, now: datetime, last_run: datetime | None) -> bool:
        """Is one of a cron job's times (naive UTC ``now``) later than its last run? An interval
        job is always due in a pass."""
        if self.cron is None:
            return True
        since = (last_run or now - LOOK_BACK) + timedelta(seconds=1)
        fire = cron_trigger(self.cron).get_next_fire_time(None, since.replace(tzinfo=UTC))
        return fire is not None and fire.astimezone(UTC).replace(tzinfo=None) <= now

# In this order within one pass: a notice queued is sent in the same pass.
JOBS = (
    Job("routing.suggest", suggest_new_cases, "suggest tier, department, category and colour for complete cases"),
    Job("notices.new_cases", queue_new_case_notices, "tell representatives of new cases"),
    Job("cases.escalate_unheard", escalate_unheard_cases, "pass unheard cases to the working committee"),
    Job("cases.supervise", supervise_cases, "remind before deadlines, flag overdue cases 督办", every=60),
    Job("supervision.digest", send_daily_digest, "the district office's daily list of overdue cases, from 08:30",
        every=300),
    Job("ratings.ask", ask_for_ratings, "ask residents to rate answered and closed cases (验单)"),
    Job("ratings.expire", expire_ratings, "settle ratings nobody gave in time as 未评价", every=3600),
    Job("reports.monthly", produce_monthly_reports, "the last month's report workbooks, announced to the staff",
        cron="0 9 * * *"),
    Job("reports.reception_days", remind_reception_days, "remind representatives of tomorrow's reception day",
        every=600),
    Job("outbox.deliver", deliver_outbox, "push queued messages to WeChat"),
    Job("media.fetch", fetch_media, "download residents' photos, voice notes and videos"),
    Job("routing.retrain", retrain_when_due, "retrain the suggestions once enough new decisions have arrived"),
    Job("dashboard.tallies", count_tallies, "count the dashboard's monthly tallies again where cases changed",
        every=60),
)


def _sandbox_events(svc: Services, now: datetime) -> int:
    from sandbox.events import deliver_pending_events  # sandbox mode only: never imported otherwise

    return deliver_pending_events(svc, now)


# Sandbox mode: the fake WeChat reports each template message's outcome later, as WeChat does.
SANDBOX_JOBS = (Job("sandbox.events", _sandbox_events, "the fake WeChat reports template messages' outcomes"),)


def jobs_for(settings: Settings) -> tuple[Job, ...]:
    return JOBS + (SANDBOX_JOBS if settings.wechat_sandbox else ())


def last_run(client: redis.Redis, job: Job) -> datetime | None:
    """When a cron job last ran to the end (naive UTC), as far as Redis remembers."""
    try:
        value = client.get(LAST_RUN_KEY.format(id=job.id))
    except redis.RedisError as error:
        log.warning("job %s: last run unknown (Redis: %s); running it", job.id, error)
        return None
    return datetime.fromisoformat(value.decode()) if value else None


def _record_run(client: redis.Redis, job: Job, now: datetime) -> None:
    try:
        client.set(LAST_RUN_KEY.format(id=job.id), now.isoformat(), ex=LAST_RUN_KEPT)
    except redis.RedisError as error:
        log.warning("job %s: its run could not be recorded (Redis: %s); it may run once more", job.id, error)


def run_job(svc: Services, job: Job, now: datetime) -> int | None:
    """Run ``job`` once if it is due: its count, -1 when it failed (logged), None when a cron
    job's time has not come since its last run. A cron job's run is recorded when it ends well."""
    if job.cron is not None and not job.due(now, last_run(svc.redis, job)):
        return None
    try:
        count = job.run(svc, now)
    except Exception:  # noqa: BLE001 - a job's failure must not stop the others; it is logged
        log.exception("job %s failed", job.id)
        return -1
    if job.cron is not None:
        _record_run(svc.redis, job, now)
    return count


def run_pass(svc: Services, now: datetime | None = None) -> dict[str, int]:
    """Run every interval job once, in order, and each cron job whose time has come since its
    last run; a failing job is logged and does not stop the others. Tests, ``minyi scheduler
    --once`` and the sandbox call it; it takes no lease."""
    now = now or svc.clock.now()
    done: dict[str, int] = {}
    for job in jobs_for(svc.settings):
        count = run_job(svc, job, now)
        if count is not None:
            done[job.id] = count
    return done
