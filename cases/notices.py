"""Who is told of a step on a case, and what they read: pure functions of the step and the facts
about the case, tested as a table. ``cases.actions.perform`` writes what they return to the
outbox in the step's own transaction.

Residents hear every step in their words (those with no WeChat, filed by staff, hear nothing:
staff call them); the representative hears of new cases and of what others did on theirs; the
working committee's clerks hear of cases nobody else would hear, of cases passed to their
sub-district and of cases a department refused; department liaisons of cases passed to their
department; the district office of proposals and of cases with no sub-district at all; the
representatives who sign a proposal, of it and of its answer. A reopened case goes back to
whoever handles it at its tier (``handling_openids``) with the reason. A resident is not pushed
news of a step they took themselves (a rating's reopen or close): the chat's reply or the rating
page says it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import texts as names
from cases.scope import Actor
from cases.status import ActorKind, Tier
from texts import beijing_time, clip
from texts import notices as words
from texts import routing as routing_words

# Steps whose words are the answer the resident waits for: sent whole, in several messages if long.
ANSWERS = ("reply", "answer_proposal")

# WeChat takes at most 2,048 bytes of text in one customer-service message.
TEXT_LIMIT_BYTES = 2048
SUMMARY_CHARS = 60

RESIDENT_TEMPLATE = "case_progress"
STAFF_TEMPLATE = "case_notice"


@dataclass(frozen=True)
class Notice:
    openid: str
    purpose: str
    text: str
    template: str
    template_data: dict[str, str]
    part: int = 0  # a long answer goes in several messages
    url: str = ""  # the page a template message opens (the rating page); empty: none


@dataclass(frozen=True)
class CaseFacts:
    """What notices say about a case, after the step."""

    number: str
    short: str  # the number's last digits, as a representative may type it
    submitted_at: datetime
    summary: str
    tier: Tier | None
    resident_openid: str | None  # None when the resident unfollowed or has no WeChat (filed by staff)
    representative_id: int | None = None
    representative_name: str = ""
    representative_openid: str | None = None
    sub_district: str = ""  # 东湖街道
    committee: str = ""  # 东湖街道人大工委
    department: str = ""
    clerk_openids: tuple[str, ...] = ()
    department_openids: tuple[str, ...] = ()
    district_openids: tuple[str, ...] = ()
    merged_into: str = ""
    escalation_reason: str = ""
    hours: int = 0  # for "not taken within N working hours"
    # What the step adds (cases.actions: a deadline, a referral, a refusal's reason, a proposal).
    extra: dict[str, str] = field(default_factory=dict)
    suggestion: dict | None = None  # the routing engine's (cases.routing.engine.Suggestion.as_dict())
    signer_openids: tuple[str, ...] = ()  # the representatives signing the case's proposal


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-8 bytes, never inside a character, preferring
    to break after a line or a sentence."""
    pieces: list[str] = []
    rest = text
    while len(rest.encode()) > limit:
        cut, size = 0, 0
        for index, char in enumerate(rest):
            size += len(char.encode())
            if size > limit:
                break
            cut = index + 1
        window = rest[:cut]
        soft = max(window.rfind(mark) for mark in ("\n", "。", "！", "？", "；", "，"))
        if soft >= cut // 2:
            cut = soft + 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


def tells_resident(action: str) -> bool:
    """Does ``action`` have words for the resident (so one without WeChat must be phoned)?"""
    return any(key == action or key.startswith(f"{action}_") for key in words.TO_RESIDENT)


def unit_of(tier: Tier | None, facts: CaseFacts) -> str:
    """The public name of whoever handles a case of ``tier``."""
    if tier is Tier.SUBDISTRICT:
        return facts.sub_district or names.SOME_SUB_DISTRICT
    if tier is Tier.DEPARTMENT:
        return facts.department or names.SOME_DEPARTMENT
    if tier is Tier.HIGHER_CONGRESS:
        return names.HIGHER_CONGRESS
    return ""


def handling_openids(facts: CaseFacts) -> tuple[str, ...]:
    """Who handles the case at its tier, and so hears it come back (a reopen, a resident's
    comment): the department's liaisons, the sub-district's clerks, the district office for a
    proposal, the representative for their own answer; the committee's clerks (or the district
    office) when nobody there has a bound WeChat."""
    by_tier = {Tier.DEPARTMENT: facts.department_openids, Tier.SUBDISTRICT: facts.clerk_openids,
               Tier.HIGHER_CONGRESS: facts.district_openids}
    if facts.tier in by_tier:
        openids = by_tier[facts.tier]
    else:
        openids = (facts.representative_openid,) if facts.representative_openid else ()
    return tuple(openids) or facts.clerk_openids or facts.district_openids


def for_step(action: str, actor: Actor, facts: CaseFacts, note: str, at: datetime) -> list[Notice]:
    """Everyone to tell of ``action`` by ``actor``, and what to tell them."""
    time = beijing_time(at)
    summary = clip(facts.summary, SUMMARY_CHARS)
    key = f"assign_{facts.tier.value}" if action == "assign" and facts.tier else action
    unit = unit_of(facts.tier, facts)
    values = {"number": facts.number, "short": facts.short, "who": actor.label or facts.committee,
              "unit": unit, "committee": facts.committee or names.SOME_COMMITTEE, "note": note,
              "other": facts.merged_into, "summary": summary, "time": time, "note_line": words.note_line(note),
              "submitted": beijing_time(facts.submitted_at), "suggestion": routing_words.notice_lines(facts.suggestion),
              "department": facts.department,
              "result_line": words.result_line(note) if actor.kind is ActorKind.STAFF else "",
              "due_line": words.due_line(facts.extra.get("due", "")), **words.EXTRA_DEFAULTS, **facts.extra}
    notices: list[Notice] = []

    def tell_staff(openids, purpose, text, progress_key):
        line = words.progress(words.STAFF_PROGRESS[progress_key], summary=facts.summary)
        for openid in dict.fromkeys(openids):
            if openid and openid != actor.openid:
                notices.append(Notice(openid, purpose, text, STAFF_TEMPLATE,
                                      {"number": facts.number, "text": line, "time": time}))

    if facts.resident_openid and key in words.TO_RESIDENT and actor.kind is not ActorKind.RESIDENT:
        line = clip(words.RESIDENT_PROGRESS[key].format(**values), 20)
        data = {"number": facts.number, "text": line, "time": time}
        if action in ANSWERS:
            head, *more = split_text(words.TO_RESIDENT[action].format(**values))
            texts = [head] + [words.TO_RESIDENT["reply_continued"].format(number=facts.number, note=part)
                              for part in more]
            notices += [Notice(facts.resident_openid, "reply", text, RESIDENT_TEMPLATE, data, part)
                        for part, text in enumerate(texts)]
        else:
            notices.append(Notice(facts.resident_openid, action, words.TO_RESIDENT[key].format(**values),
                                  RESIDENT_TEMPLATE, data))

    if action == "assign" and facts.tier is Tier.SUBDISTRICT:
        tell_staff(facts.clerk_openids, "assigned", words.ASSIGNED_TO_UNIT.format(**values), "assign")
    elif action == "assign" and facts.tier is Tier.DEPARTMENT:
        tell_staff(facts.department_openids, "assigned", words.ASSIGNED_TO_UNIT.format(**values), "assign")
    elif action == "assign" and facts.tier is Tier.HIGHER_CONGRESS:
        tell_staff(facts.district_openids, "proposal", words.PROPOSAL.format(**values), "proposal")
    if action in ("escalate", "return", "refuse"):
        reason = words.ESCALATION_REASONS[facts.escalation_reason].format(
            **{**values, "representative": facts.representative_name or actor.name, "hours": facts.hours})
        if facts.committee and facts.clerk_openids:
            tell_staff(facts.clerk_openids, "escalated", words.ESCALATED.format(**values, reason=reason), "escalate")
        else:
            tell_staff(facts.district_openids, "escalated", words.ESCALATED_TO_DISTRICT.format(**values, reason=reason),
                       "escalate")
    if action in words.PROPOSAL_NEWS:
        tell_staff([*facts.signer_openids, facts.representative_openid], "proposal",
                   words.PROPOSAL_NEWS[action].format(**values), "proposal")
    if action == "route" and facts.representative_openid:
        tell_staff([facts.representative_openid], "new_case", words.NEW_CASE.format(**values), "new_case")
    if action == "reopen":
        own = facts.tier in (None, Tier.REPRESENTATIVE)
        tell_staff(handling_openids(facts), "reopened",
                   words.REOPENED.format(**values) + (words.REOPENED_HINT.format(**values) if own else ""), "reopen")
    what_key = f"{action}_by_resident" if actor.kind is ActorKind.RESIDENT else action
    what_key = what_key if what_key in words.REPRESENTATIVE_WHAT else action
    if (action in words.REPRESENTATIVE_WHAT and actor.kind is not ActorKind.REPRESENTATIVE
            and facts.representative_openid
            and all(n.openid != facts.representative_openid for n in notices)):   # once per step
        what = words.REPRESENTATIVE_WHAT[what_key].format(**values)
        tell_staff([facts.representative_openid], "told_representative",
                   words.TOLD_REPRESENTATIVE.format(**values, what=what), "told_representative")
    return notices


def new_case(facts: CaseFacts, at: datetime) -> Notice | None:
    """The representative's notice of a new case routed to them (sent by the scheduler), with
    the routing suggestion when there is one."""
    if not facts.representative_openid:
        return None
    time = beijing_time(at)
    text = words.NEW_CASE.format(number=facts.number, short=facts.short, summary=clip(facts.summary, SUMMARY_CHARS),
                                 submitted=beijing_time(facts.submitted_at),
                                 suggestion=routing_words.notice_lines(facts.suggestion))
    line = words.progress(words.STAFF_PROGRESS["new_case"], summary=facts.summary)
    return Notice(facts.representative_openid, "new_case", text, STAFF_TEMPLATE,
                  {"number": facts.number, "text": line, "time": time})
