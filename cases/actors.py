"""Who is acting: a WeChat user bound to a representative or a staff account, a resident, a
console user. Look-ups only; the rule of what they may do is ``cases.scope``."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Connection, Dialect, bindparam, literal_column, select, union_all

import texts as names
from cases.driver import run_alone
from cases.scope import Actor
from cases.status import ActorKind
from models import Department, Representative, StaffUser, SubDistrict
from models.staff import StaffRole

_REPS = select(literal_column("'rep'").label("kind"), Representative.id).where(
    Representative.openid == bindparam("openid"), Representative.active.is_(True))
_STAFF = select(literal_column("'staff'").label("kind"), StaffUser.id).where(
    StaffUser.openid == bindparam("openid"), StaffUser.active.is_(True))
WHO_IS_IT = union_all(_REPS, _STAFF)


@cache
def _who_is_it_sql(dialect: Dialect) -> str:
    return str(WHO_IS_IT.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))


class WorkerAssumedResident(Exception):
    """A delivery handled on the assumption that its sender is a resident came from a
    representative's or a clerk's own WeChat: nothing it wrote may stand (``bot.delivery``
    handles it again, knowing)."""


def by_openid(conn: Connection, openid: str) -> Actor | None:
    """The representative or staff member whose own WeChat this is, or None (a resident).
    One indexed query, before any resident handler: on PostgreSQL it runs on its own, so that a
    resident's report can still be filed as one statement in its own transaction."""
    if conn.dialect.name == "postgresql":
        rows = run_alone(conn, _who_is_it_sql(conn.dialect), {"openid": openid})
    else:
        rows = conn.execute(WHO_IS_IT, {"openid": openid}).all()
    if not rows:
        return None
    kind, actor_id = rows[0]
    return representative(conn, actor_id) if kind == "rep" else staff_member(conn, actor_id)


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
    return Actor(ActorKind.STAFF, row.id, unit_name(row.role, row.committee_name or names.committee_name(row.sd or ""),
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
