"""Who may see and act on which case: one rule, for WeChat commands and the console alike.

An actor outside a case's scope is told the same as for a number that does not exist: the rule
never reveals that a case is there. ``covers`` decides for one case; ``clause`` is the same rule
as a SQL condition for lists. Both are tested against each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true

import texts as names
from cases.status import ActorKind
from models import Case
from models.staff import StaffRole


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None
    name: str = ""  # as others read it: 王晓明 (a representative), 东湖街道人大工委 (a clerk's unit)
    role: StaffRole | None = None
    sub_district_id: int | None = None
    department_id: int | None = None
    openid: str | None = None

    @property
    def label(self) -> str:
        """How a resident or a colleague reads who acted."""
        if self.kind is ActorKind.REPRESENTATIVE:
            return names.representative_title(self.name)
        return self.name or names.ACTOR_LABELS.get(self.kind.value, "")  # a resident reads as 群众


SYSTEM = Actor(ActorKind.SYSTEM, None, names.ACCOUNT_NAME)


@dataclass(frozen=True)
class CaseScope:
    """What the rule needs of a case."""

    resident_id: int | None
    representative_id: int | None
    sub_district_id: int | None
    department_id: int | None


# Only the scheduler (SYSTEM, which may take every step) flags a case 督办: no person's set has it.
SYSTEM_ONLY = frozenset({"supervise"})

# What each kind of actor may do, within their scope. ``file`` is filing a case on a resident's
# behalf (代录), in the sub-district of the contact point they came to.
CLERK_ACTIONS = frozenset({"accept", "reply", "assign", "route", "merge", "invalidate", "close", "reopen",
                           "escalate", "classify", "refer", "propose", "answer_proposal", "file"})
ACTIONS = {
    ActorKind.RESIDENT: frozenset({"withdraw", "reopen", "close"}),
    ActorKind.REPRESENTATIVE: frozenset({"accept", "reply", "assign", "return", "classify"}),
}
STAFF_ACTIONS = {
    StaffRole.DISTRICT: CLERK_ACTIONS,
    StaffRole.SUBDISTRICT: CLERK_ACTIONS,
    StaffRole.DEPARTMENT: frozenset({"reply", "refuse"}),   # the department's answer (反馈), 退单
}


def covers(actor: Actor, case: CaseScope) -> bool:
    """May ``actor`` see ``case`` (and act on it, within ``may``)?"""
    match actor.kind:
        case ActorKind.SYSTEM:
            return True
        case ActorKind.RESIDENT:
            return case.resident_id == actor.id
        case ActorKind.REPRESENTATIVE:
            return actor.id is not None and case.representative_id == actor.id
        case ActorKind.STAFF:
            if actor.role in (StaffRole.DISTRICT, StaffRole.OBSERVER):
                return True
            if actor.role is StaffRole.SUBDISTRICT:
                return actor.sub_district_id is not None and case.sub_district_id == actor.sub_district_id
            if actor.role is StaffRole.DEPARTMENT:
                return actor.department_id is not None and case.department_id == actor.department_id
    return False


def clause(actor: Actor) -> ColumnElement[bool]:
    """``covers`` as a condition on ``cases``."""
    match actor.kind:
        case ActorKind.SYSTEM:
            return true()
        case ActorKind.RESIDENT:
            return Case.resident_id == actor.id
        case ActorKind.REPRESENTATIVE:
            return Case.representative_id == actor.id if actor.id is not None else false()
        case ActorKind.STAFF:
            if actor.role in (StaffRole.DISTRICT, StaffRole.OBSERVER):
                return true()
            if actor.role is StaffRole.SUBDISTRICT and actor.sub_district_id is not None:
                return Case.sub_district_id == actor.sub_district_id
            if actor.role is StaffRole.DEPARTMENT and actor.department_id is not None:
                return Case.department_id == actor.department_id
    return false()


def may(actor: Actor, action: str) -> bool:
    """Is ``action`` one this actor takes at all (on a case they cover)?"""
    if actor.kind is ActorKind.SYSTEM:
        return True
    if action in SYSTEM_ONLY:
        return False
    if actor.kind is ActorKind.STAFF:
        return action in STAFF_ACTIONS.get(actor.role, frozenset())
    return action in ACTIONS.get(actor.kind, frozenset())
