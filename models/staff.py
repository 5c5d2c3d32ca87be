"""Console users: sub-district working-committee clerks, department liaisons, the district office."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import StrEnumColumn


class StaffRole(StrEnum):
    SUBDISTRICT = "subdistrict"  # 人大街道工委: the cases of one sub-district
    DEPARTMENT = "department"  # 承办单位联络员: the cases assigned to one department
    DISTRICT = "district"  # 区人大常委会 人代工委: the whole district
    OBSERVER = "observer"  # read-only: sees the whole district, takes no step


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[StaffRole] = mapped_column(StrEnumColumn(StaffRole, 16))
    sub_district_id: Mapped[int | None] = mapped_column(ForeignKey("sub_districts.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # The clerk's own WeChat, bound with a one-time code: notices reach them there, and they
    # can act on their cases from the chat.
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
