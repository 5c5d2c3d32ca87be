"""Read-only look-ups the bot needs: representatives by poster code, contact points by distance."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy import Connection, and_, or_, select

import texts as names
from cases import geo
from models import ContactPoint, Department, District, Representative, SubDistrict


@dataclass(frozen=True)
class RepresentativeCard:
    id: int
    code: str
    name: str
    level: str
    constituency: str
    sub_district_id: int | None
    contact_point_id: int | None
    contact_point_name: str
    contact_point_address: str
    committee_name: str
    committee_phone: str


@dataclass(frozen=True)
class ContactPointCard:
    id: int
    name: str
    address: str
    phone: str
    sub_district_id: int
    sub_district_name: str
    committee_name: str


def representative_by_scene(conn: Connection, scene: str, code: str) -> RepresentativeCard | None:
    """The representative whose current poster carries ``scene``. A representative whose code
    was never created through WeChat answers to ``rep:<code>``; a retired scene answers nobody."""
    rep, cp, sd = Representative, ContactPoint, SubDistrict
    row = conn.execute(
        select(
            rep.id, rep.code, rep.name, rep.level, rep.constituency, rep.sub_district_id,
            cp.id.label("cp_id"), cp.name.label("cp_name"), cp.address, sd.committee_name, sd.committee_phone,
        )
        .outerjoin(cp, cp.id == rep.primary_contact_point_id)
        .outerjoin(sd, sd.id == rep.sub_district_id)
        .where(or_(rep.qr_scene == scene, and_(rep.qr_scene.is_(None), rep.code == code)), rep.active.is_(True))
        # A stored scene wins over a never-issued code that happens to read the same (rep:a.2).
        .order_by(rep.qr_scene.is_(None))
    ).first()
    if row is None:
        return None
    return RepresentativeCard(
        id=row.id, code=row.code, name=row.name, level=row.level, constituency=row.constituency or "",
        sub_district_id=row.sub_district_id, contact_point_id=row.cp_id,
        contact_point_name=row.cp_name or "", contact_point_address=row.address or "",
        committee_name=row.committee_name or "", committee_phone=row.committee_phone or "",
    )


def nearest_contact_points(
    conn: Connection, lat: float, lng: float, limit: int, max_metres: float
) -> list[tuple[ContactPointCard, float]]:
    """The ``limit`` nearest contact points no further than ``max_metres``, nearest first."""
    rows = conn.execute(
        select(
            ContactPoint.id, ContactPoint.name, ContactPoint.address, ContactPoint.phone,
            ContactPoint.latitude, ContactPoint.longitude, ContactPoint.sub_district_id,
            SubDistrict.name.label("sd_name"), SubDistrict.committee_name,
        )
        .join(SubDistrict, SubDistrict.id == ContactPoint.sub_district_id)
        .where(ContactPoint.latitude.is_not(None), ContactPoint.longitude.is_not(None))
    ).all()
    places = (
        (ContactPointCard(row.id, row.name, row.address or "", row.phone or "", row.sub_district_id,
                          row.sd_name, row.committee_name or names.committee_name(row.sd_name)), row.latitude, row.longitude)
        for row in rows
    )
    return [(card, metres) for card, metres in geo.nearest(lat, lng, places, limit) if metres <= max_metres]


def contact_point_card(conn: Connection, contact_point_id: int) -> ContactPointCard | None:
    row = conn.execute(
        select(ContactPoint.id, ContactPoint.name, ContactPoint.address, ContactPoint.phone,
               ContactPoint.sub_district_id, SubDistrict.name.label("sd_name"), SubDistrict.committee_name)
        .join(SubDistrict, SubDistrict.id == ContactPoint.sub_district_id)
        .where(ContactPoint.id == contact_point_id)
    ).first()
    if row is None:
        return None
    return ContactPointCard(
        row.id, row.name, row.address or "", row.phone or "", row.sub_district_id, row.sd_name,
        row.committee_name or names.committee_name(row.sd_name),
    )


def operator_name(conn: Connection) -> str:
    """Who runs the account, as the welcome says it: the district congress's standing committee."""
    name = conn.scalar(select(District.name).order_by(District.id).limit(1))
    return names.standing_committee(name) if name else ""


@dataclass(frozen=True)
class DepartmentMatch:
    id: int | None
    name: str = ""
    rest: str = ""  # what followed the department's name in the text typed
    closest: tuple[str, ...] = ()


def _department_words(name: str, aliases: str) -> list[str]:
    words = [name, name.removeprefix("区"), *(alias.strip() for alias in aliases.replace("，", ",").split(","))]
    return [word for word in words if word]


def match_department(conn: Connection, typed: str) -> DepartmentMatch:
    """The department whose name, name without 「区」, or a configured alias (「城管」) begins
    ``typed`` (the longest such word wins); else the closest names, for the refusal to offer."""
    departments = conn.execute(select(Department.id, Department.name, Department.aliases)
                               .order_by(Department.id)).all()
    best: tuple[int, int, str] | None = None
    for dept in departments:
        for word in _department_words(dept.name, dept.aliases or ""):
            if typed.startswith(word) and (best is None or len(word) > best[1]):
                best = (dept.id, len(word), dept.name)
    if best is not None:
        return DepartmentMatch(best[0], best[2], typed[best[1]:].strip(" :：,，"))
    scored = sorted(
        ((max(SequenceMatcher(None, typed[: len(word) + 1], word).ratio()
              for word in _department_words(dept.name, dept.aliases or "")), dept.name)
         for dept in departments),
        reverse=True,
    )
    return DepartmentMatch(None, closest=tuple(name for score, name in scored[:3] if score > 0) or
                           tuple(dept.name for dept in departments[:5]))


def representative_codes(conn: Connection, sub_district_id: int | None) -> list[tuple[str, str]]:
    """(code, name) of the active representatives a clerk may give cases to."""
    query = select(Representative.code, Representative.name).where(Representative.active.is_(True))
    if sub_district_id is not None:
        query = query.where(Representative.sub_district_id == sub_district_id)
    return [(row.code, row.name) for row in conn.execute(query.order_by(Representative.code))]


def representative_id_by_code(conn: Connection, code: str) -> int | None:
    return conn.scalar(select(Representative.id).where(Representative.code == code, Representative.active.is_(True)))
