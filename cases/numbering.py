"""Readable case numbers such as ``2026-000123``: the filing year and the case's id.

The id is unique on its own, so the number needs no counter table and no extra round trip
when a case is filed; the year makes it readable on a ledger and over the phone.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^\s*(\d{4})-(\d{6,})\s*$")


def format_case_number(year: int, case_id: int) -> str:
    return f"{year:04d}-{case_id:06d}"


def parse_case_number(text: str) -> tuple[int, int] | None:
    """Return (year, id) for a well-formed number, else None."""
    match = _NUMBER.match(text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))
