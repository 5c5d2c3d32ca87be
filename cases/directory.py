"""Read-only look-ups the bot needs: representatives by poster code, contact points by distance."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, or_, select

from cases import geo
from models import ContactPoint, Representative, SubDistrict


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
    committee_phone: str


@dataclass(frozen=True)
class ContactPointCard:
    id: int
    name: str
    address: str
    phone: str
    sub_district_id: int
    sub_district_name: str


def representative_by_scene(conn: Connection, scene: str, code: str) -> RepresentativeCard | None:
    """The representative whose current poster carries ``scene``. A representative whose code
    was never created through WeChat answers to ``rep:<code>``; a retired scene answers nobody."""
    rep, cp, sd = Representative, ContactPoint, SubDistrict
    row = conn.execute(
        select(
            rep.id, rep.code, rep.name, rep.level, rep.constituency, rep.sub_district_id,
            cp.id.label("cp_id"), cp.name.label("cp_name"), cp.address, sd.committee_phone,
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
        committee_phone=row.committee_phone or "",
    )


def nearest_contact_points(
    conn: Connection, lat: float, lng: float, limit: int
) -> list[tuple[ContactPointCard, float]]:
    rows = conn.execute(
        select(
            ContactPoint.id, ContactPoint.name, ContactPoint.address, ContactPoint.phone,
            ContactPoint.latitude, ContactPoint.longitude, ContactPoint.sub_district_id,
            SubDistrict.name.label("sd_name"),
        )
        .join(SubDistrict, SubDistrict.id == ContactPoint.sub_district_id)
        .where(ContactPoint.latitude.is_not(None), ContactPoint.longitude.is_not(None))
    ).all()
    places = (
        (ContactPointCard(row.id, row.name, row.address or "", row.phone or "", row.sub_district_id,
                          row.sd_name), row.latitude, row.longitude)
        for row in rows
    )
    return geo.nearest(lat, lng, places, limit)


def contact_point_card(conn: Connection, contact_point_id: int) -> ContactPointCard | None:
    row = conn.execute(
        select(ContactPoint.id, ContactPoint.name, ContactPoint.address, ContactPoint.phone,
               ContactPoint.sub_district_id, SubDistrict.name.label("sd_name"))
        .join(SubDistrict, SubDistrict.id == ContactPoint.sub_district_id)
        .where(ContactPoint.id == contact_point_id)
    ).first()
    if row is None:
        return None
    return ContactPointCard(
        row.id, row.name, row.address or "", row.phone or "", row.sub_district_id, row.sd_name
    )
