"""``cases.anonymise.scrub`` on its own: the disguises a reviewer found (numbers split by sentence
ends and odd separators or spelt in Chinese numerals, names after 联系人、居民、老伴…, addresses with
lettered buildings and trailing rooms) are removed, while ordinary complaint text reads as typed."""

from __future__ import annotations

import pytest

from cases.anonymise import HIDDEN, fold, scrub

# One mobile number, 138 1234 5678, as residents split or spell it.
PHONE_DISGUISES = (
    "138。1234。5678",
    "138\n1234\n5678",
    "138/1234/5678",
    "138_1234_5678",
    "138，1234，5678",
    "138～1234～5678",
    "138\u22121234\u22125678",                 # − MINUS SIGN
    "138 一二三四 5678",
    "幺三八 幺二三四 五六七八",
    "壹叁捌壹贰叁肆伍陆柒捌",
    "①③⑧①②③④⑤⑥⑦⑧",
    "1\u200b3\u200b8\u200b1\u200b2\u200b3\u200b4\u200b5\u200b6\u200b7\u200b8",   # zero-width spaces
    "1\u200d38\ufeff1234\u20605678",            # joiners, BOM, word joiner
    "❶❸❽ 1234 5678",
    "138啊1234啊5678",
)


@pytest.mark.parametrize("number", PHONE_DISGUISES)
def test_a_phone_number_in_disguise_is_hidden(number):
    assert scrub(f"楼上漏水{number}请尽快处理") == f"楼上漏水{HIDDEN}请尽快处理"


@pytest.mark.parametrize("number", ("42010619900101123X", "4201 0619 9001 0112 3X", "6222 0212 3456 7890 123",
                                    "QQ号外的数字 123456", "027-8765-4321", "(027)87654321"))
def test_ids_cards_and_landlines_are_hidden(number):
    shown = scrub(f"附近{number}。路灯坏了。")
    assert not any(run in shown for run in ("1234", "4201", "6222", "8765", "4321", "123456", "3X")), shown
    assert shown.endswith("路灯坏了。")


@pytest.mark.parametrize(("text", "shown"), [
    ("联系人：李建国，楼上漏水", f"联系人：{HIDDEN}，楼上漏水"),
    ("居民刘桂兰反映楼道灯坏了", f"居民{HIDDEN}反映楼道灯坏了"),
    ("我老伴王秀英腿脚不便", f"我老伴{HIDDEN}腿脚不便"),
    ("找李建国", f"找{HIDDEN}"),
    ("联系人欧阳建国说井盖丢了", f"联系人{HIDDEN}说井盖丢了"),
    ("请社区的王老师和李阿姨来看看", "请社区的某老师和某阿姨来看看"),
    ("业主张建设修车。路灯坏了。", "路灯坏了。"),        # where the name ends cannot be told: the sentence goes
    ("居民张 伟反映楼道灯坏了", f"居民{HIDDEN}反映楼道灯坏了"),   # spaces inside a name (full-width too)
    ("联系人：刘　桂　兰，楼上漏水", f"联系人：{HIDDEN}，楼上漏水"),
    ("请李 师傅来看看", "请某师傅来看看"),
    ("我是王 建国。路灯 坏了。", "路灯坏了。"),
])
def test_names_after_cues_and_before_honorifics_are_hidden(text, shown):
    assert scrub(text) == shown


@pytest.mark.parametrize("text", (
    "幸福小区A栋1201", "幸福小区B座1202", "幸福小区12#501", "科技园南区R2-B栋", "幸福小区3栋2单元501",
    "幸福小区3-2-501", "光明花园5幢1203室", "金色家园二期3号楼1单元",
))
def test_a_compound_with_its_building_goes_whole(text):
    assert scrub(f"{text}停水两天了") == f"{HIDDEN}停水两天了"


@pytest.mark.parametrize(("text", "shown"), [
    ("3楼漏水", "3楼漏水"),                                      # a floor alone is nobody's address
    ("人民路123号门口有坑", f"人民路{HIDDEN}门口有坑"),          # the street stays, its house number goes
    ("2路公交车站的顶棚坏了", "2路公交车站的顶棚坏了"),
    ("幸福小区门口的路灯坏了", "幸福小区门口的路灯坏了"),
    ("您家3号楼的灯已修好", f"您家{HIDDEN}的灯已修好"),
    ("我们小区5号楼和6号楼之间的路灯坏了", f"我们小区{HIDDEN}和{HIDDEN}之间的路灯坏了"),
])
def test_floors_and_streets_keep_their_words(text, shown):
    assert scrub(text) == shown


@pytest.mark.parametrize("text", (
    "楼道的灯坏了一个月，晚上很黑，老人上下楼很危险。",
    "居民反映小区门口路灯不亮，群众向我反映了三次。",
    "业主方面没有意见，找物业也没用。找了好几次社区。",
    "每天晚上10:00-12:00施工噪音很大，一天两次，持续了一两个月。",
    "12345热线说2026-11-23 10:00前修好，欠薪20000元。",
    "涉及1200户3500人，投资300万元。",
    "2026年11月23日10点30分停水，小区有三栋楼没有电梯，一座桥坏了。",
    "我家在一楼，楼道里堆满杂物。3楼漏水到2楼。",
    "已协调区城管局，3个工作日内清理完毕。感谢您的监督！",
    "邻居家的狗一直叫，影响休息。",
    "市民可拨打12345或96345反映。",
    "坚持群众路线，倾听居民心声。老人孙子来接。",
))
def test_ordinary_complaints_read_as_typed(text):
    assert scrub(text) == text


def test_folding_drops_invisible_characters_and_reads_every_digit():
    assert fold("１２３\u200bＡ①❷，") == "123A12，"
    assert scrub("ＡＢＣ１３８１２３４５６７８") == HIDDEN
