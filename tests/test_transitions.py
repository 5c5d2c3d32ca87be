"""The lifecycle table, without a database."""

from __future__ import annotations

import pytest

from cases.status import CaseStatus as S
from cases.status import Tier
from cases.transitions import TRANSITIONS, TransitionError, allowed_actions, apply

ANSWER = {"note": "已联系物业，明天更换灯具。"}


def walk(status, *steps):
    for action, kwargs in steps:
        status = apply(status, action, **kwargs).to_status
    return status


def test_the_main_road_for_each_tier():
    assert walk(S.SUBMITTED, ("accept", {"tier": Tier.REPRESENTATIVE}),
                ("reply", {"tier": Tier.REPRESENTATIVE, **ANSWER}), ("close", {})) is S.CLOSED
    for tier in (Tier.SUBDISTRICT, Tier.DEPARTMENT, Tier.HIGHER_CONGRESS):
        assert walk(S.SUBMITTED, ("accept", {"tier": tier}), ("assign", {"tier": tier}),
                    ("reply", {"tier": tier, **ANSWER}), ("close", {})) is S.CLOSED


def test_a_representative_may_answer_or_pass_on_at_once_and_take_without_a_tier():
    assert apply(S.SUBMITTED, "reply", tier=Tier.REPRESENTATIVE, **ANSWER).to_status is S.REPLIED
    assert apply(S.SUBMITTED, "assign", tier=Tier.DEPARTMENT).to_status is S.ASSIGNED
    assert apply(S.SUBMITTED, "accept").to_status is S.ACCEPTED  # the suggestion engine proposes a tier later


def test_returning_routing_and_escalating():
    assert apply(S.ACCEPTED, "return", note="不是本选区的事").to_status is S.SUBMITTED
    assert apply(S.SUBMITTED, "route").to_status is S.SUBMITTED
    for status in (S.SUBMITTED, S.ACCEPTED, S.ASSIGNED):
        assert apply(status, "escalate").to_status is status  # recorded, status kept


def test_dissatisfaction_reopens():
    step = apply(S.CLOSED, "reopen", note="群众不满意：路灯仍未修好")
    assert (step.from_status, step.to_status) == (S.CLOSED, S.ACCEPTED)


def test_a_status_read_back_as_a_plain_string_is_understood():
    assert apply("submitted", "accept").from_status is S.SUBMITTED


@pytest.mark.parametrize("status, action, kwargs", [
    (S.SUBMITTED, "reply", {}),  # no words
    (S.SUBMITTED, "reply", {"note": "   "}),
    (S.ACCEPTED, "assign", {"tier": Tier.REPRESENTATIVE}),
    (S.ACCEPTED, "assign", {}),
    (S.CLOSED, "withdraw", {}),
    (S.MERGED, "accept", {"tier": Tier.DEPARTMENT}),
    (S.SUBMITTED, "invalidate", {"note": "  "}),
    (S.REPLIED, "reopen", {}),
    (S.ACCEPTED, "return", {}),  # a return needs its reason
    (S.ASSIGNED, "return", {"note": "不归我"}),
    (S.ACCEPTED, "route", {}),
    (S.REPLIED, "escalate", {}),
    (S.SUBMITTED, "teleport", {}),
    (S.ACCEPTED, "refer", {}),                                   # where to?
    (S.ACCEPTED, "refer", {"code": "the moon"}),                 # not a body on the list
    (S.REPLIED, "refer", {"code": "12345"}),                     # answered already
    (S.ASSIGNED, "refuse", {"tier": Tier.DEPARTMENT}),           # a refusal gives its reason
    (S.ASSIGNED, "refuse", {"tier": Tier.SUBDISTRICT, "code": "not_ours"}),  # only a department refuses
    (S.ACCEPTED, "refuse", {"tier": Tier.DEPARTMENT, "code": "not_ours"}),
    (S.ASSIGNED, "propose", {"tier": Tier.DEPARTMENT}),          # a proposal is a tier-4 case's
    (S.ASSIGNED, "answer_proposal", {"tier": Tier.HIGHER_CONGRESS}),  # no words
    (S.ACCEPTED, "answer_proposal", {"tier": Tier.HIGHER_CONGRESS, **ANSWER}),
])
def test_what_may_not_happen(status, action, kwargs):
    with pytest.raises(TransitionError):
        apply(status, action, **kwargs)


def test_referring_refusing_and_proposals():
    step = apply(S.ASSIGNED, "refer", code="xinfang", note="")
    assert (step.from_status, step.to_status) == (S.ASSIGNED, S.REFERRED)
    refused = apply(S.ASSIGNED, "refuse", tier=Tier.DEPARTMENT, code="not_ours")
    assert refused.to_status is S.ACCEPTED     # back to the committee, to pass on again
    assert apply(S.ASSIGNED, "propose", tier=Tier.HIGHER_CONGRESS).to_status is S.ASSIGNED
    assert apply(S.ASSIGNED, "answer_proposal", tier=Tier.HIGHER_CONGRESS, **ANSWER).to_status is S.REPLIED
    assert walk(S.SUBMITTED, ("assign", {"tier": Tier.HIGHER_CONGRESS}), ("propose", {"tier": Tier.HIGHER_CONGRESS}),
                ("answer_proposal", {"tier": Tier.HIGHER_CONGRESS, **ANSWER}), ("close", {})) is S.CLOSED


def test_terminal_statuses_allow_nothing_but_reopening_or_classifying_closed_cases():
    assert allowed_actions(S.MERGED) == allowed_actions(S.INVALID) == allowed_actions(S.WITHDRAWN) == []
    assert set(allowed_actions(S.CLOSED)) == {"reopen", "classify"}   # the ledger's category may be corrected
    assert allowed_actions(S.REFERRED) == ["classify"]
    assert set(allowed_actions(S.SUBMITTED)) == {"accept", "assign", "reply", "merge", "invalidate", "withdraw",
                                                 "return", "route", "escalate", "classify", "refer", "supervise"}
    assert {target for _, target in TRANSITIONS.values() if target} == set(S)
