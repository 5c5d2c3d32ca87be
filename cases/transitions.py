"""The case lifecycle as a table, and the pure function that applies it (docs/domain.md, "A case's life").

    submitted ─accept─▶ accepted ─assign─▶ assigned ─reply─▶ replied ─close─▶ closed
        │                  └──────────reply (tier 1)──────────▲
        ├─reply / assign straight away (the representative answers or passes it on at once)
        ├─route: a clerk gives it to a representative;  return: the representative sends it back
    side exits: merge, invalidate, withdraw; a resident's 不满意 reopens a replied or closed case.
    escalate: passed to the working committee because nobody else would hear it (status kept).
    classify: the category, colour or tier set or corrected (status kept).
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.status import CaseStatus, Tier

S = CaseStatus
UNCHANGED = None  # the step is recorded, the status stays

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[CaseStatus], CaseStatus | None]] = {
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "assign": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.ASSIGNED),  # again: elsewhere
    "reply": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.REPLIED),
    "close": (frozenset({S.REPLIED}), S.CLOSED),
    "reopen": (frozenset({S.REPLIED, S.CLOSED}), S.ACCEPTED),
    "merge": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.MERGED),
    "invalidate": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.INVALID),
    "withdraw": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.WITHDRAWN),
    "return": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.SUBMITTED),
    "route": (frozenset({S.SUBMITTED}), UNCHANGED),
    "escalate": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), UNCHANGED),
    # a person sets or corrects the category, colour or tier (each one a lesson for the suggestions)
    "classify": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.REPLIED, S.CLOSED}), UNCHANGED),
}

# Tier 1 is answered by the representative; the other tiers are handed to someone.
ASSIGNABLE_TIERS = frozenset({Tier.SUBDISTRICT, Tier.DEPARTMENT, Tier.HIGHER_CONGRESS})
NEEDS_A_REASON = frozenset({"invalidate", "reopen", "return"})


class TransitionError(ValueError):
    """The action is not allowed from the case's status (or lacks what it needs)."""


@dataclass(frozen=True)
class Step:
    action: str
    from_status: CaseStatus
    to_status: CaseStatus
    tier: Tier | None


def apply(status: CaseStatus, action: str, *, tier: Tier | None = None, note: str = "") -> Step:
    """What ``action`` does to a case in ``status``; raises TransitionError when it may not.

    ``tier`` is the case's tier after the step (accept may leave it open: the suggestion engine
    proposes one later)."""
    if action not in TRANSITIONS:
        raise TransitionError(f"unknown action {action!r}")
    sources, target = TRANSITIONS[action]
    status = CaseStatus(status)
    if status not in sources:
        raise TransitionError(f"cannot {action} a case that is {status.value}")
    if action == "assign" and tier not in ASSIGNABLE_TIERS:
        raise TransitionError("a tier-1 case is answered by the representative, not assigned")
    if action in NEEDS_A_REASON and not note.strip():
        raise TransitionError(f"{action} needs a reason")
    if action == "reply" and not note.strip():
        raise TransitionError("a reply needs its words")
    return Step(action, status, status if target is UNCHANGED else target, tier)


def allowed_actions(status: CaseStatus) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]
