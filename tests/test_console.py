"""The staff console: logging in (CSRF, throttling, sessions), the scope rule on every page and
action as a matrix of roles × cases, queues, the case page (escaped, masked), acting through
``perform``, and photos from local storage."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from accounts.staff import create_staff_user
from bot.services import services
from cases.status import ActorKind, CaseStatus, MessageKind, Tier
from cases.tallies import COUNTS, tally_rows
from models import Attachment, Case, CaseEvent, CaseMessage, CaseRating, Department, OutboxMessage, Resident
from scheduler.tallies import count_tallies
from tests.escaping import PAYLOADS, assert_escaped

PASSWORD = "correct-horse-42"
ACCOUNTS = {  # username → role, unit
    "district": ("district", None),
    "east": ("subdistrict", "dongjie"),
    "west": ("subdistrict", "xijie"),
    "cg": ("department", "cg"),
    "observer": ("observer", None),
}


def add_staff(db, district, clock, **department) -> dict:
    """The department 区城市管理执法局 (cg, with ``department``'s other columns) and one account per role."""
    db.add(Department(district_id=district["sub_districts"]["east"].district_id, code="cg", name="区城市管理执法局",
                      **department))
    db.flush()
    for username, (role, unit) in ACCOUNTS.items():
        create_staff_user(db, username=username, display_name=username, role=role, unit_code=unit,
                          password=PASSWORD, now=clock.now())
    db.commit()
    return district


@pytest.fixture
def staff(db, district, clock):
    return add_staff(db, district, clock)


def _csrf(client, path="/console/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def login(client, username: str, password: str = PASSWORD):
    return client.post("/console/login", data={"csrf_token": _csrf(client), "username": username,
                                               "password": password})


def _case(db, clock, text: str, *, sub_district, rep=None, status=CaseStatus.SUBMITTED, **columns) -> Case:
    resident = Resident(openid=f"o-console-{db.scalar(select(Resident.id).order_by(Resident.id.desc())) or 0}",
                        created_at=clock.now())
    db.add(resident)
    db.flush()
    case = Case(resident_id=resident.id, representative_id=rep.id if rep else None, sub_district_id=sub_district.id,
                status=status, summary=text[:200], created_at=clock.now(), updated_at=clock.now(),
                last_message_at=clock.now(), **columns)
    db.add(case)
    db.flush()
    db.add(CaseMessage(case_id=case.id, kind=MessageKind.TEXT, content=text, created_at=clock.now()))
    db.commit()
    return case


@pytest.fixture
def cases(db, clock, staff):
    subs, reps = staff["sub_districts"], staff["reps"]
    cg = db.scalar(select(Department.id).where(Department.code == "cg"))
    return {
        "east": _case(db, clock, "东街路灯坏了，电话13812345678", sub_district=subs["east"], rep=reps["wang"]),
        "west": _case(db, clock, "西街垃圾没人清", sub_district=subs["west"], rep=reps["zhao"]),
        "assigned": _case(db, clock, "东街占道经营", sub_district=subs["east"], rep=reps["li"],
                          status=CaseStatus.ASSIGNED, tier=Tier.DEPARTMENT, department_id=cg,
                          due_at=clock.now() + timedelta(days=1)),
    }


def test_pages_need_a_login(client, staff):
    answer = client.get("/console/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/console/login")


def test_a_wrong_password_is_refused_and_guessing_is_throttled(client, staff):
    for _ in range(5):
        answer = login(client, "east", "wrong-password")
        assert answer.status_code == 401 and "用户名或密码不正确" in answer.get_data(as_text=True)
    answer = login(client, "east")   # even the right password, until the pause is over
    assert answer.status_code == 429 and "15分钟后再试" in answer.get_data(as_text=True)
    assert login(client, "west").status_code == 302   # another account from here is not locked yet


def test_a_form_without_its_csrf_token_is_refused(client, staff):
    answer = client.post("/console/login", data={"username": "east", "password": PASSWORD})
    assert answer.status_code == 400
    assert login(client, "east").status_code == 302
    assert client.post("/console/logout").status_code == 400


def test_the_session_cookie_is_http_only_and_same_site(client, staff):
    answer = login(client, "east")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logging_out_ends_the_session(client, staff):
    login(client, "east")
    assert client.post("/console/logout", data={"csrf_token": _csrf(client, "/console/")}).status_code == 302
    assert client.get("/console/").status_code == 302


def test_changing_the_password_ends_the_other_sessions(app, client, staff):
    other = app.test_client()
    login(client, "east")
    login(other, "east")
    answer = client.post("/console/password", data={"csrf_token": _csrf(client, "/console/password"),
                                                     "old": PASSWORD, "new": "another-secret-9", "again": "another-secret-9"})
    assert answer.status_code == 302
    assert client.get("/console/").status_code == 200
    assert other.get("/console/").status_code == 302          # logged out
    assert login(other, "east", "another-secret-9").status_code == 302


# Who sees which case: 200 or 404, never a hint that another sub-district's case exists.
SEES = {
    "district": {"east", "west", "assigned"},
    "east": {"east", "assigned"},
    "west": {"west"},
    "cg": {"assigned"},
    "observer": {"east", "west", "assigned"},
}


@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_the_scope_rule_on_pages_and_actions(app, db, cases, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    listed = client.get("/console/?tab=all").get_data(as_text=True)
    for name, case in cases.items():
        visible = name in SEES[username]
        page = client.get(f"/console/cases/{case.number}")
        assert page.status_code == (200 if visible else 404), (username, name)
        assert (case.number in listed) == visible
        token = _csrf(client, "/console/")
        acted = client.post(f"/console/cases/{case.number}/act",
                            data={"csrf_token": token, "action": "classify", "colour": "红"})
        allowed = visible and username in ("district", "east", "west")
        assert acted.status_code == (302 if allowed else 404 if not visible else 403), (username, name)
    db.rollback()
    coloured = {name for name, case in cases.items() if db.get(Case, case.id).colour == "红"}
    assert coloured == (SEES[username] if username in ("district", "east", "west") else set())


def test_the_queues_count_what_waits_in_ones_own_scope(client, cases):
    login(client, "east")
    page = client.get("/console/").get_data(as_text=True)
    counts = dict(re.findall(r'data-testid="tab-(\w+)">[^<]*<b>(\d+)</b>', page))
    assert counts["waiting"] == "1" and counts["department"] == "1" and counts["due"] == "1" and counts["all"] == "2"
    assert cases["east"].number in page and cases["west"].number not in page
    found = client.get("/console/?tab=all&q=占道").get_data(as_text=True)
    assert cases["assigned"].number in found and cases["east"].number not in found
    assert client.get("/console/?tab=nonsense").status_code == 400


def test_phone_numbers_are_masked_for_those_who_do_not_call_back(app, cases, db):
    clerk, liaison = app.test_client(), app.test_client()
    login(clerk, "east")
    login(liaison, "cg")
    db.add(CaseMessage(case_id=cases["assigned"].id, kind=MessageKind.TEXT, content="我的电话13812345678",
                       created_at=cases["assigned"].created_at))
    db.commit()
    assert "13812345678" in clerk.get(f"/console/cases/{cases['assigned'].number}").get_data(as_text=True)
    seen = liaison.get(f"/console/cases/{cases['assigned'].number}").get_data(as_text=True)
    assert "13812345678" not in seen and "138****5678" in seen


def test_a_clerk_replies_and_the_resident_is_told(client, cases, db):
    login(client, "east")
    answer = client.post(f"/console/cases/{cases['east'].number}/act",
                         data={"csrf_token": _csrf(client, "/console/"), "action": "reply",
                               "note": "已安排维修，明天修好。"})
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "已答复群众" in page
    db.rollback()
    replied = db.get(Case, cases["east"].id)
    assert (replied.status, replied.tier) == (CaseStatus.REPLIED, Tier.SUBDISTRICT)   # the committee answered
    [told] = db.scalars(select(OutboxMessage).where(OutboxMessage.case_id == cases["east"].id)).all()
    assert "已安排维修" in told.text


def test_a_step_the_case_cannot_take_is_explained_not_a_crash(client, cases):
    login(client, "east")
    answer = client.post(f"/console/cases/{cases['east'].number}/act",
                         data={"csrf_token": _csrf(client, "/console/"), "action": "close"}, follow_redirects=True)
    assert answer.status_code == 200 and "现在不能“销号”" in answer.get_data(as_text=True)


def test_resident_words_are_escaped_on_every_console_page(app, client, wechat, staff, clock, db):
    filed = {}
    for n, payload in enumerate(PAYLOADS):
        openid = f"o-hostile-{n}"
        wechat.scan_poster(openid, "wang01")
        receipt = wechat.text(openid, payload).text
        filed[re.search(r"\d{4}-\d{6}", receipt).group()] = payload
        clock.advance(minutes=11)
    login(client, "east")
    assert_escaped(client.get("/console/?tab=all").get_data(as_text=True))
    for number, payload in filed.items():
        assert_escaped(client.get(f"/console/cases/{number}").get_data(as_text=True), payloads=(payload,))


def test_photos_come_from_local_storage_to_those_in_scope(app, cases, db, settings_overrides):
    message = CaseMessage(case_id=cases["east"].id, kind=MessageKind.IMAGE, media_id="m1", created_at=cases["east"].created_at)
    db.add(message)
    db.flush()
    media = Path(services(app).settings.media_dir)
    (media / "2026" / "11").mkdir(parents=True, exist_ok=True)
    (media / "2026" / "11" / "1.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    attachment = Attachment(message_id=message.id, media_id="m1", kind="image", status="stored",
                            path="2026/11/1.jpg", content_type="image/jpeg", created_at=cases["east"].created_at)
    db.add(attachment)
    db.commit()
    east, west = app.test_client(), app.test_client()
    login(east, "east")
    login(west, "west")
    page = east.get(f"/console/cases/{cases['east'].number}").get_data(as_text=True)
    assert f"/console/media/{attachment.id}" in page
    with east.get(f"/console/media/{attachment.id}") as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert west.get(f"/console/media/{attachment.id}").status_code == 404


# -- the ledger ------------------------------------------------------------------------------------

def test_the_ledger_is_the_filtered_list_as_a_workbook(client, cases, db):
    import io

    from openpyxl import load_workbook

    login(client, "east")
    with client.get("/console/ledger.xlsx?tab=all") as answer:
        assert answer.status_code == 200
        assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert "attachment" in answer.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(answer.get_data()), read_only=True)
    sheet = book.active
    table = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    assert table[0][:3] == ("编号", "反映时间", "反映人（脱敏）") and len(table[0]) == 15
    numbers = {row[0] for row in table[1:]}
    assert numbers == {cases["east"].number, cases["assigned"].number}     # nothing of the west
    east = next(row for row in table[1:] if row[0] == cases["east"].number)
    assert east[2].startswith("群众") and "o-console" not in east[2]       # never the openid
    assert "138****5678" in east[5] and "13812345678" not in east[5]     # numbers masked in the summary
    assert east[1].hour == 10                                             # Beijing time (the clock: 02:00 UTC)


def test_a_ledger_of_many_rows_is_written_in_flat_memory(tmp_path):
    import tracemalloc
    from datetime import datetime

    from cases.ledger import write

    def records(n):
        at = datetime(2026, 11, 23, 10, 0)
        for i in range(n):
            yield (f"2026-{i:06d}", at, f"群众{i:05d}", "王晓明", "东街第一联系点", "路灯坏了" * 10, "城乡建设", "",
                   "", "", at, at, "待接单", None, "")

    peaks = {}
    for n in (1_000, 10_000):
        tracemalloc.start()
        assert write(str(tmp_path / f"{n}.xlsx"), "台账", records(n)) == n
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[10_000] < 2 * peaks[1_000]   # ten times the rows, not twice the memory



def test_a_residents_words_in_the_ledger_are_never_a_formula(tmp_path):
    """What a resident typed is text in every exported sheet (docs/escaping.md): a summary that
    begins like a formula is written with a leading '."""
    from datetime import datetime

    from openpyxl import load_workbook

    from cases.ledger import write

    at = datetime(2026, 11, 23, 10, 0)
    hostile = '=HYPERLINK("http://x","点我")'
    assert write(str(tmp_path / "l.xlsx"), "台账", [("2026-000001", at, "群众00001", "", "", hostile, "", "", "", "",
                                                    at, at, "待接单", None, "")]) == 1
    book = load_workbook(tmp_path / "l.xlsx")
    cell = book.active.cell(row=2, column=6)
    assert (cell.value, cell.data_type) == ("'" + hostile, "s")
    assert book.active.cell(row=2, column=2).number_format == "yyyy-mm-dd hh:mm"

# -- the dashboard -----------------------------------------------------------------------------------

def _tiles(answer) -> dict[str, int]:
    page = answer.get_data(as_text=True)
    return {label: int(n) for n, label in re.findall(r"<div[^>]*><b>(\d+)</b>([^<]+)</div>", page)}


@pytest.mark.parametrize("tallied", [False, True], ids=["counted on the spot", "from the tallies"])
def test_the_dashboard_counts_within_ones_scope(app, client, cases, db, clock, tallied):
    if tallied:
        count_tallies(services(app), clock.now())
    login(client, "east")
    page = client.get("/console/dashboard")
    tiles = _tiles(page)
    assert tiles["收到反映"] == 2 and tiles["已答复办结"] == 0   # the east case and the assigned one
    text = page.get_data(as_text=True)
    assert "部门办理" in text and "2026年11月" in text and "王" in text and "西街" not in text
    everyone = app.test_client()
    login(everyone, "district")
    assert _tiles(everyone.get("/console/dashboard?months=1"))["收到反映"] == 3
    assert everyone.get("/console/dashboard?months=7").status_code == 400
    clock.advance(days=2)     # the assigned case's deadline has passed
    assert _tiles(client.get("/console/dashboard"))["超期未办"] == 1
    liaison = app.test_client()
    login(liaison, "cg")      # a department's few cases are always counted on the spot
    assert _tiles(liaison.get("/console/dashboard"))["收到反映"] == 1


def test_the_dashboard_reads_the_tallies_as_last_counted(app, client, cases, db, clock, staff):
    svc = services(app)
    count_tallies(svc, clock.now())
    login(client, "east")
    _case(db, clock, "东街又一件", sub_district=staff["sub_districts"]["east"], rep=staff["reps"]["wang"])
    clock.advance(minutes=1)
    page = client.get("/console/dashboard")
    assert _tiles(page)["收到反映"] == 2 and "统计于2026年11月23日 10:00" in page.get_data(as_text=True)
    assert count_tallies(svc, clock.now()) == 1          # only the month that changed is counted again
    assert _tiles(client.get("/console/dashboard"))["收到反映"] == 3


def _rate(db, case, clock, status, solved=None, satisfaction=None) -> None:
    event = CaseEvent(case_id=case.id, at=clock.now(), actor_kind=ActorKind.STAFF, action="reply",
                      from_status=CaseStatus.ASSIGNED, to_status=CaseStatus.REPLIED)
    db.add(event)
    db.flush()
    db.add(CaseRating(case_id=case.id, event_id=event.id, status=status, solved=solved, satisfaction=satisfaction,
                      asked_at=clock.now(), rated_at=clock.now() if status != "asked" else None))
    db.commit()


@pytest.mark.parametrize("tallied", [False, True], ids=["counted on the spot", "from the tallies"])
def test_the_dashboard_shows_the_residents_final_verdicts(app, client, cases, db, clock, tallied):
    _rate(db, cases["east"], clock, "rated", "unsolved", "dissatisfied")      # then reopened and answered again:
    _rate(db, cases["east"], clock, "rated", "solved", "satisfied")           # only the final verdict counts
    _rate(db, cases["assigned"], clock, "rated", "partly", "basic")
    _rate(db, cases["west"], clock, "expired")
    if tallied:
        count_tallies(services(app), clock.now())
    login(client, "district")
    page = client.get("/console/dashboard").get_data(as_text=True)
    assert "<b>100%</b>满意率" in page and "<b>50%</b>办成率" in page        # 基本满意 satisfies; 部分解决 is not solved
    assert "2件已评价，1件逾期未评价" in page


def test_a_verdict_on_an_unchanged_case_is_counted_again(app, client, cases, db, clock):
    svc = services(app)
    clock.advance(minutes=30)
    count_tallies(svc, clock.now())
    clock.advance(minutes=30)
    assert count_tallies(svc, clock.now()) == 0            # nothing changed
    _rate(db, cases["west"], clock, "rated", "solved", "satisfied")
    assert count_tallies(svc, clock.now()) == 1
    login(client, "district")
    assert "<b>100%</b>满意率" in client.get("/console/dashboard").get_data(as_text=True)


def test_months_are_beijing_months(app, client, db, clock, staff):
    east = staff["sub_districts"]["east"]
    clock.set(datetime(2026, 10, 31, 16, 30))            # 1 November, 00:30 in Beijing
    _case(db, clock, "十一月一日凌晨", sub_district=east)
    clock.set(datetime(2026, 10, 31, 15, 30))            # 31 October, 23:30 in Beijing
    _case(db, clock, "十月最后一晚", sub_district=east)
    clock.set(datetime(2026, 11, 23, 2, 0))
    login(client, "east")
    for tallied in (False, True):
        if tallied:
            count_tallies(services(app), clock.now())
        page = client.get("/console/dashboard?months=3")
        months = dict(re.findall(r"<th>(\d+年\d+月)</th><td>.*?</td><td class=\"n\">(\d+)</td>",
                                 page.get_data(as_text=True)))
        assert months == {"2026年9月": "0", "2026年10月": "1", "2026年11月": "1"}
        assert _tiles(client.get("/console/dashboard?months=1"))["收到反映"] == 1


def test_tallies_sum_each_kind_per_sub_district():
    # (sub-district, tier, category, representative, received, taken, answered, rated, satisfied, solved, unrated)
    grouped = [(1, "representative", "环境/垃圾", 7, 3, 2, 1, 1, 1, 0, 0), (1, None, "环境/噪音", None, 2, 0, 0, 0, 0, 0, 1),
               (2, "department", None, 8, 1, 1, 1, 1, 0, 1, 0)]
    rows = {(r["sub_district_id"], r["kind"], r["key"]): tuple(r[name] for name in COUNTS)
            for r in tally_rows(grouped, date(2026, 11, 1), datetime(2026, 11, 23))}
    assert rows == {(1, "total", ""): (5, 2, 1, 1, 1, 0, 1), (1, "tier", "representative"): (3, 2, 1, 1, 1, 0, 0),
                    (1, "tier", ""): (2, 0, 0, 0, 0, 0, 1), (1, "category", "环境"): (5, 2, 1, 1, 1, 0, 1),
                    (1, "representative", "7"): (3, 2, 1, 1, 1, 0, 0), (2, "total", ""): (1, 1, 1, 1, 0, 1, 0),
                    (2, "tier", "department"): (1, 1, 1, 1, 0, 1, 0), (2, "category", ""): (1, 1, 1, 1, 0, 1, 0),
                    (2, "representative", "8"): (1, 1, 1, 1, 0, 1, 0)}


def test_a_clerk_merges_a_case_into_the_same_problem_reported_before(client, cases, db, clock, staff):
    again = _case(db, clock, "东街路灯又坏了，晚上很黑", sub_district=staff["sub_districts"]["east"],
                  rep=staff["reps"]["wang"])
    login(client, "east")
    page = client.get(f"/console/cases/{again.number}").get_data(as_text=True)
    assert cases["east"].number in page                      # offered among related cases
    answer = client.post(f"/console/cases/{again.number}/act",
                         data={"csrf_token": _csrf(client, "/console/"), "action": "merge",
                               "target": cases["east"].number})
    assert answer.status_code == 302
    db.rollback()
    merged = db.get(Case, again.id)
    assert (merged.status, merged.merged_into_id) == (CaseStatus.MERGED, cases["east"].id)
    refused = client.post(f"/console/cases/{cases['assigned'].number}/act", follow_redirects=True,
                          data={"csrf_token": _csrf(client, "/console/"), "action": "merge",
                                "target": cases["west"].number})    # another sub-district's: no such case
    assert "现在不能“并案”" in refused.get_data(as_text=True)
    db.rollback()
    assert db.get(Case, cases["assigned"].id).merged_into_id is None
