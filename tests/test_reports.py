"""The monthly cycle: the monthly report workbooks (Beijing months, the figures, native charts),
kept and announced exactly once however often the job runs and wherever a run was killed, read in
the console within one's scope; and the reception day reminder, once, the day before."""

from __future__ import annotations

import io
import os
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, update

import scheduler.reports as job
from bot.clock import FrozenClock
from bot.services import services
from cases import reports as rules
from cases.numbering import BEIJING_OFFSET
from cases.scope import Actor
from cases.status import ActorKind, CaseStatus, Tier
from models import (
    Case,
    CaseEvent,
    CaseRating,
    ContactPoint,
    Department,
    MonthlyReport,
    OutboxMessage,
    Representative,
    Resident,
    StaffUser,
    representative_contact_points,
)
from models.report import ReportScope
from models.staff import StaffRole
from tests.test_console import login, staff  # noqa: F401 - the fixture, reused


@pytest.fixture
def settings_overrides(settings_overrides, tmp_path):
    return {**settings_overrides, "reports.dir": str(tmp_path / "reports")}


def beijing(*parts) -> datetime:
    """A Beijing wall-clock time as the naive UTC the database keeps."""
    return datetime(*parts) - BEIJING_OFFSET


STAFF_OPENIDS = {"district": "o-staff-district", "east": "o-staff-east", "west": "o-staff-west",
                 "cg": "o-staff-cg", "observer": "o-staff-observer"}


@pytest.fixture
def bound(db, staff):  # noqa: F811 - the fixture imported above
    """Every staff account with a bound WeChat (the liaison and observer hear of no report)."""
    for username, openid in STAFF_OPENIDS.items():
        db.execute(update(StaffUser).where(StaffUser.username == username).values(openid=openid))
    db.commit()
    return staff


_residents = iter(range(1, 10_000))


def add_case(db, at: datetime, *, sub, rep=None, status=CaseStatus.SUBMITTED, **columns) -> Case:
    resident = Resident(openid=f"o-report-{next(_residents)}", created_at=at)
    db.add(resident)
    db.flush()
    case = Case(resident_id=resident.id, representative_id=rep.id if rep else None, sub_district_id=sub.id,
                status=status, summary="路灯坏了", created_at=at, updated_at=at, last_message_at=at, **columns)
    db.add(case)
    db.flush()
    return case


def rate(db, case: Case, at: datetime, status: str, solved: str | None = None, satisfaction: str | None = None):
    event = CaseEvent(case_id=case.id, at=at, actor_kind=ActorKind.SYSTEM, action="reply",
                      from_status=CaseStatus.ACCEPTED, to_status=CaseStatus.REPLIED)
    db.add(event)
    db.flush()
    db.add(CaseRating(case_id=case.id, event_id=event.id, status=status, solved=solved, satisfaction=satisfaction,
                      asked_at=at, rated_at=at if status == "rated" else None))
    db.flush()


@pytest.fixture
def november(db, bound):
    """Cases either side of the end of November (Beijing), in both sub-districts."""
    subs, reps = bound["sub_districts"], bound["reps"]
    cg = db.scalar(select(Department.id).where(Department.code == "cg"))
    late = beijing(2026, 11, 30, 23, 30)                      # 15:30 UTC on the 30th: November
    cases = {
        "first": add_case(db, beijing(2026, 11, 1, 0, 0), sub=subs["east"], rep=reps["wang"],
                          status=CaseStatus.CLOSED, tier=Tier.REPRESENTATIVE, category="城乡建设/路灯",
                          accepted_at=beijing(2026, 11, 1, 9, 0)),
        "late": add_case(db, late, sub=subs["east"], rep=reps["wang"], status=CaseStatus.REPLIED,
                         tier=Tier.SUBDISTRICT, category="城乡建设/环境卫生", accepted_at=late),
        "overdue": add_case(db, beijing(2026, 11, 10, 10, 0), sub=subs["east"], rep=reps["li"],
                            status=CaseStatus.ASSIGNED, tier=Tier.DEPARTMENT, department_id=cg,
                            category="交通运输/道路", accepted_at=beijing(2026, 11, 10, 11, 0),
                            due_at=beijing(2026, 11, 20, 17, 0)),
        "west": add_case(db, beijing(2026, 11, 15, 10, 0), sub=subs["west"], rep=reps["zhao"],
                         status=CaseStatus.REPLIED, tier=Tier.DEPARTMENT, department_id=cg, category="交通运输/道路",
                         accepted_at=beijing(2026, 11, 15, 11, 0)),
        "merged": add_case(db, beijing(2026, 11, 16, 10, 0), sub=subs["east"], status=CaseStatus.MERGED),
        # 00:10 Beijing on 1 December is still 30 November in UTC: December's
        "december": add_case(db, beijing(2026, 12, 1, 0, 10), sub=subs["east"], rep=reps["wang"]),
        "october": add_case(db, beijing(2026, 10, 31, 23, 59), sub=subs["east"], rep=reps["wang"]),
    }
    assert cases["december"].created_at.date() == date(2026, 11, 30)
    # Ratings: the latest real verdict counts; an expired request is 未评价, never satisfied.
    rate(db, cases["first"], beijing(2026, 11, 2, 9, 0), "rated", "unsolved", "dissatisfied")
    rate(db, cases["first"], beijing(2026, 11, 5, 9, 0), "rated", "solved", "satisfied")
    rate(db, cases["late"], beijing(2026, 12, 1, 9, 0), "expired")
    rate(db, cases["west"], beijing(2026, 11, 20, 9, 0), "rated", "partly", "basic")
    db.commit()
    return cases


def run(app, at: datetime) -> int:
    svc = services(app)
    svc.set_clock(FrozenClock(at))
    return job.produce_monthly_reports(svc, at)


def kept(db) -> list[tuple]:
    db.rollback()
    return db.execute(select(MonthlyReport.scope_key, MonthlyReport.month, MonthlyReport.path, MonthlyReport.size)
                      .order_by(MonthlyReport.id)).all()


def announcements(db) -> list[tuple]:
    db.rollback()
    return db.execute(select(OutboxMessage.openid, OutboxMessage.idempotency_key, OutboxMessage.text)
                      .where(OutboxMessage.purpose == "report").order_by(OutboxMessage.id)).all()


def workbook(app, relative: str):
    return load_workbook(Path(services(app).settings.reports_dir) / relative)


def summary_values(book) -> dict:
    """Column A → column B of the summary sheet (the first label wins)."""
    values: dict = {}
    for row in book["汇总"].iter_rows(values_only=True):
        if row and row[0] is not None and row[0] not in values:
            values[row[0]] = row[1] if len(row) > 1 else None
    return values


def section(book, heading: str) -> dict:
    rows = list(book["汇总"].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == heading)
    found = {}
    for row in rows[start + 1:]:
        if not row or row[0] is None:
            break
        values = list(row[1:])
        while values and values[-1] is None:
            values.pop()
        found[row[0]] = tuple(values)
    return found


# -- months -------------------------------------------------------------------------------------

def test_a_month_is_a_beijing_month():
    assert rules.previous_month(beijing(2026, 12, 1, 0, 0)) == date(2026, 11, 1)
    assert rules.previous_month(beijing(2026, 11, 30, 23, 59)) == date(2026, 10, 1)
    assert rules.previous_month(beijing(2027, 1, 1, 0, 0)) == date(2026, 12, 1)
    assert rules.previous_month(beijing(2027, 1, 31, 12, 0)) == date(2026, 12, 1)


# -- the workbook -----------------------------------------------------------------------------------

def test_the_reports_of_a_month_hold_its_cases_figures_and_charts(app, db, november):
    assert run(app, beijing(2026, 12, 1, 1, 0)) == 3          # the district and its two sub-districts
    reports = {key: (month, path, size) for key, month, path, size in kept(db)}
    east_id = november["first"].sub_district_id
    assert set(reports) == {"district", f"sub_district:{east_id}", f"sub_district:{november['west'].sub_district_id}"}
    assert {month for month, _, _ in reports.values()} == {date(2026, 11, 1)}
    month, path, size = reports["district"]
    assert path == "2026-11/district.xlsx"
    assert size == (Path(services(app).settings.reports_dir) / path).stat().st_size

    book = workbook(app, path)
    assert book.sheetnames == ["汇总", "台账"]
    ledger = [row for row in book["台账"].iter_rows(values_only=True)]
    assert ledger[0][:2] == ("编号", "反映时间")
    numbers = [row[0] for row in ledger[1:]]
    expected = [november[name].number for name in ("first", "overdue", "west", "merged", "late")]
    assert numbers == expected                               # the month's cases in order; not October's nor December's
    assert ledger[-1][1] == datetime(2026, 11, 30, 23, 30)   # Beijing time in the cells

    values = summary_values(book)
    assert values["示例区2026年11月民意月报"] is None
    assert values["收到反映"] == 4                           # the merged case is not a matter to answer
    assert values["已接单"] == 4 and values["已答复办结"] == 3 and values["超期未办结"] == 1
    assert values["答复办结率"] == pytest.approx(0.75)
    assert values["群众参与评价"] == 2 and values["逾期未评价"] == 1
    assert values["满意率（满意与基本满意）"] == pytest.approx(1.0)   # satisfied (latest) and basic
    assert values["办成率（问题已解决）"] == pytest.approx(0.5)       # solved; partly is not
    assert any(str(key).startswith("统计口径") for key in values)
    assert section(book, "按办理层级") == {"代表直接答复": (1,), "街道社区办理": (1,), "部门办理": (2,),
                                        "提交上级人大": (0,), "未定": (0,)}
    assert section(book, "按类别") == {"城乡建设": (2,), "交通运输": (2,)}
    assert section(book, "按街道") == {"东街街道": (3,), "西街街道": (1,)}
    assert section(book, "按承办单位") == {"区城市管理执法局": (2, 1)}
    assert section(book, "按代表（前20位）") == {"王晓明": (2,), "李芳": (1,), "赵强": (1,)}

    with zipfile.ZipFile(Path(services(app).settings.reports_dir) / path) as archive:
        charts = [name for name in archive.namelist() if name.startswith("xl/charts/chart")]
        assert len(charts) >= 4
        first = archive.read(sorted(charts)[0]).decode()
    assert "<pieChart>" in first and "'汇总'!$B$" in first     # drawn from the summary's cells
    assert "<numCache>" in first and "代表直接答复" in first      # and cached for viewers that do not recalculate
    assert len(book["汇总"]._charts) >= 4                          # and openpyxl reads them back

    east = workbook(app, f"2026-11/sub-district-{east_id}.xlsx")
    east_values = summary_values(east)
    assert "东街街道2026年11月民意月报" in east_values
    assert east_values["收到反映"] == 3 and east_values["满意率（满意与基本满意）"] == pytest.approx(1.0)
    assert east_values["办成率（问题已解决）"] == pytest.approx(1.0)
    assert "按街道" not in east_values
    assert [row[0] for row in east["台账"].iter_rows(min_row=2, values_only=True)] == [
        november[name].number for name in ("first", "overdue", "merged", "late")]


def test_the_next_month_holds_the_case_filed_ten_minutes_after_midnight(app, db, november):
    run(app, beijing(2026, 12, 1, 1, 0))
    assert run(app, beijing(2027, 1, 1, 0, 5)) == 3
    path = next(path for key, month, path, _ in kept(db) if key == "district" and month == date(2026, 12, 1))
    book = workbook(app, path)
    assert [row[0] for row in book["台账"].iter_rows(min_row=2, values_only=True)] == [november["december"].number]
    assert summary_values(book)["收到反映"] == 1
    assert summary_values(book)["满意率（满意与基本满意）"] == "—"      # nobody rated: no rate, not 0%


# -- kept and announced exactly once --------------------------------------------------------------

def test_running_again_and_again_makes_each_report_once_and_announces_it_once(app, db, november):
    at = beijing(2026, 12, 1, 0, 1)
    assert run(app, at) == 3
    for minutes in (1, 60, 60 * 24 * 10):                     # the next minute, hour, ten days later
        assert run(app, at + timedelta(minutes=minutes)) == 0
    assert len(kept(db)) == 3
    told = announcements(db)
    assert sorted(openid for openid, _, _ in told) == sorted(
        [STAFF_OPENIDS["district"], STAFF_OPENIDS["east"], STAFF_OPENIDS["west"]])   # not the liaison, not the observer
    district = next(text for openid, _, text in told if openid == STAFF_OPENIDS["district"])
    assert district.startswith("【月报】示例区2026年11月民意月报已生成：收到反映4件，已答复办结3件，答复办结率75%。")
    report_ids = set(db.scalars(select(MonthlyReport.id)))
    assert {int(key.split(":")[1]) for _, key, _ in told} == report_ids


def test_the_first_run_makes_only_the_last_full_month(app, db, november):
    assert run(app, beijing(2026, 12, 20, 10, 0)) == 3          # a scheduler started late in December
    assert {month for _, month, _, _ in kept(db)} == {date(2026, 11, 1)}   # no October, no backfill


def test_a_run_killed_between_the_file_and_the_row_is_made_whole_by_the_next(app, db, november, monkeypatch):
    real = job._staff_openids
    calls = []

    def dies_on_the_second(conn, scope):
        calls.append(scope.key)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")        # after the second file, before its row
        return real(conn, scope)

    monkeypatch.setattr(job, "_staff_openids", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        run(app, beijing(2026, 12, 1, 0, 1))
    assert [key for key, *_ in kept(db)] == ["district"]
    folder = Path(services(app).settings.reports_dir) / "2026-11"
    assert len(list(folder.glob("*.xlsx"))) == 2      # the second file is there, without its row
    # A run killed while writing leaves a half-written file under a temporary name only.
    stale = folder / ".sub-district-9-abc.part"
    stale.write_bytes(b"PK half a workbook")
    old = time.time() - 2 * job.STALE_PART_SECONDS
    os.utime(stale, (old, old))

    monkeypatch.setattr(job, "_staff_openids", real)
    assert run(app, beijing(2026, 12, 1, 0, 2)) == 2
    assert run(app, beijing(2026, 12, 1, 0, 3)) == 0
    keys = [key for key, *_ in kept(db)]
    assert len(keys) == len(set(keys)) == 3
    assert len(announcements(db)) == 3                # one each for district, east, west
    assert not stale.exists() and not list(folder.glob(".*.part"))
    for _, _, path, size in kept(db):
        assert (folder.parent / path).stat().st_size == size
        assert workbook(app, path).sheetnames == ["汇总", "台账"]


def test_one_scope_that_fails_keeps_back_neither_the_others_nor_its_own_next_run(app, db, november, monkeypatch):
    real = rules.build

    def fails_for_the_district(conn, path, scope, month, now):
        if scope.kind is ReportScope.DISTRICT:
            Path(path).write_bytes(b"PK half")
            raise ValueError("a bug")
        return real(conn, path, scope, month, now)

    monkeypatch.setattr(rules, "build", fails_for_the_district)
    assert run(app, beijing(2026, 12, 1, 0, 1)) == 2
    folder = Path(services(app).settings.reports_dir) / "2026-11"
    assert not (folder / "district.xlsx").exists() and not list(folder.glob(".*.part"))   # no half file left
    monkeypatch.setattr(rules, "build", real)
    assert run(app, beijing(2026, 12, 1, 0, 2)) == 1
    assert sorted(key for key, *_ in kept(db))[0] == "district" and len(announcements(db)) == 3


def test_a_report_kept_by_a_racing_run_is_left_to_it(app, db, november, monkeypatch):
    """Two schedulers at once (the lease lapsed): the one that keeps the report second backs off."""
    real = job._write
    month = date(2026, 11, 1)

    def the_other_run_got_there_first(svc, target, scope, report_month, now):
        figures = real(svc, target, scope, report_month, now)
        if scope.kind is ReportScope.DISTRICT:
            with svc.engine.begin() as conn:
                report_id = conn.execute(insert(MonthlyReport).values(
                    scope=scope.kind, sub_district_id=None, scope_key=scope.key, month=month,
                    path=job.report_path(month, scope), size=target.stat().st_size, created_at=now,
                ).returning(MonthlyReport.id)).scalar_one()
                from cases import actions
                actions.queue(conn, f"report:{report_id}", rules.announcement(
                    scope, month, figures, [STAFF_OPENIDS["district"]], now), None, now)
        return figures

    monkeypatch.setattr(job, "_write", the_other_run_got_there_first)
    assert run(app, beijing(2026, 12, 1, 0, 1)) == 2          # the two sub-districts; the district was taken
    assert sorted(key.split(":")[0] for key, *_ in kept(db)) == ["district", "sub_district", "sub_district"]
    assert len(announcements(db)) == 3


# -- the console ----------------------------------------------------------------------------------

def test_each_sees_and_downloads_the_reports_of_their_scope_only(app, db, november):
    run(app, beijing(2026, 12, 1, 0, 1))
    ids = {key: report_id for report_id, key in db.execute(select(MonthlyReport.id, MonthlyReport.scope_key))}
    east_key = f"sub_district:{november['first'].sub_district_id}"
    west_key = f"sub_district:{november['west'].sub_district_id}"
    sees = {"district": {"district", east_key, west_key}, "observer": {"district", east_key, west_key},
            "east": {east_key}, "west": {west_key}, "cg": set()}
    for username, visible in sees.items():
        client = app.test_client()
        login(client, username)
        page = client.get("/console/reports")
        if not visible:
            assert page.status_code == 404                    # a liaison has no reports page
        else:
            assert page.status_code == 200
            listed = page.get_data(as_text=True)
            assert listed.count('data-testid="report"') == len(visible)
            assert "2026年11月" in listed
        for key, report_id in ids.items():
            with client.get(f"/console/reports/{report_id}.xlsx") as answer:
                assert answer.status_code == (200 if key in visible else 404), (username, key)
                if answer.status_code == 200:
                    load_workbook(io.BytesIO(answer.get_data()))
        assert client.get(f"/console/reports/{max(ids.values()) + 1}.xlsx").status_code == 404

    client = app.test_client()
    login(client, "east")
    with client.get(f"/console/reports/{ids[east_key]}.xlsx") as answer:
        disposition = answer.headers["Content-Disposition"]
        assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in disposition and "filename*=UTF-8''" + quote("东街街道2026年11月民意月报.xlsx") in disposition
    assert app.test_client().get("/console/reports").status_code == 302    # logged out: to the login page


def test_the_reports_page_says_when_there_are_none_yet(app, db, bound):
    client = app.test_client()
    login(client, "district")
    page = client.get("/console/reports").get_data(as_text=True)
    assert "还没有月报" in page


def test_the_rule_for_one_report_and_as_sql_agree(app, db, november):
    run(app, beijing(2026, 12, 1, 0, 1))
    east, west = november["first"].sub_district_id, november["west"].sub_district_id
    actors = [Actor(ActorKind.STAFF, 1, role=StaffRole.DISTRICT), Actor(ActorKind.STAFF, 1, role=StaffRole.OBSERVER),
              Actor(ActorKind.STAFF, 1, role=StaffRole.SUBDISTRICT, sub_district_id=east),
              Actor(ActorKind.STAFF, 1, role=StaffRole.SUBDISTRICT, sub_district_id=west),
              Actor(ActorKind.STAFF, 1, role=StaffRole.SUBDISTRICT),
              Actor(ActorKind.STAFF, 1, role=StaffRole.DEPARTMENT),
              Actor(ActorKind.REPRESENTATIVE, 1), Actor(ActorKind.RESIDENT, 1)]
    rows = db.execute(select(MonthlyReport.id, MonthlyReport.scope, MonthlyReport.sub_district_id)).all()
    for actor in actors:
        one_by_one = {row.id for row in rows if rules.sees(actor, row.scope, row.sub_district_id)}
        assert set(db.scalars(select(MonthlyReport.id).where(rules.clause(actor)))) == one_by_one
    assert sum(rules.sees(actors[2], row.scope, row.sub_district_id) for row in rows) == 1


# -- the reception day --------------------------------------------------------------------------

@pytest.fixture
def reception(db, staff):  # noqa: F811 - the fixture imported above
    """东街第一联系点 receives the public on the 15th: 王晓明 (his primary point) and 李芳 (who also
    serves there) are bound; 赵强 serves elsewhere; an inactive and an unbound one are not told."""
    points, reps = staff["contact_points"], staff["reps"]
    db.execute(update(ContactPoint).where(ContactPoint.id == points["east"].id)
               .values(reception_day=15, reception_hours="9:00—11:30"))
    db.execute(update(ContactPoint).where(ContactPoint.id == points["west"].id).values(reception_day=16))
    for name, openid in (("wang", "o-rep-wang"), ("li", "o-rep-li"), ("zhao", "o-rep-zhao")):
        db.execute(update(Representative).where(Representative.id == reps[name].id).values(openid=openid))
    db.execute(insert(representative_contact_points).values(representative_id=reps["li"].id,
                                                             contact_point_id=points["east"].id))
    gone = Representative(code="gone04", name="钱退", level="district", constituency="第3选区", active=False,
                          openid="o-rep-gone", sub_district_id=staff["sub_districts"]["east"].id,
                          primary_contact_point_id=points["east"].id)
    unbound = Representative(code="none05", name="孙未绑", level="district", constituency="第3选区",
                             sub_district_id=staff["sub_districts"]["east"].id,
                             primary_contact_point_id=points["east"].id)
    db.add_all([gone, unbound])
    db.commit()
    return staff


def reminders(db) -> list[tuple]:
    db.rollback()
    return db.execute(select(OutboxMessage.openid, OutboxMessage.text, OutboxMessage.created_at,
                             OutboxMessage.template_data)
                      .where(OutboxMessage.purpose == "reception").order_by(OutboxMessage.id)).all()


def test_the_reception_day_is_reminded_once_the_day_before_however_often_the_job_runs(app, db, reception):
    svc = services(app)
    at, end = beijing(2026, 12, 14, 0, 0), beijing(2026, 12, 16, 0, 0)
    queued = 0
    while at < end:                                     # every minute for two days
        queued += job.remind_reception_days(svc, at)
        at += timedelta(minutes=1)
    told = reminders(db)
    assert queued == len(told) == 3                     # wang and li for the 15th, zhao for the 16th
    east = [row for row in told if row.openid in ("o-rep-wang", "o-rep-li")]
    assert {row.openid for row in east} == {"o-rep-wang", "o-rep-li"}
    assert {row.created_at for row in east} == {beijing(2026, 12, 14, 9, 0)}   # the day before, not at midnight
    assert east[0].text == ("明天（12月15日）是东街第一联系点的公开接访日，接待时间：9:00—11:30，地点：示例区东街1号。"
                            "请您按时到场接待群众，谢谢！")
    assert east[0].template_data["text"] == "明天12月15日公开接访日"
    zhao = next(row for row in told if row.openid == "o-rep-zhao")
    assert zhao.created_at == beijing(2026, 12, 15, 9, 0)
    assert "西街联系点的公开接访日，地点：示例区西街5号。" in zhao.text      # no hours given: none said
    # next month, the same day again; not at night (a scheduler back at 21:00 waits for the morning: too late)
    assert job.remind_reception_days(svc, beijing(2027, 1, 14, 20, 0)) == 0
    assert job.remind_reception_days(svc, beijing(2027, 1, 14, 9, 30)) == 2
    assert job.remind_reception_days(svc, beijing(2027, 1, 14, 9, 31)) == 0


def test_the_reception_day_is_edited_in_the_directory(app, db, reception):
    from tests.test_directory import _login, _post

    client = _login(app, "east")
    fields = {"name": "东街第一联系点", "kind": "point", "run_by": "subdistrict", "address": "示例区东街1号",
              "latitude": "30.55", "longitude": "114.3"}
    for bad in ("29", "0", "十五", "15.5"):
        answer = _post(client, "/console/directory/points/cp-dj-1/edit", reception_day=bad, **fields)
        assert answer.status_code == 400 and "请填1—28之间的整数" in answer.get_data(as_text=True)
    assert _post(client, "/console/directory/points/cp-dj-1/edit", reception_day="20", **fields).status_code == 302
    db.rollback()
    assert db.get(ContactPoint, reception["contact_points"]["east"].id).reception_day == 20
    page = client.get("/console/directory/points/cp-dj-1").get_data(as_text=True)
    assert "每月20日" in page
    form = client.get("/console/directory/points/cp-dj-1/edit").get_data(as_text=True)
    assert 'value="20"' in form
    assert _post(client, "/console/directory/points/cp-dj-1/edit", reception_day="", **fields).status_code == 302
    db.rollback()
    assert db.get(ContactPoint, reception["contact_points"]["east"].id).reception_day is None
