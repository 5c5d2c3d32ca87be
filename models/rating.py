"""Residents' verdicts on answered and closed cases (验单): was the problem solved, and how do they
rate the handling. One row per request: a case answered again after a reopen is asked again.

``status``: ``asked`` (waiting for the resident), ``rated`` (they answered), ``expired`` (no answer
within ``ratings.expire_days``: counted as 未评价, never as satisfied), ``superseded`` (the case was
reopened before they answered: the request asks about nothing current and counts nowhere). The
satisfaction and solved rates count ``rated`` rows only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

RATING_STATUSES = ("asked", "rated", "expired", "superseded")
SOLVED_VALUES = ("solved", "partly", "unsolved")              # 解决 / 部分解决 / 未解决
SATISFACTION_VALUES = ("satisfied", "basic", "dissatisfied")  # 满意 / 基本满意 / 不满意


class CaseRating(Base):
    __tablename__ = "case_ratings"
    __table_args__ = (Index("ix_case_ratings_status", "status", "asked_at"),
                      # verdicts settled since the dashboard's tallies were counted (cases.tallies)
                      Index("ix_case_ratings_rated_at", "rated_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The step that is rated (the reply or close event); unique, so a step is asked about once.
    event_id: Mapped[int] = mapped_column(ForeignKey("case_events.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="asked")
    solved: Mapped[str | None] = mapped_column(String(16))
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    asked_at: Mapped[datetime] = mapped_column(DateTime)
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)   # settled: answered, expired or superseded
