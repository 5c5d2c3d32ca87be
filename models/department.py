"""一府两院 承办单位: the district departments that handle tier-3 cases."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # How staff and lists write it briefly: 城管局 for 区城市管理执法局.
    short_name: Mapped[str] = mapped_column(String(32), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    # What people call it: 「城管」 for 区城市管理执法局. Matched by 「转部门」; comma-separated,
    # edited by the district office.
    aliases: Mapped[str] = mapped_column(Text, default="")
