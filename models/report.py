"""The monthly report workbooks (月报) kept: one per scope and Beijing calendar month.

``scope`` is ``district`` (the whole district, ``sub_district_id`` empty) or ``sub_district``.
``scope_key`` (``district`` or ``sub_district:<id>``) with ``month`` is the unique key that makes a
report exist once: a unique constraint over a nullable ``sub_district_id`` would let two district
reports of one month in (NULLs are distinct on PostgreSQL and SQLite alike).

``path`` is under ``reports.dir`` (relative to it), ``size`` the file's bytes when it was kept.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import StrEnumColumn


class ReportScope(StrEnum):
    DISTRICT = "district"
    SUB_DISTRICT = "sub_district"


def scope_key(scope: ReportScope, sub_district_id: int | None) -> str:
    """The report's scope as one value that is never NULL: ``district``, ``sub_district:3``."""
    return scope.value if scope is ReportScope.DISTRICT else f"{scope.value}:{sub_district_id}"


class MonthlyReport(Base):
    __tablename__ = "monthly_reports"
    __table_args__ = (UniqueConstraint("scope_key", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[ReportScope] = mapped_column(StrEnumColumn(ReportScope, 16))
    sub_district_id: Mapped[int | None] = mapped_column(ForeignKey("sub_districts.id"), index=True)
    scope_key: Mapped[str] = mapped_column(String(40))
    month: Mapped[date] = mapped_column(Date)   # the month's first day (Beijing calendar)
    path: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
