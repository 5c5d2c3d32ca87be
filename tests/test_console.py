"""The staff console: logging in (CSRF, throttling, sessions), the scope rule on every page and
action as a matrix of roles × cases, queues, the case page (escaped, masked), acting through
``perform``, and photos from local storage."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from accounts.staff import create_staff_user
from bot.services import services
from cases.status import CaseStatus, MessageKind, Tier
from models import Attachment, Case, CaseMessage, Department, OutboxMessage, Resident
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

    from console.ledger import write

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


# -- the dashboard -----------------------------------------------------------------------------------

def test_the_dashboard_counts_within_ones_scope(app, client, cases, db):
    login(client, "east")
    page = client.get("/console/dashboard").get_data(as_text=True)
    tiles = dict((label, int(n)) for n, label in re.findall(r"<div[^>]*><b>(\d+)</b>([^<]+)</div>", page))
    assert tiles["收到反映"] == 2 and tiles["已答复办结"] == 0   # the east case and the assigned one
    assert "部门办理" in page and "按月份" in page
    everyone = app.test_client()
    login(everyone, "district")
    whole = everyone.get("/console/dashboard?days=30").get_data(as_text=True)
    assert dict((label, int(n)) for n, label in re.findall(r"<div[^>]*><b>(\d+)</b>([^<]+)</div>", whole))["收到反映"] == 3
    assert everyone.get("/console/dashboard?days=7").status_code == 400


def test_the_dashboard_is_counted_once_in_ten_minutes_per_scope(app, client, cases, db, clock, staff):
    def received(answer) -> int:
        page = answer.get_data(as_text=True)
        return dict((label, int(n)) for n, label in re.findall(r"<div[^>]*><b>(\d+)</b>([^<]+)</div>", page))["收到反映"]

    login(client, "east")
    assert received(client.get("/console/dashboard")) == 2
    _case(db, clock, "东街又一件", sub_district=staff["sub_districts"]["east"], rep=staff["reps"]["wang"])
    page = client.get("/console/dashboard")
    assert received(page) == 2 and "统计于2026年11月23日 10:00（每10分钟更新一次）" in page.get_data(as_text=True)
    redis = services(app).redis
    key = f"minyi:dashboard:sub-district:{staff['sub_districts']['east'].id}:365"
    assert 0 < redis.ttl(key) <= 600
    everyone = app.test_client()
    login(everyone, "district")          # another scope: counted on its own, so it sees the new case
    assert received(everyone.get("/console/dashboard")) == 4
    redis.delete(key)                    # ten minutes on
    assert received(client.get("/console/dashboard")) == 3


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
