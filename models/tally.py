"""Monthly tallies of cases, per sub-district: what the dashboard reads instead of counting a
year of cases on every visit (``cases.tallies`` keeps them).

One row per Beijing month, sub-district (NULL: none yet), kind and key: ``total`` (key ""),
``tier`` (a tier, or "" when not set), ``category`` (a top-level category, or ""), and
``representative`` (a representative's id). The cases counted are those filed in that month,
as they stand when counted, and the residents' final verdicts on them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CaseTally(Base):
    __tablename__ = "case_tallies"
    __table_args__ = (Index("ix_case_tallies_month", "month", "sub_district_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)                  # the month's first day (Beijing)
    sub_district_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    received: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer)                # taken up (accepted at some point)
    answered: Mapped[int] = mapped_column(Integer)             # replied or closed
    # Each case's latest rating request (cases.ratings.latest): rated, and of those 满意 or 基本满意
    # and 解决; expired (未评价, counted apart).
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    solved: Mapped[int] = mapped_column(Integer, default=0)
    unrated: Mapped[int] = mapped_column(Integer, default=0)
    counted_at: Mapped[datetime] = mapped_column(DateTime)
