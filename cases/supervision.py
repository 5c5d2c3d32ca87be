"""Chasing deadlines (督办): which reminder or flag a case is due for now, who is told, and the
district office's daily list of overdue cases. Pure functions of the case's clock, ``now`` and the
district's policy (``cases.deadlines``); ``scheduler.supervision`` runs them.

Each clock (``cases.deadlines``) is chased once per deadline:

- take: the representative is reminded when half the time to take a new case has passed; when
  it has all passed, the case goes to the working committee (``escalate``, not a 督办).
- claim: the committee's clerks (the district office for a case with no sub-district) are
  reminded when half their time to pass the case on has passed.
- due: whoever handles a case (the representative, the clerks, the department's liaisons, the
  district office for tier 4) is reminded ``deadlines.remind_before_working_hours`` before its
  answer deadline.
- overdue: past a claim or answer deadline the case is flagged 督办 (``supervised_at``, a
  ``supervise`` step on its timeline), and whoever handles it and whoever oversees them are told
  (a representative's clerks; the clerks' district office; a department's clerks).

No reminder is sent twice: each is queued under the outbox key ``remind:<case>:<kind>:<deadline>``
(``Chase.cause``); the flag is set once per deadline (``supervised_at >= due_at`` means "flagged
for this deadline"), and a new clock's later deadline can be flagged again. People are not chased
at night or on rest days: only on working days, 08:00 to 20:00 Beijing time (``may_chase``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import texts as names
from cases.calendar import Calendar, beijing_date, is_working_day, working_hours_between
from cases.deadlines import RUNNING, Policy, claim_deadline, take_deadline
from cases.notices import STAFF_TEMPLATE, TEXT_LIMIT_BYTES, CaseFacts, Notice, unit_of
from cases.numbering import BEIJING_OFFSET
from cases.status import CaseStatus, Tier
from texts import beijing_time, clip
from texts import notices as notice_words
from texts import supervision as words

# The step that started a case's current clock → that clock.
CLOCK_STEPS = {"submit": "take", "route": "take", "escalate": "claim", "return": "claim", "refuse": "claim",
               "accept": "answer", "assign": "answer", "reopen": "answer"}
REMINDERS = ("take", "claim", "due")
OVERDUE = "overdue"
PURPOSES = {"take": "remind_take", "claim": "remind_claim", "due": "remind_due", OVERDUE: "supervise"}
CHASING_HOURS = (8, 20)   # Beijing time, on working days
DIGEST_NUMBERS = 10       # case numbers the daily list names per sub-district


@dataclass(frozen=True)
class Clock:
    """What the rules need of a case (``scheduler.supervision`` reads it)."""

    case_id: int
    status: CaseStatus
    tier: Tier | None
    representative_id: int | None
    escalated_at: datetime | None
    started_by: str          # the step that started the current clock (a key of CLOCK_STEPS)
    started_at: datetime     # ... and when
    due_at: datetime | None
    supervised_at: datetime | None


@dataclass(frozen=True)
class Chase:
    """One reminder, or one 督办, for one deadline of one case."""

    case_id: int
    kind: str   # take, claim, due, overdue
    deadline: datetime

    @property
    def cause(self) -> str:
        """The outbox key's first part: the case, the kind and the deadline it refers to."""
        return f"remind:{self.case_id}:{self.kind}:{self.deadline:%Y%m%dT%H%M}"

    @property
    def purpose(self) -> str:
        return PURPOSES[self.kind]


def clock_of(clock: Clock) -> str | None:
    """Which clock runs: take, claim or answer; None when none does (or nobody can be chased yet:
    a new case whose resident has not chosen a representative)."""
    if clock.status not in RUNNING:
        return None
    kind = CLOCK_STEPS.get(clock.started_by)
    if clock.status is CaseStatus.ASSIGNED:
        return "answer"
    if kind == "claim" and clock.escalated_at is not None:
        return "claim"
    if clock.status is CaseStatus.SUBMITTED:
        return "take" if clock.representative_id is not None and clock.escalated_at is None else None
    return "answer"


def deadline_of(clock: Clock, policy: Policy) -> datetime | None:
    """The running clock's deadline: the case's ``due_at``, or for a take or claim clock started
    before deadlines were kept (a case as filed), the one its start implies."""
    kind = clock_of(clock)
    if kind is None or clock.due_at is not None:
        return clock.due_at if kind else None
    if kind == "take":
        return take_deadline(clock.started_at, policy.calendar, policy.promises)
    if kind == "claim":
        return claim_deadline(clock.started_at, policy.calendar, policy.promises)
    return None


# A 督办 is pushed to the people concerned while it is news: within a working day of the deadline.
# An older breach (a scheduler down for days, an upgrade that set deadlines on old cases, a loaded
# history) is flagged all the same and listed in the district office's digest, not pushed case by
# case to everyone at once.
TOLD_WITHIN_WORKING_HOURS = 8


def tells(item: Chase, now: datetime, calendar: Calendar) -> bool:
    """Is ``item`` pushed to the people concerned (every reminder is; a 督办 while it is news)?"""
    return item.kind != OVERDUE or working_hours_between(item.deadline, now, calendar) <= TOLD_WITHIN_WORKING_HOURS


def may_chase(now: datetime, calendar: Calendar) -> bool:
    """People are reminded and told of 督办 on working days, 08:00 to 20:00 Beijing time."""
    local = now + BEIJING_OFFSET
    return is_working_day(local.date(), calendar) and CHASING_HOURS[0] <= local.hour < CHASING_HOURS[1]


def chase(clock: Clock, now: datetime, policy: Policy) -> Chase | None:
    """The reminder or the 督办 the case is due for at ``now`` (whether it was already sent is the
    outbox's to say, by ``Chase.cause``; whether it was already flagged, ``supervised_at``'s)."""
    kind = clock_of(clock)
    due = deadline_of(clock, policy)
    if kind is None or due is None:
        return None
    promises, calendar = policy.promises, policy.calendar
    if now >= due:
        if kind == "take":
            return None   # the case goes to the working committee (scheduler.notices)
        if clock.supervised_at is not None and clock.supervised_at >= due:
            return None   # flagged for this deadline already
        return Chase(clock.case_id, OVERDUE, due)
    if kind in ("take", "claim"):
        hours = promises.take_working_hours if kind == "take" else promises.claim_working_hours
        if working_hours_between(clock.started_at, now, calendar) >= hours / 2:
            return Chase(clock.case_id, kind, due)
        return None
    if working_hours_between(now, due, calendar) <= promises.remind_before_working_hours:
        return Chase(clock.case_id, "due", due)
    return None


# -- who is told ------------------------------------------------------------------------------------

def _committee_openids(facts: CaseFacts) -> tuple[str, ...]:
    """The working committee's clerks, or the district office for a case with no sub-district."""
    return facts.clerk_openids if facts.sub_district and facts.clerk_openids else facts.district_openids


def handlers(clock: Clock, facts: CaseFacts) -> tuple[str, ...]:
    """Who handles the case now (their bound WeChats)."""
    kind = clock_of(clock)
    if kind == "take":
        return (facts.representative_openid,) if facts.representative_openid else ()
    if kind == "claim":
        return _committee_openids(facts)
    if clock.status is CaseStatus.ASSIGNED:
        return {Tier.SUBDISTRICT: _committee_openids(facts), Tier.DEPARTMENT: facts.department_openids,
                Tier.HIGHER_CONGRESS: facts.district_openids}.get(clock.tier, _committee_openids(facts))
    if facts.representative_openid and clock.escalated_at is None:
        return (facts.representative_openid,)
    return _committee_openids(facts)


def overseers(clock: Clock, facts: CaseFacts) -> tuple[str, ...]:
    """Who oversees whoever handles the case: a representative's or a department's clerks, the
    clerks' district office."""
    handling = set(handlers(clock, facts))
    if handling & set(facts.district_openids):
        return ()   # the district office oversees itself
    clerks = _committee_openids(facts)
    above = facts.district_openids if handling & set(clerks) else clerks
    return tuple(openid for openid in above if openid not in handling)


def handling_unit(clock: Clock, facts: CaseFacts) -> str:
    """Whoever handles the case, as the notice to their overseers names them."""
    committee = facts.committee or (names.SOME_COMMITTEE if facts.sub_district else names.DISTRICT_OFFICE)
    if clock.status is CaseStatus.ASSIGNED and clock.tier is not None:
        return unit_of(clock.tier, facts) or committee
    if clock_of(clock) != "claim" and facts.representative_name and clock.escalated_at is None:
        return words.REPRESENTATIVE_UNIT.format(name=facts.representative_name)
    return committee


def notices(item: Chase, clock: Clock, facts: CaseFacts, now: datetime) -> list[Notice]:
    """The reminder or the 督办 notices for ``item``."""
    committee = facts.committee or (names.SOME_COMMITTEE if facts.sub_district else names.DISTRICT_OFFICE)
    values = {"number": facts.number, "short": facts.short, "due": beijing_time(item.deadline),
              "summary": clip(facts.summary, 60), "committee": committee, "unit": handling_unit(clock, facts)}
    line = notice_words.progress(words.PROGRESS[item.purpose], summary=facts.summary)
    data = {"number": facts.number, "text": line, "time": beijing_time(now)}
    if item.kind == OVERDUE:
        told = [(openid, words.OVERDUE_TO_HANDLER) for openid in handlers(clock, facts)]
        told += [(openid, words.OVERDUE_TO_OVERSEER) for openid in overseers(clock, facts)]
    else:
        told = [(openid, words.REMINDERS[item.kind]) for openid in handlers(clock, facts)]
    seen: set[str] = set()
    out = []
    for openid, text in told:
        if openid and openid not in seen:
            seen.add(openid)
            out.append(Notice(openid, item.purpose, text.format(**values), STAFF_TEMPLATE, dict(data)))
    return out


def ledger_note(item: Chase) -> str:
    return words.LEDGER_NOTE.format(due=beijing_time(item.deadline))


# -- the district office's daily list -------------------------------------------------------------

@dataclass(frozen=True)
class Overdue:
    """An overdue case as the daily list names it."""

    sub_district: str   # "" for none
    number: str
    supervised: bool


def digest_text(cases: Iterable[Overdue], day: date) -> str:
    """The daily list: how many cases are overdue, by sub-district, with their numbers."""
    by_unit: dict[str, list[Overdue]] = {}
    for case in cases:
        by_unit.setdefault(case.sub_district, []).append(case)
    total = sum(len(group) for group in by_unit.values())
    lines = [words.DIGEST_HEAD.format(date=words.digest_date(day), count=total)]
    for unit in sorted(by_unit, key=lambda name: (name == "", name)):
        group = by_unit[unit]
        shown = "、".join(case.number + (words.DIGEST_SUPERVISED if case.supervised else "")
                         for case in group[:DIGEST_NUMBERS])
        more = words.DIGEST_MORE if len(group) > DIGEST_NUMBERS else ""
        lines.append(words.DIGEST_LINE.format(sub_district=unit or words.NO_SUB_DISTRICT, count=len(group),
                                              numbers=shown + more))
    cut = False
    while len("\n".join(lines + [words.DIGEST_CUT, words.DIGEST_TAIL]).encode()) > TEXT_LIMIT_BYTES and len(lines) > 1:
        lines.pop()   # one message: a district of very many sub-districts reads the rest in the console
        cut = True
    return "\n".join(lines + ([words.DIGEST_CUT] if cut else []) + [words.DIGEST_TAIL])


def digest_notices(openids: Iterable[str], cases: list[Overdue], now: datetime) -> list[Notice]:
    """The district office's daily list, one message each; none when nothing is overdue."""
    if not cases:
        return []
    day = beijing_date(now)
    text = digest_text(cases, day)
    data = {"number": f"{day:%Y%m%d}", "text": words.PROGRESS["digest"].format(count=len(cases)),
            "time": beijing_time(now)}
    return [Notice(openid, "digest", text, STAFF_TEMPLATE, dict(data)) for openid in dict.fromkeys(openids) if openid]


def digest_cause(now: datetime) -> str:
    """The outbox key's first part of a day's list: one a day."""
    return f"digest:{beijing_date(now):%Y%m%d}"
