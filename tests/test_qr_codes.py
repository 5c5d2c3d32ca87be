"""Representatives' codes: the temporary code that binds their WeChat exactly once, and the
explicit re-issue of a poster code that retires the old one."""

from __future__ import annotations

import base64
import re
import zipfile

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.services import services
from models import BindToken, Case, OutboxMessage, QrCodeIssue, Representative, Resident, StaffUser
from qr.binding import BIND_CODE_LIFETIME, issue_bind_code
from qr.codes import ensure_permanent_qr, reissue_permanent_qr
from texts import residents as texts
from texts import workbench


@pytest.fixture
def app(sandbox_app):
    return sandbox_app


@pytest.fixture
def bind_scene(app, db, district, world):
    """The scene of a fresh bind code for 王晓明, as the fake WeChat knows it."""
    svc = services(app)
    url, expires_at = issue_bind_code(db, svc.wechat, district["reps"]["wang"], svc.clock.now())
    db.commit()
    assert expires_at == svc.clock.now() + BIND_CODE_LIFETIME
    [call] = world.calls("qrcode/create")
    assert call["body"]["expire_seconds"] == 600 and call["body"]["action_name"] == "QR_STR_SCENE"
    return world.qr_by_url(url)["scene"]


def _rep_openid(db, code: str) -> str | None:
    db.rollback()
    return db.scalar(select(Representative.openid).where(Representative.code == code))


def test_a_bind_code_binds_its_representative_exactly_once(wechat, db, bind_scene):
    assert bind_scene.startswith("bind:")
    first = wechat.scan("o-wang-phone", bind_scene, new_follower=True)
    assert first.text == workbench.BIND_REPLIES["bound"].format(name="王晓明代表")
    assert _rep_openid(db, "wang01") == "o-wang-phone"

    again = wechat.scan("o-wang-phone", bind_scene, new_follower=False)
    assert again.text == workbench.BIND_REPLIES["already"].format(name="王晓明代表")
    stranger = wechat.scan("o-someone-else", bind_scene)
    assert stranger.text == workbench.BIND_REPLIES["used"]
    assert _rep_openid(db, "wang01") == "o-wang-phone"
    assert len(db.scalars(select(BindToken.token_hash)).all()[0]) == 64  # only the hash is kept


def test_an_expired_or_unknown_bind_code_is_refused(wechat, db, clock, bind_scene):
    clock.advance(minutes=10, seconds=1)
    assert wechat.scan("o-late", bind_scene).text == workbench.BIND_REPLIES["expired"]
    assert wechat.scan("o-guess", "bind:made-up-token").text == workbench.BIND_REPLIES["unknown"]
    assert _rep_openid(db, "wang01") is None


def test_a_clerk_binds_their_wechat_with_minyi_qr_bind_code_staff(app, wechat, db, district, world):
    db.add(StaffUser(username="east", display_name="东街街道人大工委", role="subdistrict",
                     sub_district_id=district["sub_districts"]["east"].id, password_hash="x",
                     created_at=services(app).clock.now()))
    db.commit()
    settings = services(app).settings
    env = {"MINYI_DATABASE_URL": settings.database_url, "MINYI_REDIS_URL": settings.redis_url}
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("bot.cli.load_settings", lambda: settings)
        patch.setattr("bot.cli._app", lambda overrides=None: app)  # the test's app, on its fake WeChat
        patch.setattr(services(app), "dispose", lambda: None)
        unknown = runner.invoke(main, ["qr", "bind-code", "--staff", "nobody"], env=env)
        assert unknown.exit_code != 0 and "no staff account 'nobody'; the valid ones are:\n  east  东街街道人大工委" in unknown.output
        made = runner.invoke(main, ["qr", "bind-code", "--staff", "east"], env=env)
    assert made.exit_code == 0, made.output
    assert "Beijing time" in made.output
    url = made.output.split(": ", 1)[1].split()[0]
    scene = world.qr_by_url(url)["scene"]
    assert wechat.scan("o-clerk-phone", scene).text == workbench.BIND_REPLIES["bound"].format(name="东街街道人大工委")
    db.rollback()
    assert db.scalar(select(StaffUser.openid).where(StaffUser.username == "east")) == "o-clerk-phone"
    assert wechat.text("o-clerk-phone", "待办").text == "您目前没有待办的群众反映。"


def test_one_wechat_cannot_bind_two_representatives(wechat, db, district, bind_scene):
    district["reps"]["li"].openid = "o-li-phone"
    db.commit()
    assert wechat.scan("o-li-phone", bind_scene).text == workbench.BIND_REPLIES["taken"].format(name="李芳代表")
    assert _rep_openid(db, "wang01") is None


def test_a_reissued_code_retires_the_old_one(app, wechat, db, district, world, clock):
    svc = services(app)
    wang = district["reps"]["wang"]
    old_url = ensure_permanent_qr(db, svc.wechat, wang, clock.now())
    db.commit()
    assert "王晓明" in wechat.scan("o-early", "rep:wang01").text

    with pytest.raises(ValueError):
        reissue_permanent_qr(db, svc.wechat, wang, clock.now(), "  ", "区人大办")
    new_url = reissue_permanent_qr(db, svc.wechat, wang, clock.now(), "公示牌二维码被覆盖张贴", "区人大办 张三")
    db.commit()
    assert new_url != old_url and world.qr_by_url(new_url)["scene"] == "rep:wang01.2"

    assert wechat.scan("o-late", "rep:wang01").text == texts.UNKNOWN_SCENE
    assert "王晓明" in wechat.scan("o-late", "rep:wang01.2", new_follower=False).text
    issues = db.scalars(select(QrCodeIssue).order_by(QrCodeIssue.id)).all()
    assert [(i.scene, i.reason, i.retired_at is not None) for i in issues] == [
        ("rep:wang01", "first issue", True), ("rep:wang01.2", "公示牌二维码被覆盖张贴", False)]


def test_the_qr_commands(app, district, settings_overrides, tmp_path, monkeypatch, world):
    settings = services(app).settings
    monkeypatch.setenv("MINYI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MINYI_WECHAT_SANDBOX", "true")
    monkeypatch.setenv("MINYI_WECHAT_API_BASE_URL", settings.wechat_api_base_url)
    runner = CliRunner()
    made = runner.invoke(main, ["qr", "posters", "--contact-point", "cp-xj-1", "--out", str(tmp_path / "out"),
                                "--zip"])
    assert made.exit_code == 0, made.output
    with zipfile.ZipFile(tmp_path / "out" / "point-cp-xj-1.zip") as archive:
        assert archive.namelist() == ["point-cp-xj-1.png", "zhao03.png"]
    assert (tmp_path / "out" / "point-cp-xj-1.pdf").is_file() and (tmp_path / "out" / "zhao03.png").is_file()
    assert "1 new QR codes" in made.output

    bind = runner.invoke(main, ["qr", "bind-code", "zhao03", "--out", str(tmp_path / "bind.png")])
    assert bind.exit_code == 0 and (tmp_path / "bind.png").is_file()
    reissued = runner.invoke(main, ["qr", "reissue", "zhao03", "--reason", "被涂改", "--by", "西街工委"])
    assert reissued.exit_code == 0, reissued.output
    assert runner.invoke(main, ["qr", "reissue", "nobody", "--reason", "x"]).exit_code == 1
    both = runner.invoke(main, ["qr", "posters", "--all", "--sub-district", "x", "--out", str(tmp_path)])
    assert both.exit_code == 2 and "choose one" in both.output


def _filed_with_slip(app, db, district, clock, world) -> tuple[object, str, str, str]:
    """A clerk files a case for 张桂兰 (tests.test_console_actions.WALK_IN) and opens its slip:
    (the clerk's client, the slip's address, the slip, the scene of the code on it)."""
    from qr.codes import decode_qr
    from tests.test_console import add_staff, login
    from tests.test_console_actions import file_case

    add_staff(db, district, clock)
    clerk = app.test_client()
    login(clerk, "east")
    slip_url = file_case(clerk).headers["Location"]
    slip = clerk.get(slip_url).get_data(as_text=True)
    image = re.search(r'data-testid="slip-link">\s*<img src="data:image/png;base64,([^"]+)"', slip).group(1)
    [url] = decode_qr(base64.b64decode(image))
    return clerk, slip_url, slip, world.qr_by_url(url)["scene"]


def test_a_slips_code_links_the_resident_staff_filed_for_to_their_wechat(app, db, district, clock, world, wechat):
    from tests.test_console_actions import act

    clerk, slip_url, slip, scene = _filed_with_slip(app, db, district, clock, world)
    [call] = world.calls("qrcode/create")
    assert call["body"]["expire_seconds"] == 30 * 24 * 3600 and "2026年12月23日 10:00前有效" in slip
    assert scene.startswith("link:")
    district["reps"]["wang"].openid = "o-wang"
    db.commit()
    assert wechat.scan("o-wang", scene).text == texts.LINK_REPLIES["taken"]          # not a representative's

    assert wechat.scan("o-granddaughter", scene, new_follower=True).text == texts.LINK_REPLIES["bound"]
    assert wechat.scan("o-granddaughter", scene, new_follower=False).text == texts.LINK_REPLIES["already"]
    assert wechat.scan("o-stranger", scene).text == texts.LINK_REPLIES["used"]
    db.rollback()
    case = db.scalars(select(Case).order_by(Case.id.desc())).first()
    resident = db.get(Resident, case.resident_id)
    assert (resident.openid, resident.name, resident.phone) == ("o-granddaughter", "张桂兰", "13912345678")
    assert case.number in wechat.text("o-granddaughter", "进度").text
    act(clerk, case, "reply", note="已安排明天维修。")
    db.rollback()
    assert db.scalar(select(OutboxMessage.openid).where(OutboxMessage.case_id == case.id,
                                                        OutboxMessage.openid == "o-granddaughter")) is not None
    assert 'data-testid="slip-link"' not in clerk.get(slip_url).get_data(as_text=True)   # linked: no code


def test_a_wechat_we_know_takes_the_walk_ins_case(app, db, district, clock, world, wechat):
    wechat.text("o-neighbour", "你好")                     # already writes to us
    _clerk, _url, _slip, scene = _filed_with_slip(app, db, district, clock, world)
    assert wechat.scan("o-neighbour", scene).text == texts.LINK_REPLIES["bound"]
    db.rollback()
    case = db.scalars(select(Case).order_by(Case.id.desc())).first()
    resident = db.get(Resident, case.resident_id)
    assert (resident.openid, resident.name, resident.phone) == ("o-neighbour", "张桂兰", "13912345678")
    clock.advance(days=30, seconds=1)
    assert wechat.scan("o-late", scene).text == texts.LINK_REPLIES["used"]


def test_an_expired_or_unknown_link_code_is_explained(app, db, district, clock, world, wechat):
    _clerk, _url, _slip, scene = _filed_with_slip(app, db, district, clock, world)
    clock.advance(days=30, seconds=1)
    assert wechat.scan("o-late", scene).text == texts.LINK_REPLIES["expired"]
    assert wechat.scan("o-guess", "link:made-up-token").text == texts.LINK_REPLIES["unknown"]
