"""群众/选民: a WeChat follower (or someone staff filed a case for: no WeChat, a name and a phone),
the representative they are bound to, and their scan history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.district import ContactPoint
from models.representative import Representative


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a resident staff filed a case for (代录) until they link their WeChat.
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # How a resident filed by staff came (cases.status.CHANNELS); None: by WeChat.
    channel: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    subscribed: Mapped[bool] = mapped_column(default=True)
    subscribed_at: Mapped[datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The latest scan wins; ResidentScan keeps every one.
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"), index=True)
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    bound_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Last time the resident wrote or tapped: customer-service messages may follow for 48 hours.
    first_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    representative: Mapped[Representative | None] = relationship()
    contact_point: Mapped[ContactPoint | None] = relationship()


class ResidentScan(Base):
    __tablename__ = "resident_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"))
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    scene: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(16))  # subscribe / scan / location
    scanned_at: Mapped[datetime] = mapped_column(DateTime)

