"""The loop in WeChat, end to end through the webhook and the one fake of WeChat: a resident
reports, the representative is told and answers or passes the case on from the chat, the
resident hears every step; clerks hear what nobody else would; strangers learn nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.services import services
from models import Case, CaseEvent, Department, OutboxMessage, Proposal, Resident, StaffUser
from scheduler.jobs import run_pass
from texts import ratings, reports, residents
from texts import workbench as words

REP = "o-rep-wang"
OTHER_REP = "o-rep-li"
CLERK_EAST = "o-clerk-east"
CLERK_WEST = "o-clerk-west"
LIAISON = "o-liaison-cg"
DISTRICT = "o-district"
RESIDENT = "o-resident-zhang"
MONTHLY_NEWS = reports.ANNOUNCEMENT.split("{", 1)[0]     # 【月报】


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


@pytest.fixture
def phones(db, district, world, clock, wechat):
    """Bound WeChats: two representatives, a clerk per sub-district, a department liaison, the
    district office. Everyone has written lately, so customer-service messages reach them."""
    reps = district["reps"]
    reps["wang"].openid, reps["li"].openid = REP, OTHER_REP
    cg = Department(district_id=district["sub_districts"]["east"].district_id, code="cg", name="区城市管理执法局",
                    aliases="城管,城管局")
    zj = Department(district_id=cg.district_id, code="zj", name="区住房和城乡建设局", aliases="住建")
    db.add_all([cg, zj])
    db.flush()
    east, west = district["sub_districts"]["east"], district["sub_districts"]["west"]
    for username, role, openid, unit in (("east", "subdistrict", CLERK_EAST, {"sub_district_id": east.id}),
                                         ("west", "subdistrict", CLERK_WEST, {"sub_district_id": west.id}),
                                         ("cg", "department", LIAISON, {"department_id": cg.id}),
                                         ("district", "district", DISTRICT, {})):
        name = {"east": "东街街道人大工委", "west": "西街街道人大工委", "cg": "区城市管理执法局联络员",
                "district": "区人大常委会人代工委"}[username]
        db.add(StaffUser(username=username, display_name=name, role=role, openid=openid, password_hash="x",
                         created_at=clock.now(), **unit))
    db.commit()
    for openid in (REP, OTHER_REP, CLERK_EAST, CLERK_WEST, LIAISON, DISTRICT):
        says(wechat, world, clock, openid, "帮助")  # wrote lately: their customer-service window is open
    return {"cg": cg.id}


def says(wechat, world, clock, openid: str, text: str) -> str | None:
    """A person types in WeChat: WeChat's window opens, and the delivery reaches the webhook."""
    world.user_wrote(openid, clock.time())
    delivery = wechat.text(openid, text)
    assert delivery.status == 200
    return delivery.text


def pushed(world, openid: str) -> list[str]:
    """What the account pushed to this phone about cases (customer-service texts and template
    cards): not the rating questions that follow an answer, nor the monthly reports' news."""
    every = [entry.get("text") or "\n".join(entry.get("lines", [])) for entry in world.chat(openid)
             if entry["side"] == "account"]
    return [text for text in every if ratings.SOLVED_QUESTION not in text and not text.startswith(MONTHLY_NEWS)]


def reported(wechat, world, clock, app, text="小区东门的路灯坏了一个多月，晚上很黑。") -> str:
    wechat.scan_poster(RESIDENT, "wang01")
    reply = says(wechat, world, clock, RESIDENT, text)
    clock.advance(minutes=10)  # the grouping window closes: the representative hears of the case
    run_pass(services(app), clock.now())
    return re.search(r"\d{4}-\d{6}", reply).group()


def test_the_loop_answer_in_full_and_progress(app, wechat, world, clock, db, phones):
    number = reported(wechat, world, clock, app)
    [notice] = pushed(world, REP)
    assert f"编号{number}" in notice and "路灯坏了" in notice and "案件" not in notice
    assert "接单 1" in notice and "回复 1" in notice
    assert "系统建议：" in notice and "「路灯」" in notice   # the routing suggestion and its evidence

    answer = "您好，已联系物业，明天上午更换灯具。如还有问题请随时告诉我。"
    done = says(wechat, world, clock, REP, f"回复 {number} {answer}")
    assert done == words.DONE["reply"].format(number=number)
    run_pass(services(app), clock.now())
    [told] = pushed(world, RESIDENT)[-1:]
    assert f"编号{number}" in told and answer in told and told.endswith("——王晓明代表")

    progress = says(wechat, world, clock, RESIDENT, "进度")
    assert "已答复" in progress and answer[:20] in progress
    db.rollback()
    case = db.scalars(select(Case)).one()
    assert (case.status, case.tier) == ("replied", "representative") and case.replied_at is not None
    assert [e.action for e in db.scalars(select(CaseEvent).order_by(CaseEvent.id))] == ["submit", "reply"]


def test_nothing_a_representative_types_becomes_a_residents_case(app, wechat, world, clock, db, phones):
    reported(wechat, world, clock, app)
    for text in ("收到，明天去现场看看", "你好", "进度", "谢谢"):
        assert says(wechat, world, clock, REP, text) == words.NOT_A_COMMAND
    assert wechat.image(REP).text == words.NOT_TEXT
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Case)) == 1
    assert db.scalar(select(func.count()).select_from(Resident).where(Resident.openid == REP)) == 0
    own = says(wechat, world, clock, REP, "反映 我家楼下的井盖松了")
    assert "已登记" in own
    db.rollback()
    assert db.scalar(select(Case.summary).order_by(Case.id.desc()).limit(1)) == "我家楼下的井盖松了"


def test_a_representative_who_wrote_as_a_resident_is_still_recognised(app, wechat, world, clock, db, district):
    """Someone reports as a resident, then their WeChat is bound to a representative: their next
    words are commands, and the case they were describing takes nothing more (on PostgreSQL the
    report's statement is the one that finds out: it must write nothing for them)."""
    wechat.scan_poster("o-becomes-rep", "li02")
    assert "编号" in says(wechat, world, clock, "o-becomes-rep", "小区门口的路灯坏了")
    district["reps"]["wang"].openid = "o-becomes-rep"
    db.commit()
    clock.advance(minutes=1)  # well within the window in which a resident's words join their case
    assert says(wechat, world, clock, "o-becomes-rep", "三楼的也坏了") == words.NOT_A_COMMAND
    db.rollback()
    case = db.scalars(select(Case)).one()
    assert len(case.messages) == 1 and case.last_message_at == case.created_at


def test_passing_to_a_department_by_its_short_name(app, wechat, world, clock, db, phones):
    number = reported(wechat, world, clock, app)
    done = says(wechat, world, clock, REP, "转部门 1 城管 请尽快更换灯具")
    assert "区城市管理执法局" in done
    run_pass(services(app), clock.now())
    assert "已转请区城市管理执法局办理" in pushed(world, RESIDENT)[-1]
    [liaison] = pushed(world, LIAISON)
    assert f"编号{number}" in liaison and "请尽快更换灯具" in liaison
    db.rollback()
    case = db.scalars(select(Case)).one()
    assert (case.status, case.tier, case.department_id) == ("assigned", "department", phones["cg"])
    # The department's liaison answers from the chat; the representative hears of it.
    assert "已答复" in says(wechat, world, clock, LIAISON, f"回复 {number} 灯具已更换。")
    run_pass(services(app), clock.now())
    assert "灯具已更换" in pushed(world, RESIDENT)[-1] and pushed(world, RESIDENT)[-1].endswith("——区城市管理执法局")
    assert "区城市管理执法局已答复群众" in pushed(world, REP)[-1]


def test_a_department_nobody_knows_lists_the_closest(app, wechat, world, clock, phones):
    reported(wechat, world, clock, app)
    answer = says(wechat, world, clock, REP, "转部门 1 城关局")
    assert answer.startswith("没有找到“城关局”") and "区城市管理执法局" in answer


def test_the_other_tiers_and_a_return(app, wechat, world, clock, db, phones):
    first = reported(wechat, world, clock, app)
    clock.advance(minutes=11)
    second = reported(wechat, world, clock, app, "建议地铁延长到南岸")
    assert "东街街道" in says(wechat, world, clock, REP, f"＃转街道　{first[-1:]}　物业管理问题")
    assert "上级人大" in says(wechat, world, clock, REP, f"转上级 {second}")
    run_pass(services(app), clock.now())
    assert any("转请东街街道办理" in text for text in pushed(world, RESIDENT))
    assert any("物业管理问题" in text for text in pushed(world, CLERK_EAST))
    assert any("代表建议" in text for text in pushed(world, DISTRICT))
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Proposal)) == 1

    clock.advance(minutes=11)
    third = reported(wechat, world, clock, app, "隔壁区的公交站牌坏了")
    assert "已退回" in says(wechat, world, clock, REP, f"退回 {third} 这是隔壁区的事")
    run_pass(services(app), clock.now())
    assert any("王晓明代表退回" in text and "隔壁区的事" in text for text in pushed(world, CLERK_EAST))
    db.rollback()
    returned = db.scalars(select(Case).order_by(Case.id.desc())).first()
    assert (returned.status, returned.representative_id, returned.escalation_reason) == ("submitted", None,
                                                                                          "returned")


def test_todo_and_show(app, wechat, world, clock, phones):
    number = reported(wechat, world, clock, app)
    wechat.location(RESIDENT, 30.5501, 114.3001, "东街1号门口")
    todo = says(wechat, world, clock, REP, "待办")
    assert number in todo and "待接单" in todo
    shown = says(wechat, world, clock, REP, "查看 1")
    assert "路灯坏了" in shown and "东街1号门口" in shown and "群众 提交" in shown
    assert says(wechat, world, clock, REP, "接单 1").startswith("已接单")
    assert "接单" in says(wechat, world, clock, REP, f"查看 {number}")


@pytest.mark.parametrize("text, answer", [
    ("回复", words.usage("回复")),
    ("回复 1", words.usage("回复")),
    ("转部门 1", words.usage("转部门")),
    ("退回 1", words.usage("退回")),
    ("查看", words.usage("查看")),
    ("回夏 1 已处理", words.did_you_mean("回夏", "回复")),
    ("帮助", words.help_text(False)),
    ("帮助 转部门", words.usage("转部门")),
    ("指派 1 li02", words.STAFF_ONLY),
    ("查看 999", words.NO_SUCH_CASE.format(number="999")),
    ("接单 2026-000999", words.NO_SUCH_CASE.format(number="2026-000999")),
])
def test_mistyped_or_incomplete_commands_get_their_help(app, wechat, world, clock, phones, text, answer):
    reported(wechat, world, clock, app)
    assert says(wechat, world, clock, REP, text) == answer


@pytest.mark.parametrize("openid", [OTHER_REP, CLERK_WEST, LIAISON])
def test_strangers_learn_nothing(app, wechat, world, clock, db, phones, openid):
    number = reported(wechat, world, clock, app)
    for command in (f"查看 {number}", f"回复 {number} 我来答", f"接单 {number}", f"转街道 {number}", "查看 1"):
        typed = command.split()[1]
        assert says(wechat, world, clock, openid, command) == words.NO_SUCH_CASE.format(number=typed)
    assert number not in says(wechat, world, clock, openid, "待办")
    db.rollback()
    assert db.scalars(select(Case)).one().status == "submitted"


def test_the_same_commands_for_a_clerk_of_the_sub_district_and_designation(app, wechat, world, clock, db, phones):
    world.user_wrote("o-stranger", clock.time())
    reply = says(wechat, world, clock, "o-stranger", "我们小区门口的下水道堵了")
    number = re.search(r"\d{4}-\d{6}", reply).group()
    says(wechat, world, clock, "o-stranger", "新问题")
    wechat.location("o-stranger", 30.5501, 114.3001)
    says(wechat, world, clock, "o-stranger", "1")  # chooses 东街第一联系点: the case goes to 东街街道
    clock.advance(minutes=11)
    run_pass(services(app), clock.now())
    [notice] = pushed(world, CLERK_EAST)
    assert f"编号{number}" in notice and "群众没有选定代表" in notice
    assert number in says(wechat, world, clock, CLERK_EAST, "待办")
    clock.advance(hours=24)  # a working day later: the representative's clock starts at the designation
    unknown = says(wechat, world, clock, CLERK_EAST, f"指派 {number} nobody")
    assert "nobody" in unknown and "wang01（王晓明）" in unknown
    assert "王晓明" in says(wechat, world, clock, CLERK_EAST, f"指派 {number} wang01")
    run_pass(services(app), clock.now())
    assert f"编号{number}" in pushed(world, REP)[-1] and "提交时间：2026年11月23日 10:00" in pushed(world, REP)[-1]
    assert number in says(wechat, world, clock, REP, "待办")
    assert not any("没有接单" in text for text in pushed(world, CLERK_EAST))


def test_a_case_whose_representative_has_not_bound_reaches_the_clerks(app, wechat, world, clock, db, district,
                                                                      phones):
    district["reps"]["li"].openid = None
    db.commit()
    wechat.scan_poster(RESIDENT, "li02")
    says(wechat, world, clock, RESIDENT, "公交站台的顶棚破了")
    run_pass(services(app), clock.now())
    assert any("李芳代表尚未绑定微信" in text for text in pushed(world, CLERK_EAST))


def test_a_case_not_taken_in_working_hours_reaches_the_clerks(app, wechat, world, clock, db, phones):
    reported(wechat, world, clock, app)  # Monday 10:00 Beijing time
    clock.advance(hours=6)
    run_pass(services(app), clock.now())
    assert pushed(world, CLERK_EAST) == []  # 6 working hours so far
    clock.advance(hours=18)  # Tuesday 10:00: 9 working hours
    run_pass(services(app), clock.now())
    assert any("8个工作小时内没有接单" in text for text in pushed(world, CLERK_EAST))
    db.rollback()
    assert db.scalars(select(Case)).one().escalation_reason == "not_taken"


def test_a_long_answer_arrives_whole_in_several_messages(app, wechat, world, clock, phones):
    number = reported(wechat, world, clock, app)
    answer = "".join(f"第{index}点：已经安排相关人员现场查看并处理。" for index in range(1, 41))
    assert len(answer.encode()) > 2048 and len(answer) <= 1000
    says(wechat, world, clock, REP, f"回复 {number} {answer}")
    run_pass(services(app), clock.now())
    parts = pushed(world, RESIDENT)[-2:]
    assert all(len(part.encode()) <= 2048 for part in parts)
    body = parts[0].split("有了答复：\n", 1)[1] + parts[1].split("续）\n", 1)[1]
    assert body == answer + "\n——王晓明代表"


def test_greetings_and_new_problem_inside_the_window(app, wechat, world, clock, db, phones):
    reported(wechat, world, clock, app)
    for text in ("你好", "谢谢！", "好的"):
        assert "已补充" not in says(wechat, world, clock, RESIDENT, text)
    assert says(wechat, world, clock, RESIDENT, "新问题") == residents.NEW_PROBLEM_READY
    assert "编号2026-000002" in says(wechat, world, clock, RESIDENT, "另外，楼道里堆满了杂物")
    assert says(wechat, world, clock, RESIDENT, "帮助") == residents.help_text(10)
    db.rollback()
    first = db.scalars(select(Case).order_by(Case.id)).first()
    assert [m.content for m in first.messages] == ["小区东门的路灯坏了一个多月，晚上很黑。"]


def test_a_retried_step_is_told_once_and_a_second_answer_twice(app, wechat, world, clock, db, phones):
    number = reported(wechat, world, clock, app)
    msg_id = 8_000_000_000_000_000_001
    world.user_wrote(REP, clock.time())
    assert wechat.text(REP, f"回复 {number} 已处理", msg_id=msg_id).text.startswith("已答复")
    assert wechat.text(REP, f"回复 {number} 已处理", msg_id=msg_id).text.startswith("已答复")  # WeChat's retry
    db.rollback()
    replies = db.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "reply")).all()
    assert len(replies) == 1


def test_a_report_filed_unless_the_sender_is_a_worker_writes_nothing_for_one(app, db, clock, district):
    """``file_report(unless_worker=True)``, on either database: for a representative's WeChat it
    raises and writes nothing; for anyone else it files as usual."""
    from datetime import timedelta

    from cases import intake
    from cases.actors import WorkerAssumedResident
    from cases.status import MessageKind
    from models import CaseMessage, InboundMessage

    district["reps"]["wang"].openid = "o-rep-files"
    db.commit()
    replies = intake.ReportReplies("开{number}", "待{number}", "并{number}")

    def file(openid: str, key: str):
        with services(app).engine.begin() as conn:
            return intake.file_report(conn, intake.Delivery(key, openid, "text"),
                                      intake.MessageContent(MessageKind.TEXT, content="路灯坏了"), summary="路灯坏了",
                                      now=clock.now(), join_window=timedelta(minutes=10), replies=replies,
                                      unless_worker=True)

    with pytest.raises(WorkerAssumedResident):
        file("o-rep-files", "msg:1")
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Resident).where(Resident.openid == "o-rep-files")) == 0
    assert db.scalar(select(func.count()).select_from(CaseMessage)) == 0
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 0
    filed = file("o-resident-files", "msg:2")
    assert filed.opened and filed.reply == f"待{filed.number}"
