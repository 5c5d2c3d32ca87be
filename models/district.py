"""The district, its sub-districts (with their working committees) and contact points."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Float, ForeignKey, SmallInteger, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.types import StrEnumColumn


class ContactPointKind(StrEnum):
    """What the place calls itself, and so what its posters are headed with."""

    POINT = "point"      # 民情民意联系点
    STATION = "station"  # 人大代表联络站


class RunBy(StrEnum):
    """Who runs a contact point."""

    SUB_DISTRICT = "subdistrict"  # its 街道人大工委 (a 镇's 人大主席团)
    DISTRICT = "district"         # the 区人大常委会


class District(Base):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))

    sub_districts: Mapped[list[SubDistrict]] = relationship(back_populates="district")


class SubDistrict(Base):
    """街道, and its 人大街道工委 (the working committee that coordinates cases)."""

    __tablename__ = "sub_districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    committee_name: Mapped[str] = mapped_column(String(64), default="")
    committee_phone: Mapped[str] = mapped_column(String(32), default="")

    district: Mapped[District] = relationship(back_populates="sub_districts")
    contact_points: Mapped[list[ContactPoint]] = relationship(back_populates="sub_district")


class ContactPoint(Base):
    """民情民意联系点 / 代表联络站."""

    __tablename__ = "contact_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    sub_district_id: Mapped[int] = mapped_column(ForeignKey("sub_districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[ContactPointKind] = mapped_column(StrEnumColumn(ContactPointKind, 16), default=ContactPointKind.POINT,
                                                   server_default=ContactPointKind.POINT.value)
    run_by: Mapped[RunBy] = mapped_column(StrEnumColumn(RunBy, 16), default=RunBy.SUB_DISTRICT,
                                          server_default=RunBy.SUB_DISTRICT.value)
    # When representatives receive residents there, as the poster prints it: 每周三9:00—11:30.
    reception_hours: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # The public reception day (公开接访日), a day of every month (1–28, so every month has it);
    # its representatives are reminded the day before (scheduler.reports). Empty: none held.
    reception_day: Mapped[int | None] = mapped_column(SmallInteger)
    # Whether the place has a public page (公示, /public/points/<code>): its representatives, hours,
    # anonymised answered cases and figures. Off until the office decides to publish.
    public_page: Mapped[bool] = mapped_column(default=False, server_default=false())

    sub_district: Mapped[SubDistrict] = relationship(back_populates="contact_points")
