"""The directory in the console: who reads and edits what (404 outside one's scope, on every page
and action), CSRF, validation in Chinese, photos re-encoded, posters printed as a PDF whose code
scans, bind codes, re-issued codes, and staff accounts kept by the district office."""

from __future__ import annotations

import base64
import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, true
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from bot.services import services
from cases.scope import Actor
from cases.status import ActorKind
from console.directory_forms import normalise_aliases, parse_coordinate
from console.directory_scope import clause, edits, reads, sees_directory
from console.directory_staff import unit_error
from models import BindToken, ContactPoint, Department, QrCodeIssue, Representative, StaffUser, SubDistrict
from models.staff import StaffRole
from qr.codes import decode_qr
from tests.conftest import _start, _stop
from tests.test_console import ACCOUNTS, PASSWORD, _csrf, add_staff


@pytest.fixture
def app(sandbox_app):
    """Posters and bind codes call (fake) WeChat: the sandbox's, served on a loopback port."""
    return sandbox_app


@pytest.fixture
def staff(db, district, clock):
    return add_staff(db, district, clock, short_name="城管局", aliases="城管,执法局")


def _token(client) -> str:
    return _csrf(client, "/console/password")   # every logged-in user has this page


def _login(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    answer = client.post("/console/login", data={"csrf_token": _csrf(client, "/console/login"), "username": username,
                                                 "password": password})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": _token(client), **data})


# -- the rule ---------------------------------------------------------------------------------

def _actor(role: StaffRole, sub: int | None = None) -> Actor:
    return Actor(ActorKind.STAFF, 1, role=role, sub_district_id=sub)


def test_the_rule_for_one_record_and_as_sql_agree(db, district):
    subs = {sub.id for sub in db.scalars(select(SubDistrict))}
    east, west = district["sub_districts"]["east"].id, district["sub_districts"]["west"].id
    actors = [_actor(StaffRole.DISTRICT), _actor(StaffRole.OBSERVER), _actor(StaffRole.SUBDISTRICT, east),
              _actor(StaffRole.DEPARTMENT), _actor(StaffRole.SUBDISTRICT, None),
              Actor(ActorKind.REPRESENTATIVE, 1), Actor(ActorKind.RESIDENT, 1)]
    for actor in actors:
        listed = set(db.scalars(select(SubDistrict.id).where(clause(actor, SubDistrict.id))))
        assert listed == {sub for sub in subs if reads(actor, sub)}, actor
    clerk = _actor(StaffRole.SUBDISTRICT, east)
    assert reads(clerk, east) and edits(clerk, east) and not reads(clerk, west) and not edits(clerk, west)
    assert not edits(clerk, None) and not reads(clerk, None)
    assert reads(_actor(StaffRole.OBSERVER), west) and not edits(_actor(StaffRole.OBSERVER), west)
    assert not sees_directory(_actor(StaffRole.DEPARTMENT)) and not reads(_actor(StaffRole.DEPARTMENT), east)
    assert clause(_actor(StaffRole.DISTRICT), SubDistrict.id) is true()


# Every page and action on the east side's records, and who gets what (200/302 or 404).
EAST_PAGES = ["/console/directory/sub-districts/dongjie", "/console/directory/points/cp-dj-1",
              "/console/directory/representatives/wang01"]
EAST_EDIT_PAGES = ["/console/directory/points/cp-dj-1/edit", "/console/directory/representatives/wang01/edit"]
EAST_ACTIONS = ["/console/directory/sub-districts/dongjie/posters", "/console/directory/points/cp-dj-1/posters",
                "/console/directory/representatives/wang01/poster", "/console/directory/representatives/wang01/bind-code",
                "/console/directory/representatives/wang01/reissue", "/console/directory/representatives/wang01/photo",
                "/console/directory/points/cp-dj-1/edit", "/console/directory/representatives/wang01/edit"]
DISTRICT_ONLY = ["/console/directory/staff", "/console/directory/staff/new", "/console/directory/sub-districts/new",
                 "/console/directory/departments/new", "/console/directory/departments/cg/edit",
                 "/console/directory/sub-districts/dongjie/edit"]
DISTRICT_ONLY_ACTIONS = ["/console/directory/staff/east/password", "/console/directory/staff/east/deactivate",
                         "/console/directory/staff/east/activate", "/console/directory/staff/east/bind-code"]
READS = {"district": True, "east": True, "west": False, "cg": False, "observer": True}
EDITS = {"district": True, "east": True, "west": False, "cg": False, "observer": False}


@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_every_page_and_action_answers_404_outside_ones_scope(app, db, staff, username):
    client = _login(app, username)
    index = client.get("/console/directory")
    assert index.status_code == (404 if username == "cg" else 200)
    assert ("directory-link" in client.get("/console/password").get_data(as_text=True)) == (username != "cg")
    if username in ("west", "east"):
        listed = index.get_data(as_text=True)
        assert ("东街街道" in listed) == (username == "east") and ("西街街道" in listed) == (username == "west")
    for path in EAST_PAGES:
        assert client.get(path).status_code == (200 if READS[username] else 404), (username, path)
    for path in EAST_EDIT_PAGES:
        assert client.get(path).status_code == (200 if EDITS[username] else 404), (username, path)
    for path in DISTRICT_ONLY:
        assert client.get(path).status_code == (200 if username == "district" else 404), (username, path)
    assert client.get("/console/directory/departments").status_code == (404 if username == "cg" else 200)
    assert client.get("/console/directory/representatives/wang01/photo").status_code == 404  # none on file
    if not EDITS[username]:
        creating = ["/console/directory/points/new", "/console/directory/representatives/new"]  # west may, at home
        for path in EAST_ACTIONS + (creating if username in ("cg", "observer") else []):
            assert _post(client, path, paper="A4", reason="被覆盖").status_code == 404, (username, path)
    if username != "district":
        for path in DISTRICT_ONLY_ACTIONS + DISTRICT_ONLY[1:]:   # the list of accounts takes no POST
            assert _post(client, path).status_code == 404, (username, path)
    # Records that do not exist answer the same.
    for path in ("/console/directory/points/nowhere", "/console/directory/representatives/nobody",
                 "/console/directory/sub-districts/nowhere"):
        assert client.get(path).status_code == 404
    db.rollback()
    assert db.scalar(select(BindToken.id)) is None or EDITS[username]


def test_the_other_sub_districts_clerk_cannot_reach_east_records_by_posting_their_codes(app, db, staff):
    west = _login(app, "west")
    answer = _post(west, "/console/directory/representatives/new", code="new01", name="新代表", level="district",
                   contact_point="cp-dj-1", active="y")
    assert answer.status_code == 400 and "请从列表中选择" in answer.get_data(as_text=True)
    db.rollback()
    assert db.scalar(select(Representative).where(Representative.code == "new01")) is None


def test_forms_without_their_csrf_token_are_refused(app, db, staff):
    client = _login(app, "east")
    answer = client.post("/console/directory/points/cp-dj-1/edit", data={"name": "改名", "kind": "point",
                                                                          "run_by": "subdistrict"})
    assert answer.status_code == 400 and "页面已过期" in answer.get_data(as_text=True)
    for path in ("/console/directory/points/cp-dj-1/posters", "/console/directory/representatives/wang01/bind-code",
                 "/console/directory/representatives/wang01/reissue", "/console/directory/representatives/wang01/photo"):
        assert client.post(path, data={"paper": "A4", "reason": "x"}).status_code == 400, path
    db.rollback()
    assert db.get(ContactPoint, staff["contact_points"]["east"].id).name == "东街第一联系点"
    assert db.scalar(select(BindToken.id)) is None


# -- editing ------------------------------------------------------------------------------------

def test_a_clerk_edits_their_contact_point_and_it_stays_in_their_sub_district(app, db, staff):
    client = _login(app, "east")
    answer = _post(client, "/console/directory/points/cp-dj-1/edit", name="东街第一联系点", kind="station",
                   run_by="district", address="示例区东街1号二楼", latitude="30.551", longitude="114.301",
                   reception_hours="每周三9:00—11:30", phone="027-50000101", sub_district="xijie")
    assert answer.status_code == 302
    db.rollback()
    point = db.get(ContactPoint, staff["contact_points"]["east"].id)
    assert (point.kind, point.run_by, point.address, point.latitude, point.longitude, point.reception_hours,
            point.phone) == ("station", "district", "示例区东街1号二楼", 30.551, 114.301, "每周三9:00—11:30",
                             "027-50000101")
    assert point.sub_district_id == staff["sub_districts"]["east"].id   # the field is not theirs to send
    page = client.get("/console/directory/points/cp-dj-1").get_data(as_text=True)
    assert "人大代表联络站" in page and "每周三9:00—11:30" in page and "区人大常委会" in page


@pytest.mark.parametrize(("latitude", "longitude", "message"), [
    ("nan", "114.3", "纬度须在-90到90之间"), ("91", "114.3", "纬度须在-90到90之间"),
    ("30.5", "inf", "经度须在-180到180之间"), ("30.5", "-181", "经度须在-180到180之间"),
    ("北纬30度", "114.3", "请填写数字"), ("30.5", "", "经度和纬度须同时填写"),
])
def test_coordinates_must_be_finite_numbers_in_range(app, db, staff, latitude, longitude, message):
    client = _login(app, "east")
    answer = _post(client, "/console/directory/points/cp-dj-1/edit", name="东街第一联系点", kind="point",
                   run_by="subdistrict", latitude=latitude, longitude=longitude)
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    db.rollback()
    assert db.get(ContactPoint, staff["contact_points"]["east"].id).latitude == 30.55


def test_new_records_check_their_codes_lengths_and_phones(app, db, staff):
    client = _login(app, "district")
    taken = _post(client, "/console/directory/points/new", code="cp-xj-1", name="新联系点", kind="point",
                  run_by="subdistrict", sub_district="dongjie")
    assert taken.status_code == 400 and "代码「cp-xj-1」已被「西街联系点」使用" in taken.get_data(as_text=True)
    bad = _post(client, "/console/directory/points/new", code="Cp 1", name="名" * 65, kind="hall", run_by="subdistrict",
                sub_district="nowhere", phone="电话")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in ("代码须为2至32位小写字母", "不能超过64个字", "请从列表中选择", "电话只能包含数字"):
        assert message in text, message
    made = _post(client, "/console/directory/points/new", code="cp-xj-2", name="西街第二联系点", kind="point",
                 run_by="subdistrict", sub_district="xijie", address="示例区西街9号")
    assert made.status_code == 302 and made.headers["Location"].endswith("/console/directory/points/cp-xj-2")
    db.rollback()
    point = db.scalar(select(ContactPoint).where(ContactPoint.code == "cp-xj-2"))
    assert point.sub_district_id == staff["sub_districts"]["west"].id and point.latitude is None


def test_a_clerk_adds_a_representative_at_their_own_point(app, db, staff):
    client = _login(app, "east")
    made = _post(client, "/console/directory/representatives/new", code="chen04", name="陈静", level="district",
                 constituency="第5选区", contact_point="cp-dj-2", work_unit="示例区第一中学",
                 introduction="中学教师<script>", active="y")
    assert made.status_code == 302
    db.rollback()
    rep = db.scalar(select(Representative).where(Representative.code == "chen04"))
    assert (rep.sub_district_id, rep.primary_contact_point_id, rep.work_unit, rep.active) == (
        staff["sub_districts"]["east"].id, staff["contact_points"]["east2"].id, "示例区第一中学", True)
    assert [point.code for point in rep.contact_points] == ["cp-dj-2"]
    page = client.get("/console/directory/representatives/chen04").get_data(as_text=True)
    assert "中学教师&lt;script&gt;" in page and "<script>" not in page
    # Moved to the other point of the sub-district, and retired.
    moved = _post(client, "/console/directory/representatives/chen04/edit", name="陈静", level="district",
                  constituency="第5选区", contact_point="cp-dj-1", work_unit="示例区第一中学")
    assert moved.status_code == 302
    db.rollback()
    rep = db.scalar(select(Representative).where(Representative.code == "chen04"))
    assert [point.code for point in rep.contact_points] == ["cp-dj-1"] and rep.active is False


def test_departments_short_names_and_aliases(app, db, staff):
    client = _login(app, "district")
    clash = _post(client, "/console/directory/departments/new", code="jt", name="区交通运输局", short_name="交通局",
                  aliases="交通，城管")
    assert clash.status_code == 400 and "「城管」已是「区城市管理执法局」的简称或别名" in clash.get_data(as_text=True)
    made = _post(client, "/console/directory/departments/new", code="jt", name="区交通运输局", short_name="交通局",
                 aliases="交通， 交通运输、公交 交通")
    assert made.status_code == 302
    db.rollback()
    jt = db.scalar(select(Department).where(Department.code == "jt"))
    assert (jt.short_name, jt.aliases) == ("交通局", "交通,交通运输,公交")
    assert normalise_aliases("城管、城管局;  城管") == ["城管", "城管局"]


def test_the_pure_checks():
    assert parse_coordinate(" 30.5 ", -90, 90, "x") == 30.5
    for bad in ("nan", "-inf", "1e999", "90.0001"):
        with pytest.raises(ValueError):
            parse_coordinate(bad, -90, 90, "x")
    assert unit_error("subdistrict", "sub:dongjie", {"dongjie"}, set()) is None
    assert unit_error("subdistrict", "dept:dongjie", {"dongjie"}, {"dongjie"}) == "请选择所属单位。"
    assert unit_error("district", "sub:dongjie", {"dongjie"}, set()) == "该角色覆盖全区，不选所属单位。"
    assert unit_error("department", "dept:cg", set(), {"cg"}) is None


# -- photos -------------------------------------------------------------------------------------

def _upload(client, content: bytes, name: str = "photo.png"):
    # Encoded here, in memory: the test client would spool a large body to a file it never closes.
    photo = FileStorage(io.BytesIO(content), filename=name)
    boundary, body = encode_multipart({"csrf_token": _token(client), "photo": photo})
    return client.post("/console/directory/representatives/wang01/photo", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _png(size=(600, 800), colour=(30, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def test_a_photo_is_re_encoded_stored_under_media_and_shown(app, db, staff):
    client = _login(app, "east")
    assert _upload(client, _png((1800, 2400))).status_code == 302
    db.rollback()
    stored = db.scalar(select(Representative.photo_path).where(Representative.code == "wang01"))
    path = Path(services(app).settings.media_dir) / stored
    assert stored.startswith("representatives/") and path.is_file()
    with Image.open(path) as photo:
        assert photo.format == "JPEG" and photo.size == (900, 1200)
    page = client.get("/console/directory/representatives/wang01").get_data(as_text=True)
    assert 'data-testid="photo"' in page
    shown = client.get("/console/directory/representatives/wang01/photo")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    shown.close()
    assert _login(app, "west").get("/console/directory/representatives/wang01/photo").status_code == 404
    assert _upload(client, _png()).status_code == 302       # a new photo replaces the old file
    assert not path.exists()


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"not a picture", "photo.png", "无法识别这张照片"),
    (b"GIF89a", "photo.gif", "照片须为JPEG或PNG格式"),
    (b"\0" * (5 * 1024 * 1024 + 1), "photo.jpg", "照片不能超过5MB"),
    (b"\0" * (6 * 1024 * 1024), "photo.jpg", "照片不能超过5MB"),
])
def test_a_photo_that_is_not_one_is_refused(app, db, staff, content, name, message):
    client = _login(app, "east")
    answer = _upload(client, content, name)
    assert answer.status_code == 302
    assert message in client.get(answer.headers["Location"]).get_data(as_text=True)
    db.rollback()
    assert db.scalar(select(Representative.photo_path).where(Representative.code == "wang01")) is None


# -- posters, codes -----------------------------------------------------------------------------

def _pdf(answer) -> bytes:
    """A PDF download's bytes (its temporary folder goes when the response is closed)."""
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    pdf = answer.get_data()
    answer.close()
    assert pdf.startswith(b"%PDF-")
    return pdf


def _pdf_codes(pdf: bytes, folder: Path) -> list[list[str]]:
    """Each page's codes, read from the PDF rendered back to pixels as a print would be."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "posters.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(folder / "posters.pdf"), str(folder / "page")], check=True)
    return [decode_qr(page.read_bytes()) for page in sorted(folder.glob("page-*.png"))]


def test_a_clerk_prints_a_contact_points_posters_as_one_pdf(app, db, staff, world, tmp_path):
    client = _login(app, "east")
    answer = _post(client, "/console/directory/points/cp-dj-1/posters", paper="A4")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in answer.headers["Content-Disposition"]
    db.rollback()
    url = db.scalar(select(Representative.qr_url).where(Representative.code == "wang01"))
    assert _pdf_codes(_pdf(answer), tmp_path) == [[url], [url]]   # the point's poster, then his own
    assert world.qr_by_url(url)["scene"] == "rep:wang01"


def test_a_representatives_poster_and_a_sub_districts(app, db, staff, tmp_path):
    client = _login(app, "district")
    one = _post(client, "/console/directory/representatives/zhao03/poster", paper="A3")
    assert one.status_code == 200 and one.mimetype == "application/pdf"
    db.rollback()
    zhao = db.scalar(select(Representative.qr_url).where(Representative.code == "zhao03"))
    assert _pdf_codes(_pdf(one), tmp_path / "one") == [[zhao]]
    every = _post(client, "/console/directory/sub-districts/dongjie/posters", paper="A4")
    assert every.status_code == 200
    db.rollback()
    urls = dict(db.execute(select(Representative.code, Representative.qr_url)).all())
    assert _pdf_codes(_pdf(every), tmp_path / "all") == [[urls["li02"]], [urls["wang01"]]]
    wrong = _post(client, "/console/directory/sub-districts/dongjie/posters", paper="B5")
    assert wrong.status_code == 302


def test_a_bind_code_is_shown_once_and_binds_the_representative(app, db, staff, world):
    client = _login(app, "east")
    page = _post(client, "/console/directory/representatives/wang01/bind-code")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "请在2026年11月23日 10:10（北京时间）前用本人微信扫码" in text
    image = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', text).group(1))
    [url] = decode_qr(image)
    assert world.qr_by_url(url)["scene"].startswith("bind:")
    db.rollback()
    token = db.scalar(select(BindToken))
    assert token.representative_id == staff["reps"]["wang"].id and token.used_at is None


def test_re_issuing_a_code_needs_a_reason_and_retires_the_old_one(app, db, staff):
    client = _login(app, "east")
    assert _pdf(_post(client, "/console/directory/representatives/wang01/poster", paper="A4"))
    db.rollback()
    first = db.scalar(select(Representative.qr_url).where(Representative.code == "wang01"))
    without = _post(client, "/console/directory/representatives/wang01/reissue", reason="  ")
    assert without.status_code == 302 and "请填写此项" in client.get(without.headers["Location"]).get_data(as_text=True)
    done = _post(client, "/console/directory/representatives/wang01/reissue", reason="公示牌被小广告覆盖")
    assert "旧二维码已停用" in client.get(done.headers["Location"]).get_data(as_text=True)
    db.rollback()
    issues = db.execute(select(QrCodeIssue.reason, QrCodeIssue.issued_by, QrCodeIssue.retired_at)
                        .order_by(QrCodeIssue.id)).all()
    assert [(reason, by) for reason, by, _ in issues] == [("first issue", ""), ("公示牌被小广告覆盖", "east")]
    assert issues[0].retired_at is not None and issues[1].retired_at is None
    assert db.scalar(select(Representative.qr_url).where(Representative.code == "wang01")) != first
    page = client.get("/console/directory/representatives/wang01").get_data(as_text=True)
    assert "首次生成" in page and "公示牌被小广告覆盖（east）" in page


@pytest.fixture
def unconfigured_app(settings_overrides, external_schema):
    overrides = {key: value for key, value in settings_overrides.items() if not key.startswith("wechat.")}
    app = _start(overrides, external_schema)
    yield app
    _stop(app)


def test_without_a_wechat_account_printing_says_why(unconfigured_app, staff):
    client = _login(unconfigured_app, "east")
    answer = _post(client, "/console/directory/points/cp-dj-1/posters", paper="A4")
    assert answer.status_code == 302
    assert "尚未配置微信公众号" in client.get(answer.headers["Location"]).get_data(as_text=True)
    answer = _post(client, "/console/directory/representatives/wang01/bind-code")
    assert "尚未配置微信公众号" in client.get(answer.headers["Location"]).get_data(as_text=True)


# -- staff accounts -----------------------------------------------------------------------------

def _one_time_password(page: str) -> str:
    return re.search(r"的密码为：(\S+?)<", page).group(1)


def test_the_district_office_creates_resets_and_deactivates_accounts(app, db, staff):
    office = _login(app, "district")
    made = _post(office, "/console/directory/staff/new", username="north", display_name="北街街道人大工委",
                 role="subdistrict", unit="sub:xijie")
    assert made.status_code == 200
    first = _one_time_password(made.get_data(as_text=True))
    north = _login(app, "north", first)
    assert north.get("/console/directory/sub-districts/xijie").status_code == 200
    assert north.get("/console/directory/sub-districts/dongjie").status_code == 404

    taken = _post(office, "/console/directory/staff/new", username="north", display_name="x", role="district")
    assert taken.status_code == 400 and "用户名「north」已被使用" in taken.get_data(as_text=True)
    no_unit = _post(office, "/console/directory/staff/new", username="south", display_name="x", role="department")
    assert no_unit.status_code == 400 and "请选择所属单位" in no_unit.get_data(as_text=True)
    bad = _post(office, "/console/directory/staff/new", username="Bad Name", display_name="x", role="king")
    assert bad.status_code == 400 and "用户名须为" in bad.get_data(as_text=True)

    reset = _post(office, "/console/directory/staff/north/password")
    second = _one_time_password(reset.get_data(as_text=True))
    assert second != first and north.get("/console/directory").status_code == 302   # its session ended
    north = _login(app, "north", second)

    assert _post(office, "/console/directory/staff/north/deactivate").status_code == 302
    assert north.get("/console/directory").status_code == 302
    refused = app.test_client()
    answer = refused.post("/console/login", data={"csrf_token": _csrf(refused, "/console/login"), "username": "north",
                                                  "password": second})
    assert answer.status_code == 401
    myself = _post(office, "/console/directory/staff/district/deactivate")
    assert "不能停用自己的账号" in office.get(myself.headers["Location"]).get_data(as_text=True)
    db.rollback()
    assert db.scalar(select(StaffUser.active).where(StaffUser.username == "district")) is True
    assert _post(office, "/console/directory/staff/north/activate").status_code == 302
    assert _login(app, "north", second).get("/console/directory").status_code == 200


def test_a_new_sub_district_and_the_district_office_pages(app, db, staff):
    office = _login(app, "district")
    made = _post(office, "/console/directory/sub-districts/new", code="nanan", name="南岸镇",
                 committee_name="南岸镇人大主席团", committee_phone="027-50000303")
    assert made.status_code == 302
    edited = _post(office, "/console/directory/sub-districts/nanan/edit", name="南岸镇",
                   committee_name="南岸镇人大主席团", committee_phone="027 5000 0303")
    assert edited.status_code == 302
    db.rollback()
    sub = db.scalar(select(SubDistrict).where(SubDistrict.code == "nanan"))
    assert (sub.committee_name, sub.committee_phone) == ("南岸镇人大主席团", "027 5000 0303")
    listed = office.get("/console/directory").get_data(as_text=True)
    assert "南岸镇" in listed and "东街街道" in listed and "西街街道" in listed
    staff_page = office.get("/console/directory/staff").get_data(as_text=True)
    assert "east" in staff_page and "东街街道" in staff_page
