"""The rules behind acting on a case, without WeChat: reading commands, the one scope rule in its
two forms, who is told what, working hours, and ``perform`` on the database."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from cases import calendar
from cases.actions import CaseNotFound, NotPermitted, perform
from cases.notices import CaseFacts, for_step, split_text
from cases.scope import SYSTEM, Actor, CaseScope, clause, covers
from cases.status import ActorKind, CaseStatus, Tier
from cases.transitions import TransitionError
from handlers.workbench_parse import Command, Unparsed, parse
from models import Case, CaseEvent, Department, OutboxMessage, Resident
from models.staff import StaffRole

NOW = datetime(2026, 11, 23, 2, 0)  # Monday 10:00 Beijing time


@pytest.mark.parametrize("typed, parsed", [
    ("回复 2026-000061 已联系物业。", Command("回复", "2026-000061", "", "已联系物业。")),
    ("＃回复　２０２６－０００００１　已联系物业，好的", Command("回复", "2026-000001", "", "已联系物业，好的")),
    ("#回复61：收到", Command("回复", "61", "", "收到")),
    ("答复 7 好的", Command("回复", "7", "", "好的")),
    ("转部门 12 城管 请尽快", Command("转部门", "12", "城管", "请尽快")),
    ("转街道 12", Command("转街道", "12")),
    ("转上级 2026-000012 涉及全市", Command("转上级", "2026-000012", "", "涉及全市")),
    ("退回 3 不是本选区的事", Command("退回", "3", "", "不是本选区的事")),
    ("指派 3 wang01", Command("指派", "3", "wang01")),
    ("待办", Command("待办")),
    ("  帮助  转部门", Command("帮助", argument="转部门")),
    ("反映 我家楼下井盖松了", Command("反映", text="我家楼下井盖松了")),
    ("回复", Unparsed("回复")),
    ("回复 12", Unparsed("回复")),
    ("转部门 12", Unparsed("转部门")),
    ("查看 十二", Unparsed("查看")),
    ("反映", Unparsed("反映")),
    ("回夏 1 好", Unparsed("回复", "回夏")),
    ("收到，明天去现场看看", Unparsed(None)),
    ("你好", Unparsed(None)),
])
def test_commands_as_people_type_them(typed, parsed):
    assert parse(typed) == parsed


def test_the_scope_rule_and_its_sql_agree(db, district, clock):
    reps, subs = district["reps"], district["sub_districts"]
    department = Department(district_id=subs["east"].district_id, code="cg", name="区城市管理执法局")
    residents = [Resident(openid=f"o-{n}", created_at=clock.now()) for n in range(3)]
    db.add_all([department, *residents])
    db.flush()
    scopes = [CaseScope(residents[0].id, reps["wang"].id, subs["east"].id, None),
              CaseScope(residents[1].id, reps["li"].id, subs["west"].id, department.id),
              CaseScope(residents[2].id, None, None, None)]
    ids = []
    for scope in scopes:
        case = Case(resident_id=scope.resident_id, representative_id=scope.representative_id,
                    sub_district_id=scope.sub_district_id, department_id=scope.department_id, status="submitted",
                    summary="", created_at=clock.now(), updated_at=clock.now(), last_message_at=clock.now())
        db.add(case)
        db.flush()
        ids.append(case.id)
    actors = [SYSTEM, Actor(ActorKind.RESIDENT, residents[0].id), Actor(ActorKind.REPRESENTATIVE, reps["wang"].id),
              Actor(ActorKind.REPRESENTATIVE, reps["li"].id), Actor(ActorKind.REPRESENTATIVE, None),
              Actor(ActorKind.STAFF, 5, role=StaffRole.SUBDISTRICT, sub_district_id=subs["east"].id),
              Actor(ActorKind.STAFF, 6, role=StaffRole.DEPARTMENT, department_id=department.id),
              Actor(ActorKind.STAFF, 7, role=StaffRole.DISTRICT), Actor(ActorKind.STAFF, 8, role=StaffRole.SUBDISTRICT)]
    for actor in actors:
        expected = {case_id for case_id, scope in zip(ids, scopes, strict=True) if covers(actor, scope)}
        assert set(db.scalars(select(Case.id).where(clause(actor)))) == expected, actor
    assert len({frozenset(c for c, s in zip(ids, scopes, strict=True) if covers(a, s)) for a in actors}) >= 4
    db.rollback()


FACTS = CaseFacts(number="2026-000009", short="9", submitted_at=NOW, summary="小区东门路灯坏了", tier=Tier.DEPARTMENT,
                  resident_openid="o-res", representative_name="王晓明", representative_openid="o-rep",
                  sub_district="东街街道", committee="东街街道人大工委", department="区城市管理执法局",
                  clerk_openids=("o-clerk",), department_openids=("o-dept",), district_openids=("o-office",))
WANG = Actor(ActorKind.REPRESENTATIVE, 1, "王晓明", openid="o-rep")
CLERK = Actor(ActorKind.STAFF, 2, "东街街道人大工委", role=StaffRole.SUBDISTRICT, sub_district_id=1, openid="o-clerk")
LIAISON = Actor(ActorKind.STAFF, 3, "区城市管理执法局", role=StaffRole.DEPARTMENT, department_id=1, openid="o-dept")


@pytest.mark.parametrize("action, actor, facts, told", [
    ("accept", WANG, FACTS, {("o-res", "accept")}),
    ("assign", WANG, FACTS, {("o-res", "assign"), ("o-dept", "assigned")}),
    ("assign", CLERK, FACTS, {("o-res", "assign"), ("o-dept", "assigned"), ("o-rep", "told_representative")}),
    ("assign", WANG, CaseFacts(**{**FACTS.__dict__, "tier": Tier.SUBDISTRICT}), {("o-res", "assign"),
                                                                                 ("o-clerk", "assigned")}),
    ("assign", WANG, CaseFacts(**{**FACTS.__dict__, "tier": Tier.HIGHER_CONGRESS}), {("o-res", "assign"),
                                                                                     ("o-office", "proposal")}),
    ("reply", WANG, FACTS, {("o-res", "reply")}),
    ("return", WANG, CaseFacts(**{**FACTS.__dict__, "escalation_reason": "returned"}), {("o-clerk", "escalated")}),
    ("escalate", SYSTEM, CaseFacts(**{**FACTS.__dict__, "escalation_reason": "no_representative",
                                      "clerk_openids": ()}), {("o-office", "escalated")}),
    ("route", CLERK, FACTS, {("o-rep", "new_case")}),
    ("reply", WANG, CaseFacts(**{**FACTS.__dict__, "resident_openid": None}), set()),  # unfollowed / no WeChat
    ("refer", CLERK, CaseFacts(**{**FACTS.__dict__, "extra": {"body": "信访部门", "reference": "XF-1"}}),
     {("o-res", "refer"), ("o-rep", "told_representative")}),
    ("refer", CLERK, CaseFacts(**{**FACTS.__dict__, "resident_openid": None, "extra": {"body": "信访部门"}}),
     {("o-rep", "told_representative")}),
    ("refuse", LIAISON, CaseFacts(**{**FACTS.__dict__, "escalation_reason": "refused", "department": "",
                                     "extra": {"department": "区城市管理执法局", "refusal": "不属于本单位职责"}}),
     {("o-clerk", "escalated"), ("o-rep", "told_representative")}),      # the resident hears nothing of it
    ("propose", CLERK, CaseFacts(**{**FACTS.__dict__, "tier": Tier.HIGHER_CONGRESS, "signer_openids": ("o-rep", "o-li"),
                                    "extra": {"title": "建议增设公交线路", "to": "市人大常委会"}}),
     {("o-rep", "proposal"), ("o-li", "proposal")}),
    ("answer_proposal", CLERK, CaseFacts(**{**FACTS.__dict__, "tier": Tier.HIGHER_CONGRESS,
                                            "signer_openids": ("o-li",), "extra": {"to": "市人大常委会"}}),
     {("o-res", "reply"), ("o-li", "proposal"), ("o-rep", "proposal")}),
])
def test_who_is_told_of_a_step(action, actor, facts, told):
    notices = for_step(action, actor, facts, "请尽快处理", NOW)
    assert {(notice.openid, notice.purpose) for notice in notices} == told
    for notice in notices:
        assert len(notice.template_data["text"]) <= 20 and notice.template_data["time"] == "2026年11月23日 10:00"
        if notice.openid == "o-res":
            assert "案件" not in notice.text and "交办" not in notice.text and "2026-000009" in notice.text


def test_what_the_new_steps_say():
    refused = CaseFacts(**{**FACTS.__dict__, "escalation_reason": "refused",
                           "extra": {"department": "区城市管理执法局", "refusal": "不属于本单位职责"}})
    [clerk, _] = for_step("refuse", LIAISON, refused, "", NOW)
    assert "区城市管理执法局退单，原因：不属于本单位职责" in clerk.text
    referred = CaseFacts(**{**FACTS.__dict__, "extra": {"body": "12345政务服务便民热线", "reference": "GD2026001"}})
    resident = for_step("refer", CLERK, referred, "", NOW)[0]
    assert "12345政务服务便民热线" in resident.text and "GD2026001" in resident.text and "案件" not in resident.text
    due = CaseFacts(**{**FACTS.__dict__, "extra": {"due": "2026年12月1日 23:59"}})
    told = {n.openid: n.text for n in for_step("assign", CLERK, due, "请现场核实", NOW)}
    assert "办理期限：2026年12月1日 23:59前" in told["o-dept"] and "请现场核实" in told["o-dept"]
    assert "办理期限" not in told["o-res"]
    closed = {n.openid: n.text for n in for_step("close", CLERK, FACTS, "路灯已更换", NOW)}
    assert "办理结果：路灯已更换" in closed["o-res"]
    answered = for_step("answer_proposal", CLERK, CaseFacts(**{**FACTS.__dict__, "tier": Tier.HIGHER_CONGRESS,
                                                                  "extra": {"to": "市人大常委会"}}), "已列入计划", NOW)
    assert answered[0].openid == "o-res" and "市人大常委会" in answered[0].text and "已列入计划" in answered[0].text


def test_a_long_text_splits_between_characters_at_the_limit():
    text = "路灯" * 600 + "。" + "修好了" * 300
    parts = split_text(text)
    assert "".join(parts) == text and all(len(part.encode()) <= 2048 for part in parts)
    assert len(parts) >= 3 and any(part.endswith("。") for part in parts)  # broken after the sentence


def test_working_hours_in_beijing():
    monday_10 = NOW
    assert calendar.working_hours_between(monday_10, datetime(2026, 11, 23, 8, 0)) == 6  # till 16:00
    assert calendar.working_hours_between(monday_10, datetime(2026, 11, 24, 2, 0)) == 8  # Tuesday 10:00
    friday_16 = datetime(2026, 11, 27, 8, 0)
    assert calendar.working_hours_between(friday_16, datetime(2026, 11, 30, 2, 0)) == 2  # the weekend counts not
    assert calendar.add_working_hours(friday_16, 2) == datetime(2026, 11, 30, 2, 0)
    assert calendar.add_working_hours(monday_10, 8) == datetime(2026, 11, 24, 2, 0)


@pytest.fixture
def filed(db, district, clock):
    wang = district["reps"]["wang"]
    wang.openid = "o-rep"
    resident = Resident(openid="o-res", representative_id=wang.id, created_at=clock.now())
    db.add(resident)
    db.flush()
    case = Case(resident_id=resident.id, representative_id=wang.id, sub_district_id=wang.sub_district_id,
                status="submitted", summary="井盖松动", created_at=clock.now(), updated_at=clock.now(),
                last_message_at=clock.now())
    db.add(case)
    db.commit()
    return case.id, Actor(ActorKind.REPRESENTATIVE, wang.id, wang.name, openid="o-rep"), resident.id


def test_perform_writes_the_step_the_event_and_its_notices_together(app, db, clock, filed):
    case_id, wang, resident_id = filed
    conn = db.connection()
    done = perform(conn, case_id, "reply", wang, clock.now(), note="已经修好。")
    assert (done.step.from_status, done.step.to_status, done.notices) == ("submitted", "replied", 1)
    with pytest.raises(TransitionError):  # the same step again is refused: nobody is told twice
        perform(conn, case_id, "reply", wang, clock.now(), note="已经修好。")
    perform(conn, case_id, "reopen", Actor(ActorKind.RESIDENT, resident_id), clock.now(), note="还是松的")
    perform(conn, case_id, "reply", wang, clock.now(), note="今天又加固了。")
    db.commit()
    case = db.get(Case, case_id)
    assert isinstance(case.status, CaseStatus) and case.status is CaseStatus.REPLIED and case.tier is Tier.REPRESENTATIVE
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()
    assert [(e.action, e.actor_kind) for e in events] == [("reply", ActorKind.REPRESENTATIVE),
                                                          ("reopen", ActorKind.RESIDENT),
                                                          ("reply", ActorKind.REPRESENTATIVE)]
    replies = db.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "reply")).all()
    assert len(replies) == 2 and {r.idempotency_key for r in replies} == {
        f"evt:{events[0].id}:reply:o-res", f"evt:{events[2].id}:reply:o-res"}


@pytest.mark.parametrize("actor, error", [
    (Actor(ActorKind.REPRESENTATIVE, 999, "别人"), CaseNotFound),
    (Actor(ActorKind.STAFF, 1, role=StaffRole.DEPARTMENT, department_id=5), CaseNotFound),
    (Actor(ActorKind.RESIDENT, 999), CaseNotFound),
])
def test_perform_refuses_whoever_is_outside_the_case(app, db, filed, clock, actor, error):
    case_id, _, _ = filed
    with pytest.raises(error):
        perform(db.connection(), case_id, "accept", actor, clock.now())
    db.rollback()


def test_perform_refuses_a_step_the_actor_does_not_take(app, db, filed, clock):
    case_id, _, resident_id = filed
    with pytest.raises(NotPermitted):
        perform(db.connection(), case_id, "accept", Actor(ActorKind.RESIDENT, resident_id), clock.now())
    db.rollback()
