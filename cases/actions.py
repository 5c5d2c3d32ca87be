"""The one way to act on a case: ``perform``.

Every step, whoever takes it (a resident, a representative in WeChat, a clerk in WeChat or the
console, the scheduler, the demo loader), goes through here: the actor's right to take it (the
scope rule, ``cases.scope``), the transition (``cases.transitions``), the case's new status,
timestamps, tier, department, deadline, referral or representative, the ``CaseEvent``, a proposal
for tier 4 and its details, and the outbox rows for everyone the step concerns
(``cases.notices``) — all on the caller's connection, inside the caller's transaction, so that all
of it commits or none of it does.

A department's answer (反馈) is a ``reply``: the liaison's own is signed by the department; a
clerk entering it for the department (``for_department``) signs it with the department's name
too, while the event records the clerk who typed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time

from sqlalchemy import Connection, delete, func, insert, select, update

from cases import deadlines as deadline_rules
from cases import notices as notice_rules
from cases.notices import CaseFacts, Notice
from cases.numbering import BEIJING_OFFSET, case_number
from cases.scope import Actor, CaseScope, covers, may
from cases.status import CATEGORY_SEPARATOR, COLOURS, ActorKind, CaseStatus, Tier
from cases.transitions import Step, TransitionError, apply
from models import (
    Case,
    CaseEvent,
    CaseSuggestion,
    Department,
    OutboxMessage,
    Proposal,
    Representative,
    Resident,
    StaffUser,
    SubDistrict,
    proposal_signers,
)
from models.staff import StaffRole
from texts import HIGHER_CONGRESS, beijing_time
from texts import notices as notice_words
from texts import routing as texts_routing


class CaseNotFound(LookupError):
    """No such case, or not one the actor may see: both answer the same."""


class NotPermitted(PermissionError):
    """The actor sees the case but does not take this kind of step."""


@dataclass(frozen=True)
class ProposalDraft:
    """A tier-4 case's proposal (代表建议) as it goes upward."""

    title: str
    body: str
    signer_ids: tuple[int, ...]
    sent_to: str


@dataclass(frozen=True)
class Performed:
    case_id: int
    number: str
    step: Step
    event_id: int
    notices: int


def perform(
    conn: Connection,
    case_id: int,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    tier: Tier | None = None,
    department_id: int | None = None,
    representative_id: int | None = None,
    merged_into_id: int | None = None,
    escalation_reason: str | None = None,
    hours: int = 0,
    note: str = "",
    category: str | None = None,
    colour: str | None = None,
    due_at: datetime | None = None,
    code: str | None = None,
    reference: str = "",
    reasons: Mapping[str, str] | None = None,
    proposal: ProposalDraft | None = None,
    for_department: bool = False,
    notify: bool = True,
    deadlines: deadline_rules.Policy | None = None,
) -> Performed:
    """Take ``action`` on the case for ``actor``; raises CaseNotFound, NotPermitted or
    TransitionError (nothing written) when it may not be taken. ``notify=False`` records a step
    without telling anyone (loading a history, as the demo does).

    Step by step: ``due_at`` the deadline of an ``assign`` (else the tier's promise); ``code`` and ``reference`` where a
    ``refer`` went and that body's reference; ``code`` and ``reasons`` (the configured list, code →
    label) why a department ``refuse``s; ``proposal`` what a ``propose`` records; ``for_department``
    a ``reply`` a clerk enters as the department's answer. ``deadlines``: the promises and calendar
    that set ``due_at`` (``cases.deadlines``; default: the process's configured ones)."""
    case = conn.execute(select(Case.__table__).where(Case.id == case_id).with_for_update()).first()
    if case is None or not covers(actor, CaseScope(case.resident_id, case.representative_id,
                                                    case.sub_district_id, case.department_id)):
        raise CaseNotFound(case_id)
    if not may(actor, action):
        raise NotPermitted(action)
    if merged_into_id is not None:
        target = conn.execute(select(Case.resident_id, Case.representative_id, Case.sub_district_id,
                                     Case.department_id).where(Case.id == merged_into_id)).first()
        if target is None or not covers(actor, CaseScope(*target)):
            raise CaseNotFound(merged_into_id)
    current_tier = Tier(case.tier) if case.tier else None
    if action == "reply" and tier is None:
        tier = current_tier or answering_tier(actor)
    step = apply(CaseStatus(case.status), action,
                 tier=tier if action in ("accept", "assign", "reply", "classify") and tier else current_tier, note=note,
                 code=code)

    if for_department and actor.role is StaffRole.DEPARTMENT:
        raise NotPermitted("a liaison's own reply is the department's answer")
    if for_department and (action != "reply" or actor.kind is not ActorKind.STAFF or case.department_id is None):
        raise TransitionError("only staff enter a department's answer, on a case passed to a department")
    signers = _checked_signers(conn, proposal) if action == "propose" else []
    change = _changes(conn, case, step, now, tier=tier, department_id=department_id,
                      representative_id=representative_id, merged_into_id=merged_into_id,
                      escalation_reason=escalation_reason, note=note, category=category, colour=colour,
                      due_at=due_at, code=code, reference=reference, reasons=reasons,
                      for_department=for_department, policy=deadlines or deadline_rules.configured())
    conn.execute(update(Case.__table__).where(Case.id == case_id).values(**change.values))
    event_id = conn.execute(
        insert(CaseEvent.__table__).returning(CaseEvent.__table__.c.id),
        {"case_id": case_id, "at": now, "actor_kind": actor.kind, "actor_id": actor.id, "action": action,
         "from_status": step.from_status, "to_status": step.to_status, "note": change.note, "code": code},
    ).scalar_one()
    extra = {**change.extra, **_record_proposal(conn, case, step, actor, now, note, proposal, signers)}

    queued = 0
    if notify:
        facts = case_facts(conn, case_id, escalation_reason=change.values.get("escalation_reason") or "",
                           hours=hours, previous_representative_id=case.representative_id, extra=extra,
                           with_signers=action in ("propose", "answer_proposal"))
        speaker = replace(actor, name=facts.department) if for_department else actor
        queued = queue(conn, f"evt:{event_id}", notice_rules.for_step(action, speaker, facts, note, now), case_id,
                       now)
    return Performed(case_id, case_number(case_id, case.created_at), step, event_id, queued)


def due_by(day: date) -> datetime:
    """A deadline given as a Beijing date: the end of that day (23:59 Beijing), stored as UTC."""
    return datetime.combine(day, time(23, 59)) - BEIJING_OFFSET


@dataclass(frozen=True)
class Change:
    values: dict  # the case's columns after the step
    note: str  # the event's note as the ledger reads it
    extra: dict[str, str]  # what notices of this step say beyond the case's facts


def _checked_signers(conn: Connection, draft: ProposalDraft | None) -> list[int]:
    """The representatives who sign ``draft`` (active ones, by id); refuses an incomplete draft."""
    if draft is None or not draft.title.strip() or not draft.body.strip() or not draft.sent_to.strip():
        raise TransitionError("a proposal needs its title, text and where it goes")
    signers = list(conn.scalars(select(Representative.id).where(Representative.id.in_(set(draft.signer_ids)),
                                                                Representative.active.is_(True))
                                .order_by(Representative.id))) if draft.signer_ids else []
    if not signers:
        raise TransitionError("a proposal needs at least one representative to sign it")
    return signers


def _record_proposal(conn: Connection, case, step: Step, actor: Actor, now: datetime, note: str,
                     draft: ProposalDraft | None, signers: list[int]) -> dict[str, str]:
    """The proposal a tier-4 step writes: opened by ``assign``, its details by ``propose``, its
    answer by ``answer_proposal``. Returns what notices say of it."""
    table = Proposal.__table__
    if step.action == "assign" and step.tier is Tier.HIGHER_CONGRESS:
        conn.execute(insert(table), {
            "case_id": case.id, "note": note, "created_at": now, "title": case.summary[:200],
            "representative_id": actor.id if actor.kind is ActorKind.REPRESENTATIVE else case.representative_id})
        return {}
    if step.action not in ("propose", "answer_proposal"):
        return {}
    proposal_id = conn.scalar(select(table.c.id).where(table.c.case_id == case.id).order_by(table.c.id.desc()))
    if proposal_id is None:   # passed upward before proposals kept their details
        proposal_id = conn.execute(insert(table).returning(table.c.id), {
            "case_id": case.id, "note": "", "created_at": now, "representative_id": case.representative_id,
        }).scalar_one()
    if step.action == "propose":
        conn.execute(update(table).where(table.c.id == proposal_id).values(
            title=draft.title.strip()[:200], body=draft.body.strip(), sent_to=draft.sent_to.strip()[:64], sent_at=now))
        conn.execute(delete(proposal_signers).where(proposal_signers.c.proposal_id == proposal_id))
        conn.execute(insert(proposal_signers), [{"proposal_id": proposal_id, "representative_id": rep_id}
                                                for rep_id in signers])
    else:
        conn.execute(update(table).where(table.c.id == proposal_id).values(answer=note.strip(), answered_at=now))
    row = conn.execute(select(table.c.title, table.c.sent_to).where(table.c.id == proposal_id)).one()
    return {"title": row.title or case.summary, "to": row.sent_to or HIGHER_CONGRESS}


def _changes(conn: Connection, case, step: Step, now: datetime, *, tier, department_id, representative_id,
             merged_into_id, escalation_reason, note, category, colour, due_at, code, reference, reasons,
             for_department, policy: deadline_rules.Policy) -> Change:
    """The case's columns after ``step``, the event's note as the ledger reads it, and what the
    step's notices say beyond the case's facts."""
    changes: dict = {"status": step.to_status, "updated_at": now}
    event_note = note
    extra: dict[str, str] = {}
    action = step.action
    if action in ("accept", "reply", "assign"):
        changes["accepted_at"] = case.accepted_at or now
        changes["grouping_closed"] = True  # someone is on it: the resident's next words are news
        if step.tier is not None:
            changes["tier"] = step.tier
    if action in ("reply", "answer_proposal"):
        changes["replied_at"] = now
        if for_department:
            name = conn.scalar(select(Department.name).where(Department.id == case.department_id))
            event_note = notice_words.LEDGER_NOTES["for_department"].format(department=name, note=note)
    elif action == "assign":
        if due_at is not None and due_at <= now:
            raise TransitionError("a deadline must be in the future")
        changes.update(assigned_at=now, escalated_at=None)
        if step.tier is Tier.DEPARTMENT:
            name = conn.scalar(select(Department.name).where(Department.id == department_id))
            if name is None:
                raise TransitionError("assigning to a department needs the department")
            changes["department_id"] = department_id
            event_note = f"{name}：{note}" if note else name
        elif step.tier is Tier.SUBDISTRICT:
            if case.sub_district_id is None:
                raise TransitionError("the case has no sub-district to pass it to")
            name = conn.scalar(select(SubDistrict.name).where(SubDistrict.id == case.sub_district_id))
            event_note = f"{name}：{note}" if note else name
    elif action == "return":
        changes.update(representative_id=None, escalated_at=now, escalation_reason="returned", tier=None)
    elif action == "route":
        rep = conn.execute(select(Representative.id, Representative.name, Representative.sub_district_id,
                                  Representative.primary_contact_point_id)
                           .where(Representative.id == representative_id, Representative.active.is_(True))).first()
        if rep is None:
            raise TransitionError("routing a case needs an active representative")
        changes.update(representative_id=rep.id, escalated_at=None, escalation_reason=None,
                       sub_district_id=case.sub_district_id or rep.sub_district_id,
                       contact_point_id=case.contact_point_id or rep.primary_contact_point_id)
        event_note = f"{rep.name}：{note}" if note else rep.name
    elif action == "escalate":
        if not escalation_reason:
            raise TransitionError("escalating needs a reason")
        changes.update(escalated_at=now, escalation_reason=escalation_reason)
    elif action == "close":
        changes["closed_at"] = now
    elif action == "classify":
        changes.update(classified(tier, category, colour))
        event_note = texts_routing.classified_note(changes.get("tier"), changes.get("category"),
                                                   changes.get("colour"), note)
    elif action == "reopen":
        changes.update(closed_at=None, grouping_closed=True)
    elif action == "merge":
        if merged_into_id is None or merged_into_id == case.id:
            raise TransitionError("merging needs another case")
        changes["merged_into_id"] = merged_into_id
    elif action == "refer":
        reference = reference.strip()
        if not reference or len(reference) > 64:
            raise TransitionError("a referral records the reference the other body gave it")
        changes.update(referred_to=code, referral_reference=reference, escalated_at=None)
        extra.update(body=notice_words.REFERRAL_BODIES[code], reference=reference)
        event_note = notice_words.LEDGER_NOTES["refer"].format(**extra, note_line=_then(note))
    elif action == "refuse":
        label = (reasons or {}).get(code)
        if label is None:
            raise TransitionError(f"a refusal gives one of the configured reasons, not {code!r}")
        name = conn.scalar(select(Department.name).where(Department.id == case.department_id)) or ""
        changes.update(department_id=None, tier=None, escalated_at=now, escalation_reason="refused")
        extra.update(department=name, refusal=label + _then(note))
        event_note = notice_words.LEDGER_NOTES["refuse"].format(**extra)
    elif action == "supervise":
        changes["supervised_at"] = now
    due = _due(step, case, now, policy, given=due_at, changes=changes)
    if due is not KEEP:
        changes["due_at"] = due
    if action == "assign":
        extra["due"] = beijing_time(due)
    return Change(changes, event_note, extra)


KEEP = object()   # the step leaves the case's deadline as it is
# The steps after which nobody owes the resident anything more on this case: no deadline.
ENDS_THE_CLOCK = frozenset({"merge", "invalidate", "withdraw", "refer"})
ANSWER_CLOCK = (CaseStatus.ACCEPTED, CaseStatus.ASSIGNED)   # statuses whose deadline is the tier's promise


def _due(step: Step, case, now: datetime, policy: deadline_rules.Policy, given: datetime | None,
         changes: dict):
    """The case's deadline after ``step`` (``cases.deadlines``: which steps start which clock), or KEEP.
    A ``classify`` that sets another tier or colour on a case being handled may bring the deadline
    forward (红 from now on), never push it back."""
    promises, days = policy.promises, policy.calendar
    action = step.action
    if action == "classify":
        if case.status not in ANSWER_CLOCK or not ({"tier", "colour"} & changes.keys()):
            return KEEP
        sooner = deadline_rules.deadline(step.tier, changes.get("colour", case.colour), now, days, promises)
        return min(case.due_at, sooner) if case.due_at else sooner
    if action in ("accept", "reopen") or (action == "assign" and given is None):
        return deadline_rules.deadline(step.tier, case.colour, now, days, promises)
    if action == "assign":
        return given
    if action == "route":
        return deadline_rules.take_deadline(now, days, promises)
    if action in ("return", "refuse") or (action == "escalate" and step.from_status is not CaseStatus.ASSIGNED):
        return deadline_rules.claim_deadline(now, days, promises)
    if action in ENDS_THE_CLOCK:
        return None
    return KEEP   # reply, answer_proposal and close stop the clock by the status they lead to


def _then(note: str) -> str:
    """A free note after a fixed phrase."""
    return f"。{note}" if note else ""


def answering_tier(actor: Actor) -> Tier:
    """The tier of an answer given straight away: the representative's own (1), a department's
    (3), otherwise the working committee's or the district office's (2)."""
    if actor.kind is ActorKind.STAFF:
        return Tier.DEPARTMENT if actor.role is StaffRole.DEPARTMENT else Tier.SUBDISTRICT
    return Tier.REPRESENTATIVE


def classified(tier: Tier | None, category: str | None, colour: str | None) -> dict:
    """What a 「classify」 step writes; refuses an empty step, an unknown colour, an overlong path."""
    if tier is None and not category and not colour:
        raise TransitionError("classifying needs a tier, a category or a colour")
    if colour and colour not in COLOURS:
        raise TransitionError(f"unknown colour {colour!r}; valid: {', '.join(COLOURS)}")
    if category and (len(category) > 64 or not category.strip(CATEGORY_SEPARATOR).strip()):
        raise TransitionError("a category is a path of the category tree, at most 64 characters")
    return {key: value for key, value in (("tier", tier), ("category", category), ("colour", colour)) if value}


def case_facts(conn: Connection, case_id: int, *, escalation_reason: str = "", hours: int = 0,
               previous_representative_id: int | None = None, extra: Mapping[str, str] | None = None,
               with_signers: bool = False) -> CaseFacts:
    """What notices say about the case as it is now, and who can be told. A resident without
    WeChat (filed by staff, not linked yet) or who unfollowed is told nothing."""
    row = conn.execute(
        select(Case.id, Case.created_at, Case.summary, Case.tier, Case.sub_district_id, Case.department_id,
               Case.merged_into_id, Case.representative_id, Resident.openid.label("resident_openid"),
               Resident.subscribed, Representative.name.label("rep_name"), Representative.openid.label("rep_openid"),
               SubDistrict.name.label("sd_name"), SubDistrict.committee_name, Department.name.label("dept_name"),
               CaseSuggestion.detail.label("suggestion"))
        .join(Resident, Resident.id == Case.resident_id)
        .outerjoin(Representative, Representative.id == func.coalesce(Case.representative_id,
                                                                      previous_representative_id))
        .outerjoin(SubDistrict, SubDistrict.id == Case.sub_district_id)
        .outerjoin(Department, Department.id == Case.department_id)
        .outerjoin(CaseSuggestion, CaseSuggestion.case_id == Case.id)
        .where(Case.id == case_id)
    ).one()
    staff = conn.execute(
        select(StaffUser.openid, StaffUser.role, StaffUser.sub_district_id, StaffUser.department_id)
        .where(StaffUser.openid.is_not(None), StaffUser.active.is_(True))
        .where((StaffUser.role == StaffRole.DISTRICT)
               | ((StaffUser.role == StaffRole.SUBDISTRICT) & (StaffUser.sub_district_id == row.sub_district_id))
               | ((StaffUser.role == StaffRole.DEPARTMENT) & (StaffUser.department_id == row.department_id)))
        .order_by(StaffUser.id)
    ).all()
    merged_into = ""
    if row.merged_into_id:
        created = conn.scalar(select(Case.created_at).where(Case.id == row.merged_into_id))
        merged_into = case_number(row.merged_into_id, created)
    return CaseFacts(
        number=case_number(row.id, row.created_at), short=str(row.id), submitted_at=row.created_at,
        summary=row.summary,
        tier=Tier(row.tier) if row.tier else None,
        resident_openid=row.resident_openid if row.subscribed and row.resident_openid else None,
        representative_id=row.representative_id, representative_name=row.rep_name or "",
        representative_openid=row.rep_openid if row.representative_id else None,
        sub_district=row.sd_name or "", committee=row.committee_name or "", department=row.dept_name or "",
        clerk_openids=tuple(s.openid for s in staff if s.role == StaffRole.SUBDISTRICT),
        department_openids=tuple(s.openid for s in staff if s.role == StaffRole.DEPARTMENT),
        district_openids=tuple(s.openid for s in staff if s.role == StaffRole.DISTRICT),
        merged_into=merged_into, escalation_reason=escalation_reason, hours=hours,
        extra=dict(extra or {}), suggestion=row.suggestion,
        signer_openids=_signer_openids(conn, case_id) if with_signers else (),
    )


def _signer_openids(conn: Connection, case_id: int) -> tuple[str, ...]:
    """The bound WeChats of the representatives who sign the case's latest proposal."""
    latest = select(func.max(Proposal.id)).where(Proposal.case_id == case_id).scalar_subquery()
    return tuple(conn.scalars(
        select(Representative.openid).join(proposal_signers, proposal_signers.c.representative_id == Representative.id)
        .where(proposal_signers.c.proposal_id == latest, Representative.openid.is_not(None))
        .order_by(Representative.id)))


def queue(conn: Connection, cause: str, notices: list[Notice], case_id: int | None, now: datetime) -> int:
    """Write ``notices`` to the outbox, each keyed by the event that caused it (``cause``)."""
    if not notices:
        return 0
    conn.execute(insert(OutboxMessage.__table__), [
        {"idempotency_key": f"{cause}:{n.purpose}:{n.openid}" + (f":{n.part}" if n.part else ""),
         "openid": n.openid, "purpose": n.purpose, "case_id": case_id, "text": n.text, "template": n.template,
         "template_data": n.template_data, "status": "pending", "channel": "custom", "attempts": 0,
         "next_attempt_at": now, "created_at": now, "url": n.url or None}
        for n in notices
    ])
    return len(notices)
