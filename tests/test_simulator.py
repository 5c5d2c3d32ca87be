"""The phone simulator: every action reaches minyi only as a signed delivery to /wechat."""

from __future__ import annotations

import io
import os
import re

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from models import Attachment, Case, CaseMessage, Department, Representative, Resident, StaffUser
from sandbox import texts


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


@pytest.fixture
def phone(client, district) -> str:
    return client.post("/sandbox/phones").get_json()["openid"]


def _do(client, openid: str, kind: str, mode: str = "plain", **fields):
    return client.post(f"/sandbox/phones/{openid}/send", data={"kind": kind, "mode": mode, **fields},
                       content_type="multipart/form-data")


def _chat(client, openid: str, after: int = 0) -> list[dict]:
    return client.get(f"/sandbox/phones/{openid}/chat?after={after}").get_json()["entries"]


def _png(size=(40, 30)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def test_the_page_and_directory(client, district):
    page = client.get("/sandbox/")
    assert page.status_code == 200 and "民意直通车" in page.get_data(as_text=True)
    directory = client.get("/sandbox/directory").get_json()
    assert {rep["code"] for rep in directory["representatives"]} == {"wang01", "li02", "zhao03"}
    assert len(directory["landmarks"]) == 3 and directory["modes"] == ["plain", "safe"]


def test_the_directory_lists_bound_staff_and_the_page_has_quick_buttons(client, db, district, clock):
    """Like the demo's: a clerk per sub-district, a department liaison and the district office bound
    their WeChat (demo-staff-<username>); an account without a WeChat, or switched off, is not a phone."""
    east, west = district["sub_districts"]["east"], district["sub_districts"]["west"]
    district["reps"]["wang"].openid = "demo-rep-wang01"
    cg = Department(district_id=east.district_id, code="cg", name="区城市管理执法局", aliases="城管")
    db.add(cg)
    db.flush()
    for username, name, role, openid, unit, active in (
        ("district", "区人大常委会人代工委", "district", "demo-staff-district", {}, True),
        ("dongjie", "东街街道人大工委", "subdistrict", "demo-staff-dongjie", {"sub_district_id": east.id}, True),
        ("dept-cg", "区城市管理执法局联络员", "department", "demo-staff-dept-cg", {"department_id": cg.id}, True),
        ("xijie", "西街街道人大工委", "subdistrict", None, {"sub_district_id": west.id}, True),
        ("gone", "已停用的账号", "subdistrict", "demo-staff-gone", {"sub_district_id": west.id}, False),
    ):
        db.add(StaffUser(username=username, display_name=name, role=role, openid=openid, active=active,
                         password_hash="x", created_at=clock.now(), **unit))
    db.commit()

    directory = client.get("/sandbox/directory").get_json()
    assert directory["staff"] == [  # clerks first, then department liaisons, then the district office
        {"username": "dongjie", "name": "东街街道人大工委", "role": "subdistrict", "openid": "demo-staff-dongjie"},
        {"username": "dept-cg", "name": "区城市管理执法局联络员", "role": "department",
         "openid": "demo-staff-dept-cg"},
        {"username": "district", "name": "区人大常委会人代工委", "role": "district", "openid": "demo-staff-district"},
    ]
    assert [rep["openid"] for rep in directory["representatives"] if rep["openid"]] == ["demo-rep-wang01"]

    page = client.get("/sandbox/").get_data(as_text=True)
    assert 'id="phone-group-staff"' in page and 'label="工作人员"' in page
    assert re.search(r'<div class="quick-bar" id="quick-bar" data-testid="quick-bar"[^>]*>', page)
    assert page.index('id="chat"') < page.index('id="quick-bar"') < page.index('id="text-input"')
    with client.get("/sandbox/static/sandbox.js") as served:  # a file response: closed when read
        script = served.get_data(as_text=True)
    for command in ("待办", "查看", "接单", "回复", "转街道", "转部门", "转上级", "退回", "指派", "帮助", "进度", "新问题"):
        assert f'"{command}"' in script


def test_a_new_phone_must_follow_before_writing(client, phone, db):
    refused = _do(client, phone, "text", text="你好")
    assert refused.status_code == 400 and refused.get_json()["error"] == texts.FOLLOW_FIRST
    assert db.scalar(select(func.count()).select_from(Resident)) == 0


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_scan_then_report_goes_through_the_webhook(client, phone, db, world, mode):
    scanned = _do(client, phone, "scan", mode, code="wang01")
    assert scanned.status_code == 200 and "王晓明" in scanned.get_json()["reply"]
    reported = _do(client, phone, "text", mode, text="楼道灯不亮")
    number = re.search(r"\d{4}-\d{6}", reported.get_json()["reply"]).group()

    entries = _chat(client, phone)
    assert [(e["side"], e["kind"]) for e in entries] == [("user", "scan"), ("account", "text"),
                                                       ("user", "text"), ("account", "text")]
    assert number in entries[-1]["text"]
    assert _chat(client, phone, after=3) == entries[3:]

    db.rollback()
    resident = db.scalar(select(Resident).where(Resident.openid == phone))
    assert resident.representative_id == db.scalar(select(Representative.id).where(Representative.code == "wang01"))
    [case] = db.scalars(select(Case)).all()
    assert case.summary == "楼道灯不亮"
    assert [call["endpoint"] for call in world.calls()] == ["stable_token", "qrcode/create"]


def test_the_code_is_created_once_and_a_photo_of_it_binds(client, phone, db, world):
    poster = client.get("/sandbox/poster/li02.png")
    assert poster.status_code == 200 and poster.mimetype == "image/png"
    scanned = client.post(f"/sandbox/phones/{phone}/send", content_type="multipart/form-data",
                          data={"kind": "scan_image", "mode": "plain",
                                "file": (io.BytesIO(poster.data), "poster.png")})
    assert "李芳" in scanned.get_json()["reply"]
    _do(client, phone, "scan", code="li02")
    assert len(world.calls("qrcode/create")) == 1
    db.rollback()
    assert db.scalar(select(Representative.qr_url).where(Representative.code == "li02")).startswith(
        "http://weixin.qq.com/q/")


def test_photo_voice_and_location(client, phone, db, world):
    _do(client, phone, "scan", code="wang01")
    photo = client.post(f"/sandbox/phones/{phone}/send", content_type="multipart/form-data",
                        data={"kind": "image", "mode": "plain", "file": (_png(), "road.png")})
    assert photo.status_code == 200
    _do(client, phone, "voice", text="路面有个大坑")
    _do(client, phone, "location", latitude="30.55", longitude="114.30", label="东街1号")

    db.rollback()
    kinds = db.scalars(select(CaseMessage.kind).order_by(CaseMessage.id)).all()
    assert kinds == ["image", "voice", "location"]
    assert db.scalar(select(CaseMessage.content).where(CaseMessage.kind == "voice")) == "路面有个大坑"
    [photo_media, voice_media] = db.scalars(select(Attachment.media_id).order_by(Attachment.id)).all()
    assert world.media(photo_media)["data"] == _png().getvalue()
    image_entry = next(e for e in _chat(client, phone) if e["kind"] == "image")
    assert client.get(f"/sandbox/media/{image_entry['media_id']}").data == _png().getvalue()


def test_a_real_sized_photo_gets_through_and_an_oversized_one_is_refused(client, phone, db):
    _do(client, phone, "scan", code="wang01")
    noise = Image.frombytes("RGB", (1200, 900), os.urandom(1200 * 900 * 3))  # incompressible
    photo = io.BytesIO()
    noise.save(photo, format="PNG")
    assert photo.tell() > 1024 * 1024
    photo.seek(0)
    assert _upload(client, phone, photo).status_code == 200
    assert _upload(client, phone, io.BytesIO(b"x" * (11 * 1024 * 1024))).status_code == 413


def _upload(client, openid: str, picture: io.BytesIO):
    """A big multipart body, encoded in memory (the test client would spool it to a file it never closes)."""
    boundary, body = encode_multipart({"kind": "image", "mode": "plain",
                                       "file": FileStorage(picture, "photo.png", content_type="image/png")})
    return client.post(f"/sandbox/phones/{openid}/send", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "dance"}, texts.UNKNOWN_ACTION),
        ({"kind": "text", "text": ""}, texts.BAD_TEXT),
        ({"kind": "text", "text": "长" * 2001}, texts.BAD_TEXT),
        ({"kind": "text", "text": "hi", "mode": "telepathy"}, texts.BAD_MODE),
        ({"kind": "location", "latitude": "north", "longitude": "1"}, texts.BAD_COORDINATES),
        ({"kind": "location", "latitude": "91", "longitude": "1"}, texts.BAD_COORDINATES),
        ({"kind": "image"}, texts.NO_FILE),
        ({"kind": "image", "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")}, texts.NOT_AN_IMAGE),
        ({"kind": "scan_image", "file": (_png(), "blank.png")}, texts.NO_QR_FOUND),
        ({"kind": "scan", "code": "nobody"}, texts.UNKNOWN_REPRESENTATIVE),
    ],
)
def test_wrong_input_gets_a_clear_answer(client, phone, fields, error):
    _do(client, phone, "follow")
    answer = client.post(f"/sandbox/phones/{phone}/send", content_type="multipart/form-data",
                         data={"mode": "plain", **fields})
    assert answer.status_code in (400, 404) and answer.get_json() == {"error": error}


def test_when_wechat_refuses_to_create_the_code_the_phone_is_told(client, phone, world):
    world.fail_next("qrcode/create", 45009)
    answer = _do(client, phone, "scan", code="wang01")
    assert answer.status_code == 502 and answer.get_json() == {"error": texts.QR_NOT_CREATED.format(errcode=45009)}


def test_a_code_from_another_account_is_refused(client, phone):
    from qr.codes import qr_png

    foreign = io.BytesIO(qr_png("http://weixin.qq.com/q/someone-else"))
    answer = client.post(f"/sandbox/phones/{phone}/send", content_type="multipart/form-data",
                         data={"kind": "scan_image", "mode": "plain", "file": (foreign, "x.png")})
    assert answer.get_json() == {"error": texts.FOREIGN_QR}


def test_unfollowing_is_delivered_and_stops_writing(client, phone, db):
    _do(client, phone, "scan", code="wang01")
    assert _do(client, phone, "unfollow").status_code == 200
    assert _do(client, phone, "text", text="还在吗").status_code == 400
    db.rollback()
    assert db.scalar(select(Resident.subscribed).where(Resident.openid == phone)) is False


@pytest.mark.parametrize(
    ("kind", "fields", "window"),
    [
        ("text", {"text": "楼道灯不亮"}, "message"),
        ("voice", {"text": "路面有个大坑"}, "message"),
        ("location", {"latitude": "30.55", "longitude": "114.30"}, "message"),
        ("image", {"file": (_png(), "road.png")}, "message"),
        ("scan", {"code": "wang01"}, "event"),
    ],
)
def test_what_the_phone_does_opens_the_window_wechat_opens(client, phone, world, clock, kind, fields, window):
    _do(client, phone, "follow")
    followed_at = clock.time()
    clock.advance(seconds=20)
    assert _do(client, phone, kind, **fields).status_code == 200
    opened = {w.rule.name: w.opened_at for w in world.follower(phone).windows}
    expected = {"event": clock.time()} if window == "event" else {"event": followed_at, "message": clock.time()}
    assert opened == expected


def test_a_new_phone_is_known_to_wechat_but_not_following_until_it_follows(client, phone, world, clock):
    assert (world.follower(phone).known, world.follower(phone).subscribed) == (True, False)
    assert client.get(f"/sandbox/phones/{phone}/chat").get_json()["following"] is False
    _do(client, phone, "follow")
    follower = world.follower(phone)
    assert follower.subscribed and [(w.rule.name, w.opened_at, w.left) for w in follower.windows] == [
        ("event", clock.time(), 3)]
    _do(client, phone, "text", text="你好")
    _do(client, phone, "unfollow")
    gone = world.follower(phone)
    assert (gone.subscribed, gone.windows) == (False, ())
    assert client.get(f"/sandbox/phones/{phone}/chat").get_json()["following"] is False


def test_new_phones_are_named_for_people_not_by_openid(client, district, world):
    """A new phone is 居民1, 居民2… or the nickname typed for it; a nickname is one phone's only."""
    first = client.post("/sandbox/phones").get_json()
    second = client.post("/sandbox/phones", data={"nickname": "  楼下 张阿姨 "}).get_json()
    third = client.post("/sandbox/phones").get_json()
    assert (first["name"], second["name"], third["name"]) == ("居民1", "楼下 张阿姨", "居民2")
    assert len({first["openid"], second["openid"], third["openid"]}) == 3

    for nickname in ("楼下 张阿姨", "居民2", "张桂英"):  # taken here, or a demo resident's
        taken = client.post("/sandbox/phones", data={"nickname": nickname})
        assert taken.status_code == 409 and taken.get_json() == {"error": texts.NICKNAME_TAKEN.format(name=nickname)}
    for nickname in ("长" * 17, "a\x00b"):
        refused = client.post("/sandbox/phones", data={"nickname": nickname})
        assert refused.status_code == 400 and refused.get_json() == {"error": texts.BAD_NICKNAME}
    world.name_phone("o-typed-by-hand", "居民3")  # a nickname typed that looks like a number's
    assert client.post("/sandbox/phones").get_json()["name"] == "居民4"
    assert [name for _, name in world.phones(10)] == ["居民4", "居民3", "居民2", "楼下 张阿姨", "居民1"]


def test_the_picker_names_every_resident_and_shows_no_openid(client, db, district, clock, world):
    """Phones made here first (newest first), then residents minyi knows: the demo's by their
    nickname, one the fake WeChat forgot by its number; with their representative and contact
    point; representatives' and staff's own phones are not residents'."""
    made = client.post("/sandbox/phones", data={"nickname": "晨跑的小周"}).get_json()["openid"]
    _do(client, made, "scan", code="li02")
    fresh = client.post("/sandbox/phones").get_json()["openid"]
    wang, east = district["reps"]["wang"], district["contact_points"]["east"]
    wang.openid = "demo-rep-wang01"
    db.add_all([
        Resident(openid="demo-resident-02", representative_id=wang.id, contact_point_id=east.id,
                 created_at=clock.now()),
        Resident(openid="oForgottenByTheFakeWeChat0001", created_at=clock.now()),
        Resident(openid="demo-rep-wang01", created_at=clock.now()),  # the representative reported too
    ])
    db.commit()
    forgotten = db.scalar(select(Resident.id).where(Resident.openid == "oForgottenByTheFakeWeChat0001"))

    residents = client.get("/sandbox/directory").get_json()["residents"]
    assert residents == [
        {"openid": fresh, "name": "居民1", "representative": "", "contact_point": ""},
        {"openid": made, "name": "晨跑的小周", "representative": "李芳", "contact_point": "东街第二联系点"},
        {"openid": "oForgottenByTheFakeWeChat0001", "name": f"未命名居民（{forgotten}号）",
         "representative": "", "contact_point": ""},
        {"openid": "demo-resident-02", "name": "老刘", "representative": "王晓明", "contact_point": "东街第一联系点"},
    ]
    assert len({resident["name"] for resident in residents}) == len(residents)


def test_the_demo_residents_nicknames_tell_them_apart():
    from demo import data

    assert len(set(data.RESIDENT_NICKNAMES)) == data.RESIDENTS == len(data.RESIDENT_BY_OPENID)
    assert data.RESIDENT_BY_OPENID[data.resident_openid(0)] == data.RESIDENT_NICKNAMES[0]
    assert all(not re.search(r"[A-Za-z0-9]", name) for name in data.RESIDENT_NICKNAMES)
