"""Who may read and edit which part of the district's directory: one rule, as a check for one
record (``reads``, ``edits``) and as a SQL condition for lists (``clause``), tested together.

- The district office (``district``) reads and edits everything, staff accounts included.
- A sub-district clerk (``subdistrict``) reads and edits their own sub-district's contact points
  and representatives (and prints their posters, issues their bind codes); they read the
  departments, and nothing of another sub-district.
- An observer (``observer``) reads the whole directory but staff accounts, and edits nothing.
- A department liaison (``department``) has no directory: their work is their department's cases.

A record outside the rule is answered 404, exactly like one that does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from cases.scope import Actor
from cases.status import ActorKind
from models.staff import StaffRole

WHOLE_DISTRICT_READERS = frozenset({StaffRole.DISTRICT, StaffRole.OBSERVER})


def _staff_role(actor: Actor) -> StaffRole | None:
    return actor.role if actor.kind is ActorKind.STAFF else None


def sees_directory(actor: Actor) -> bool:
    """Has this actor a directory at all (the menu link, the departments' list)?"""
    return _staff_role(actor) in (StaffRole.DISTRICT, StaffRole.OBSERVER, StaffRole.SUBDISTRICT)


def _own(actor: Actor, sub_district_id: int | None) -> bool:
    return (_staff_role(actor) is StaffRole.SUBDISTRICT and actor.sub_district_id is not None
            and sub_district_id == actor.sub_district_id)


def reads(actor: Actor, sub_district_id: int | None) -> bool:
    """May ``actor`` see a sub-district, or a contact point or representative in it?"""
    return _staff_role(actor) in WHOLE_DISTRICT_READERS or _own(actor, sub_district_id)


def edits(actor: Actor, sub_district_id: int | None) -> bool:
    """May ``actor`` change a contact point or representative of this sub-district (or create one
    there), print its posters and issue its bind codes?"""
    return _staff_role(actor) is StaffRole.DISTRICT or _own(actor, sub_district_id)


def edits_district(actor: Actor) -> bool:
    """The district-wide records: sub-districts themselves, departments and staff accounts."""
    return _staff_role(actor) is StaffRole.DISTRICT


def clause(actor: Actor, sub_district_id: ColumnElement) -> ColumnElement[bool]:
    """``reads`` as a condition on a sub-district id column."""
    role = _staff_role(actor)
    if role in WHOLE_DISTRICT_READERS:
        return true()
    if role is StaffRole.SUBDISTRICT and actor.sub_district_id is not None:
        return sub_district_id == actor.sub_district_id
    return false()
