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


UINT64_DIGITS = 20  # 2**64 - 1 = 18446744073709551615


def msgid_digits(value: int | None) -> str | None:
    """How a WeChat MsgId is stored: its decimal digits (see WeChatMsgId)."""
    if value is None:
        return None
    value = int(value)
    if not 0 <= value < 2**64:
        raise ValueError("a WeChat MsgId is an unsigned 64-bit number")
    return str(value)


class WeChatMsgId(TypeDecorator):
    """WeChat's unsigned 64-bit ids (a message's MsgId, a template message's msgid), an ``int``
    in Python, stored as their decimal digits in a VARCHAR(20).

    Why text: BIGINT is signed and refuses 2**63 and above; NUMERIC(20,0) fits them on
    PostgreSQL, but on SQLite NUMERIC affinity turns a value beyond 64 bits into a REAL
    (18446744073709551615 comes back as 1.8446744073709552e+19) and the driver refuses to bind
    such an int at all. Digits are exact on both, compare for equality (the only use: a receipt
    finds its template message), and read the same in an export or a psql session. Canonical
    digits (no sign, no leading zeros) keep equal ids equal."""

    impl = String(UINT64_DIGITS)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return msgid_digits(value)

    def process_result_value(self, value, dialect):
        return None if value is None else int(value)
