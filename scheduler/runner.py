"""Run the jobs on APScheduler, in exactly one process at a time.

Every process that runs a scheduler competes for a Redis lease (``minyi:scheduler:leader``); only
its holder runs jobs, and it renews the lease on every tick. If the holder dies, the lease runs
out after three ticks and another process takes over. APScheduler's own job store stays in
memory: the jobs are data in code, so nothing needs to be shared.
"""

from __future__ import annotations

import logging
import uuid

import redis
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from bot.services import services
from scheduler.jobs import Job, jobs_for

log = logging.getLogger("minyi.scheduler")

LEADER_KEY = "minyi:scheduler:leader"


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
            if self.redis.get(LEADER_KEY) == self.holder.encode():
                self.redis.expire(LEADER_KEY, self.seconds)
                return True
        except redis.RedisError as error:
            log.warning("scheduler lease unknown (Redis: %s); skipping this tick", error)
        return False


def _tick(app: Flask, job: Job, lease: Lease):
    def run() -> None:
        svc = services(app)
        if not lease.held():
            return
        with app.app_context():
            try:
                job.run(svc, svc.clock.now())
            except Exception:  # noqa: BLE001 - a job's failure is logged; the next tick tries again
                log.exception("job %s failed", job.id)
    return run


def add_jobs(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    svc = services(app)
    poll = svc.settings.scheduler_poll_seconds
    lease = Lease(svc.redis, seconds=3 * poll)
    for job in jobs_for(svc.settings):
        scheduler.add_job(_tick(app, job, lease), "interval", seconds=poll, id=job.id, name=job.description,
                          max_instances=1, coalesce=True)
    return scheduler


def start_in_background(app: Flask) -> BackgroundScheduler:
    """The scheduler beside the web server, in one process (``minyi run``)."""
    scheduler = add_jobs(BackgroundScheduler(daemon=True, timezone="UTC"), app)
    scheduler.start()
    return scheduler
