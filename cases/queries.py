"""Reading cases for the people who work on them and for the residents who reported them: a case
by its number as someone types it, a to-do list, one case in full, a resident's recent cases.
Every query takes the actor and applies the one scope rule (``cases.scope.clause``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select

import texts
from cases.numbering import ID_DIGITS, case_number, parse_case_number
from cases.scope import Actor, clause
from cases.status import OPEN_STATUSES, ActorKind, CaseStatus, MessageKind, Tier
from models import Case, CaseEvent, CaseMessage, Department, Representative, StaffUser, SubDistrict
from models.staff import StaffRole

PADDED_DIGITS = 6  # case numbers show the id in at least six digits


@dataclass(frozen=True)
class Found:
    case_id: int | None
    ambiguous: tuple[str, ...] = ()  # several of the actor's cases end in the digits typed


def find_case(conn: Connection, actor: Actor, typed: str) -> Found:
    """The case ``typed`` names among those ``actor`` may see: a whole number (2026-000123) or its
    last digits when only one of the actor's cases ends in them (open cases are looked at first)."""
    whole = parse_case_number(typed)
    if whole is not None:
        year, case_id = whole
        row = conn.execute(select(Case.id, Case.created_at).where(Case.id == case_id, clause(actor))).first()
        if row is None or case_number(row.id, row.created_at) != f"{year:04d}-{case_id:06d}":
            return Found(None)
        return Found(row.id)
    if not (typed.isascii() and typed.isdigit()) or len(typed) > ID_DIGITS:
        return Found(None)
    digits = len(typed)
    if int(typed) == 0:
        return Found(None)
    if digits > PADDED_DIGITS:
        wanted = Case.id == int(typed)
    else:
        wanted = (Case.id % (10 ** digits)) == int(typed)
    rows = conn.execute(select(Case.id, Case.created_at, Case.status).where(wanted, clause(actor))
                        .order_by(Case.id.desc()).limit(20)).all()
    open_rows = [row for row in rows if row.status in OPEN_STATUSES]
    for candidates in (open_rows, rows):
        if len(candidates) == 1:
            return Found(candidates[0].id)
        if len(candidates) > 1:
            return Found(None, tuple(case_number(row.id, row.created_at) for row in candidates[:5]))
    return Found(None)


def todo_clause(actor: Actor):
    """What waits on this actor: a representative's open cases; a clerk's cases passed to the
    committee or to the sub-district; a department's cases assigned to it."""
    if actor.kind is ActorKind.REPRESENTATIVE:
        return Case.status.in_([CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.ASSIGNED])
    if actor.role is StaffRole.DEPARTMENT:
        return Case.status == CaseStatus.ASSIGNED
    waiting = and_(Case.status.in_([CaseStatus.SUBMITTED, CaseStatus.ACCEPTED]), Case.escalated_at.is_not(None))
    passed = and_(Case.status == CaseStatus.ASSIGNED,
                  Case.tier == (Tier.HIGHER_CONGRESS if actor.role is StaffRole.DISTRICT else Tier.SUBDISTRICT))
    if actor.role is StaffRole.DISTRICT:
        waiting = and_(waiting, Case.sub_district_id.is_(None))
    return or_(waiting, passed)


def todo(conn: Connection, actor: Actor, limit: int) -> tuple[list, int]:
    """The oldest ``limit`` of what waits on ``actor``, and how many more there are."""
    where = and_(clause(actor), todo_clause(actor))
    rows = conn.execute(select(Case.id, Case.created_at, Case.status, Case.summary, Case.due_at)
                        .where(where).order_by(Case.created_at, Case.id).limit(limit)).all()
    total = conn.scalar(select(func.count()).select_from(Case).where(where)) if len(rows) == limit else len(rows)
    return rows, total - len(rows)


@dataclass(frozen=True)
class CaseDetail:
    number: str
    status: CaseStatus
    tier: Tier | None
    created_at: datetime
    handler: str
    words: list[str]
    photos: int
    voices: int
    videos: int
    location: str
    timeline: list[tuple[datetime, str, str, str]]  # at, action, who, note


def detail(conn: Connection, case_id: int) -> CaseDetail:
    case = conn.execute(
        select(Case.id, Case.created_at, Case.status, Case.tier, Representative.name.label("rep"),
               SubDistrict.name.label("sd"), Department.name.label("dept"))
        .outerjoin(Representative, Representative.id == Case.representative_id)
        .outerjoin(SubDistrict, SubDistrict.id == Case.sub_district_id)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(Case.id == case_id)
    ).one()
    messages = conn.execute(select(CaseMessage.kind, CaseMessage.content, CaseMessage.location_label,
                                   CaseMessage.latitude, CaseMessage.longitude)
                            .where(CaseMessage.case_id == case_id).order_by(CaseMessage.id)).all()
    words = [m.content for m in messages if m.content and m.kind in (MessageKind.TEXT, MessageKind.VOICE,
                                                                      MessageKind.LINK)]
    places = [m.location_label or f"{m.latitude:.5f}, {m.longitude:.5f}" for m in messages
              if m.kind is MessageKind.LOCATION and m.latitude is not None]
    count = {kind: sum(1 for m in messages if m.kind in kinds) for kind, kinds in (
        ("photos", (MessageKind.IMAGE,)), ("voices", (MessageKind.VOICE,)),
        ("videos", (MessageKind.VIDEO, MessageKind.SHORTVIDEO)))}
    return CaseDetail(
        number=case_number(case.id, case.created_at), status=case.status, tier=case.tier,
        created_at=case.created_at, handler=handling_unit(case.tier, case.rep, case.sd, case.dept),
        words=words, location="；".join(places),
        timeline=timeline(conn, case_id), **count,
    )


def timeline(conn: Connection, case_id: int) -> list[tuple[datetime, str, str, str]]:
    """The case's steps, oldest first: (at, action, who by name, note)."""
    events = conn.execute(select(CaseEvent.at, CaseEvent.action, CaseEvent.actor_kind, CaseEvent.actor_id,
                                 CaseEvent.note)
                          .where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
    names = who(conn, {(e.actor_kind, e.actor_id) for e in events})
    return [(e.at, e.action, names.get((e.actor_kind, e.actor_id), ""), e.note) for e in events]


def handling_unit(tier: Tier | None, representative: str | None, sub_district: str | None,
                  department: str | None) -> str:
    """Who handles a case now, by public name."""
    if tier is Tier.DEPARTMENT and department:
        return department
    if tier is Tier.SUBDISTRICT and sub_district:
        return sub_district
    if tier is Tier.HIGHER_CONGRESS:
        return texts.HIGHER_CONGRESS
    return texts.representative_title(representative) if representative else ""


def committee_of(conn: Connection, case_id: int) -> str:
    """The working committee that coordinates the case (the district office when it has no sub-district)."""
    return conn.scalar(select(SubDistrict.committee_name).join(Case, Case.sub_district_id == SubDistrict.id)
                       .where(Case.id == case_id)) or texts.DISTRICT_OFFICE


def who(conn: Connection, actors: set[tuple[ActorKind, int | None]]) -> dict[tuple[ActorKind, int | None], str]:
    """How the timeline names each actor: one query per kind of actor, not one per event."""
    ids = {kind: {actor_id for k, actor_id in actors if k is kind and actor_id}
           for kind in (ActorKind.REPRESENTATIVE, ActorKind.STAFF)}
    reps = dict(conn.execute(select(Representative.id, Representative.name)
                             .where(Representative.id.in_(ids[ActorKind.REPRESENTATIVE]))).all()) \
        if ids[ActorKind.REPRESENTATIVE] else {}
    staff = dict(conn.execute(select(StaffUser.id, StaffUser.display_name)
                              .where(StaffUser.id.in_(ids[ActorKind.STAFF]))).all()) if ids[ActorKind.STAFF] else {}
    named = {}
    for kind, actor_id in actors:
        if kind is ActorKind.REPRESENTATIVE and actor_id:
            named[(kind, actor_id)] = texts.representative_title(reps.get(actor_id, ""))
        elif kind is ActorKind.STAFF and actor_id:
            named[(kind, actor_id)] = staff.get(actor_id) or texts.SOME_STAFF
        else:
            named[(kind, actor_id)] = texts.ACTOR_LABELS.get(kind, "")
    return named


def resident_recent(conn: Connection, resident_id: int, limit: int) -> tuple[list[dict], int]:
    """A resident's latest cases in their words: state, who handles it, the latest answer."""
    rows = conn.execute(
        select(Case.id, Case.created_at, Case.status, Case.summary, Case.tier, Representative.name.label("rep"),
               SubDistrict.name.label("sd"), Department.name.label("dept"))
        .outerjoin(Representative, Representative.id == Case.representative_id)
        .outerjoin(SubDistrict, SubDistrict.id == Case.sub_district_id)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(Case.resident_id == resident_id).order_by(Case.id.desc()).limit(limit)
    ).all()
    answers = dict(conn.execute(
        select(CaseEvent.case_id, CaseEvent.note).where(
            CaseEvent.case_id.in_([row.id for row in rows]), CaseEvent.action.in_(["reply", "answer_proposal", "invalidate", "refer"]))
        .order_by(CaseEvent.id)
    ).all()) if rows else {}
    total = (conn.scalar(select(func.count()).select_from(Case).where(Case.resident_id == resident_id))
             if len(rows) == limit else len(rows))
    return [{"number": case_number(row.id, row.created_at), "status": row.status, "summary": row.summary,
             "unit": handling_unit(row.tier, row.rep, row.sd, row.dept) if row.status in OPEN_STATUSES else "",
             "answer": answers.get(row.id, "")} for row in rows], total - len(rows)

