"""Messages waiting to be pushed to someone's WeChat, written in the transaction that decided
them and sent by the scheduler (never in a request).

A message first goes as a customer-service message (客服消息); when WeChat says the 48-hour
window has passed it falls back to the configured template message. ``purpose`` + ``case_id`` +
``openid`` is unique, so queueing the same notice twice is harmless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("purpose", "case_id", "openid"),
        Index("ix_outbox_messages_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))  # e.g. new_case
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)  # the customer-service message
    template_data: Mapped[dict] = mapped_column(JSON, default=dict)  # the template fallback's fields
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / sent / failed
    channel: Mapped[str] = mapped_column(String(16), default="custom")  # custom / template
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_errcode: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
