"""Jobs of the routing engine: a suggestion for each case whose text is complete (before the
representative's notice, which shows it), and retraining once enough decisions have arrived."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import ConfigError, Settings
from bot.services import Services
from cases.routing import rules as routing_rules
from cases.routing import store
from cases.routing.rules import Rules, RulesError

FILE_KEYS = ("routing.category_tree", "routing.category_phrases", "routing.rules")
RETRAIN_CHECK_SECONDS = 600   # counting decisions scans the cases: once in ten minutes is enough
RETRAIN_CHECK_KEY = "minyi:routing:retrain-check"


def rules_loader(settings: Settings) -> store.LoadRules:
    """The district's routing files as configured; a bad one is a ConfigError naming its key."""
    files = {key: getattr(settings, key.replace(".", "_")) for key in FILE_KEYS}

    def load() -> Rules:
        try:
            return routing_rules.load(*files.values())
        except RulesError as error:
            key = next((key for key, path in files.items() if path and path in str(error)), "routing.rules")
            raise ConfigError(key, str(error)) from None
    return load


def suggest_new_cases(svc: Services, now: datetime) -> int:
    window = timedelta(minutes=svc.settings.intake_join_window_minutes)
    return store.suggest_pending(svc.engine, rules_loader(svc.settings), window, now)


def retrain_when_due(svc: Services, now: datetime) -> int:
    """1 when a model was trained (promoted or not), else 0. Every scheduler pass calls it; it
    looks at most once per RETRAIN_CHECK_SECONDS across all schedulers."""
    if not svc.redis.set(RETRAIN_CHECK_KEY, now.isoformat(), nx=True, ex=RETRAIN_CHECK_SECONDS):
        return 0
    done = store.retrain(svc.engine, rules_loader(svc.settings), now,
                         after_decisions=svc.settings.routing_retrain_after_decisions)
    return 0 if done is None else 1
