"""The codes that commands take (sub-districts, contact points, representatives, departments,
staff accounts): ``minyi codes`` lists them with their Chinese names, and a code that is not there
gets the one error, ``unknown_code``, which lists the valid ones."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from models import ContactPoint, Department, Representative, StaffUser, SubDistrict
from texts import LEVEL_LABELS

INACTIVE = "(inactive)"


@dataclass(frozen=True)
class CodeKind:
    noun: str                       # how an error names one: "sub-district"
    used_by: str                    # the commands that take it
    query: Callable[[], Select]     # code first, then what tells it apart
    shown: Callable[[tuple], tuple[str, ...]] = lambda row: tuple(str(value or "") for value in row)


def _sub_districts() -> Select:
    return select(SubDistrict.code, SubDistrict.name, SubDistrict.committee_name).order_by(SubDistrict.code)


def _contact_points() -> Select:
    return (select(ContactPoint.code, ContactPoint.name, SubDistrict.name)
            .join(SubDistrict, SubDistrict.id == ContactPoint.sub_district_id).order_by(ContactPoint.code))


def _representatives() -> Select:
    return (select(Representative.code, Representative.name, Representative.level, ContactPoint.name,
                   Representative.active)
            .outerjoin(ContactPoint, ContactPoint.id == Representative.primary_contact_point_id)
            .order_by(Representative.code))


def _representative_shown(row: tuple) -> tuple[str, ...]:
    code, name, level, point, active = row
    return code, name, LEVEL_LABELS.get(level, level), point or "", "" if active else INACTIVE


def _departments() -> Select:
    return select(Department.code, Department.name, Department.aliases).order_by(Department.code)


def _staff() -> Select:
    unit_sub, unit_dept = aliased(SubDistrict), aliased(Department)
    return (select(StaffUser.username, StaffUser.display_name, StaffUser.role, unit_sub.name, unit_dept.name,
                   StaffUser.active)
            .outerjoin(unit_sub, unit_sub.id == StaffUser.sub_district_id)
            .outerjoin(unit_dept, unit_dept.id == StaffUser.department_id)
            .order_by(StaffUser.username))


def _staff_shown(row: tuple) -> tuple[str, ...]:
    username, display_name, role, sub_district, department, active = row
    return (username, display_name, str(role), sub_district or department or "", "" if active else INACTIVE)


KINDS: dict[str, CodeKind] = {
    "sub-districts": CodeKind("sub-district", "qr posters --sub-district, user create --role subdistrict --unit",
                              _sub_districts),
    "contact-points": CodeKind("contact point", "qr posters --contact-point", _contact_points),
    "representatives": CodeKind("representative", "qr bind-code, qr reissue", _representatives,
                                _representative_shown),
    "departments": CodeKind("department", "user create --role department --unit", _departments),
    "staff": CodeKind("staff account", "qr bind-code --staff", _staff, _staff_shown),
}


def code_rows(session: Session, kind: str) -> list[tuple[str, ...]]:
    """Every code of ``kind`` with what tells it apart, as text, in code order."""
    spec = KINDS[kind]
    return [spec.shown(tuple(row)) for row in session.execute(spec.query())]


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters and full-width forms take two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def aligned(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """The rows as lines with every column starting at the same place, Chinese included."""
    if not rows:
        return []
    widths = [max(display_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths, strict=True)]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def unknown_code_message(kind: str, value: str, rows: Sequence[Sequence[str]]) -> str:
    """The error for a ``kind`` code that does not exist, with the valid ones listed."""
    noun = KINDS[kind].noun
    if not rows:
        return f"no {noun} {value!r}: this database has none (`minyi demo load` fills an empty one with 示例区)"
    return "\n".join([f"no {noun} {value!r}; the valid ones are:", *aligned(rows)])


def unknown_code(session: Session, kind: str, value: str) -> str:
    """``unknown_code_message`` with the codes in ``session``'s database."""
    return unknown_code_message(kind, value, code_rows(session, kind))
