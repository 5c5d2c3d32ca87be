"""Representatives' duty records (履职登记): the offline work staff enter for them — receiving
voters at a contact point, visits, research, inspections (接待选民、走访、调研、视察) — and the
indexes the records and the contact points' public pages read.

The rest of a representative's record is not stored: ``cases.duty`` counts it from the cases and
their timeline whenever it is asked for.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.case import Case, CaseEvent

ACTIVITY_KINDS = ("reception", "visit", "research", "inspection", "other")  # 接待选民、走访、调研、视察、其他

duty_activity_representatives = Table(
    "duty_activity_representatives",
    Base.metadata,
    Column("activity_id", Integer, ForeignKey("duty_activities.id", ondelete="CASCADE"), primary_key=True),
    Column("representative_id", Integer, ForeignKey("representatives.id"), primary_key=True, index=True),
)


class DutyActivity(Base):
    """One piece of offline work, on one day, by one or more representatives, as staff entered it."""

    __tablename__ = "duty_activities"
    __table_args__ = (Index("ix_duty_activities_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))                      # ACTIVITY_KINDS
    day: Mapped[date] = mapped_column(Date)                             # a Beijing date
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_points.id"))
    entered_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime)


# What the duty records read of the timeline: a representative's own steps over a period (a few
# of all events), and the cases clerks gave someone (指派) over a period.
Index("ix_case_events_representative", CaseEvent.actor_id, CaseEvent.at,
      postgresql_where=text("actor_kind = 'representative'"), sqlite_where=text("actor_kind = 'representative'"))
Index("ix_case_events_routed", CaseEvent.at,
      postgresql_where=text("action = 'route'"), sqlite_where=text("action = 'route'"))
# A contact point's public page: its answered cases, newest first, and its figures.
Index("ix_cases_contact_point_status", Case.contact_point_id, Case.status, Case.id)
