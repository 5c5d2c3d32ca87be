"""The case lifecycle as a table, and the pure function that applies it (docs/domain.md, "A case's life").

    submitted ─accept─▶ accepted ─assign─▶ assigned ─reply─▶ replied ─close─▶ closed
        │                  └──────────reply (tier 1)──────────▲
        ├─reply / assign straight away (the representative answers or passes it on at once)
        ├─route: a clerk gives it to a representative;  return: the representative sends it back
    side exits: merge, invalidate, withdraw; a resident's 不满意 reopens a replied or closed case,
    back to the unit that answered it: a tier-2, 3 or 4 case to its sub-district, department or
    the district office (assigned), a tier-1 case to its representative (accepted).
    refer: outside the congress's remit, referred to 12345, 信访, a court or a procuratorate (转外部).
    refuse: the department sends an assigned case back, with a reason from the list (退单).
    propose / answer_proposal: a tier-4 case's proposal recorded upward, and the answer it got.
    escalate: passed to the working committee because nobody else would hear it (status kept).
    supervise: flagged 督办 because its deadline passed (status kept).
    classify: the category, colour or tier set or corrected (status kept).
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.status import REFERRAL_BODIES, CaseStatus, Tier

S = CaseStatus
UNCHANGED = None  # the step is recorded, the status stays

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[CaseStatus], CaseStatus | None]] = {
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "assign": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.ASSIGNED),  # again: elsewhere
    "reply": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.REPLIED),
    "close": (frozenset({S.REPLIED}), S.CLOSED),
    "reopen": (frozenset({S.REPLIED, S.CLOSED}), S.ACCEPTED),  # assigned for tiers 2-4: see apply
    "merge": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.MERGED),
    "invalidate": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.INVALID),
    "withdraw": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.WITHDRAWN),
    "return": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.SUBMITTED),
    "route": (frozenset({S.SUBMITTED}), UNCHANGED),
    "escalate": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), UNCHANGED),
    # 督办: the case's deadline passed while it waited (the scheduler flags it; cases.supervision)
    "supervise": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), UNCHANGED),
    # a person sets or corrects the category, colour or tier (each one a lesson for the suggestions)
    "classify": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.REPLIED, S.CLOSED, S.REFERRED}), UNCHANGED),
    # not a matter for the congress: referred to the body it belongs to, with that body's reference
    "refer": (frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED}), S.REFERRED),
    # the department refuses the case (退单): back to the working committee to pass on again
    "refuse": (frozenset({S.ASSIGNED}), S.ACCEPTED),
    # a tier-4 case's proposal (代表建议): its title, text, signers and where it went
    "propose": (frozenset({S.ASSIGNED}), UNCHANGED),
    # the higher congress's answer to the proposal, which goes to the resident as the answer
    "answer_proposal": (frozenset({S.ASSIGNED}), S.REPLIED),
}

# Tier 1 is answered by the representative; the other tiers are handed to someone.
ASSIGNABLE_TIERS = frozenset({Tier.SUBDISTRICT, Tier.DEPARTMENT, Tier.HIGHER_CONGRESS})
NEEDS_A_REASON = frozenset({"invalidate", "reopen", "return"})
NEEDS_WORDS = frozenset({"reply", "answer_proposal"})
# Steps that only make sense for a case handled at one tier.
NEEDS_TIER = {"refuse": Tier.DEPARTMENT, "propose": Tier.HIGHER_CONGRESS, "answer_proposal": Tier.HIGHER_CONGRESS}
# Steps that carry a code: where a referral went (one of a fixed list), why a department refused
# (one of the configured list, checked by ``cases.actions.perform``, which has the list).
NEEDS_A_CODE = {"refer": frozenset(REFERRAL_BODIES), "refuse": None}


class TransitionError(ValueError):
    """The action is not allowed from the case's status (or lacks what it needs)."""


@dataclass(frozen=True)
class Step:
    action: str
    from_status: CaseStatus
    to_status: CaseStatus
    tier: Tier | None


def apply(status: CaseStatus, action: str, *, tier: Tier | None = None, note: str = "",
          code: str | None = None) -> Step:
    """What ``action`` does to a case in ``status``; raises TransitionError when it may not.

    ``tier`` is the case's tier after the step (accept may leave it open: the suggestion engine
    proposes one later); ``code`` the referral's body or the refusal's reason."""
    if action not in TRANSITIONS:
        raise TransitionError(f"unknown action {action!r}")
    sources, target = TRANSITIONS[action]
    status = CaseStatus(status)
    if status not in sources:
        raise TransitionError(f"cannot {action} a case that is {status.value}")
    if action == "assign" and tier not in ASSIGNABLE_TIERS:
        raise TransitionError("a tier-1 case is answered by the representative, not assigned")
    if action in NEEDS_TIER and tier is not NEEDS_TIER[action]:
        raise TransitionError(f"{action} is for a case handled at the {NEEDS_TIER[action].value} tier")
    if action in NEEDS_A_REASON and not note.strip():
        raise TransitionError(f"{action} needs a reason")
    if action in NEEDS_WORDS and not note.strip():
        raise TransitionError(f"{action} needs its words")
    if action in NEEDS_A_CODE:
        known = NEEDS_A_CODE[action]
        if not code or (known is not None and code not in known):
            raise TransitionError(f"{action} needs one of the listed codes, not {code!r}")
    if action == "reopen" and tier in ASSIGNABLE_TIERS:
        target = S.ASSIGNED  # back to the unit that answered, which keeps the case
    return Step(action, status, status if target is UNCHANGED else target, tier)


def allowed_actions(status: CaseStatus) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]
