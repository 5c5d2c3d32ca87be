"""The lifecycle table, without a database."""

from __future__ import annotations

import pytest

from cases.status import CaseStatus as S
from cases.status import Tier
from cases.transitions import TRANSITIONS, TransitionError, allowed_actions, apply


def walk(status, *steps):
    for action, kwargs in steps:
        status = apply(status, action, **kwargs).to_status
    return status


def test_the_main_road_for_each_tier():
    assert walk(S.SUBMITTED, ("accept", {"tier": Tier.REPRESENTATIVE}),
                ("reply", {"tier": Tier.REPRESENTATIVE}), ("close", {})) is S.CLOSED
    for tier in (Tier.SUBDISTRICT, Tier.DEPARTMENT, Tier.HIGHER_CONGRESS):
        assert walk(S.SUBMITTED, ("accept", {"tier": tier}), ("assign", {"tier": tier}),
                    ("reply", {"tier": tier}), ("close", {})) is S.CLOSED


def test_dissatisfaction_reopens():
    step = apply(S.CLOSED, "reopen", note="群众不满意：路灯仍未修好")
    assert (step.from_status, step.to_status) == (S.CLOSED, S.ACCEPTED)


@pytest.mark.parametrize("status, action, kwargs", [
    (S.SUBMITTED, "reply", {}),
    (S.SUBMITTED, "accept", {}),  # no tier chosen
    (S.ACCEPTED, "assign", {"tier": Tier.REPRESENTATIVE}),
    (S.CLOSED, "withdraw", {}),
    (S.MERGED, "accept", {"tier": Tier.DEPARTMENT}),
    (S.SUBMITTED, "invalidate", {"note": "  "}),
    (S.REPLIED, "reopen", {}),
    (S.SUBMITTED, "teleport", {}),
])
def test_what_may_not_happen(status, action, kwargs):
    with pytest.raises(TransitionError):
        apply(status, action, **kwargs)


def test_terminal_statuses_allow_nothing_but_reopening_closed_cases():
    assert allowed_actions(S.MERGED) == allowed_actions(S.INVALID) == allowed_actions(S.WITHDRAWN) == []
    assert allowed_actions(S.CLOSED) == ["reopen"]
    assert set(allowed_actions(S.SUBMITTED)) == {"accept", "merge", "invalidate", "withdraw"}
    assert {target for _, target in TRANSITIONS.values()} == set(S) - {S.SUBMITTED}
