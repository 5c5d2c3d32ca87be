"""Column types shared by the models."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


class StrEnumColumn(TypeDecorator):
    """A ``StrEnum`` stored as its plain string value and read back as the enum member, so a
    status read from the database compares, formats and dispatches like the one written."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int):
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum(value)
