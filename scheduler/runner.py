"""Run the jobs on APScheduler, each on its own trigger, in exactly one process at a time.

Every process that runs a scheduler competes for a Redis lease (``minyi:scheduler:leader``); only
its holder runs jobs. A lease tick (``scheduler.lease``, every ``scheduler.poll_seconds``) renews
it whatever jobs there are — a scheduler whose jobs run once a day still keeps it — and every job
checks it before running. If the holder dies, the lease runs out after three ticks and another
process takes over. The lease tick also starts a cron job whose time came while no scheduler led
(``scheduler.jobs``: a restart, a failover). APScheduler's own job store stays in memory: the jobs
are data in code, so nothing needs to be shared.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime

import redis
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from bot.services import services
from scheduler.jobs import Job, jobs_for, last_run, run_job

log = logging.getLogger("minyi.scheduler")

LEADER_KEY = "minyi:scheduler:leader"
LEASE_JOB = "scheduler.lease"
CATCH_UP_SECONDS = 60   # a missed cron job that fails is tried again at most this often


class Lease:
    def __init__(self, redis_client: redis.Redis, seconds: int):
        self.redis = redis_client
        self.seconds = seconds
        self.holder = uuid.uuid4().hex

    def held(self) -> bool:
        """Take the lease if it is free, renew it if it is ours."""
        try:
            if self.redis.set(LEADER_KEY, self.holder, nx=True, ex=self.seconds):
                return True
            return self._renewed()
        except redis.RedisError as error:
            log.warning("scheduler lease unknown (Redis: %s); skipping this tick", error)
        return False


    def _renewed(self) -> bool:
        """Extend the lease if it is still ours, in one transaction: if it lapses and another
        process takes it between the read and the extension, the extension is not made."""
        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(LEADER_KEY)
                if pipe.get(LEADER_KEY) != self.holder.encode():
                    return False
                pipe.multi()
                pipe.expire(LEADER_KEY, self.seconds)
                pipe.execute()
                return True
            except redis.WatchError:
                return False


class Runner:
    """One process's scheduler: its lease, and which of its jobs are running now."""

    def __init__(self, app: Flask, scheduler: BaseScheduler, lease: Lease):
        self.app = app
        self.scheduler = scheduler
        self.lease = lease
        self._running: set[str] = set()
        self._poked: dict[str, float] = {}
        self._lock = threading.Lock()

    def tick(self, job: Job):
        """What APScheduler calls at each of ``job``'s times."""
        def run() -> None:
            svc = services(self.app)
            if not self.lease.held():
                return
            with self._lock:
                if job.id in self._running:
                    return
                self._running.add(job.id)
            try:
                with self.app.app_context():
                    run_job(svc, job, svc.clock.now())
            finally:
                with self._lock:
                    self._running.discard(job.id)
        return run

    def lead(self) -> None:
        """The lease tick: renew the lease, and start each cron job whose time came unseen."""
        svc = services(self.app)
        if not self.lease.held():
            return
        now = svc.clock.now()
        for job in jobs_for(svc.settings):
            if job.cron is None or not job.due(now, last_run(svc.redis, job)):
                continue
            with self._lock:
                poked = self._poked.get(job.id)
                if job.id in self._running or (poked is not None and time.monotonic() - poked < CATCH_UP_SECONDS):
                    continue
                self._poked[job.id] = time.monotonic()
            log.info("job %s: a time was missed; running it now", job.id)
            self.scheduler.modify_job(job.id, next_run_time=datetime.now(UTC))


def add_jobs(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    svc = services(app)
    poll = svc.settings.scheduler_poll_seconds
    runner = Runner(app, scheduler, Lease(svc.redis, seconds=3 * poll))
    scheduler.add_job(runner.lead, "interval", seconds=poll, id=LEASE_JOB, name="hold the scheduler's lease",
                      max_instances=1, coalesce=True)
    started = datetime.now(UTC)
    for job in jobs_for(svc.settings):
        # An interval job runs at once, then every interval (APScheduler would wait one interval
        # first: an hourly job would never run in a process restarted more often than hourly).
        first = {} if job.cron else {"next_run_time": started}
        scheduler.add_job(runner.tick(job), job.trigger(poll), id=job.id, name=job.description,
                          max_instances=1, coalesce=True, **first)
    return scheduler


def start_in_background(app: Flask) -> BackgroundScheduler:
    """The scheduler beside the web server, in one process (``minyi run``)."""
    scheduler = add_jobs(BackgroundScheduler(daemon=True, timezone="UTC"), app)
    scheduler.start()
    return scheduler
