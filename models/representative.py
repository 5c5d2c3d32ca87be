"""人大代表, the contact points they receive residents at, and their QR scene."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.status import RepresentativeLevel
from models.base import Base
from models.district import ContactPoint, SubDistrict

representative_contact_points = Table(
    "representative_contact_points",
    Base.metadata,
    Column("representative_id", Integer, ForeignKey("representatives.id"), primary_key=True),
    Column("contact_point_id", Integer, ForeignKey("contact_points.id"), primary_key=True),
)


class Representative(Base):
    __tablename__ = "representatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The code is what the poster's QR scene carries: ``rep:<code>``.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    level: Mapped[RepresentativeLevel] = mapped_column(String(16))
    constituency: Mapped[str] = mapped_column(String(64), default="")
    sub_district_id: Mapped[int | None] = mapped_column(ForeignKey("sub_districts.id"), index=True)
    # The contact point shown on the representative's own poster.
    primary_contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    qr_scene: Mapped[str | None] = mapped_column(String(64), unique=True)
    qr_ticket: Mapped[str | None] = mapped_column(String(255))
    qr_url: Mapped[str | None] = mapped_column(String(255))
    photo_path: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)

    sub_district: Mapped[SubDistrict | None] = relationship()
    primary_contact_point: Mapped[ContactPoint | None] = relationship()
    contact_points: Mapped[list[ContactPoint]] = relationship(secondary=representative_contact_points)
