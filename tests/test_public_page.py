"""A contact point's public page (公示): residents report through the webhook with their words
full of personal data — names, mobile and landline numbers (split across sentences, spelt in Chinese
numerals or circled digits, broken up by odd separators and zero-width spaces), ID and bank card
numbers, street addresses, openids, e-mails, licence plates — and none of it reaches the public
page, while the category, the month and the rest of what they said do. Only resolved cases are
shown (closed, and not rated 未解决 or 不满意), with what the resident wrote or said, never a
location. A point without a public page is 404; what residents typed is escaped."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import insert, select

from bot.services import services
from cases import actors
from cases.actions import perform
from cases.anonymise import HIDDEN, scrub
from cases.intake import WalkIn, file_for_resident
from cases.scope import SYSTEM
from models import Case, CaseEvent, CaseRating, ContactPoint, Representative, StaffUser
from tests.escaping import PAYLOADS, assert_escaped, parse_page
from tests.test_console import _csrf, add_staff, login
from texts import public as words

RESIDENTS = ("o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "oX3b_5JZk2Qm9LrT8vWcN1yHd4Ps", "oAbCdEfGhIjKlMnOpQrStUvWxYz9")
CATEGORY = "城乡建设/城市建设和市政管理/路灯照明"

# What residents send, one case each: personal data with and without the words that announce it.
REPORTS = (
    "楼道的灯坏了一个月，晚上很黑，老人上下楼很危险。我叫张伟，电话13812345678，家住幸福小区3号楼2单元501室。",
    "小区门口的井盖松动了。身份证42010619900101123X的那位邻居也摔过。有事请打027-87654321，或者发邮件zhangwei88@example.com。",
    "消防通道长期被占用！苏E·A1234和鄂A12345两辆车天天停在和平路88号门口。13907151234是车主的号码吗",
    "我的微信号是wxid_zhangwei1988。oX3b_5JZk2Qm9LrT8vWcN1yHd4Ps 也能找到我。楼上的噪音每天晚上都有。",
    "李秀英女士和王建国先生都反映过垃圾清运不及时。卡6222021234567890123被盗刷了。139 0715 0000 天天打骚扰电话。",
    "周五在光明小区5栋1203室门口看见积水，业主0278765 4321联系不上。东街的排水沟堵了。",
    # A reviewer's disguises: numbers split by sentence ends and odd separators, spelt in Chinese
    # numerals or circled digits, broken by zero-width spaces; names after cues; lettered buildings.
    "井盖138。1234。5678响。路面138\n1234\n5678裂。树枝138/1234/5678断。水管138_1234_5678漏。"
    "栏杆138，1234，5678锈。台阶138～1234～5678滑。第一批问题已说完。",
    "窗户138\u22121234\u22125678破。垃圾138 一二三四 5678臭。路灯幺三八 幺二三四 五六七八灭。"
    "花坛壹叁捌壹贰叁肆伍陆柒捌乱。长椅①③⑧①②③④⑤⑥⑦⑧坏。"
    "电线1\u200b3\u200b9\u200b0\u200b7\u200b1\u200b5\u200b9\u200b9\u200b9\u200b9垂。第二批问题已说完。",
    "联系人：李建国，楼上漏水。居民刘桂兰反映楼道灯坏了。我老伴王秀英腿脚不便，找李建国。"
    "幸福小区A栋1201、幸福小区B座1202、幸福小区12#501和科技园南区R2-B栋都停水了。幸福小区3栋2单元501也是。"
    "3楼漏水。人民路123号门口有坑。",
)
ANSWER = "张伟先生您好！已联系物业，明天上午更换灯具。请保持13812345678畅通。"
WALK_IN = "赵桂兰反映小区门口路灯不亮，晚上看不见路。"
NEVER = ("张伟", "幸福小区", "3号楼", "2单元", "501室", "42010619900101123X", "87654321", "zhangwei88",
         "example.com", "苏E", "A1234", "鄂A", "A12345", "88号", "13907151234", "wxid", "zhangwei1988",
         "李秀英", "王建国", "6222021234567890123", "13907150000", "光明小区", "5栋", "1203", "02787654321",
         "赵桂兰", "13607151234", "13812345678", *RESIDENTS,
         "138", "1234", "5678", "一二三四", "幺三八", "五六七八", "壹叁捌", "伍陆柒捌", "①③⑧", "⑤⑥⑦⑧", "13907159999",
         "9999", "李建国", "刘桂兰", "王秀英", "A栋", "1201", "B座", "1202", "12#", "501", "科技园", "R2", "123号")
KEPT = ("楼道的灯坏了一个月，晚上很黑，老人上下楼很危险。", "小区门口的井盖松动了。", "消防通道长期被占用！",
        "楼上的噪音每天晚上都有。", "某女士和某先生都反映过垃圾清运不及时。", "东街的排水沟堵了。",
        f"{HIDDEN}反映小区门口路灯不亮，晚上看不见路。", "某先生您好！已联系物业，明天上午更换灯具。",
        f"天天停在和平路{HIDDEN}门口。", f"井盖{HIDDEN}响。", "第一批问题已说完。", f"电线{HIDDEN}垂。",
        "第二批问题已说完。", f"联系人：{HIDDEN}，楼上漏水。", f"居民{HIDDEN}反映楼道灯坏了。",
        f"我老伴{HIDDEN}腿脚不便，找{HIDDEN}。", f"{HIDDEN}都停水了。", "3楼漏水。", f"人民路{HIDDEN}门口有坑。")


@pytest.fixture
def public_point(db, district):
    point = db.get(ContactPoint, district["contact_points"]["east"].id)
    point.public_page, point.reception_hours, point.phone = True, "每周三9:00—11:30", "027-50000101"
    db.commit()
    return district


def _report(wechat, openid: str, text: str) -> None:
    """A resident writes, as WeChat delivers it; 「新问题」 makes the next words another case."""
    assert "编号" in wechat.text(openid, text).text
    wechat.text(openid, "新问题")


def _answer_all(app, rep_id: int, answer: str, category: str | None = None, close: bool = True) -> dict[int, int]:
    """The representative answers every open case of theirs, and (``close``) nobody rating the
    answer in time, the system closes it; case id → the answer's event id."""
    svc = services(app)
    now = svc.clock.now()
    answered = {}
    with svc.engine.begin() as conn:
        actor = actors.representative(conn, rep_id)
        for case_id in conn.scalars(select(Case.id).where(Case.representative_id == rep_id,
                                                          Case.status == "submitted").order_by(Case.id)):
            if category:
                perform(conn, case_id, "classify", actor, now, category=category, notify=False)
            answered[case_id] = perform(conn, case_id, "reply", actor, now, note=answer, notify=False).event_id
            if close:
                perform(conn, case_id, "close", SYSTEM, now, note="逾期未评价，自动办结。", notify=False)
    return answered


def _rate(app, case_id: int, event_id: int, solved: str, satisfaction: str) -> None:
    with services(app).engine.begin() as conn:
        now = services(app).clock.now()
        conn.execute(insert(CaseRating.__table__), {
            "case_id": case_id, "event_id": event_id, "status": "rated", "solved": solved,
            "satisfaction": satisfaction, "comment": "", "asked_at": now, "rated_at": now})


def _plain(html: str) -> str:
    """The page's text as a reader sees it, without the spaces and dashes inside numbers."""
    return re.sub(r"[\s\-－—]", "", parse_page(html).text)


def test_no_personal_datum_reaches_the_public_page(app, client, db, wechat, clock, public_point):
    reps = public_point["reps"]
    for index, text in enumerate(REPORTS):
        openid = RESIDENTS[index % len(RESIDENTS)]
        wechat.scan_poster(openid, "wang01")
        _report(wechat, openid, text)
    with services(app).engine.begin() as conn:   # a resident without WeChat, filed by a clerk (代录)
        clerk = conn.execute(insert(StaffUser.__table__).returning(StaffUser.__table__.c.id), {
            "username": "east", "display_name": "东街街道人大工委", "role": "subdistrict", "password_hash": "x",
            "sub_district_id": public_point["sub_districts"]["east"].id, "active": True,
            "created_at": clock.now()}).scalar_one()
        file_for_resident(conn, WalkIn("visit", "赵桂兰", "13607151234", WALK_IN,
                                       public_point["contact_points"]["east"].id, reps["wang"].id),
                          actors.staff_member(conn, clerk), clock.now())
    wechat.scan_poster("oLiFangResident000000000000", "li02")        # another point, not public
    _report(wechat, "oLiFangResident000000000000", "东街第二联系点附近的路灯也坏了，我叫孙丽。")
    clock.advance(minutes=30)
    answered = _answer_all(app, reps["wang"].id, ANSWER, CATEGORY)
    _answer_all(app, reps["li"].id, "已处理。")
    first = min(answered)
    _rate(app, first, answered[first], "solved", "satisfied")

    answer = client.get("/public/points/cp-dj-1")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    shown = _plain(html)
    leaked = [datum for datum in NEVER if re.sub(r"[\s\-－—]", "", datum) in shown]
    assert not leaked, leaked
    for kept in KEPT:
        assert re.sub(r"\s", "", kept) in shown, kept
    assert "孙丽" not in shown and "东街第二联系点附近" not in shown      # another point's cases stay there
    page = parse_page(html)
    assert page.text.count("路灯照明") == len(REPORTS) + 1 and "2026年11月" in page.text
    assert "东街第一联系点" in page.text and "每周三9:00—11:30" in page.text and "027-50000101" in page.text
    assert "王晓明" in page.text and "李芳" not in page.text and "区人大代表" in page.text
    figures = html.split('data-testid="figures"')[1]
    assert f'data-testid="received">{len(REPORTS) + 1}件' in figures and 'data-testid="answer-rate">100%' in figures
    assert 'data-testid="satisfaction-rate">100%' in figures and words.RATED.format(n=1) in figures
    assert words.PRIVACY in page.text and words.PUBLISHED in page.text


def test_the_scrubber_on_its_own():
    assert scrub("王先生，您家3号楼的灯已修好") == "某先生，您家" + HIDDEN + "的灯已修好"
    assert scrub("12345热线说2026-11-23 10:00前修好，欠薪20000元") == "12345热线说2026-11-23 10:00前修好，欠薪20000元"
    assert scrub("手机13812345678。路灯坏了。") == "路灯坏了。"       # a sentence that names a datum goes whole
    assert scrub("我是王五，路灯坏了") == ""                           # unsure: dropped
    assert scrub("一三八一二三四五六七八打不通") == HIDDEN + "打不通"
    assert scrub("刘德华反映噪音", names=["刘德华"]) == HIDDEN + "反映噪音"
    assert scrub("ＡＢＣ１３８１２３４５６７８") == HIDDEN                 # full-width folded first: one code
    for payload in PAYLOADS:
        assert scrub(payload) == payload                               # escaping is the page's job


def test_a_point_without_a_public_page_is_404(app, client, db, public_point):
    for path in ("/public/points/cp-dj-2", "/public/points/nowhere", "/public/points/cp-xj-1",
                 "/public/points/cp-xj-1/representatives/zhao03/photo"):
        answer = client.get(path)
        assert answer.status_code == 404 and words.NOT_FOUND in answer.get_data(as_text=True), path
    assert client.get("/public/points/cp-dj-1").status_code == 200


def test_photos_are_served_for_public_points_only(app, client, db, public_point):
    media = services(app).settings.media_dir
    for code in ("wang01", "zhao03"):
        rep = db.scalar(select(Representative).where(Representative.code == code))
        rep.photo_path = f"representatives/{code}.jpg"
        file = Path(media) / rep.photo_path
        file.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (30, 40), "red").save(file, format="JPEG")
    db.commit()
    page = client.get("/public/points/cp-dj-1").get_data(as_text=True)
    assert 'src="/public/points/cp-dj-1/representatives/wang01/photo"' in page
    photo = client.get("/public/points/cp-dj-1/representatives/wang01/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(photo.data)).size == (30, 40)
    photo.close()
    for path in ("/public/points/cp-dj-1/representatives/zhao03/photo",      # not at this point
                 "/public/points/cp-xj-1/representatives/zhao03/photo"):     # a point that is not public
        assert client.get(path).status_code == 404


def test_what_residents_typed_is_escaped(app, client, wechat, clock, public_point):
    wechat.scan_poster(RESIDENTS[0], "wang01")
    for payload in PAYLOADS:
        _report(wechat, RESIDENTS[0], payload)
    clock.advance(minutes=30)
    _answer_all(app, public_point["reps"]["wang"].id, "收到。" + PAYLOADS[1])
    assert_escaped(client.get("/public/points/cp-dj-1").get_data(as_text=True))


def test_the_directory_turns_the_page_on(app, client, db, district, clock):
    add_staff(db, district, clock)
    assert client.get("/public/points/cp-dj-2").status_code == 404
    login(client, "east")
    fields = {"csrf_token": _csrf(client, "/console/directory/points/cp-dj-2/edit"), "name": "东街第二联系点",
              "kind": "point", "run_by": "subdistrict", "address": "示例区东街88号", "latitude": "30.56",
              "longitude": "114.31", "reception_hours": "", "reception_day": "", "phone": "", "public_page": "y"}
    assert client.post("/console/directory/points/cp-dj-2/edit", data=fields).status_code == 302
    assert "/public/points/cp-dj-2" in client.get("/console/directory/points/cp-dj-2").get_data(as_text=True)
    assert client.get("/public/points/cp-dj-2").status_code == 200
    del fields["public_page"]
    fields["csrf_token"] = _csrf(client, "/console/directory/points/cp-dj-2/edit")
    assert client.post("/console/directory/points/cp-dj-2/edit", data=fields).status_code == 302
    assert client.get("/public/points/cp-dj-2").status_code == 404


def _cases_section(client) -> str:
    html = client.get("/public/points/cp-dj-1").get_data(as_text=True)
    return parse_page(html.split('data-testid="cases"')[1]).text


def test_only_resolved_cases_are_published(app, client, db, wechat, clock, public_point):
    """Closed, and the resident's final verdict (if any) neither 未解决 nor 不满意."""
    said = {"waiting": "甲处路灯坏了", "closed": "乙处井盖松了", "satisfied": "丙处积水", "again": "丁处树倒了",
            "partly": "戊处噪音大", "unsolved": "己处垃圾满了", "dissatisfied": "庚处占道经营"}
    wechat.scan_poster(RESIDENTS[0], "wang01")
    for text in said.values():
        _report(wechat, RESIDENTS[0], text)
    clock.advance(minutes=30)
    answered = _answer_all(app, public_point["reps"]["wang"].id, "已处理。")
    cases = dict(zip(said, sorted(answered), strict=True))
    with services(app).engine.begin() as conn:          # 甲 answered, not yet closed
        conn.execute(Case.__table__.update().where(Case.id == cases["waiting"]).values(status="replied"))
    with services(app).engine.connect() as conn:
        closes = dict(conn.execute(select(CaseEvent.case_id, CaseEvent.id).where(CaseEvent.action == "close")).all())
    _rate(app, cases["satisfied"], answered[cases["satisfied"]], "solved", "satisfied")
    _rate(app, cases["again"], answered[cases["again"]], "unsolved", "dissatisfied")    # an earlier verdict
    _rate(app, cases["again"], closes[cases["again"]], "solved", "basic")                 # the final one
    _rate(app, cases["partly"], answered[cases["partly"]], "partly", "basic")
    _rate(app, cases["unsolved"], answered[cases["unsolved"]], "unsolved", "satisfied")
    _rate(app, cases["dissatisfied"], answered[cases["dissatisfied"]], "solved", "dissatisfied")

    shown = _cases_section(client)
    assert [name for name, text in said.items() if text in shown] == ["closed", "satisfied", "again", "partly"]
    assert words.PUBLISHED in shown and words.CASES in shown


def test_a_location_is_never_shown(app, client, db, wechat, clock, public_point):
    """A case opened by a location keeps its label in ``cases.summary``; the page shows the
    resident's words (text and voice) only, and for a case without words says so."""
    wechat.scan_poster(RESIDENTS[0], "wang01")
    assert "编号" in wechat.location(RESIDENTS[0], 30.274167, 120.123456, "古荡街道幸福小区(北门)").text
    wechat.text(RESIDENTS[0], "北门外的路灯不亮了")
    wechat.send(RESIDENTS[0], "voice", {"MediaId": "voice-1", "Format": "amr", "Recognition": "晚上看不见路"})
    wechat.text(RESIDENTS[0], "新问题")
    assert "编号" in wechat.location(RESIDENTS[0], 30.281234, 120.135678, "文三路478号华星大厦").text
    summaries = db.scalars(select(Case.summary).order_by(Case.id)).all()
    assert summaries[0].startswith("[位置]") and "幸福小区" in summaries[0]     # what the page must not read
    clock.advance(minutes=30)
    _answer_all(app, public_point["reps"]["wang"].id, "已修复。")

    shown = _cases_section(client)
    assert "北门外的路灯不亮了" in shown and "晚上看不见路" in shown and words.SUMMARY_NO_TEXT in shown
    for datum in ("[位置]", "古荡", "幸福小区", "北门)", "30.27", "120.12", "30.28", "120.13", "文三路", "478",
                  "华星大厦"):
        assert datum not in shown, datum


def test_an_answer_is_withheld_only_when_there_was_one(app, client, db, wechat, clock, public_point):
    """An answer made only of personal data reads 「答复涉及个人信息」; a case with no answer on
    record (older data: the answer's words kept elsewhere) shows no answer at all."""
    wechat.scan_poster(RESIDENTS[0], "wang01")
    _report(wechat, RESIDENTS[0], "子处下水道堵了")
    _report(wechat, RESIDENTS[0], "丑处路面塌了")
    clock.advance(minutes=30)
    rep = public_point["reps"]["wang"].id
    svc = services(app)
    with svc.engine.begin() as conn:
        actor = actors.representative(conn, rep)
        silent, personal = conn.scalars(select(Case.id).order_by(Case.id)).all()
        for case_id in (silent, personal):
            perform(conn, case_id, "reply", actor, svc.clock.now(), note="请把您的电话告诉我们。", notify=False)
            perform(conn, case_id, "close", SYSTEM, svc.clock.now(), note="逾期未评价，自动办结。", notify=False)
        conn.execute(CaseEvent.__table__.update().where(CaseEvent.case_id == silent, CaseEvent.action == "reply")
                     .values(note=""))

    html = client.get("/public/points/cp-dj-1").get_data(as_text=True)
    items = html.split("</ul>")[-2].split('data-testid="case"')[1:]
    assert len(items) == 2
    assert "丑处路面塌了" in items[0] and words.ANSWER_WITHHELD in items[0]      # newest first
    assert "子处下水道堵了" in items[1] and 'data-testid="answer"' not in items[1]
    assert words.ANSWER_WITHHELD not in items[1]
