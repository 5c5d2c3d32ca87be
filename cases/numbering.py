"""Readable case numbers such as ``2026-000123``: the filing year and the case's id.

The id is unique on its own, so the number needs no counter table and no extra round trip
when a case is filed; the year makes it readable on a ledger and over the phone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

# Case numbers carry the year in Beijing time (UTC+8 all year): a case filed at 07:00 on
# 1 January in Beijing is already a case of the new year.
BEIJING_OFFSET = timedelta(hours=8)

# ASCII digits only (``\d`` would take ❶'s neighbours such as "٣"), and an id that fits a BIGINT.
ID_DIGITS = 18
_NUMBER = re.compile(rf"^\s*([0-9]{{4}})-([0-9]{{6,{ID_DIGITS}}})\s*$")


def format_case_number(year: int, case_id: int) -> str:
    return f"{year:04d}-{case_id:06d}"


def case_number(case_id: int, created_at: datetime) -> str:
    """The number of a case filed at ``created_at`` (naive UTC, as stored)."""
    return format_case_number((created_at + BEIJING_OFFSET).year, case_id)


def parse_case_number(text: str) -> tuple[int, int] | None:
    """Return (year, id) for a well-formed number, else None."""
    match = _NUMBER.match(text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))
