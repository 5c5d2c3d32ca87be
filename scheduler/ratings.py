"""Jobs of the residents' ratings (验单, ``cases.ratings``): ask about each answered or closed case
once per round, and let ratings nobody answered expire. Both run every pass and are safe to run
twice or to rerun after dying halfway: each request is written in one transaction with its
outbox row, keyed by its rated step's unique ``event_id``, and each expiry in one transaction
with the close it implies; one case that fails holds up no other.

Residents hear from these jobs in the daytime only (``cases.ratings.may_ask``, 08:00 to 20:00
Beijing time): at night both do nothing but settle the requests a reopen superseded, which tells
nobody, and the first passes after 08:00 catch up.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.rating_page import link_maker
from bot.services import Services
from cases import ratings

log = logging.getLogger(__name__)


def ask_for_ratings(svc: Services, now: datetime) -> int:
    """Queue the question for every case whose current round nobody asked about; returns how
    many were asked. The template message stands in outside WeChat's window, its link opening
    the rating page (``bot.rating_page``). Requests whose case was reopened since are settled as
    superseded first, at any hour."""
    with svc.engine.begin() as conn:
        ratings.supersede(conn, now)
    if not ratings.may_ask(now):
        return 0
    link = link_maker(svc.settings, now)
    with svc.engine.connect() as conn:
        due = ratings.due_for_asking(conn, now)
    asked = 0
    for case_id, event_id in due:
        try:
            with svc.engine.begin() as conn:
                asked += ratings.ask(conn, case_id, event_id, now, link) is not None
        except Exception:  # noqa: BLE001 - logged; the others go on, and the next pass tries again
            log.exception("case %s: could not ask for a rating", case_id)
    return asked


def expire_ratings(svc: Services, now: datetime) -> int:
    """Ratings not answered within ``ratings.expire_days`` become 未评价, and a case still 已答复
    is closed by the system. One transaction each: one case that cannot be closed holds up no
    other. Returns how many expired; none at night (the close is news the resident hears)."""
    if not ratings.may_ask(now):
        return 0
    days = svc.settings.ratings_expire_days
    with svc.engine.connect() as conn:
        due = ratings.due_to_expire(conn, now, days)
    expired = 0
    for rating_id in due:
        try:
            with svc.engine.begin() as conn:
                expired += ratings.expire(conn, rating_id, now, days)
        except Exception:  # noqa: BLE001 - logged; the others go on, and the next pass tries again
            log.exception("rating %s could not expire", rating_id)
    return expired
