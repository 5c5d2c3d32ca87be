"""A case (one reported matter), its messages and attachments, and its timeline of events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.numbering import case_number
from cases.status import OPEN_STATUSES, RUNNING_STATUSES, ActorKind, CaseStatus, MessageKind, Tier
from models.base import Base
from models.types import StrEnumColumn, WeChatMsgId

OPEN_CASES = "status IN ({})".format(", ".join(f"'{status.value}'" for status in OPEN_STATUSES))
RUNNING_CASES = "status IN ({})".format(", ".join(f"'{status.value}'" for status in RUNNING_STATUSES))


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # Each queue reads one scope's cases of some statuses, newest first (console/queues.py).
        Index("ix_cases_sub_district_status", "sub_district_id", "status", "id"),
        Index("ix_cases_department_status", "department_id", "status", "id"),
        Index("ix_cases_status", "status", "id"),
        # The open cases, a few percent of all, with what the queues' counts and the dashboard's
        # overdue count read: one index-only pass.
        Index("ix_cases_open", "status", "id",
              postgresql_include=["sub_district_id", "department_id", "representative_id", "tier", "due_at",
                                  "escalated_at", "created_at"],
              postgresql_where=text(OPEN_CASES), sqlite_where=text(OPEN_CASES)),
        # A sub-district's open cases, newest first: the candidates for related cases.
        Index("ix_cases_open_sub_district", "sub_district_id", "id",
              postgresql_where=text(OPEN_CASES), sqlite_where=text(OPEN_CASES)),
        Index("ix_cases_representative_status", "representative_id", "status"),
        Index("ix_cases_resident_id", "resident_id", "id"),
        Index("ix_cases_created_at", "created_at"),
        Index("ix_cases_due_at", "due_at"),
        # The cases whose clock runs, by deadline: the 临期与超期 tab and the supervision job (closed
        # cases keep their deadline for the ledger: millions of them in ix_cases_due_at).
        Index("ix_cases_running_due", "due_at", postgresql_where=text(RUNNING_CASES),
              sqlite_where=text(RUNNING_CASES)),
        # What changed since the dashboard's tallies were last counted (cases.tallies).
        Index("ix_cases_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"))
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    sub_district_id: Mapped[int | None] = mapped_column(ForeignKey("sub_districts.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    category: Mapped[str | None] = mapped_column(String(64))   # a path of the category tree, a/b/c
    colour: Mapped[str | None] = mapped_column(String(8))      # 蓝 即办 / 黄 协办 / 红 上报
    tier: Mapped[Tier | None] = mapped_column(StrEnumColumn(Tier, 20))
    status: Mapped[CaseStatus] = mapped_column(StrEnumColumn(CaseStatus, 16))
    summary: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # The resident's latest message on this case: later messages within the window join it.
    last_message_at: Mapped[datetime] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Flagged 督办 (cases.supervision): when its deadline, due_at, was found passed. A later
    # deadline (a new clock) that passes flags it again; the flag stands while supervised_at >= due_at.
    supervised_at: Mapped[datetime | None] = mapped_column(DateTime)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # The resident said 「新问题」: their next message opens a new case even within the window.
    grouping_closed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Passed to the working committee (or the district office) because nobody else would hear
    # it: no representative, one without a bound WeChat, one who did not take it in time, or
    # one who sent it back. The console lists these; assigning a representative clears it.
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalation_reason: Mapped[str | None] = mapped_column(String(32))
    # Outside the congress's remit: the body it was referred to (cases.status.REFERRAL_BODIES)
    # and that body's own reference (工单号, 登记号, 案号).
    referred_to: Mapped[str | None] = mapped_column(String(16))
    referral_reference: Mapped[str | None] = mapped_column(String(64))

    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", order_by="CaseMessage.id"
    )
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")

    @property
    def number(self) -> str:
        return case_number(self.id, self.created_at)


class CaseMessage(Base):
    """One thing the resident sent: text, image, voice (with WeChat's Recognition), video,
    location or link. Media bytes live in Attachment rows, fetched outside the request."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[MessageKind] = mapped_column(StrEnumColumn(MessageKind, 16))
    msg_id: Mapped[int | None] = mapped_column(WeChatMsgId)  # WeChat's MsgId, unsigned 64-bit
    content: Mapped[str] = mapped_column(Text, default="")  # text, voice recognition, link title
    media_id: Mapped[str | None] = mapped_column(String(128))
    pic_url: Mapped[str | None] = mapped_column(Text)
    media_format: Mapped[str | None] = mapped_column(String(16))
    thumb_media_id: Mapped[str | None] = mapped_column(String(128))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_scale: Mapped[int | None] = mapped_column(Integer)
    location_label: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    case: Mapped[Case] = relationship(back_populates="messages")


class Attachment(Base):
    """Media a resident sent, to be downloaded from WeChat by the scheduler (never in the request).

    WeChat keeps temporary media for 3 days, so ``status`` moves pending → stored (or failed).
    """

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("case_messages.id"), index=True)
    media_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    path: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime)


proposal_signers = Table(
    "proposal_signers",
    Base.metadata,
    Column("proposal_id", Integer, ForeignKey("proposals.id"), primary_key=True),
    Column("representative_id", Integer, ForeignKey("representatives.id"), primary_key=True),
)


class Proposal(Base):
    """A tier-4 matter: the case recorded as a proposal (代表建议) to a higher congress, by the
    representative who relays it or by the staff who pass it on; then its title and text, the
    representatives who sign it, where it went, and the answer it got."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("representatives.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    sent_to: Mapped[str] = mapped_column(String(64), default="")  # 市人大常委会, 省人大常委会
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)


class CaseEvent(Base):
    """The timeline: who did what, when, from which status to which. The audit trail and ledger."""

    __tablename__ = "case_events"
    # The queue 「重新办理」 asks which cases were ever reopened: a few among millions of events.
    __table_args__ = (Index("ix_case_events_reopened", "case_id", postgresql_where=text("action = 'reopen'"),
                            sqlite_where=text("action = 'reopen'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_kind: Mapped[ActorKind] = mapped_column(StrEnumColumn(ActorKind, 16))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[CaseStatus | None] = mapped_column(StrEnumColumn(CaseStatus, 16))
    to_status: Mapped[CaseStatus | None] = mapped_column(StrEnumColumn(CaseStatus, 16))
    note: Mapped[str] = mapped_column(Text, default="")
    # What kind the step was, for counting: a refusal's reason code, a referral's body, the
    # channel of a case filed on a resident's behalf.
    code: Mapped[str | None] = mapped_column(String(32))

    case: Mapped[Case] = relationship(back_populates="events")
