"""Creating staff accounts: the rules (pure) and the one function that stores an account."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from models import Department, StaffRole, StaffUser, SubDistrict

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    pass


def check_new_account(username: str, role: str, unit_code: str | None, password: str) -> StaffRole:
    """The rules for a new account; returns its role. Raises AccountError saying what is wrong."""
    if not USERNAME.match(username):
        raise AccountError("username: 2–64 lower-case letters, digits, '.', '_' or '-'")
    try:
        staff_role = StaffRole(role)
    except ValueError:
        raise AccountError(f"role must be one of {', '.join(r.value for r in StaffRole)}") from None
    if staff_role is StaffRole.DISTRICT and unit_code:
        raise AccountError("a district account covers the whole district: give no unit")
    if staff_role is not StaffRole.DISTRICT and not unit_code:
        raise AccountError(f"a {staff_role.value} account needs its unit's code")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    return staff_role


def create_staff_user(
    session: Session, *, username: str, display_name: str, role: str, unit_code: str | None,
    password: str, now: datetime,
) -> StaffUser:
    staff_role = check_new_account(username, role, unit_code, password)
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise AccountError(f"username {username!r} is taken")
    user = StaffUser(username=username, display_name=display_name or username, role=staff_role,
                     password_hash=generate_password_hash(password), created_at=now)
    if staff_role is StaffRole.SUBDISTRICT:
        user.sub_district_id = _unit_id(session, SubDistrict, unit_code)
    elif staff_role is StaffRole.DEPARTMENT:
        user.department_id = _unit_id(session, Department, unit_code)
    session.add(user)
    return user


def _unit_id(session: Session, model, code: str) -> int:
    unit_id = session.scalar(select(model.id).where(model.code == code))
    if unit_id is None:
        raise AccountError(f"no {model.__tablename__[:-1].replace('_', '-')} with code {code!r}")
    return unit_id
