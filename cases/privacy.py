"""Personal numbers in residents' words, masked for the people who do not need them: a mainland
mobile number keeps its first three and last four digits, an ID card number (身份证) its first six
and last four; the name staff took down for a resident without WeChat keeps its first character.
Pure functions."""

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


def sees_numbers(actor: Actor) -> bool:
    return actor.kind is not ActorKind.STAFF or actor.role in SEES_NUMBERS


def mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1) if name else ""


def shown_to(actor: Actor, text: str) -> str:
    """``text`` as ``actor`` may read it."""
    return text if sees_numbers(actor) else mask_numbers(text)


def name_shown_to(actor: Actor, name: str) -> str:
    """A resident's name as ``actor`` may read it."""
    return name if sees_numbers(actor) else mask_name(name)


def phone_shown_to(actor: Actor, phone: str) -> str:
    """A phone number staff took down, as ``actor`` may read it: whole, or its last four digits."""
    if sees_numbers(actor) or not phone:
        return phone
    masked = mask_numbers(phone)
    return masked if masked != phone else "*" * max(len(phone) - 4, 0) + phone[-4:]
