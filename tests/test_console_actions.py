"""The console's further steps, each through ``perform``: 交办 with a deadline, the department's
answer (反馈), 转外部, 退单 with a configured reason, 代表建议 and its answer, 销号 with the result,
and filing for a resident without WeChat (代录) with its slip. Each: the case, the event, the
outbox, and who may take it (another sub-district's clerk 404, an observer 403, a liaison only on
their department's cases)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select, update

from bot.services import services
from cases.status import ActorKind, CaseStatus, Tier
from models import Case, CaseEvent, OutboxMessage, Proposal, Resident, StaffUser, proposal_signers
from scheduler.notices import escalate_unheard_cases, queue_new_case_notices
from tests import test_console
from tests.test_console import _csrf, login

staff, cases = test_console.staff, test_console.cases     # the console tests' accounts and cases
pytestmark = pytest.mark.usefixtures("staff")


@pytest.fixture
def bound(db, staff):
    """The east clerk, the department's liaison and two representatives have a bound WeChat."""
    for username, openid in (("east", "o-east"), ("cg", "o-cg")):
        db.execute(update(StaffUser).where(StaffUser.username == username).values(openid=openid))
    staff["reps"]["wang"].openid = "o-wang"
    staff["reps"]["li"].openid = "o-li"
    db.commit()


def act(client, case, action, **fields):
    return client.post(f"/console/cases/{case.number}/act",
                       data={"csrf_token": _csrf(client, "/console/"), "action": action, **fields})


def as_user(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def events(db, case, action):
    db.rollback()
    return db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == action)).all()


def told(db, case) -> dict[str, list[str]]:
    """Who the outbox tells what about ``case``: openid → texts."""
    db.rollback()
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id).order_by(OutboxMessage.id))
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.openid, []).append(row.text)
    return out


def resident_openid(db, case) -> str:
    return db.scalar(select(Resident.openid).where(Resident.id == case.resident_id))


# -- 交办 with a deadline and instructions ------------------------------------------------------------

def test_assigning_with_a_deadline_and_instructions(app, db, cases, bound):
    clerk = as_user(app, "east")
    answer = act(clerk, cases["east"], "assign", tier="department", department="cg", due="2026-12-01",
                 note="请三日内到现场核实")
    assert answer.status_code == 302
    db.rollback()
    case = db.get(Case, cases["east"].id)
    assert (case.status, case.tier) == (CaseStatus.ASSIGNED, Tier.DEPARTMENT)
    assert case.due_at == datetime(2026, 12, 1, 15, 59)      # 23:59 Beijing time, stored as UTC
    [event] = events(db, case, "assign")
    assert event.note == "区城市管理执法局：请三日内到现场核实"
    [to_department] = told(db, case)["o-cg"]
    assert "办理期限：2026年12月1日 23:59前" in to_department and "请三日内到现场核实" in to_department
    page = clerk.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert "2026年12月1日 23:59" in page


def test_a_deadline_in_the_past_is_refused(app, db, cases):
    clerk = as_user(app, "east")
    answer = act(clerk, cases["east"], "assign", tier="subdistrict", due="2026-11-01")
    assert answer.status_code == 302
    db.rollback()
    assert db.get(Case, cases["east"].id).status is CaseStatus.SUBMITTED and not events(db, cases["east"], "assign")


# -- 反馈: the department's answer ---------------------------------------------------------------------

def test_a_clerk_enters_the_departments_answer_signed_by_the_department(app, db, cases):
    clerk = as_user(app, "east")
    page = clerk.get(f"/console/cases/{cases['assigned'].number}").get_data(as_text=True)
    assert 'data-testid="act-feedback"' in page
    assert act(clerk, cases["assigned"], "feedback", note="已清理占道摊点。").status_code == 302
    db.rollback()
    case = db.get(Case, cases["assigned"].id)
    assert (case.status, case.tier) == (CaseStatus.REPLIED, Tier.DEPARTMENT)
    [event] = events(db, case, "reply")
    clerk_id = db.scalar(select(StaffUser.id).where(StaffUser.username == "east"))
    assert (event.actor_kind, event.actor_id) == (ActorKind.STAFF, clerk_id)     # who typed it
    assert event.note == "区城市管理执法局的答复（代为录入）：已清理占道摊点。"
    [to_resident] = told(db, case)[resident_openid(db, case)]
    assert "已清理占道摊点。" in to_resident and to_resident.endswith("——区城市管理执法局")
    page = clerk.get(f"/console/cases/{case.number}").get_data(as_text=True)
    answers = page.split('data-testid="answers"')[1].split("</ol>")[0]
    assert "已清理占道摊点" in answers


def test_the_liaison_answers_in_the_departments_name(app, db, cases):
    liaison = as_user(app, "cg")
    page = liaison.get(f"/console/cases/{cases['assigned'].number}").get_data(as_text=True)
    assert 'data-testid="act-reply"' in page and 'data-testid="act-feedback"' not in page
    assert act(liaison, cases["assigned"], "reply", note="已处理。").status_code == 302
    [to_resident] = told(db, cases["assigned"])[resident_openid(db, cases["assigned"])]
    assert to_resident.endswith("——区城市管理执法局")


def test_feedback_needs_a_department(app, db, cases):
    clerk = as_user(app, "east")
    assert 'act-feedback' not in clerk.get(f"/console/cases/{cases['east'].number}").get_data(as_text=True)
    act(clerk, cases["east"], "feedback", note="答复")
    db.rollback()
    assert db.get(Case, cases["east"].id).status is CaseStatus.SUBMITTED


# -- 转外部 ------------------------------------------------------------------------------------------------

def test_referring_a_matter_outside_the_congresss_remit(app, db, cases, bound):
    clerk = as_user(app, "east")
    assert act(clerk, cases["east"], "refer", body="12345", reference="GD20261123001",
               note="属于政务服务事项").status_code == 302
    db.rollback()
    case = db.get(Case, cases["east"].id)
    assert (case.status, case.referred_to, case.referral_reference) == (CaseStatus.REFERRED, "12345", "GD20261123001")
    [event] = events(db, case, "refer")
    assert event.code == "12345" and "GD20261123001" in event.note
    messages = told(db, case)
    [to_resident] = messages[resident_openid(db, case)]
    assert "12345政务服务便民热线" in to_resident and "GD20261123001" in to_resident
    assert "转12345政务服务便民热线办理" in messages["o-wang"][0]
    page = clerk.get(f"/console/cases/{case.number}").get_data(as_text=True)
    assert "已转外部办理" in page and "GD20261123001" in page
    assert 'data-testid="act-' in page and "act-refer" not in page          # done: classify only


@pytest.mark.parametrize("fields", [{"body": "12345"}, {"body": "moon", "reference": "X1"}, {"reference": "X1"}])
def test_a_referral_names_a_listed_body_and_its_reference(app, db, cases, fields):
    clerk = as_user(app, "east")
    answer = act(clerk, cases["east"], "refer", **fields)
    assert answer.status_code == 302
    db.rollback()
    assert db.get(Case, cases["east"].id).status is CaseStatus.SUBMITTED and not events(db, cases["east"], "refer")


# -- 退单 --------------------------------------------------------------------------------------------------

def test_a_department_refuses_with_a_listed_reason_and_the_committee_hears(app, db, cases, bound):
    liaison = as_user(app, "cg")
    page = liaison.get(f"/console/cases/{cases['assigned'].number}").get_data(as_text=True)
    assert "不属于本单位职责" in page and "涉及多部门需协调" in page      # the configured list
    assert act(liaison, cases["assigned"], "refuse", reason="not_ours", note="应由街道处理").status_code == 302
    db.rollback()
    case = db.get(Case, cases["assigned"].id)
    assert (case.status, case.tier, case.department_id) == (CaseStatus.ACCEPTED, None, None)
    assert case.due_at == datetime(2026, 11, 24, 2, 0)    # the committee's clock: 8 working hours (cases.deadlines)
    assert case.escalated_at is not None and case.escalation_reason == "refused"
    [event] = events(db, case, "refuse")
    assert event.code == "not_ours" and event.note == "区城市管理执法局退单：不属于本单位职责。应由街道处理"
    messages = told(db, case)
    assert "区城市管理执法局退单，原因：不属于本单位职责" in messages["o-east"][0]
    assert resident_openid(db, case) not in messages          # the resident waits for the next step
    # refusals are counted by their reason
    counted = dict(db.execute(select(CaseEvent.code, func.count()).where(CaseEvent.action == "refuse")
                              .group_by(CaseEvent.code)).all())
    assert counted == {"not_ours": 1}
    # back in the sub-district's queue, out of the department's sight
    assert case.number in as_user(app, "east").get("/console/?tab=unrouted").get_data(as_text=True)
    assert liaison.get(f"/console/cases/{case.number}").status_code == 404


def test_a_refusal_reason_must_be_on_the_list(app, db, cases, settings_overrides):
    liaison = as_user(app, "cg")
    for reason in ("", "too_busy"):
        assert act(liaison, cases["assigned"], "refuse", reason=reason).status_code == 302
    db.rollback()
    assert db.get(Case, cases["assigned"].id).status is CaseStatus.ASSIGNED
    assert not events(db, cases["assigned"], "refuse")


# -- 代表建议 and its answer ---------------------------------------------------------------------------

def test_a_proposal_goes_upward_with_its_signers_and_its_answer_reaches_the_resident(app, db, cases, bound):
    office = as_user(app, "district")
    assert act(office, cases["east"], "assign", tier="higher_congress", note="涉及全市公交规划").status_code == 302
    assert act(office, cases["east"], "propose", title="关于增设东街公交线路的建议", text="东街居民出行不便……",
               signers=["wang01", "li02"], sent_to="市人大常委会").status_code == 302
    db.rollback()
    proposal = db.scalars(select(Proposal).where(Proposal.case_id == cases["east"].id)).one()
    assert (proposal.title, proposal.sent_to) == ("关于增设东街公交线路的建议", "市人大常委会")
    assert proposal.sent_at is not None and proposal.note == "涉及全市公交规划"
    signed = set(db.scalars(select(proposal_signers.c.representative_id)
                            .where(proposal_signers.c.proposal_id == proposal.id)))
    assert signed == {cases["east"].representative_id, db.scalar(select(Case.representative_id)
                                                                 .where(Case.id == cases["assigned"].id))}
    news = told(db, cases["east"])
    assert any("关于增设东街公交线路的建议" in text for text in news["o-li"])
    page = office.get(f"/console/cases/{cases['east'].number}").get_data(as_text=True)
    block = page.split('data-testid="proposal"')[1].split("</div>")[0]
    assert "市人大常委会" in block and "王晓明" in block and "李芳" in block

    assert act(office, cases["east"], "answer_proposal", note="已列入明年公交线网优化计划。").status_code == 302
    db.rollback()
    case = db.get(Case, cases["east"].id)
    assert case.status is CaseStatus.REPLIED
    assert db.scalar(select(Proposal.answer).where(Proposal.id == proposal.id)) == "已列入明年公交线网优化计划。"
    answer = told(db, case)[resident_openid(db, case)][-1]
    assert "已列入明年公交线网优化计划。" in answer and "市人大常委会" in answer


def test_a_proposal_needs_signers_from_the_directory(app, db, cases):
    office = as_user(app, "district")
    act(office, cases["east"], "assign", tier="higher_congress")
    act(office, cases["east"], "propose", title="建议", text="正文", signers=["nobody"], sent_to="市人大常委会")
    db.rollback()
    assert db.scalar(select(Proposal.sent_at).where(Proposal.case_id == cases["east"].id)) is None
    assert not events(db, cases["east"], "propose")


# -- 销号 with the result ------------------------------------------------------------------------------------

def test_closing_records_the_result_and_tells_the_resident(app, db, cases):
    clerk = as_user(app, "east")
    act(clerk, cases["east"], "reply", note="已安排维修。")
    act(clerk, cases["east"], "close")                              # no result: refused
    db.rollback()
    assert db.get(Case, cases["east"].id).status is CaseStatus.REPLIED
    act(clerk, cases["east"], "close", note="路灯已更换，经回访群众满意。")
    db.rollback()
    case = db.get(Case, cases["east"].id)
    assert case.status is CaseStatus.CLOSED and case.closed_at is not None
    [event] = events(db, case, "close")
    assert event.note == "路灯已更换，经回访群众满意。"
    assert "办理结果：路灯已更换，经回访群众满意。" in told(db, case)[resident_openid(db, case)][-1]


# -- who may take the new steps -------------------------------------------------------------------------

STEPS = {   # action → (the case, what the form sends)
    "refer": ("east", {"body": "xinfang", "reference": "XF-1"}),
    "feedback": ("assigned", {"note": "部门答复"}),
    "refuse": ("assigned", {"reason": "unclear"}),
    "assign": ("east", {"tier": "subdistrict", "due": "2026-12-20", "note": "请办理"}),
}
EXPECTED = {   # username → action → status code
    "east": {"refer": 302, "feedback": 302, "refuse": 403, "assign": 302},
    "west": {"refer": 404, "feedback": 404, "refuse": 404, "assign": 404},
    "cg": {"refer": 404, "feedback": 403, "refuse": 302, "assign": 404},   # the east case is not theirs
    "observer": {"refer": 403, "feedback": 403, "refuse": 403, "assign": 403},
    "district": {"refer": 302, "feedback": 302, "refuse": 403, "assign": 302},
}


@pytest.mark.parametrize("username", list(EXPECTED))
@pytest.mark.parametrize("action", list(STEPS))
def test_who_may_take_the_new_steps(app, db, cases, username, action):
    name, fields = STEPS[action]
    answer = act(as_user(app, username), cases[name], action, **fields)
    assert answer.status_code == EXPECTED[username][action]
    step = "reply" if action == "feedback" else action
    assert bool(events(db, cases[name], step)) == (answer.status_code == 302)


def test_an_action_without_its_csrf_token_is_refused(app, db, cases):
    clerk = as_user(app, "east")
    answer = clerk.post(f"/console/cases/{cases['east'].number}/act",
                        data={"action": "refer", "body": "12345", "reference": "GD1"})
    assert answer.status_code == 400
    db.rollback()
    assert db.get(Case, cases["east"].id).status is CaseStatus.SUBMITTED


# -- 代录 and its slip -----------------------------------------------------------------------------------

WALK_IN = {"channel": "phone", "name": "张桂兰", "phone": "13912345678",
           "text": "小区门口的路灯坏了一个多月，晚上看不见路。我家电话13912345678", "contact_point": "cp-dj-1",
           "representative": "wang01"}


def file_case(client, **fields):
    return client.post("/console/cases/new", data={"csrf_token": _csrf(client, "/console/cases/new"),
                                                    **{**WALK_IN, **fields}})


def test_a_clerk_files_for_a_resident_without_wechat_and_prints_a_slip(app, db, staff, bound, wechat, clock):
    clerk = as_user(app, "east")
    assert "代群众登记" in clerk.get("/console/cases/new").get_data(as_text=True)
    answer = file_case(clerk)
    assert answer.status_code == 302 and "/slip" in answer.headers["Location"]
    number = re.search(r"\d{4}-\d{6}", answer.headers["Location"]).group()
    db.rollback()
    case = db.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case.number == number and case.status is CaseStatus.SUBMITTED
    assert (case.sub_district_id, case.representative_id) == (staff["sub_districts"]["east"].id,
                                                              staff["reps"]["wang"].id)
    resident = db.get(Resident, case.resident_id)
    assert (resident.openid, resident.channel, resident.name, resident.phone) == (None, "phone", "张桂兰", "13912345678")
    [submitted] = events(db, case, "submit")
    clerk_id = db.scalar(select(StaffUser.id).where(StaffUser.username == "east"))
    assert (submitted.actor_kind, submitted.actor_id, submitted.code) == (ActorKind.STAFF, clerk_id, "phone")

    slip = clerk.get(answer.headers["Location"]).get_data(as_text=True)
    assert number in slip and "2026年11月23日 10:00" in slip and "东街第一联系点" in slip
    assert "13912345678" in slip                                   # the committee calls back
    seen = as_user(app, "observer").get(f"/console/cases/{number}/slip").get_data(as_text=True)
    assert number in seen and "13912345678" not in seen and "139****5678" in seen and "张桂兰" not in seen
    assert as_user(app, "west").get(f"/console/cases/{number}/slip").status_code == 404

    # the representative hears of it as of any new case; the scheduler copes with a resident without WeChat
    svc = services(app)
    assert queue_new_case_notices(svc, clock.now()) == 1
    clock.advance(hours=30)
    escalate_unheard_cases(svc, clock.now())
    page = clerk.get(f"/console/cases/{number}").get_data(as_text=True)
    assert 'data-testid="no-wechat"' in page and "13912345678" in page
    replied = act(clerk, case, "reply", note="已安排明天维修。")
    flashed = clerk.get(replied.headers["Location"]).get_data(as_text=True)
    assert "请电话告知：13912345678" in flashed
    messages = told(db, case)
    assert set(messages) == {"o-wang", "o-east"}    # the representative, the committee (not taken); no resident
    assert db.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.openid.is_(None))) == 0
    # the representative reads it in WeChat like any case
    assert "小区门口的路灯" in wechat.text("o-wang", f"查看 {number}").text


def test_the_liaison_sees_a_filed_residents_phone_masked(app, db, staff, cases):
    clerk = as_user(app, "east")
    number = re.search(r"\d{4}-\d{6}", file_case(clerk).headers["Location"]).group()
    case = db.scalars(select(Case).order_by(Case.id.desc())).first()
    act(clerk, case, "assign", tier="department", department="cg")
    page = as_user(app, "cg").get(f"/console/cases/{number}").get_data(as_text=True)
    assert "13912345678" not in page and "139****5678" in page and "张**" in page


@pytest.mark.parametrize("username, fields, status", [
    ("west", {}, 200),                                   # east's contact point: the form says why
    ("east", {"contact_point": "cp-xj-1"}, 200),
    ("east", {"representative": "nobody"}, 200),
    ("east", {"channel": "carrier-pigeon"}, 200),
    ("east", {"name": ""}, 200),
    ("cg", {}, 403),
    ("observer", {}, 403),
])
def test_who_may_file_and_where(app, db, staff, username, fields, status):
    answer = file_case(as_user(app, username), **fields) if status != 403 else \
        as_user(app, username).post("/console/cases/new", data=WALK_IN)
    assert answer.status_code == status
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Case)) == 0


def test_filing_needs_its_csrf_token(app, db, staff):
    assert as_user(app, "east").post("/console/cases/new", data=WALK_IN).status_code == 400
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Case)) == 0


def test_the_district_office_files_anywhere(app, db, staff):
    answer = file_case(as_user(app, "district"), contact_point="cp-xj-1", representative="", channel="visit")
    assert answer.status_code == 302
    db.rollback()
    case = db.scalars(select(Case)).one()
    assert case.sub_district_id == staff["sub_districts"]["west"].id and case.representative_id is None
