"""The scheduled jobs, as data: a stable id, what runs, and how often."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.services import Services
from scheduler.media import fetch_media
from scheduler.notices import escalate_unheard_cases, queue_new_case_notices
from scheduler.outbox import deliver_outbox
from scheduler.routing import retrain_when_due, suggest_new_cases


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[Services, datetime], int]
    description: str


log = logging.getLogger("minyi.scheduler")

# In this order within one pass: a notice queued is sent in the same pass.
JOBS = (
    Job("routing.suggest", suggest_new_cases, "suggest tier, department, category and colour for complete cases"),
    Job("notices.new_cases", queue_new_case_notices, "tell representatives of new cases"),
    Job("cases.escalate_unheard", escalate_unheard_cases, "pass unheard cases to the working committee"),
    Job("outbox.deliver", deliver_outbox, "push queued messages to WeChat"),
    Job("media.fetch", fetch_media, "download residents' photos, voice notes and videos"),
    Job("routing.retrain", retrain_when_due, "retrain the suggestions once enough new decisions have arrived"),
)


def _sandbox_events(svc: Services, now: datetime) -> int:
    from sandbox.events import deliver_pending_events  # sandbox mode only: never imported otherwise

    return deliver_pending_events(svc, now)


# Sandbox mode: the fake WeChat reports each template message's outcome later, as WeChat does.
SANDBOX_JOBS = (Job("sandbox.events", _sandbox_events, "the fake WeChat reports template messages' outcomes"),)


def jobs_for(settings: Settings) -> tuple[Job, ...]:
    return JOBS + (SANDBOX_JOBS if settings.wechat_sandbox else ())


def run_pass(svc: Services, now: datetime | None = None) -> dict[str, int]:
    """Run every job once, in order; a failing job is logged and does not stop the others."""
    now = now or svc.clock.now()
    done: dict[str, int] = {}
    for job in jobs_for(svc.settings):
        try:
            done[job.id] = job.run(svc, now)
        except Exception:  # noqa: BLE001 - a job's failure must not stop the others; it is logged
            log.exception("job %s failed", job.id)
            done[job.id] = -1
    return done
