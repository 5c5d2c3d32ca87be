"""Who is acting: a WeChat user bound to a representative or a staff account, a resident, a
console user. Look-ups only; the rule of what they may do is ``cases.scope``."""

from __future__ import annotations

from sqlalchemy import Connection, literal, select, union_all

from cases.scope import Actor
from cases.status import ActorKind
from models import Department, Representative, StaffUser, SubDistrict
from models.staff import StaffRole


def by_openid(conn: Connection, openid: str) -> Actor | None:
    """The representative or staff member whose own WeChat this is, or None (a resident).
    One indexed query: it runs before any resident handler."""
    reps = select(literal("rep").label("kind"), Representative.id).where(
        Representative.openid == openid, Representative.active.is_(True))
    staff = select(literal("staff").label("kind"), StaffUser.id).where(
        StaffUser.openid == openid, StaffUser.active.is_(True))
    row = conn.execute(union_all(reps, staff)).first()
    if row is None:
        return None
    return representative(conn, row.id) if row.kind == "rep" else staff_member(conn, row.id)


def representative(conn: Connection, representative_id: int) -> Actor | None:
    row = conn.execute(
        select(Representative.id, Representative.name, Representative.sub_district_id, Representative.openid)
        .where(Representative.id == representative_id)
    ).first()
    if row is None:
        return None
    return Actor(ActorKind.REPRESENTATIVE, row.id, row.name, sub_district_id=row.sub_district_id,
                 openid=row.openid)


def staff_member(conn: Connection, staff_id: int) -> Actor | None:
    row = conn.execute(
        select(StaffUser.id, StaffUser.display_name, StaffUser.role, StaffUser.sub_district_id,
               StaffUser.department_id, StaffUser.openid, SubDistrict.committee_name, SubDistrict.name.label("sd"),
               Department.name.label("dept"))
        .outerjoin(SubDistrict, SubDistrict.id == StaffUser.sub_district_id)
        .outerjoin(Department, Department.id == StaffUser.department_id)
        .where(StaffUser.id == staff_id)
    ).first()
    if row is None:
        return None
    return Actor(ActorKind.STAFF, row.id, unit_name(row.role, row.committee_name or f"{row.sd or ''}人大工委",
                                                     row.dept, row.display_name),
                 role=StaffRole(row.role), sub_district_id=row.sub_district_id, department_id=row.department_id,
                 openid=row.openid)


def unit_name(role: str, committee: str, department: str | None, display_name: str) -> str:
    """Staff act in the name of their unit: that is what a resident or a representative reads."""
    if role == StaffRole.SUBDISTRICT:
        return committee
    if role == StaffRole.DEPARTMENT and department:
        return department
    return display_name
