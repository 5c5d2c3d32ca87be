"""Every message and event WeChat delivered, once: the durable de-duplication guard.

The unique ``dedup_key`` is what keeps a retried delivery from being handled twice when Redis
is down or has forgotten; ``reply`` is what the first delivery answered, so a retry gets the
same answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    # The sender works out each user's customer-service window from their latest deliveries.
    __table_args__ = (Index("ix_inbound_messages_openid_received", "openid", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    openid: Mapped[str] = mapped_column(String(64))
    msg_type: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    reply: Mapped[str | None] = mapped_column(Text)
