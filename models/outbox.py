"""Messages waiting to be pushed to someone's WeChat, written in the transaction that decided
them and sent by the scheduler (never in a request).

A message goes as a customer-service message (客服消息) while the user's service window allows
one, otherwise as the template message configured for its ``template`` kind. ``idempotency_key``
is derived from the event that caused the notice (``evt:<event id>:<purpose>:<openid>``), so
queueing the same notice twice is refused, while a second step of the same kind (a case
answered again after a reopen) is a new event and a new notice.

Senders claim rows before sending (``claim_token`` + ``claimed_until``); a sender that dies
leaves its claim to expire, and the row is sent again by whoever claims it next.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import WeChatMsgId


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_openid_sent", "openid", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    openid: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))  # e.g. new_case, reply, assigned
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)  # the customer-service message
    # Which configured template stands in outside the window (case_notice / case_progress), and
    # its values by meaning (number, text, time); the configuration maps them to the template's keys.
    template: Mapped[str] = mapped_column(String(32), default="case_progress")
    template_data: Mapped[dict] = mapped_column(JSON, default=dict)
    # The page the template message opens when tapped (the rating page, cases.ratings); None: no link.
    url: Mapped[str | None] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / sent / failed
    channel: Mapped[str] = mapped_column(String(16), default="custom")  # custom / template
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_errcode: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A template message's msgid, and the outcome WeChat reports later (TEMPLATESENDJOBFINISH).
    template_msgid: Mapped[int | None] = mapped_column(WeChatMsgId, index=True)
    job_status: Mapped[str | None] = mapped_column(String(64))
