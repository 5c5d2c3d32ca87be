"""人大代表, the contact points they receive residents at, and their QR scene."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.status import RepresentativeLevel
from models.base import Base
from models.district import ContactPoint, SubDistrict
from models.types import StrEnumColumn

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
    level: Mapped[RepresentativeLevel] = mapped_column(StrEnumColumn(RepresentativeLevel, 16))
    constituency: Mapped[str] = mapped_column(String(64), default="")
    sub_district_id: Mapped[int | None] = mapped_column(ForeignKey("sub_districts.id"), index=True)
    # The contact point shown on the representative's own poster.
    primary_contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    qr_scene: Mapped[str | None] = mapped_column(String(64), unique=True)
    qr_ticket: Mapped[str | None] = mapped_column(String(255))
    qr_url: Mapped[str | None] = mapped_column(String(255))
    # Under ``media.dir`` (relative) or absolute; the console re-encodes uploads as JPEG.
    photo_path: Mapped[str | None] = mapped_column(String(255))
    work_unit: Mapped[str] = mapped_column(String(100), default="", server_default="")
    introduction: Mapped[str] = mapped_column(Text, default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)

    sub_district: Mapped[SubDistrict | None] = relationship()
    primary_contact_point: Mapped[ContactPoint | None] = relationship()
    contact_points: Mapped[list[ContactPoint]] = relationship(secondary=representative_contact_points)


class QrCodeIssue(Base):
    """Every permanent code a representative's posters have carried: the first one, and each
    re-issue after a compromise with who asked and why. Only the representative's current
    ``qr_scene`` binds residents; a retired one gets a polite "this code has changed"."""

    __tablename__ = "qr_code_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    representative_id: Mapped[int] = mapped_column(ForeignKey("representatives.id"), index=True)
    scene: Mapped[str] = mapped_column(String(64), unique=True)
    ticket: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(255))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(255), default="")
    issued_by: Mapped[str] = mapped_column(String(64), default="")
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)


class BindToken(Base):
    """A one-time token behind a temporary QR code (``qr.binding``): the representative, or a
    staff member, scans it (scene ``bind:<token>``, 10 minutes) with their own WeChat to receive
    their cases there; a resident staff filed for scans the one on their slip (``link:<token>``,
    30 days) to follow their case. Exactly one of the three ids is set. Only the token's hash is
    kept; it is redeemed once."""

    __tablename__ = "bind_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    used_by_openid: Mapped[str | None] = mapped_column(String(64))
