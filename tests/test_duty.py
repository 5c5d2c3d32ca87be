"""Representatives' duty records (履职登记): the figures kept automatically from a scripted history
on a frozen clock (weekends, the National Day holiday and a 调休 Saturday included), offline work
entered in the console, who sees which records (404 outside one's scope), points by the
configured rules without any ranking, the .xlsx export, and 「我的履职」 in WeChat."""

from __future__ import annotations

import io
import random
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from bot.config import ConfigError, load_settings
from bot.services import services
from cases import actors, duty
from cases.actions import perform
from cases.calendar import load_calendar, working_hours_between
from cases.numbering import BEIJING_OFFSET
from cases.status import ActorKind, CaseStatus, Tier
from models import Case, CaseEvent, CaseRating, Department, DutyActivity, Representative, Resident, StaffUser
from tests.test_console import _csrf, add_staff, login
from texts import duty as words

REP = "o-rep-wang"
CLERK = "o-clerk-east"


def beijing(year, month, day, hour, minute=0) -> datetime:
    """A Beijing wall-clock time as stored (naive UTC)."""
    return datetime(year, month, day, hour, minute) - BEIJING_OFFSET


@pytest.fixture
def staff(db, district, clock):
    return add_staff(db, district, clock)


def _file(engine, clock, rep_id: int | None, sub_district_id: int, text: str, at: datetime) -> int:
    """A resident's case, filed at ``at`` to ``rep_id`` (None: nobody yet)."""
    clock.set(at)
    with engine.begin() as conn:
        resident_id = conn.execute(insert(Resident.__table__).returning(Resident.__table__.c.id),
                                   {"openid": f"o-duty-{text}", "created_at": at, "subscribed": True}).scalar_one()
        case_id = conn.execute(insert(Case.__table__).returning(Case.__table__.c.id), {
            "resident_id": resident_id, "representative_id": rep_id, "sub_district_id": sub_district_id,
            "status": CaseStatus.SUBMITTED, "summary": text, "created_at": at, "updated_at": at,
            "last_message_at": at, "grouping_closed": False}).scalar_one()
        conn.execute(insert(CaseEvent.__table__), {"case_id": case_id, "at": at, "actor_kind": ActorKind.RESIDENT,
                                                   "actor_id": resident_id, "action": "submit",
                                                   "to_status": CaseStatus.SUBMITTED, "note": ""})
    return case_id


def _step(engine, clock, at: datetime, case_id: int, action: str, who, **options) -> int:
    clock.set(at)
    with engine.begin() as conn:
        actor = actors.representative(conn, who) if isinstance(who, int) else actors.staff_member(conn, who[1])
        return perform(conn, case_id, action, actor, at, notify=False, **options).event_id


@pytest.fixture
def history(app, db, staff, clock):
    """王晓明's year, step by step. In November (to Monday 30th): six cases reach him, three are
    taken within 8 working hours, one answered, two passed on, one sent back, one never taken."""
    engine = services(app).engine
    reps, east = staff["reps"], staff["sub_districts"]["east"].id
    wang, li = reps["wang"].id, reps["li"].id
    cg = db.scalar(select(Department.id).where(Department.code == "cg"))
    clerk = ("staff", db.scalar(select(StaffUser.id).where(StaffUser.username == "east")))
    ids = {}
    # Before the holiday: filed Wednesday 30 September 16:00, taken Thursday 8 October 10:00 — the
    # National Day week off between, 2 working hours: in time.
    ids["F"] = _file(engine, clock, wang, east, "国庆前的路灯", beijing(2026, 9, 30, 16))
    _step(engine, clock, beijing(2026, 10, 8, 10), ids["F"], "accept", wang)
    # Friday 9 October 16:00, taken Monday 12th 10:00: Saturday the 10th is a 调休 working day,
    # so 1 + 8 + 1 = 10 working hours: late, though a plain week would say 2.
    ids["I"] = _file(engine, clock, wang, east, "调休前的井盖", beijing(2026, 10, 9, 16))
    _step(engine, clock, beijing(2026, 10, 12, 10), ids["I"], "accept", wang)
    # November, from Monday the 23rd 10:00.
    start = beijing(2026, 11, 23, 10)
    ids["A"] = _file(engine, clock, wang, east, "楼道灯不亮", start)
    ids["B"] = _file(engine, clock, wang, east, "小区垃圾", start)
    ids["D"] = _file(engine, clock, None, east, "没选代表的反映", start)
    ids["E"] = _file(engine, clock, wang, east, "没人理的反映", start)
    ids["G"] = _file(engine, clock, li, east, "李芳的反映", start)
    ids["H"] = _file(engine, clock, wang, east, "占道经营", beijing(2026, 11, 23, 10, 30))
    _step(engine, clock, beijing(2026, 11, 23, 11), ids["A"], "accept", wang)                  # 1 hour
    _step(engine, clock, beijing(2026, 11, 23, 11), ids["H"], "assign", wang, tier=Tier.DEPARTMENT,
          department_id=cg)                                                                      # 0.5 hour
    answer = _step(engine, clock, beijing(2026, 11, 23, 12), ids["A"], "reply", wang, note="已联系物业，明天更换。")
    _step(engine, clock, beijing(2026, 11, 23, 14), ids["G"], "accept", li)
    _step(engine, clock, beijing(2026, 11, 24, 10), ids["D"], "route", clerk, representative_id=wang)
    _step(engine, clock, beijing(2026, 11, 24, 11), ids["D"], "return", wang, note="不是我选区的事")   # 1 hour
    _step(engine, clock, beijing(2026, 11, 25, 10), ids["B"], "assign", wang, tier=Tier.SUBDISTRICT)  # 16 hours: late
    ids["C"] = _file(engine, clock, wang, east, "周五下午的反映", beijing(2026, 11, 27, 16))
    taken_c = _step(engine, clock, beijing(2026, 11, 30, 10), ids["C"], "accept", wang)   # 2 hours over the weekend
    with engine.begin() as conn:   # the residents' verdicts: one satisfied, one never given (未评价)
        conn.execute(insert(CaseRating.__table__), [
            {"case_id": ids["A"], "event_id": answer, "status": "rated", "solved": "solved",
             "satisfaction": "satisfied", "comment": "", "asked_at": beijing(2026, 11, 23, 13),
             "rated_at": beijing(2026, 11, 23, 15)},
            {"case_id": ids["C"], "event_id": taken_c, "status": "expired", "solved": None, "satisfaction": None,
             "comment": "", "asked_at": beijing(2026, 11, 30, 10), "rated_at": None}])
    clock.set(beijing(2026, 11, 30, 10, 30))
    return {"ids": ids, "wang": wang, "li": li, "zhao": reps["zhao"].id, "east": east, "clerk": clerk}


def _records(app, ids, period):
    with services(app).engine.connect() as conn:
        return duty.records(conn, ids, period, 8)


def test_the_figures_kept_from_the_timeline(app, history):
    wang = history["wang"]
    november = _records(app, [wang], duty.Period(date(2026, 11, 1), date(2026, 11, 30)))[wang]
    assert (november.received, november.taken, november.taken_in_time, november.responded) == (6, 4, 3, 5)
    assert (november.answered, november.returned) == (1, 1)
    assert november.passed_on == {"subdistrict": 1, "department": 1} and november.passed_on_total == 2
    assert november.median_response_hours == 1      # of 1, 0.5, 16, 1 and 2 working hours
    assert (november.ratings.rated, november.ratings.satisfied, november.ratings.expired) == (1, 1, 1)
    assert november.ratings.satisfaction_rate == 1.0

    year = _records(app, [wang], duty.Period(date(2026, 1, 1), date(2026, 11, 30)))[wang]
    assert (year.received, year.taken, year.taken_in_time) == (8, 6, 4)   # the holiday's in time, the 调休's not
    october = _records(app, [wang], duty.Period(date(2026, 10, 1), date(2026, 10, 31)))[wang]
    assert (october.received, october.taken_in_time) == (1, 0)            # only the 调休 case reached him then
    assert october.answered == 0 and october.ratings.rated == 0

    others = _records(app, [history["li"], history["zhao"]], duty.Period(date(2026, 11, 1), date(2026, 11, 30)))
    assert (others[history["li"]].received, others[history["li"]].taken_in_time) == (1, 1)
    assert others[history["zhao"]] == duty.Record()


def test_a_case_given_by_a_clerk_reaches_the_representative_when_given(app, history):
    """Filed in October with nobody to hear it, given to 王晓明 in November: November's."""
    engine, clock = services(app).engine, services(app).clock
    late = _file(engine, clock, None, history["east"], "十月底没人接的反映", beijing(2026, 10, 30, 10))
    _step(engine, clock, beijing(2026, 11, 30, 9), late, "route", history["clerk"], representative_id=history["wang"])
    _step(engine, clock, beijing(2026, 11, 30, 9, 30), late, "accept", history["wang"])
    november = _records(app, [history["wang"]], duty.Period(date(2026, 11, 1), date(2026, 11, 30)))
    assert (november[history["wang"]].received, november[history["wang"]].taken_in_time) == (7, 4)
    october = _records(app, [history["wang"]], duty.Period(date(2026, 10, 1), date(2026, 10, 31)))
    assert october[history["wang"]].received == 1


def test_working_hours_in_bulk_agree_with_the_calendar():
    """duty.WorkingHours sums whole days once; it says what cases.calendar says, holidays and 调休
    weekends included."""
    calendar = load_calendar("")
    reckoner = duty.WorkingHours(calendar, date(2026, 1, 1))
    spans = random.Random(12)
    for _ in range(3000):
        start = datetime(2026, 1, 1) + timedelta(minutes=spans.randrange(0, 364 * 24 * 60))
        end = start + timedelta(minutes=spans.choice((spans.randrange(0, 900), spans.randrange(0, 40 * 24 * 60))))
        assert reckoner.between(start, end) == pytest.approx(working_hours_between(start, end, calendar), abs=1e-5)
    assert reckoner.between(beijing(2026, 9, 30, 16), beijing(2026, 10, 8, 10)) == 2       # 国庆节
    assert reckoner.between(beijing(2026, 10, 9, 16), beijing(2026, 10, 12, 10)) == 10     # a 调休 Saturday


def test_points_follow_the_configured_rules():
    rules = duty.parse_point_rules("received=1,taken_in_time=2,answered=3,passed_on=1,reception=5,satisfied=1")
    record = duty.Record(received=6, taken_in_time=3, answered=1, passed_on={"subdistrict": 1, "department": 1},
                         activities={"reception": 2, "visit": 1})
    assert duty.points(record, rules) == 6 + 6 + 3 + 2 + 10
    assert duty.points_breakdown(record, {"visit": 3})[0] == ("visit", 1, 3, 3)
    assert duty.parse_point_rules("") == {}
    for bad in ("rank=1", "received=-1", "received=1,received=2", "received=x", "received=1001"):
        with pytest.raises(ValueError):
            duty.parse_point_rules(bad)
    with pytest.raises(ConfigError, match="duty.points"):
        load_settings({"duty.points": "check_in=5"}, environ={})


def test_periods_are_beijing_dates():
    now = beijing(2026, 12, 1, 0, 30)              # still 30 November in UTC
    assert duty.month_to_date(now) == duty.Period(date(2026, 12, 1), date(2026, 12, 1))
    assert duty.last_month(now) == duty.Period(date(2026, 11, 1), date(2026, 11, 30))
    assert duty.Period(date(2026, 12, 1), date(2026, 12, 1)).start == datetime(2026, 11, 30, 16)
    assert duty.last_year(now) == duty.Period(date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(ValueError):
        duty.checked_period(date(2026, 12, 2), date(2026, 12, 1))
    with pytest.raises(ValueError):
        duty.checked_period(date(2025, 1, 1), date(2026, 12, 1))


# -- the console ----------------------------------------------------------------------------------

NOVEMBER = "?from=2026-11-01&to=2026-11-30"


def test_the_list_shows_everyone_in_scope_in_code_order_never_by_points(client, history):
    login(client, "district")
    page = client.get("/console/duty" + NOVEMBER).get_data(as_text=True)
    assert re.findall(r'data-code="([^"]+)"', page) == ["li02", "wang01", "zhao03"]   # 王晓明 has the most points
    assert words.NO_RANKING in page and "排名</th>" not in page and "名次" not in page
    row = page.split('data-code="wang01"')[1].split("</tr>")[0]
    assert '<td data-testid="received">6</td>' in row and '<td data-testid="taken-in-time">3</td>' in row
    assert '<td data-testid="points">' + str(6 + 3 * 2 + 3 + 2 + 1) + "</td>" in row


@pytest.mark.parametrize("username, seen", [
    ("district", {"li02", "wang01", "zhao03"}), ("observer", {"li02", "wang01", "zhao03"}),
    ("east", {"li02", "wang01"}), ("west", {"zhao03"}),
])
def test_who_sees_whose_records(client, history, username, seen):
    login(client, username)
    page = client.get("/console/duty").get_data(as_text=True)
    assert set(re.findall(r'data-code="([^"]+)"', page)) == seen
    for code in ("wang01", "zhao03"):
        answer = client.get(f"/console/duty/representatives/{code}")
        assert answer.status_code == (200 if code in seen else 404)


def test_department_liaisons_have_no_duty_records(client, history):
    login(client, "cg")
    for path in ("/console/duty", "/console/duty/representatives/wang01", "/console/duty.xlsx",
                 "/console/duty/activities/new"):
        assert client.get(path).status_code == 404, path


def _enter(client, **fields):
    token = _csrf(client, "/console/duty/activities/new")
    data = {"csrf_token": token, "kind": "reception", "day": "2026-11-28", "notes": "", "contact_point": "", **fields}
    return client.post("/console/duty/activities/new", data=data)


def test_offline_work_entered_by_the_clerk(client, db, history):
    login(client, "east")
    before = client.get("/console/duty" + NOVEMBER).get_data(as_text=True)      # the figures are kept now
    assert '<td data-testid="activities">0</td>' in before.split('data-code="wang01"')[1].split("</tr>")[0]
    answer = _enter(client, representatives=["wang01", "li02"], contact_point="cp-dj-1",
                    notes="在东街第一联系点接待选民5人次，<b>反映停车难</b>。")
    assert answer.status_code == 302
    wang = client.get("/console/duty/representatives/wang01" + NOVEMBER).get_data(as_text=True)
    assert "接待选民" in wang and "东街第一联系点" in wang and "李芳" in wang
    assert "2件（转街道1件、转部门1件）" in wang
    assert "&lt;b&gt;反映停车难&lt;/b&gt;" in wang                       # staff's words are escaped too
    after = client.get("/console/duty" + NOVEMBER).get_data(as_text=True)       # offline work shows at once
    assert '<td data-testid="activities">1</td>' in after.split('data-code="wang01"')[1].split("</tr>")[0]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(DutyActivity)) == 1
    assert _records(client.application, [history["wang"], history["li"]],
                    duty.Period(date(2026, 11, 1), date(2026, 11, 30)))[history["li"]].activities == {"reception": 1}

    # Another sub-district's representative, a day to come, an unknown kind or nobody: refused.
    for fields in ({"representatives": ["zhao03"]}, {"representatives": ["wang01"], "day": "2026-12-01"},
                   {"representatives": ["wang01"], "kind": "check_in"}, {}):
        assert _enter(client, **fields).status_code == 400, fields
    assert db.scalar(select(func.count()).select_from(DutyActivity)) == 1

    # Removing it: not by another sub-district's clerk (404), then by this one.
    activity = db.scalar(select(DutyActivity.id))
    client.post("/console/logout", data={"csrf_token": _csrf(client, "/console/")})
    login(client, "west")
    token = _csrf(client, "/console/duty")
    assert client.post(f"/console/duty/activities/{activity}/remove", data={"csrf_token": token}).status_code == 404
    client.post("/console/logout", data={"csrf_token": token})
    login(client, "east")
    assert client.post(f"/console/duty/activities/{activity}/remove").status_code == 400     # no CSRF token
    token = _csrf(client, "/console/duty/representatives/wang01" + NOVEMBER)
    assert client.post(f"/console/duty/activities/{activity}/remove", data={"csrf_token": token}).status_code == 302
    db.rollback()
    assert db.scalar(select(func.count()).select_from(DutyActivity)) == 0


def test_observers_read_but_enter_nothing(client, history):
    login(client, "observer")
    assert client.get("/console/duty/representatives/wang01").status_code == 200
    assert 'data-testid="add-activity"' not in client.get("/console/duty").get_data(as_text=True)
    assert client.get("/console/duty/activities/new").status_code == 404


def test_the_export_opens_with_every_record_and_offline_work(client, history):
    login(client, "district")
    assert _enter(client, representatives=["wang01"], kind="visit", notes="=HYPERLINK(\"http://x\")").status_code == 302
    with client.get("/console/duty.xlsx" + NOVEMBER) as answer:
        assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
        book = load_workbook(io.BytesIO(answer.get_data()))
    assert book.sheetnames == [words.SHEET_RECORDS, words.SHEET_ACTIVITIES]
    rows = list(book[words.SHEET_RECORDS].iter_rows(values_only=True))
    assert "2026年11月1日至11月30日" in rows[0][0] and "不排名" in rows[0][0]
    header = rows[1]
    assert header == words.EXPORT_COLUMNS
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[2:]}
    assert list(by_code) == ["li02", "wang01", "zhao03"]
    wang = by_code["wang01"]
    assert (wang["收到群众反映"], wang["按时接单"], wang["直接答复"], wang["转街道"], wang["转部门"], wang["退回"]) == (
        6, 3, 1, 1, 1, 1)
    assert wang["走访（次）"] == 1 and wang["积分"] == 6 + 3 * 2 + 3 + 2 + 1 + 3 and wang["满意率"] == 1
    [activity] = list(book[words.SHEET_ACTIVITIES].iter_rows(values_only=True))[1:]
    assert activity[1] == "走访" and activity[2] == "王晓明"
    assert activity[4] == "'=HYPERLINK(\"http://x\")"                    # never a formula


# -- 「我的履职」 in WeChat ---------------------------------------------------------------------

def test_my_record_in_wechat(db, wechat, history, clock):
    db.rollback()   # the history was written since this session last read
    db.get(Representative, history["wang"]).openid = REP
    clerk = db.scalar(select(StaffUser).where(StaffUser.username == "east"))
    clerk.openid = CLERK
    db.commit()
    reply = wechat.text(REP, "我的履职").text
    assert reply.startswith("王晓明代表，您好！")
    month, year = reply.split("【本年】")
    assert "【本月】2026年11月1日至11月30日" in month
    assert "收到群众反映6件，其中3件在8个工作小时内接单、答复或转办" in month
    assert "直接答复1件，转办2件（转街道1件、转部门1件），退回1件" in month
    assert "首次响应用时中位数1个工作小时" in month and "群众评价1次：满意1次" in month
    assert "暂无登记的线下履职活动" in month
    assert "2026年1月1日至11月30日" in year and "收到群众反映8件，其中4件" in year
    assert "积分" not in reply and "排名" not in reply.replace("不排名", "")
    assert len(reply.encode()) < 2048                                     # a passive reply's limit
    for typed in ("履职", "我的履职记录", "  ＃我的履职 "):
        assert wechat.text(REP, typed).text == reply
    assert wechat.text(CLERK, "我的履职").text == words.FOR_REPRESENTATIVES
    assert "我的履职" in wechat.text(REP, "帮助").text and "我的履职" not in wechat.text(CLERK, "帮助").text
