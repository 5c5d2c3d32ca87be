"""Personal numbers in residents' words, masked for the people who do not need them: a mainland
mobile number keeps its first three and last four digits, an ID card number (身份证) its first six
and last four. Pure functions."""

from __future__ import annotations

import re

from cases.scope import Actor
from cases.status import ActorKind
from models.staff import StaffRole

# Digits not preceded or followed by another digit, so a longer number is not cut into one.
_ID_CARD = re.compile(r"(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
# Who calls residents back and so sees their numbers whole: the working committees, the
# district office, the representatives. Department liaisons and observers see them masked.
SEES_NUMBERS = frozenset({StaffRole.DISTRICT, StaffRole.SUBDISTRICT})


def mask_numbers(text: str) -> str:
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def shown_to(actor: Actor, text: str) -> str:
    """``text`` as ``actor`` may read it."""
    if actor.kind is ActorKind.STAFF and actor.role not in SEES_NUMBERS:
        return mask_numbers(text)
    return text
