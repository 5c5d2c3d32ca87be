"""Creating staff accounts: the rules (pure) and the one function that stores an account."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from bot.codes import unknown_code
from models import Department, StaffRole, StaffUser, SubDistrict

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    pass


def check_new_account(username: str, role: str, unit_code: str | None) -> StaffRole:
    """The rules for a new account but its password; returns its role. Raises AccountError
    saying what is wrong."""
    if not USERNAME.match(username):
        raise AccountError("username: 2–64 lower-case letters, digits, '.', '_' or '-'")
    try:
        staff_role = StaffRole(role)
    except ValueError:
        raise AccountError(f"role must be one of {', '.join(r.value for r in StaffRole)}") from None
    whole_district = staff_role in (StaffRole.DISTRICT, StaffRole.OBSERVER)
    if whole_district and unit_code:
        raise AccountError(f"a {staff_role.value} account covers the whole district: give no unit")
    if not whole_district and not unit_code:
        raise AccountError(f"a {staff_role.value} account needs its unit's code")
    return staff_role


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: at least {MIN_PASSWORD_LENGTH} characters")


@dataclass(frozen=True)
class AccountPlace:
    """Where a new account belongs, checked against the database."""

    role: StaffRole
    sub_district_id: int | None = None
    department_id: int | None = None


def check_account_place(session: Session, username: str, role: str, unit_code: str | None) -> AccountPlace:
    """Everything about a new account but its password: the rules, the username free, the unit
    existing (an unknown unit's error lists the valid codes). Asked before the password is."""
    staff_role = check_new_account(username, role, unit_code)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise AccountError(f"username {username!r} is taken")
    if staff_role is StaffRole.SUBDISTRICT:
        return AccountPlace(staff_role, sub_district_id=_unit_id(session, SubDistrict, "sub-districts", unit_code))
    if staff_role is StaffRole.DEPARTMENT:
        return AccountPlace(staff_role, department_id=_unit_id(session, Department, "departments", unit_code))
    return AccountPlace(staff_role)


def create_staff_user(
    session: Session, *, username: str, display_name: str, role: str, unit_code: str | None,
    password: str, now: datetime,
) -> StaffUser:
    place = check_account_place(session, username, role, unit_code)
    check_password(password)
    user = StaffUser(username=username, display_name=display_name or username, role=place.role,
                     sub_district_id=place.sub_district_id, department_id=place.department_id,
                     password_hash=generate_password_hash(password), created_at=now)
    session.add(user)
    return user


def _unit_id(session: Session, model, kind: str, code: str) -> int:
    unit_id = session.scalar(select(model.id).where(model.code == code))
    if unit_id is None:
        raise AccountError(unknown_code(session, kind, code))
    return unit_id
