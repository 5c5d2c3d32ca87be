"""Each job on its own trigger (an interval, or cron in Beijing time), one active scheduler across
machines (two schedulers racing run a job once), the lease kept by its own tick, cron jobs that
run once per time even when passes come often, and a failed run tried again."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

import scheduler.jobs as jobs
from bot.services import services
from cases.calendar import beijing_at
from scheduler.jobs import JOBS, Job, run_pass
from scheduler.runner import LEADER_KEY, LEASE_JOB, Lease, add_jobs


def at(*parts) -> datetime:
    return beijing_at(date(*parts[:3]), *parts[3:])


def counting(ran: Counter, key: str, fail_first: int = 0):
    def run(svc, now):
        ran[key] += 1
        if ran[key] <= fail_first:
            raise RuntimeError("killed halfway")
        return 1
    return run


# -- jobs as data ---------------------------------------------------------------------------------

def test_a_job_has_an_interval_or_a_cron_line_in_beijing_time():
    with pytest.raises(ValueError, match="name the days of the week"):
        Job("x", lambda svc, now: 0, "x", cron="30 8 * * 1-5")
    with pytest.raises(ValueError, match="5 fields"):
        Job("x", lambda svc, now: 0, "x", cron="30 8 * *")
    with pytest.raises(ValueError, match="excludes cron"):
        Job("x", lambda svc, now: 0, "x", every=60, cron="30 8 * * *")
    with pytest.raises(ValueError):
        Job("x", lambda svc, now: 0, "x", cron="61 8 * * *")
    daily = Job("x", lambda svc, now: 0, "x", cron="30 8 * * mon-fri")
    trigger = daily.trigger(2)
    assert isinstance(trigger, CronTrigger) and trigger.timezone.utcoffset(None) == timedelta(hours=8)
    after = at(2026, 11, 27, 10).replace(tzinfo=UTC)   # Friday 10:00 Beijing
    assert trigger.get_next_fire_time(None, after) == at(2026, 11, 30, 8, 30).replace(tzinfo=UTC)
    assert Job("y", lambda svc, now: 0, "y").trigger(2).interval == timedelta(seconds=2)
    assert Job("y", lambda svc, now: 0, "y", every=600).trigger(2).interval == timedelta(seconds=600)


def test_a_cron_job_is_due_once_per_time():
    daily = Job("x", lambda svc, now: 0, "x", cron="30 8 * * *")
    assert daily.due(at(2026, 11, 24, 8, 30), None)                          # never ran: it runs
    assert not daily.due(at(2026, 11, 24, 9), at(2026, 11, 24, 8, 30))      # ran at its time
    assert not daily.due(at(2026, 11, 25, 8, 29), at(2026, 11, 24, 8, 30))
    assert daily.due(at(2026, 11, 25, 8, 30), at(2026, 11, 24, 8, 30))
    assert daily.due(at(2026, 11, 28, 12), at(2026, 11, 24, 8, 30))         # days missed: due (once)
    monthly = Job("m", lambda svc, now: 0, "m", cron="0 6 1 * *")
    assert not monthly.due(at(2026, 11, 30, 23), at(2026, 11, 1, 6))
    assert monthly.due(at(2026, 12, 1, 6), at(2026, 11, 1, 6))              # the month's end, in Beijing time
    assert Job("i", lambda svc, now: 0, "i").due(at(2026, 11, 24, 8), at(2026, 11, 24, 8))   # interval: always


def test_the_supervision_jobs_have_their_own_timing():
    by_id = {job.id: job for job in JOBS}
    assert by_id["cases.supervise"].every == 60 and by_id["supervision.digest"].every == 300   # from 08:30 on
    assert by_id["reports.monthly"].cron == "0 9 * * *"     # announced in office hours
    ids = [job.id for job in JOBS]
    # queued in a pass, sent in the same pass
    assert ids.index("cases.escalate_unheard") < ids.index("cases.supervise") < ids.index("outbox.deliver")
    assert ids.index("supervision.digest") < ids.index("outbox.deliver")


# -- run_pass: interval jobs every pass, cron jobs when their time has come ------------------------

def test_run_pass_runs_a_cron_job_once_per_time_however_often_it_passes(app, clock, monkeypatch):
    ran: Counter = Counter()
    monkeypatch.setattr(jobs, "JOBS", (
        Job("every", counting(ran, "every"), "every pass"),
        Job("daily", counting(ran, "daily"), "08:30 Beijing", cron="30 8 * * *"),
        Job("monthly", counting(ran, "monthly"), "the first at 06:00", cron="0 6 1 * *"),
    ))
    svc = services(app)
    clock.advance(days=6)                          # Sunday Nov 29 10:00 Beijing
    passes = 0
    while clock.now() < at(2026, 12, 2, 12):       # to Wednesday noon, every 20 minutes
        done = run_pass(svc)
        assert done["every"] == 1
        passes += 1
        clock.advance(minutes=20)
    assert ran["every"] == passes
    # daily: the first pass (no run recorded: it catches up), then Monday, Tuesday and Wednesday at 08:30
    assert ran["daily"] == 4
    # monthly: the first pass (November's time, never recorded), then December 1st 06:00
    assert ran["monthly"] == 2
    assert jobs.last_run(svc.redis, jobs.JOBS[2]) == at(2026, 12, 1, 6)


def test_a_cron_job_killed_halfway_runs_again_until_it_ends_well(app, clock, monkeypatch):
    ran: Counter = Counter()
    daily = Job("daily", counting(ran, "daily", fail_first=2), "fails twice", cron="30 8 * * *")
    monkeypatch.setattr(jobs, "JOBS", (daily,))
    svc = services(app)
    assert run_pass(svc) == {"daily": -1}          # failed: not recorded, so it is still due
    assert run_pass(svc) == {"daily": -1}
    assert run_pass(svc) == {"daily": 1}
    assert run_pass(svc) == {} and ran["daily"] == 3
    assert jobs.last_run(svc.redis, daily) == clock.now()


# -- one scheduler across machines -------------------------------------------------------------------

def test_one_lease_at_a_time(app):
    redis = services(app).redis
    first, second = Lease(redis, seconds=6), Lease(redis, seconds=6)
    assert first.held() and not second.held() and first.held()
    assert 0 < redis.ttl(LEADER_KEY) <= 6
    redis.delete(LEADER_KEY)                        # the holder died and its lease ran out
    assert second.held() and not first.held()


@pytest.fixture
def two_schedulers(app, monkeypatch):
    """Two schedulers (as on two machines) on one Redis, paused: their jobs run when a test calls them."""
    ran: Counter = Counter()
    monkeypatch.setattr(jobs, "JOBS", (
        Job("test.every", counting(ran, "every"), "every tick"),
        Job("test.daily", counting(ran, "daily"), "08:30 Beijing", cron="30 8 * * *"),
    ))
    schedulers = [add_jobs(BackgroundScheduler(timezone="UTC"), app) for _ in range(2)]
    for scheduler in schedulers:
        scheduler.start(paused=True)
    yield schedulers, ran
    for scheduler in schedulers:
        scheduler.shutdown(wait=False)


def test_each_job_is_registered_on_its_own_trigger(two_schedulers):
    (scheduler, _), _ = two_schedulers
    assert isinstance(scheduler.get_job("test.every").trigger, IntervalTrigger)
    assert isinstance(scheduler.get_job("test.daily").trigger, CronTrigger)
    lease = scheduler.get_job(LEASE_JOB)
    assert lease.trigger.interval == timedelta(seconds=2)   # scheduler.poll_seconds


def test_two_schedulers_racing_run_each_job_once(app, two_schedulers):
    (first, second), ran = two_schedulers
    start = threading.Barrier(2)
    tries = Counter()

    def race(scheduler, name):
        start.wait()
        for _ in range(20):
            for job_id in ("test.every", "test.daily"):
                scheduler.get_job(job_id).func()
                tries[name, job_id] += 1

    threads = [threading.Thread(target=race, args=(scheduler, name))
               for scheduler, name in ((first, "first"), (second, "second"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ran["every"] == 20           # only the lease holder's ticks ran it; the other's 20 did nothing
    assert ran["daily"] == 1            # and the daily job once, however many ticks came


def test_the_lease_tick_keeps_the_lease_and_starts_a_missed_cron_job(app, two_schedulers):
    (first, second), ran = two_schedulers
    redis = services(app).redis
    waiting = {scheduler: scheduler.get_job("test.daily").next_run_time for scheduler in (first, second)}
    assert all(when - datetime.now(UTC) > timedelta(seconds=10) for when in waiting.values())   # 08:30 Beijing
    first.get_job(LEASE_JOB).func()     # a scheduler with only daily jobs due keeps its lease by this tick
    holder = redis.get(LEADER_KEY)
    second.get_job(LEASE_JOB).func()
    assert redis.get(LEADER_KEY) == holder and redis.ttl(LEADER_KEY) > 0
    # Its clock says Monday 10:00 and 08:30 has not run: the leader's lease tick starts it now, the other's not.
    assert datetime.now(UTC) - first.get_job("test.daily").next_run_time < timedelta(seconds=5)
    assert second.get_job("test.daily").next_run_time == waiting[second]
    assert ran["daily"] == 0            # paused here; when it runs, it runs once (the race above)
