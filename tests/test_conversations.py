"""What residents see: binding by poster, filing and joining cases, progress, unbound residents."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Attachment, Case, CaseEvent, CaseMessage, Resident, ResidentScan


def resident(db, openid: str) -> Resident:
    db.rollback()
    return db.scalars(select(Resident).where(Resident.openid == openid)).one()


def all_cases(db) -> list[Case]:
    db.rollback()
    return db.scalars(select(Case).order_by(Case.id)).all()


def test_a_new_follower_scanning_a_poster_is_bound_and_welcomed(wechat, db, district):
    reply = wechat.scan_poster("o-zhang", "wang01").text
    for part in ("王晓明", "区人大代表", "第3选区", "东街第一联系点", "示例区东街1号", "027-8000 1001", "进度"):
        assert part in reply
    person = resident(db, "o-zhang")
    assert person.representative_id == district["reps"]["wang"].id
    assert person.contact_point_id == district["contact_points"]["east"].id
    assert person.subscribed and person.subscribed_at is not None


def test_the_latest_scan_wins_and_every_scan_is_kept(wechat, clock, db, district):
    wechat.scan_poster("o-zhang", "wang01")
    clock.advance(days=3)
    reply = wechat.scan_poster("o-zhang", "zhao03", new_follower=False).text
    assert "赵强" in reply and "省人大代表" in reply and "选区" not in reply  # zhao has no constituency on file
    assert resident(db, "o-zhang").representative_id == district["reps"]["zhao"].id
    scans = db.scalars(select(ResidentScan).order_by(ResidentScan.id)).all()
    assert [(s.scene, s.event) for s in scans] == [("rep:wang01", "subscribe"), ("rep:zhao03", "scan")]


def test_an_unknown_or_foreign_poster_code_gets_a_clear_answer(wechat, db, district):
    assert "无法识别" in wechat.scan_poster("o-a", "nobody99").text
    assert "无法识别" in wechat.event("o-b", "subscribe", "qrscene_12345").text
    assert resident(db, "o-a").representative_id is None


def test_a_plain_follow_explains_how_to_reach_a_representative(wechat, district):
    reply = wechat.event("o-new", "subscribe", "").text
    assert "欢迎关注" in reply and "二维码" in reply and "位置" in reply


def test_unfollowing_keeps_the_resident_and_their_cases(wechat, clock, db, district):
    wechat.scan_poster("o-leaving", "wang01")
    wechat.text("o-leaving", "公园厕所没人打扫")
    clock.advance(seconds=5)
    assert wechat.event("o-leaving", "unsubscribe").text is None
    person = resident(db, "o-leaving")
    assert not person.subscribed and person.unsubscribed_at is not None
    assert len(all_cases(db)) == 1
    clock.advance(days=1)
    wechat.scan_poster("o-leaving", "wang01")
    person = resident(db, "o-leaving")
    assert person.subscribed and person.unsubscribed_at is None


def test_text_opens_a_case_with_its_number_and_what_happens_next(wechat, db, district):
    wechat.scan_poster("o-zhang", "wang01")
    reply = wechat.text("o-zhang", "小区门口的路灯坏了一个月了").text
    assert "编号2026-000001" in reply and "10分钟" in reply and "进度" in reply
    [case] = all_cases(db)
    assert case.status == "submitted" and case.summary == "小区门口的路灯坏了一个月了"
    assert case.representative_id == district["reps"]["wang"].id
    assert case.contact_point_id == district["contact_points"]["east"].id
    assert case.sub_district_id == district["sub_districts"]["east"].id
    [event] = db.scalars(select(CaseEvent)).all()
    assert (event.action, event.from_status, event.to_status, event.actor_kind) == (
        "submit", None, "submitted", "resident")


def test_messages_within_the_window_join_the_case_and_later_ones_open_another(wechat, clock, db, district):
    wechat.scan_poster("o-zhang", "wang01")
    wechat.text("o-zhang", "楼下餐馆油烟很大")
    clock.advance(minutes=6)
    assert wechat.image("o-zhang", "media-photo-1").text == "已补充到2026-000001，谢谢您。"
    clock.advance(minutes=9)  # the window slides with each message
    assert "2026-000001" in wechat.location("o-zhang", 30.55, 114.30, "东街1号").text
    clock.advance(minutes=10, seconds=1)
    assert "编号2026-000002" in wechat.text("o-zhang", "另外，路口红绿灯时间太短").text
    first, second = all_cases(db)
    kinds = db.scalars(select(CaseMessage.kind).where(CaseMessage.case_id == first.id).order_by(CaseMessage.id)).all()
    assert kinds == ["text", "image", "location"]
    located = db.scalars(select(CaseMessage).where(CaseMessage.kind == "location")).one()
    assert (located.latitude, located.longitude, located.location_label) == (30.55, 114.30, "东街1号")


def test_a_photo_alone_opens_a_case_and_its_download_waits_for_later(wechat, db, district):
    wechat.scan_poster("o-photo", "li02")
    reply = wechat.image("o-photo", "media-xyz").text
    assert "编号" in reply
    [case] = all_cases(db)
    assert case.summary == "[图片]"
    attachment = db.scalars(select(Attachment)).one()
    assert (attachment.media_id, attachment.status, attachment.path) == ("media-xyz", "pending", None)


def test_a_location_alone_opens_a_case_for_a_bound_resident(wechat, db, district):
    wechat.scan_poster("o-loc", "wang01")
    assert "编号" in wechat.location("o-loc", 30.551, 114.301, "东街菜市场").text
    assert all_cases(db)[0].summary == "[位置] 东街菜市场"


def test_voice_is_filed_with_wechats_recognition(wechat, db, district):
    wechat.scan_poster("o-voice", "wang01")
    wechat.send("o-voice", "voice", {"MediaId": "voice-1", "Format": "amr", "Recognition": "电梯又坏了"})
    [case] = all_cases(db)
    assert case.summary == "[语音] 电梯又坏了"


def test_a_closed_case_is_never_joined(wechat, clock, db, district):
    wechat.scan_poster("o-zhang", "wang01")
    wechat.text("o-zhang", "健身器材坏了")
    [case] = all_cases(db)
    case.status = "closed"
    db.commit()
    assert "编号2026-000002" in wechat.text("o-zhang", "还有一件事").text


def test_my_cases_lists_recent_cases_with_status(wechat, clock, db, district):
    wechat.scan_poster("o-zhang", "wang01")
    assert "还没有反映过" in wechat.text("o-zhang", "进度").text
    for index in range(7):
        wechat.text("o-zhang", f"第{index + 1}件事：" + "很长的描述" * 10)
        clock.advance(minutes=11)
    case = all_cases(db)[0]
    case.status = "replied"
    db.commit()
    for command in ("我的", " 进度 ", "查询。", "\u3000我的\u3000"):
        reply = wechat.text("o-zhang", command).text
        assert reply.startswith("您最近反映的问题")
        assert "【2026-000007】已登记\n内容：第7件事" in reply and "2026-000003" in reply
        assert "办理：王晓明代表" in reply and "待接单" not in reply  # residents' words, not staff jargon
        assert "2026-000002" not in reply and "另有2个较早的问题" in reply
        assert "…" in reply
    assert len(all_cases(db)) == 7  # commands never open cases


def test_an_unbound_resident_is_heard_and_asked_where_they_are(wechat, clock, db, district):
    reply = wechat.text("o-stranger", "我们村的桥塌了一半").text
    assert "编号2026-000001" in reply and "二维码" in reply and "位置" in reply
    [case] = all_cases(db)
    assert case.representative_id is None and case.sub_district_id is None


def test_an_unbound_resident_sending_a_location_is_offered_the_nearest_contact_points(wechat, clock, db, district):
    wechat.text("o-stranger", "桥塌了")
    clock.advance(minutes=1)
    reply = wechat.location("o-stranger", 30.5605, 114.3105, "东街88号附近").text
    lines = reply.splitlines()
    assert lines[1].startswith("1. 东街第二联系点（东街街道，约")  # nearest first
    assert lines[2].startswith("2. 东街第一联系点") and lines[3].startswith("3. 西街联系点")
    assert "公里" in lines[3]
    # The location joins the case they are describing; no new case is opened.
    assert "位置已补充到2026-000001" in reply
    assert len(all_cases(db)) == 1
    assert db.scalars(select(CaseMessage.kind).order_by(CaseMessage.id)).all() == ["text", "location"]
    clock.advance(minutes=1)
    chosen = wechat.text("o-stranger", "１").text
    assert "东街第二联系点" in chosen and "东街街道人大工委" in chosen
    person = resident(db, "o-stranger")
    assert person.contact_point_id == district["contact_points"]["east2"].id
    [case] = all_cases(db)
    assert case.contact_point_id == district["contact_points"]["east2"].id
    assert case.sub_district_id == district["sub_districts"]["east"].id
    assert [e.action for e in db.scalars(select(CaseEvent).order_by(CaseEvent.id))] == ["submit", "route"]


def test_a_location_sent_to_find_a_contact_point_opens_no_case(wechat, clock, db, district):
    reply = wechat.location("o-stranger", 30.55, 114.30).text
    assert reply.startswith("离您最近的民情民意联系点") and "编号" not in reply
    assert all_cases(db) == []


def test_text_that_is_not_an_answer_falls_through_and_ends_the_question(wechat, clock, db, district):
    wechat.location("o-stranger", 30.55, 114.30)
    clock.advance(seconds=30)
    assert "已登记，编号2026-000001" in wechat.text("o-stranger", "9").text  # no option 9: an ordinary message
    clock.advance(seconds=30)
    assert "已补充到2026-000001" in wechat.text("o-stranger", "1").text  # the question is closed now
    assert resident(db, "o-stranger").contact_point_id is None


@pytest.mark.parametrize("answer", ["❶", "➀", "1" * 5000])
def test_an_odd_answer_to_the_question_is_an_ordinary_message(wechat, clock, db, district, answer):
    wechat.location("o-stranger", 30.55, 114.30)
    clock.advance(seconds=30)
    delivery = wechat.text("o-stranger", answer)
    assert delivery.status == 200 and "编号2026-000001" in delivery.text
    assert resident(db, "o-stranger").contact_point_id is None


def test_a_location_far_from_every_contact_point_lists_none(wechat, db, district):
    reply = wechat.location("o-far", 39.90, 116.40).text  # Beijing, about 1,000 km away
    assert "公里内暂时没有" in reply and "公里）" not in reply
    assert all_cases(db) == []


def test_an_impossible_location_is_refused_at_the_edge(wechat, district):
    # WeChat never sends latitude 123: such a delivery is junk, refused before any handler.
    assert wechat.location("o-stranger", 123.0, 500.0).status == 400


def test_messages_we_do_not_handle_get_a_polite_answer(wechat, db, district):
    reply = wechat.send("o-x", "hologram", {"Payload": "?"}).text
    assert reply.startswith("抱歉") and "文字" in reply
    assert all_cases(db) == []


def test_a_reply_never_breaks_out_of_its_cdata(wechat, db, district):
    wechat.scan_poster("o-cdata", "wang01")
    wechat.text("o-cdata", "]]></Content><Evil>1</Evil>")
    reply = wechat.text("o-cdata", "进度")
    assert "]]></Content><Evil>" in reply.text
